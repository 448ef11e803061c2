package sandbox

import (
	"fmt"
	"os"
	"os/exec"
)

// startUnisolated runs spec's command as a plain child in its own process
// group, with TMPDIR pointing at a private directory.
func (m *Manager) startUnisolated(spec Spec) (*Process, error) {
	tmp := m.tmpDir(spec.ID)
	if err := os.RemoveAll(tmp); err != nil {
		return nil, fmt.Errorf("clean tmp dir: %w", err)
	}
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, fmt.Errorf("create tmp dir: %w", err)
	}
	mapPath := func(p string) string { return hostPath(spec.CodeDir, spec.OptDir, tmp, p) }
	args := make([]string, len(spec.Command))
	for i, a := range spec.Command {
		args[i] = mapPath(a)
	}
	exe, err := lookPath(args[0], getenv(spec.Env, "PATH"), mapPath)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	pidfd := -1
	cmd := &exec.Cmd{
		Path:        exe,
		Args:        args,
		Env:         setenv(spec.Env, "TMPDIR", tmp),
		Dir:         spec.CodeDir,
		Stdout:      spec.Stdout,
		Stderr:      spec.Stderr,
		SysProcAttr: childAttr(&pidfd),
		WaitDelay:   waitDelay,
	}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	if err := limitProcess(cmd.Process.Pid); err != nil {
		m.log.Debug("limit runtime", "env", spec.ID, "err", err)
	}
	return newProcess(m, spec.ID, cmd, pidfd, noResources{}, []string{tmp}), nil
}
