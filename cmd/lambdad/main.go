// Command lambdad runs AWS Lambda functions locally behind the Lambda API.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

const usage = `usage: lambdad <command> [flags]

commands:
  serve     run the Lambda API and execution environments
  logs      print a function's logs (lambdad logs NAME [--follow])
  async-stats  print the counts of the async invocation queue
  version   print the version
`

// run dispatches a subcommand and returns the process exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], getenv, stdout, stderr)
	case "logs":
		return runLogs(ctx, args[1:], getenv, stdout, stderr)
	case "async-stats":
		return runAsyncStats(args[1:], getenv, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "lambdad", version)
		return 0
	case "sandbox-init":
		return runSandboxInit(args[1:])
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "lambdad: unknown command %q\n%s", args[0], usage)
	return 2
}
