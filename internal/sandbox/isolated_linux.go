package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// initEnv marks the environment of a sandbox init process.
const initEnv = "LAMBDAD_SANDBOX_INIT"

// initEnvironment is the init's own environment (the runtime gets the
// Spec's). The init's work runs on one locked thread: with one P the Go
// runtime starts fewer threads of its own.
var initEnvironment = []string{initEnv + "=1", "GOMAXPROCS=1"}

// The init's protocol. The init starts with a control socket on ctrlFD and
// a status pipe on statusFD. lambdad sends a prepareConfig message; the
// init builds what every environment shares, answers waitingByte and waits
// (it may sit in the warm pool for a while). lambdad puts it in the
// environment's cgroups and sends a runConfig message with the runtime's
// stdin, stdout and stderr attached (SCM_RIGHTS). The init finishes the
// root and answers readyByte just before it executes the runtime, or an
// initStatus when something fails. statusFD is close-on-exec, so end of
// file after readyByte means the runtime runs. End of file on ctrlFD
// instead of a message makes the init exit 0.
const (
	ctrlFD      = 3
	statusFD    = 4
	waitingByte = '+'
	readyByte   = '.'
	maxStatus   = 64 << 10  // what lambdad reads from statusFD
	maxConfig   = 128 << 10 // one message on ctrlFD
)

// prepareConfig is what every environment of a Manager shares.
type prepareConfig struct {
	Root          string   // the directory to build the new root on
	Hidden        []string // host paths to cover
	LegacyRemount bool     // make the tree read-only mount by mount (tests)
}

// runConfig is one environment's part.
type runConfig struct {
	CodeDir  string // host directory for /var/task
	OptDir   string // host directory for /opt, or ""
	Runtime  string // host directory for /var/runtime, or ""
	TmpMB    int    // size of /tmp
	UID, GID int
	Command  []string
	Env      []string
	Tasks    []string // cgroup v1 tasks files to join with the thread that executes the runtime
	Probe    bool     // exit 0 instead of executing the command
}

// initStatus reports a failure of the init.
type initStatus struct {
	Op    string `json:"op"`
	Errno int    `json:"errno,omitempty"`
	Msg   string `json:"msg"`
}

// initProc is a started init waiting for its environment.
type initProc struct {
	proc       *os.Process
	pidfd      int        // -1 once handed to a Process
	ctrl       int        // lambdad's end of the control socket, -1 once closed
	status     *os.File   // read end of the status pipe
	clonedInto bool       // started inside the unified cgroup of cg
	cg         *envCgroup // a warm init's cgroups, until Start takes them
}

// spawnInit starts an init in new mount, PID, IPC and UTS namespaces,
// inside the cgroup open at cgroupFD if that is not -1, and sends it the
// prepareConfig. The spawner starts it, or, where the spawner could not
// start, lambdad's own table is copied for it.
func (m *Manager) spawnInit(cgroupFD int) (*initProc, error) {
	var w *initProc
	var err error
	if m.sys.spawner != nil {
		w, err = m.spawnInitFromSpawner(cgroupFD)
	} else {
		w, err = m.spawnInitHere(cgroupFD)
	}
	if err != nil {
		return nil, err
	}
	prep, err := json.Marshal(prepareConfig{Root: m.sys.root, Hidden: m.hidden, LegacyRemount: m.cfg.legacyRemount})
	if err == nil {
		err = unix.Sendmsg(w.ctrl, prep, nil, nil, unix.MSG_NOSIGNAL)
	}
	if err != nil {
		w.discard()
		return nil, fmt.Errorf("prepare sandbox init: %w", err)
	}
	return w, nil
}

func (m *Manager) spawnInitFromSpawner(cgroupFD int) (*initProc, error) {
	s, err := m.sys.spawner.spawn(cgroupFD)
	if err != nil {
		return nil, fmt.Errorf("start sandbox init: %w", err)
	}
	// A child not yet reaped: FindProcess cannot fail.
	proc, err := os.FindProcess(s.pid)
	if err != nil {
		closeAll([]int{s.ctrl, s.status, s.pidfd})
		return nil, fmt.Errorf("start sandbox init: %w", err)
	}
	return &initProc{
		proc:       proc,
		pidfd:      s.pidfd,
		ctrl:       s.ctrl,
		status:     os.NewFile(uintptr(s.status), "status"),
		clonedInto: s.clonedInto,
	}, nil
}

