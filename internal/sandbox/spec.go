package sandbox

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Spec describes one environment.
type Spec struct {
	// ID names the environment in cgroup and directory names: 1 to 128
	// characters of [A-Za-z0-9._-].
	ID string
	// CodeDir is the host directory with the function's code, mounted
	// read-only at /var/task when isolated.
	CodeDir string
	// OptDir is an optional host directory with the merged layers, mounted
	// read-only at /opt when isolated.
	OptDir string
	// RuntimeDir is an optional host directory with the runtime's own
	// files (lambdad's runtime interface clients), mounted read-only at
	// /var/runtime when isolated.
	RuntimeDir string
	// Command is the runtime's argv as seen inside the sandbox, such as
	// {"/var/task/bootstrap"}. A name without a slash is looked up in the
	// PATH of Env. When unisolated, paths under /var/task, /opt, /tmp and
	// /var/runtime are rewritten as RuntimePath says.
	Command []string
	// Env is the runtime's whole environment. When unisolated, TMPDIR is set
	// to the environment's private tmp directory.
	Env []string
	// MemoryMB limits the memory of the environment, swap off (0: no limit).
	MemoryMB int
	// TmpMB is the size of /tmp (DefaultTmpMB when 0).
	TmpMB int
	// PidsMax limits the number of processes and threads (DefaultPidsMax
	// when 0).
	PidsMax int
	// Identity is the user the runtime runs as, from Manager.NewIdentity
	// (nil: Start reserves one). Start owns it: it is released once the
	// environment's processes are gone, or when Start fails.
	Identity *Identity
	// Stdout and Stderr receive the runtime's output; nil discards it. An
	// *os.File is handed to the runtime as is, so the caller may close its
	// own copy as soon as Start returns.
	Stdout, Stderr io.Writer
}

const maxIDLen = 128

func (s *Spec) setDefaults() {
	if s.TmpMB == 0 {
		s.TmpMB = DefaultTmpMB
	}
	if s.PidsMax == 0 {
		s.PidsMax = DefaultPidsMax
	}
}

func (s *Spec) validate() error {
	if !validID(s.ID) {
		return fmt.Errorf("environment id %q: want 1 to %d characters of [A-Za-z0-9._-]", s.ID, maxIDLen)
	}
	if err := checkDir("code dir", s.CodeDir); err != nil {
		return err
	}
	if s.OptDir != "" {
		if err := checkDir("opt dir", s.OptDir); err != nil {
			return err
		}
	}
	if s.RuntimeDir != "" {
		if err := checkDir("runtime dir", s.RuntimeDir); err != nil {
			return err
		}
	}
	if len(s.Command) == 0 || s.Command[0] == "" {
		return fmt.Errorf("environment %s: empty command", s.ID)
	}
	if s.MemoryMB < 0 || s.TmpMB < 0 || s.PidsMax < 0 {
		return fmt.Errorf("environment %s: negative limit", s.ID)
	}
	return nil
}

func validID(id string) bool {
	if id == "" || len(id) > maxIDLen || id == "." || id == ".." {
		return false
	}
	for _, c := range []byte(id) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

func checkDir(what, dir string) error {
	if !filepath.IsAbs(dir) {
		return fmt.Errorf("%s %q: not an absolute path", what, dir)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s %s: not a directory", what, dir)
	}
	return nil
}

// Paths the runtime sees when isolated.
const (
	taskRoot    = "/var/task"
	optRoot     = "/opt"
	tmpRoot     = "/tmp"
	runtimeRoot = "/var/runtime"
)

// hostPath maps a sandbox path to the host: /var/task/x to codeDir/x, /opt/x
// to optDir/x (when there is one), /tmp/x to tmpDir/x and /var/runtime/x to
// runtimeDir/x (when there is one). Other paths are returned as they are.
func hostPath(codeDir, optDir, tmpDir, runtimeDir, p string) string {
	for _, m := range [...]struct{ sandbox, host string }{
		{taskRoot, codeDir}, {optRoot, optDir}, {tmpRoot, tmpDir}, {runtimeRoot, runtimeDir},
	} {
		if m.host == "" {
			continue
		}
		if p == m.sandbox {
			return m.host
		}
		if rest, ok := strings.CutPrefix(p, m.sandbox+"/"); ok {
			return filepath.Join(m.host, rest)
		}
	}
	return p
}

// errNotFound is wrapped when a command name is in no PATH directory.
var errNotFound = fmt.Errorf("executable file not found in PATH: %w", fs.ErrNotExist)

// lookPath resolves a command name without a slash through pathList (a PATH
// value), mapping each directory through mapDir. Names with a slash are
// returned as they are: execve resolves them.
func lookPath(name, pathList string, mapDir func(string) string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	for _, dir := range filepath.SplitList(pathList) {
		if dir == "" {
			dir = "."
		}
		p := path.Join(mapDir(dir), name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: %w", name, errNotFound)
}

// getenv returns the last value of key in env.
func getenv(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v
		}
	}
	return ""
}

// setenv returns env with key set to value, replacing earlier values.
func setenv(env []string, key, value string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k != key {
			out = append(out, kv)
		}
	}
	return append(out, key+"="+value)
}
