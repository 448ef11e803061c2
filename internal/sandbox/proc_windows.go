//go:build windows

package sandbox

import (
	"errors"
	"os"
	"syscall"
)

func childAttr(pidfd *int) *syscall.SysProcAttr {
	*pidfd = -1
	return nil
}

func limitProcess(pid int) error { return nil }

func waitExited(pid, pidfd int) bool { return false }

func residentPeak(pid int) int64 { return 0 }

// signalTree kills the runtime on SIGKILL; Windows has no SIGTERM to send
// and no process groups to signal.
func signalTree(p *os.Process, sig syscall.Signal) error {
	if sig != syscall.SIGKILL {
		return nil
	}
	if err := p.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	return nil
}

func exitStatus(ps *os.ProcessState) ExitStatus { return ExitStatus{Code: ps.ExitCode()} }

func maxRSS(ps *os.ProcessState) int64 { return 0 }