func (m *Manager) spawnInitHere(cgroupFD int) (*initProc, error) {
	sp, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("create init socket: %w", err)
	}
	childCtrl := os.NewFile(uintptr(sp[1]), "ctrl")
	defer childCtrl.Close()
	statusR, statusW, err := os.Pipe()
	if err != nil {
		unix.Close(sp[0])
		return nil, fmt.Errorf("create init pipe: %w", err)
	}
	defer statusW.Close()
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		unix.Close(sp[0])
		statusR.Close()
		return nil, err
	}
	defer null.Close()

	pidfd := -1
	start := func(intoCgroup bool) (*os.Process, error) {
		sys := childAttr(&pidfd)
		sys.Cloneflags = initCloneflags
		if intoCgroup {
			sys.UseCgroupFD, sys.CgroupFD = true, cgroupFD
		}
		return os.StartProcess(m.sys.initArgv[0], m.sys.initArgv, &os.ProcAttr{
			Dir: "/",
			Env: initEnvironment,
			// The init's own stderr is lambdad's, for a crash before it
			// gets the runtime's files.
			Files: []*os.File{null, null, os.Stderr, childCtrl, statusW}, // ctrlFD, statusFD
			Sys:   sys,
		})
	}
	w := &initProc{ctrl: sp[0], status: statusR}
	w.proc, err = start(cgroupFD >= 0)
	w.clonedInto = cgroupFD >= 0 && err == nil
	if err != nil && cgroupFD >= 0 {
		// CLONE_INTO_CGROUP refused (an old kernel, or a cgroup it cannot
		// enter directly): start normally, the pid joins afterwards.
		m.log.Debug("clone into cgroup", "err", err)
		w.proc, err = start(false)
	}
	if err != nil {
		unix.Close(sp[0])
		statusR.Close()
		return nil, fmt.Errorf("start sandbox init: %w", err)
	}
	w.pidfd = pidfd
	return w, nil
}

// awaitWaiting waits until the init has prepared and waits for its
// environment.
func (w *initProc) awaitWaiting(timeout time.Duration) error {
	_ = w.status.SetReadDeadline(time.Now().Add(timeout))
	defer w.status.SetReadDeadline(time.Time{})
	var b [1]byte
	if _, err := io.ReadFull(w.status, b[:]); err != nil {
		return fmt.Errorf("sandbox init %d said nothing (SelfExe must dispatch %q to sandbox.InitMain): %w", w.proc.Pid, InitSubcommand, err)
	}
	if b[0] != waitingByte {
		// The init failed to prepare and says why.
		rest, _ := io.ReadAll(io.LimitReader(w.status, maxStatus))
		return statusError(append(b[:], rest...))
	}
	return nil
}

// statusError turns what a failed init wrote on statusFD into an error.
func statusError(status []byte) error {
	var st initStatus
	if err := json.Unmarshal(status, &st); err != nil {
		return fmt.Errorf("sandbox init: bad status %q", status)
	}
	var reason error = errors.New(st.Msg)
	if st.Errno != 0 {
		reason = syscall.Errno(st.Errno)
	}
	return fmt.Errorf("sandbox init: %s: %w", st.Op, reason)
}

// discard ends an init that will not be used.
func (w *initProc) discard() {
	w.closeCtrl() // an init waiting for its configuration exits at end of file
	_ = w.proc.Kill()
	_, _ = w.proc.Wait()
	w.status.Close()
	if w.pidfd >= 0 {
		unix.Close(w.pidfd)
	}
	if w.cg != nil {
		_ = w.cg.release()
	}
}

func (w *initProc) closeCtrl() {
	if w.ctrl >= 0 {
		unix.Close(w.ctrl)
		w.ctrl = -1
	}
}

// run hands the init its environment and the runtime's files.
func (w *initProc) run(cfg []byte, out *stdio) error {
	rights := unix.UnixRights(int(out.files[0].Fd()), int(out.files[1].Fd()), int(out.files[2].Fd()))
	if err := unix.Sendmsg(w.ctrl, cfg, rights, nil, unix.MSG_NOSIGNAL); err != nil {
		return fmt.Errorf("send init config: %w", err)
	}
	w.closeCtrl()
	return nil
}

// warmInit starts an init for the warm pool: in a cgroup v2 cgroup of its
// own (named for the pool: cgroup v2 forbids renaming), prepared and
// waiting. Its cgroup v1 cgroups are made by Start.
func (m *Manager) warmInit() (*initProc, error) {
	cg, err := m.sys.cgroup.createUnified("warm-" + randomID())
	if err != nil {
		_ = cg.release()
		return nil, err
	}
	fd := m.sys.cgroup.cloneFD(cg)
	w, err := m.spawnInit(fd)
	if err != nil {
		_ = cg.release()
		return nil, err
	}
	if fd >= 0 && !w.clonedInto {
		m.sys.cgroup.cloneFailed(cg)
	}
	w.cg = cg
	if err := cg.enterUnified(w.proc.Pid, w.clonedInto); err != nil {
		w.discard()
		return nil, err
	}
	if err := w.awaitWaiting(probeTimeout); err != nil {
		w.discard()
		return nil, err
	}
	return w, nil
}

// errInitDied is returned by launch when the init ended without a word.
var errInitDied = errors.New("sandbox init ended before starting the runtime")

