//go:build !linux

package sandbox

import (
	"fmt"
	"os"
)

// InitMain is the sandbox init, the body of lambdad's hidden sandbox-init
// subcommand. Isolation needs Linux: here it only reports that and returns
// 2.
func InitMain(args []string) int {
	fmt.Fprintf(os.Stderr, "%s: sandboxes need Linux\n", InitSubcommand)
	return 2
}
