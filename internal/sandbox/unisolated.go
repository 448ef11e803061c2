package sandbox

import (
	"fmt"
	"os"
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
	mapPath := func(p string) string { return hostPath(spec.CodeDir, spec.OptDir, tmp, spec.RuntimeDir, p) }
	args := make([]string, len(spec.Command))
	for i, a := range spec.Command {
		args[i] = mapPath(a)
	}
	exe, err := lookPath(args[0], getenv(spec.Env, "PATH"), mapPath)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	out, err := newStdio(spec.Stdout, spec.Stderr)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("set up output: %w", err)
	}
	pidfd := -1
	proc, err := os.StartProcess(exe, args, &os.ProcAttr{
		Dir:   spec.CodeDir,
		Env:   setenv(spec.Env, "TMPDIR", tmp),
		Files: out.files[:],
		Sys:   childAttr(&pidfd),
	})
	if err != nil {
		out.abort()
		os.RemoveAll(tmp)
		return nil, err
	}
	out.handedOver()
	if err := limitProcess(proc.Pid); err != nil {
		m.log.Debug("limit runtime", "env", spec.ID, "err", err)
	}
	return newProcess(m, spec.ID, proc, pidfd, noResources{}, out, []string{tmp}), nil
}