// startIsolated runs spec in an init from the warm pool, or a new one, and
// waits until the init has executed the runtime (or, for a probe, is ready
// to).
func (m *Manager) startIsolated(ctx context.Context, spec Spec, probe bool) (*Process, error) {
	uid, gid := m.cfg.UID, m.cfg.GID // a probe's
	if spec.Identity != nil {
		uid, gid = spec.Identity.uid, spec.Identity.gid
	}
	cfg, err := json.Marshal(runConfig{
		CodeDir: spec.CodeDir,
		OptDir:  spec.OptDir,
		Runtime: spec.RuntimeDir,
		TmpMB:   spec.TmpMB,
		UID:     uid,
		GID:     gid,
		Command: spec.Command,
		Env:     spec.Env,
		Tasks:   m.sys.cgroup.taskFiles(spec.ID),
		Probe:   probe,
	})
	if err != nil {
		return nil, fmt.Errorf("encode init config: %w", err)
	}
	if len(cfg) > maxConfig {
		return nil, fmt.Errorf("command and environment take %d bytes, more than %d", len(cfg), maxConfig)
	}
	p, warm, err := m.launch(ctx, spec, cfg, !probe)
	if err != nil && warm && errors.Is(err, errInitDied) {
		// The warm init died in the pool (the OOM killer, an operator):
		// once more with a new one.
		m.log.Warn("warm sandbox init died", "env", spec.ID, "err", err)
		p, _, err = m.launch(ctx, spec, cfg, false)
	}
	return p, err
}

// launch hands cfg to an init, a warm one if allowed and ready, and waits
// for the runtime to run. warm reports that a warm init was used.
func (m *Manager) launch(ctx context.Context, spec Spec, cfg []byte, allowWarm bool) (_ *Process, warm bool, _ error) {
	out, err := newStdio(spec.Stdout, spec.Stderr)
	if err != nil {
		return nil, false, fmt.Errorf("set up output: %w", err)
	}
	var w *initProc
	var cg *envCgroup
	if allowWarm {
		w = m.sys.takeWarm()
	}
	if w != nil {
		defer m.sys.replaced()
		cg, w.cg = w.cg, nil
		err = cg.createV1(m.sys.cgroup, spec.ID)
		if err == nil {
			err = cg.limit(spec.MemoryMB, spec.PidsMax)
		}
		if err == nil {
			err = w.run(cfg, out)
		}
		if err != nil {
			// A warm init that died meanwhile, or cgroups gone wrong.
			m.log.Warn("warm sandbox init unusable", "env", spec.ID, "err", err)
			w.discard()
			_ = cg.release()
			w, cg = nil, nil
		}
		warm = w != nil
	}
	if w == nil {
		if w, cg, err = m.coldInit(spec, cfg, out); err != nil {
			out.abort()
			return nil, false, err
		}
	}
	out.handedOver()
	p := newProcess(m, spec.ID, w.proc, w.pidfd, cg, out, nil)
	w.pidfd = -1
	defer w.status.Close()

	// fail kills the init and waits for it: nothing outlives a failed Start.
	fail := func(err error) (*Process, bool, error) {
		_ = p.Kill()
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", ctx.Err(), err)
		}
		return nil, warm, err
	}
	stop := context.AfterFunc(ctx, func() { _ = w.status.SetReadDeadline(time.Now()) })
	defer stop()
	status, err := io.ReadAll(io.LimitReader(w.status, maxStatus))
	if err != nil {
		return fail(fmt.Errorf("read init status: %w", err))
	}
	status = bytes.TrimPrefix(status, []byte{waitingByte})
	if len(status) == 1 && status[0] == readyByte {
		cg.resetPeak()
		return p, warm, nil
	}
	if len(status) == 0 {
		// No word from the init: it died. Its exit status says how.
		<-p.Done()
		err := fmt.Errorf("%w: %w", errInitDied, p.Exit())
		if !warm {
			err = fmt.Errorf("%w (SelfExe must dispatch %q to sandbox.InitMain)", err, InitSubcommand)
		}
		return nil, warm, err
	}
	return fail(statusError(bytes.TrimPrefix(status, []byte{readyByte})))
}

// coldInit starts an init for spec when no warm one is ready: its cgroups
// first, so that it can be cloned straight into them.
func (m *Manager) coldInit(spec Spec, cfg []byte, out *stdio) (*initProc, *envCgroup, error) {
	cg, err := m.sys.cgroup.create(spec.ID)
	if err == nil {
		err = cg.limit(spec.MemoryMB, spec.PidsMax)
	}
	if err != nil {
		if cg != nil {
			_ = cg.release()
		}
		return nil, nil, err
	}
	fd := m.sys.cgroup.cloneFD(cg)
	w, err := m.spawnInit(fd)
	if err != nil {
		_ = cg.release()
		return nil, nil, err
	}
	if fd >= 0 && !w.clonedInto {
		m.sys.cgroup.cloneFailed(cg)
	}
	err = cg.enterUnified(w.proc.Pid, w.clonedInto)
	if err == nil {
		if err = w.run(cfg, out); err != nil {
			err = fmt.Errorf("%w: the init ended early (SelfExe must dispatch %q to sandbox.InitMain)", err, InitSubcommand)
		}
	}
	if err != nil {
		w.discard()
		_ = cg.release()
		return nil, nil, err
	}
	return w, cg, nil
}
