package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// initEnv marks the environment of a sandbox init process.
const initEnv = "LAMBDAD_SANDBOX_INIT"

// File descriptors of the init: the parent writes an initConfig to
// configFD and closes it once the child is in its cgroups; the child writes
// readyByte to statusFD just before it executes the runtime, or an
// initStatus when something fails. statusFD is close-on-exec, so end of
// file after readyByte means the runtime runs.
const (
	configFD  = 3
	statusFD  = 4
	readyByte = '.'
	// maxStatus bounds what the parent reads from statusFD.
	maxStatus = 64 << 10
)

// initConfig is what the init needs to build the environment.
type initConfig struct {
	Root          string   // the directory to build the new root on
	CodeDir       string   // host directory for /var/task
	OptDir        string   // host directory for /opt, or ""
	TmpMB         int      // size of /tmp
	Hidden        []string // host paths to cover
	UID, GID      int
	Command       []string
	Env           []string
	Probe         bool // exit 0 instead of executing the command
	LegacyRemount bool // make the tree read-only mount by mount (tests)
}

// initStatus reports a failure of the init.
type initStatus struct {
	Op    string `json:"op"`
	Errno int    `json:"errno,omitempty"`
	Msg   string `json:"msg"`
}

// startIsolated starts the init in new namespaces and cgroups, hands it its
// configuration and waits until it has executed the runtime (or, for a
// probe, sent readyByte).
func (m *Manager) startIsolated(ctx context.Context, spec Spec, probe bool) (*Process, error) {
	cg, err := m.sys.cgroup.create(spec.ID, spec.MemoryMB, spec.PidsMax)
	if err != nil {
		return nil, err
	}
	cfg, err := json.Marshal(initConfig{
		Root:          m.sys.root,
		CodeDir:       spec.CodeDir,
		OptDir:        spec.OptDir,
		TmpMB:         spec.TmpMB,
		Hidden:        m.hidden,
		UID:           m.cfg.UID,
		GID:           m.cfg.GID,
		Command:       spec.Command,
		Env:           spec.Env,
		Probe:         probe,
		LegacyRemount: m.legacyRemount,
	})
	if err != nil {
		_ = cg.release()
		return nil, fmt.Errorf("encode init config: %w", err)
	}

	configR, configW, err := os.Pipe()
	if err != nil {
		_ = cg.release()
		return nil, fmt.Errorf("create init pipe: %w", err)
	}
	defer configW.Close()
	statusR, statusW, err := os.Pipe()
	if err != nil {
		configR.Close()
		_ = cg.release()
		return nil, fmt.Errorf("create init pipe: %w", err)
	}
	defer statusR.Close()

	pidfd := -1
	newCmd := func() *exec.Cmd {
		attr := childAttr(&pidfd)
		attr.Cloneflags = syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWIPC | syscall.CLONE_NEWUTS
		if cg.fd >= 0 {
			attr.UseCgroupFD, attr.CgroupFD = true, cg.fd
		}
		return &exec.Cmd{
			Path:        m.cfg.SelfExe,
			Args:        append([]string{m.cfg.SelfExe}, m.cfg.InitCommand...),
			Env:         []string{initEnv + "=1"},
			Dir:         "/",
			Stdout:      spec.Stdout,
			Stderr:      spec.Stderr,
			ExtraFiles:  []*os.File{configR, statusW}, // configFD, statusFD
			SysProcAttr: attr,
			WaitDelay:   waitDelay,
		}
	}
	cmd := newCmd()
	err = cmd.Start()
	if err != nil && cg.fd >= 0 {
		// CLONE_INTO_CGROUP is refused (old kernel, or a cgroup it cannot
		// enter directly): start normally and join by pid.
		m.log.Debug("clone into cgroup", "env", spec.ID, "err", err)
		m.sys.cgroup.cloneFailed(cg)
		cmd = newCmd()
		err = cmd.Start()
	}
	configR.Close()
	statusW.Close()
	if err != nil {
		_ = cg.release()
		return nil, fmt.Errorf("start sandbox init: %w", err)
	}
	p := newProcess(m, spec.ID, cmd, pidfd, cg, nil)

	// fail kills the init and waits for it: nothing outlives a failed Start.
	fail := func(err error) (*Process, error) {
		_ = p.Kill()
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", ctx.Err(), err)
		}
		return nil, err
	}
	if err := cg.enter(cmd.Process.Pid); err != nil {
		return fail(err)
	}
	stop := context.AfterFunc(ctx, func() {
		_ = configW.SetWriteDeadline(time.Now())
		_ = statusR.SetReadDeadline(time.Now())
	})
	defer stop()
	if _, err := configW.Write(cfg); err != nil {
		return fail(fmt.Errorf("send init config: %w", err))
	}
	configW.Close()
	status, err := io.ReadAll(io.LimitReader(statusR, maxStatus))
	if err != nil {
		return fail(fmt.Errorf("read init status: %w", err))
	}
	if len(status) == 1 && status[0] == readyByte {
		return p, nil
	}
	if len(status) == 0 {
		// No word from the init: it died. Its exit status says how.
		<-p.Done()
		return nil, fmt.Errorf("sandbox init ended before starting the runtime: %w", p.Exit())
	}
	var st initStatus
	if err := json.Unmarshal(bytes.TrimPrefix(status, []byte{readyByte}), &st); err != nil {
		return fail(fmt.Errorf("sandbox init: bad status %q", status))
	}
	var reason error = errors.New(st.Msg)
	if st.Errno != 0 {
		reason = syscall.Errno(st.Errno)
	}
	return fail(fmt.Errorf("sandbox init: %s: %w", st.Op, reason))
}
