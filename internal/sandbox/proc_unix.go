//go:build unix

package sandbox

import (
	"errors"
	"os"
	"runtime"
	"syscall"
)

// signalTree sends sig to the runtime and to its process group (the group
// id is the runtime's pid: it was started with Setpgid).
func signalTree(p *os.Process, sig syscall.Signal) error {
	var errs []error
	if err := p.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		errs = append(errs, err)
	}
	if err := syscall.Kill(-p.Pid, sig); err != nil && err != syscall.ESRCH {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// exitStatus describes how a reaped process ended.
func exitStatus(ps *os.ProcessState) ExitStatus {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return ExitStatus{Code: -1, Signal: ws.Signal().String()}
	}
	return ExitStatus{Code: ps.ExitCode()}
}

// maxRSS is the largest resident set of a reaped process and its reaped
// descendants, in bytes.
func maxRSS(ps *os.ProcessState) int64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return int64(ru.Maxrss) // bytes there, kilobytes elsewhere
	}
	return int64(ru.Maxrss) * 1024
}
