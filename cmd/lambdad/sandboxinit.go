package main

import "github.com/lambdad/lambdad/internal/sandbox"

// runSandboxInit is the hidden sandbox-init subcommand. lambdad re-executes
// itself with it to start an isolated environment when no lambdad-init of
// the same build lies beside it: it builds the sandbox and becomes the
// runtime (see sandbox.InitMain), so it returns only on failure.
func runSandboxInit(args []string) int { return sandbox.InitMain(args) }
