//go:build unix && !linux

package sandbox

import "syscall"

// childAttr puts a runtime in its own process group.
func childAttr(pidfd *int) *syscall.SysProcAttr {
	*pidfd = -1
	return &syscall.SysProcAttr{Setpgid: true}
}

// limitProcess would apply rlimits; nothing is enforced here.
func limitProcess(pid int) error { return nil }

// waitExited cannot wait without reaping here: it returns false at once and
// exec.Cmd.Wait does the waiting. A signal racing with the reaping is
// accepted, and what the runtime leaves in its group is not swept.
func waitExited(pid, pidfd int) bool { return false }

// residentPeak is unknown here.
func residentPeak(pid int) int64 { return 0 }
