package daemon

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/lambdad/lambdad/internal/sandbox"
)

// TestFindInitExe: lambdad-init is taken from beside lambdad only when it
// comes from the same build.
func TestFindInitExe(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	lambdad := filepath.Join(dir, "lambdad")
	if got, err := FindInitExe(lambdad); got != "" || err != nil {
		t.Errorf("without lambdad-init: %q, %v; want none", got, err)
	}
	initExe := filepath.Join(dir, sandbox.InitExeName)
	// A copy of this test binary has the running program's build information.
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(initExe, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := FindInitExe(lambdad); got != initExe || err != nil {
		t.Errorf("same build: %q, %v; want %q", got, err, initExe)
	}
	if err := os.WriteFile(initExe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := FindInitExe(lambdad); got != "" || err == nil {
		t.Errorf("not a Go binary: %q, %v; want an error", got, err)
	}
}
