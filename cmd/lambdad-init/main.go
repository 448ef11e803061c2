// Command lambdad-init is the init of lambdad's isolated execution
// environments: lambdad starts it in new namespaces for every environment,
// it builds the environment's root, drops privileges and becomes the
// runtime (see sandbox.InitMain). lambdad can serve as its own init, but
// it is a large program that takes several milliseconds of CPU to start;
// this binary takes about two. lambdad uses it when it lies beside lambdad
// and comes from the same build: go build -o bin/ ./cmd/...
package main

import (
	"os"

	"github.com/lambdad/lambdad/internal/sandbox"
)

func main() { os.Exit(sandbox.InitMain(os.Args[1:])) }
