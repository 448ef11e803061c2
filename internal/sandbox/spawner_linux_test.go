package sandbox_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/lambdad/lambdad/internal/sandbox"
)

// TestSpawner: an isolated Manager starts its inits from the spawner, and
// one made without it (as where the spawner's thread cannot start) starts
// them from its own descriptor table; environments behave the same either
// way: the runtime is PID 1 in /var/task, and its exit status comes back.
func TestSpawner(t *testing.T) {
	for _, spawner := range []bool{true, false} {
		t.Run(map[bool]string{true: "spawner", false: "own-table"}[spawner], func(t *testing.T) {
			e := newTestEnv(t, sandbox.Isolated, func(cfg *sandbox.Config) {
				if !spawner {
					*cfg = sandbox.WithoutSpawner(*cfg)
				}
			})
			if got := sandbox.UsesSpawner(e.m); got != spawner {
				t.Fatalf("UsesSpawner = %v, want %v", got, spawner)
			}
			code := e.codeDir(t)
			runIsolatedReport(t, e, code, "report")
			p := e.start(t, e.spec(code, "exit", "exit", "3"))
			if st := waitDone(t, p); st != (sandbox.ExitStatus{Code: 3}) {
				t.Errorf("exit %+v, want code 3", st)
			}
		})
	}
}

// TestInitExe: an isolated Manager starts its inits with InitExe when that
// passes the start-up test, and with SelfExe when it does not.
func TestInitExe(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	initExe := filepath.Join(t.TempDir(), sandbox.InitExeName)
	copyFile(t, self, initExe)
	notInit := filepath.Join(t.TempDir(), sandbox.InitExeName)
	if err := os.WriteFile(notInit, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Not a program at all: the spawner's fork fails and says why.
	notExe := filepath.Join(t.TempDir(), sandbox.InitExeName)
	if err := os.WriteFile(notExe, []byte("not an executable"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, initExe string
		want          []string
	}{
		{"init-exe", initExe, []string{initExe}},
		{"broken-init-exe", notInit, []string{self, sandbox.InitSubcommand}},
		{"unexecutable-init-exe", notExe, []string{self, sandbox.InitSubcommand}},
		{"none", "", []string{self, sandbox.InitSubcommand}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t, sandbox.Isolated, func(cfg *sandbox.Config) { cfg.InitExe = tt.initExe })
			if got := sandbox.InitArgv(e.m); !slices.Equal(got, tt.want) {
				t.Fatalf("inits start with %q, want %q", got, tt.want)
			}
			runIsolatedReport(t, e, e.codeDir(t), "report")
		})
	}
}
