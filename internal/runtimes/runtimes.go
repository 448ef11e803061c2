// Package runtimes says what each Lambda Runtime value means on this host:
// which command starts an environment of that runtime and which variables
// only that runtime gets. Custom runtimes (provided.*) run the function's own
// `bootstrap`; managed language runtimes (python3.x, nodejs*.x) run
// lambdad's own runtime interface clients, embedded in the binary, with an
// interpreter found on the host (see Set).
package runtimes

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Error is a runtime that cannot start. Type and Message are what the
// invoker sees in the function error (errorType, errorMessage).
type Error struct {
	Type    string
	Message string
}

func (e *Error) Error() string { return e.Type + ": " + e.Message }

// Launch is how to start an environment of one runtime.
type Launch struct {
	// Command is the argv inside the sandbox (paths under /var/task, /opt).
	Command []string
	// ExecutionEnv is AWS_EXECUTION_ENV; empty for custom runtimes, as on AWS.
	ExecutionEnv string
	// Env holds the runtime's own variables (KEY=value, sandbox paths),
	// which the function's variables may override.
	Env []string
	// RuntimeDir is a host directory to show the runtime at /var/runtime,
	// or "".
	RuntimeDir string
}

// Resolve returns how to start runtime for code extracted at codeDir (and
// layers at optDir, which may be empty). It fails with the error AWS reports
// at invoke time when the runtime cannot start here.
func Resolve(runtime, handler, codeDir, optDir string) (Launch, error) {
	if strings.HasPrefix(runtime, "provided") {
		// AWS looks for bootstrap in the function, then in the layers.
		if isExecutable(filepath.Join(codeDir, "bootstrap")) {
			return Launch{Command: []string{"/var/task/bootstrap"}}, nil
		}
		if optDir != "" && isExecutable(filepath.Join(optDir, "bootstrap")) {
			return Launch{Command: []string{"/opt/bootstrap"}}, nil
		}
		return Launch{}, &Error{
			Type:    "Runtime.InvalidEntrypoint",
			Message: "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]",
		}
	}
	return Launch{}, &Error{
		Type:    "Runtime.InvalidEntrypoint",
		Message: fmt.Sprintf("Runtime %s is not supported by lambdad", runtime),
	}
}

func isExecutable(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular() && info.Mode().Perm()&0o111 != 0
}
