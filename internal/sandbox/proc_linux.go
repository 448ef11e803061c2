package sandbox

import (
	"errors"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// childAttr puts a runtime in its own process group, kills it when lambdad
// dies, and asks clone for a pidfd in *pidfd (-1 when the kernel has none).
// The kernel sends the death signal when the thread that forked the child
// exits; Go ends a thread only when a goroutine exits while locked to it,
// which lambdad's code must therefore never do.
func childAttr(pidfd *int) *syscall.SysProcAttr {
	*pidfd = -1
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, PidFD: pidfd}
}

// limitProcess applies the rlimits that make sense for an unisolated
// runtime. It runs after the start, so a child the runtime forks at once
// may keep the old limits. RLIMIT_NPROC counts per user and RLIMIT_AS
// breaks runtimes that reserve address space, so neither is used.
func limitProcess(pid int) error {
	return errors.Join(
		unix.Prlimit(pid, unix.RLIMIT_NOFILE, &unix.Rlimit{Cur: maxOpenFiles, Max: maxOpenFiles}, nil),
		unix.Prlimit(pid, unix.RLIMIT_CORE, &unix.Rlimit{}, nil),
	)
}

// waitExited blocks until the process is a zombie, without reaping it, and
// returns true. With a pidfd it parks in the network poller instead of
// holding a thread.
func waitExited(pid, pidfd int) bool {
	if pidfd >= 0 && unix.SetNonblock(pidfd, true) == nil {
		f := os.NewFile(uintptr(pidfd), "pidfd")
		defer f.Close()
		if rc, err := f.SyscallConn(); err == nil {
			var werr error
			err = rc.Read(func(fd uintptr) bool {
				var info unix.Siginfo
				werr = unix.Waitid(unix.P_PIDFD, int(fd), &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
				// With WNOHANG and nothing to report, Linux leaves
				// si_signo zero; it is SIGCHLD otherwise.
				return werr != nil || info.Signo != 0
			})
			if err == nil && werr == nil {
				return true
			}
		}
	} else if pidfd >= 0 {
		unix.Close(pidfd)
	}
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err != unix.EINTR {
			return err == nil
		}
	}
}

// residentPeak returns the peak resident set (VmHWM) of a live process, or
// 0.
func residentPeak(pid int) int64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	b, _ := statusKB(parseStatus(data)["VmHWM"])
	return b
}
