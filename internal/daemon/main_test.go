package daemon_test

import (
	"os"
	"testing"

	"github.com/lambdad/lambdad/internal/sandbox"
)

// TestMain lets this test binary serve as the sandbox init, as the lambdad
// binary does, so in-process daemons isolate their environments.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == sandbox.InitSubcommand {
		os.Exit(sandbox.InitMain(os.Args[2:]))
	}
	os.Exit(m.Run())
}
