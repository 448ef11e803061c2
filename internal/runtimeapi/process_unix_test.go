//go:build unix

package runtimeapi_test

import (
	"os/exec"
	"syscall"
)

// isolate puts the runtime in its own process group, so that killGroup
// also reaches its children (the curl bootstrap's curl).
func isolate(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

func killGroup(cmd *exec.Cmd) { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
