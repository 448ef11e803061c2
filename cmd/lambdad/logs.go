package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/lambdad/lambdad/internal/daemon"
	"github.com/lambdad/lambdad/internal/logs"
)

// runLogs is `lambdad logs NAME [--follow]`: it prints a function's log
// streams, oldest first, and with --follow keeps printing what is appended
// (to any stream, new ones included) until interrupted.
func runLogs(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	def := daemon.DefaultConfig()
	fs := flag.NewFlagSet("logs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", envOr(getenv, "LAMBDAD_DATA_DIR", def.DataDir), "`directory` of the lambdad whose logs to read (LAMBDAD_DATA_DIR)")
	account := fs.String("account-id", envOr(getenv, "LAMBDAD_ACCOUNT_ID", def.AccountID), "account of the function (LAMBDAD_ACCOUNT_ID)")
	follow := fs.Bool("follow", false, "keep printing new log lines")
	fs.BoolVar(follow, "f", false, "shorthand for --follow")
	// Accept flags after the function name too.
	var name string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		name, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if name == "" && fs.NArg() == 1 {
		name = fs.Arg(0)
	} else if fs.NArg() > 0 || name == "" {
		fmt.Fprintln(stderr, "usage: lambdad logs FUNCTION_NAME [--follow] [--data-dir DIR]")
		return 2
	}
	store, err := logs.NewStore(filepath.Join(*dataDir, "logs"))
	if err != nil {
		fmt.Fprintln(stderr, "lambdad logs:", err)
		return 1
	}
	offsets := map[string]int64{}
	for {
		files, err := store.StreamFiles(*account, name)
		if err != nil {
			fmt.Fprintln(stderr, "lambdad logs:", err)
			return 1
		}
		for _, path := range files {
			n, err := copyFrom(stdout, path, offsets[path])
			if err != nil {
				fmt.Fprintln(stderr, "lambdad logs:", err)
				return 1
			}
			offsets[path] += n
		}
		if !*follow {
			return 0
		}
		select {
		case <-ctx.Done():
			return 0
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// copyFrom copies path from offset to w and returns how many bytes it copied.
func copyFrom(w io.Writer, path string, offset int64) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return 0, err
	}
	return io.Copy(w, f)
}
