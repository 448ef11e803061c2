package sandbox

import (
	"errors"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// waitDelay bounds how long reaping waits for the runtime's output to drain
// once it has exited, in case an escaped process still holds the pipe.
const waitDelay = 2 * time.Second

// ExitStatus is how a runtime ended.
type ExitStatus struct {
	// Code is the exit code, or -1 when a signal ended the process.
	Code int
	// Signal is the name of the signal that ended the process as Go spells
	// it ("killed", "terminated"), or "".
	Signal string
	// OOMKilled reports that the kernel's OOM killer killed a process of the
	// environment because it reached its memory limit.
	OOMKilled bool
}

// Error formats s as Go's exec.ExitError does: "exit status 127",
// "signal: killed".
func (s ExitStatus) Error() string {
	if s.Signal != "" {
		return "signal: " + s.Signal
	}
	return "exit status " + strconv.Itoa(s.Code)
}

// Process is a started environment. Its methods are safe for concurrent use.
type Process struct {
	m     *Manager
	id    string
	proc  *os.Process
	pid   int
	pidfd int           // from clone, or -1; owned by wait
	res   resources     // cgroups (isolated); released by wait
	stdio *stdio        // drained by wait
	dirs  []string      // removed by wait after the process is reaped
	done  chan struct{} // closed by wait

	// Set by wait before done is closed.
	exit   ExitStatus
	peakMB int

	mu     sync.Mutex // guards exited, reaped and ident; never held with Manager.mu
	exited bool       // the runtime is a zombie or reaped: no more signals
	reaped bool       // wait is done with the process tree
	ident  *Identity  // released by wait once the process tree is gone

	forgotten bool // wait is done with the Manager; guarded by Manager.mu
}

// newProcess takes over a started process and starts waiting for it.
func newProcess(m *Manager, id string, proc *os.Process, pidfd int, res resources, out *stdio, dirs []string) *Process {
	p := &Process{
		m: m, id: id, proc: proc, pid: proc.Pid, pidfd: pidfd,
		res: res, stdio: out, dirs: dirs, done: make(chan struct{}),
	}
	go p.wait()
	return p
}

// own makes p release ident once its process tree is gone: at once when it
// already is.
func (p *Process) own(ident *Identity) {
	p.mu.Lock()
	if p.reaped {
		p.mu.Unlock()
		ident.Release()
		return
	}
	p.ident = ident
	p.mu.Unlock()
}

// Pid returns the host pid of the runtime (when isolated, of the init that
// became the runtime).
func (p *Process) Pid() int { return p.pid }

// Done is closed once the runtime has exited and been reaped and the
// environment's cgroups and directories are gone. When isolated, the rest
// of the process tree is gone too.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exit returns how the runtime ended; valid once Done is closed.
func (p *Process) Exit() ExitStatus {
	<-p.done
	return p.exit
}

// MaxMemoryUsedMB returns the peak memory use of the environment in MiB,
// rounded up: the cgroup's peak when memory is in a cgroup; otherwise the
// runtime's own peak resident set, and once it has exited the largest of
// the tree's processes (best effort).
func (p *Process) MaxMemoryUsedMB() int {
	select {
	case <-p.done:
		return p.peakMB
	default:
	}
	if b, ok := p.res.peakBytes(); ok {
		return toMB(b)
	}
	p.mu.Lock()
	var b int64
	if !p.exited {
		b = residentPeak(p.pid)
	}
	p.mu.Unlock()
	select {
	case <-p.done:
		return p.peakMB
	default:
		return toMB(b)
	}
}

func toMB(b int64) int {
	const mb = 1 << 20
	return int((b + mb - 1) / mb)
}

// Stop ends the environment: SIGTERM to the runtime and its process group,
// then, if it is still running after grace, SIGKILL to all of it. It
// returns once Done is closed. Stop and Kill may be called any number of
// times, concurrently.
func (p *Process) Stop(grace time.Duration) error {
	err := p.signal(syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.done:
		return err
	case <-t.C:
	}
	return errors.Join(err, p.Kill())
}

// Kill sends SIGKILL to the runtime, its process group and every process of
// its cgroup, and returns once Done is closed.
func (p *Process) Kill() error {
	err := p.signal(syscall.SIGKILL)
	<-p.done
	return err
}

// signal sends sig to the runtime and its group unless the runtime has
// exited: from then on its pid may be reused.
func (p *Process) signal(sig syscall.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.exited {
		return nil
	}
	err := signalTree(p.proc, sig)
	if sig == syscall.SIGKILL {
		err = errors.Join(err, p.res.killAll())
	}
	return err
}

// wait owns the process: it waits for the runtime to exit, sweeps what is
// left of its group, reaps it, records how it ended and releases its
// resources.
func (p *Process) wait() {
	defer close(p.done)
	zombie := waitExited(p.pid, p.pidfd)
	if zombie {
		p.mu.Lock()
		// The runtime is a zombie: its pid, and so its process group id,
		// cannot be reused until it is reaped below, so the group may still
		// be signalled. Processes it left behind go with it.
		_ = signalTree(p.proc, syscall.SIGKILL)
		p.exited = true
		p.mu.Unlock()
	}

	peak, havePeak := p.res.peakBytes()
	state, err := p.proc.Wait()
	if !zombie {
		p.mu.Lock()
		p.exited = true
		p.mu.Unlock()
	}
	if p.stdio != nil {
		p.stdio.wait(waitDelay)
	}
	if err != nil {
		p.m.log.Warn("reap runtime", "env", p.id, "err", err)
		p.exit = ExitStatus{Code: -1}
	} else {
		p.exit = exitStatus(state)
		if !havePeak {
			peak = maxRSS(state)
		}
	}
	p.exit.OOMKilled = p.res.oomKilled(p.exit.Signal == syscall.SIGKILL.String())
	p.peakMB = toMB(peak)
	if err := p.res.release(); err != nil {
		p.m.log.Warn("release environment cgroups", "env", p.id, "err", err)
	}
	for _, d := range p.dirs {
		if err := os.RemoveAll(d); err != nil {
			p.m.log.Warn("remove environment dir", "env", p.id, "err", err)
		}
	}
	// The process tree is gone (when isolated, the PID namespace ended
	// with its init): no process holds the uid any more.
	p.mu.Lock()
	p.reaped = true
	ident := p.ident
	p.mu.Unlock()
	ident.Release()
	p.m.forget(p)
}
