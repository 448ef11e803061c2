package runtimes

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// fakeBin writes an executable script to dir/name that exits with code.
func fakeBin(t *testing.T, dir, name string, code int, perm os.FileMode) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	script := "#!/bin/sh\nexit " + string(rune('0'+code)) + "\n"
	if err := os.WriteFile(p, []byte(script), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, perm); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestInterpreterDiscovery(t *testing.T) {
	type bin struct {
		dir, name string
		code      int
		perm      os.FileMode
	}
	tests := []struct {
		name    string
		bins    []bin
		dirs    []string // PATH, in order
		private bool     // the first PATH dir is not searchable by others
		others  bool     // Config.OthersMustExecute
		runtime string
		want    string // dir/name, or "" for none
	}{
		{
			name: "exact minor version first", runtime: "python3.12",
			bins: []bin{{"a", "python3", 0, 0o755}, {"b", "python3.12", 0, 0o755}},
			dirs: []string{"a", "b"}, want: "b/python3.12",
		},
		{
			name: "generic when no exact", runtime: "python3.9",
			bins: []bin{{"a", "python3", 0, 0o755}, {"b", "python3.12", 0, 0o755}},
			dirs: []string{"a", "b"}, want: "a/python3",
		},
		{
			name: "exact that does not run (a shim) falls back", runtime: "python3.13",
			bins: []bin{{"shims", "python3.13", 1, 0o755}, {"usr", "python3", 0, 0o755}},
			dirs: []string{"shims", "usr"}, want: "usr/python3",
		},
		{
			name: "PATH order among the same name", runtime: "python3.12",
			bins: []bin{{"a", "python3", 0, 0o755}, {"b", "python3", 0, 0o755}},
			dirs: []string{"a", "b"}, want: "a/python3",
		},
		{
			name: "not executable is skipped", runtime: "nodejs22.x",
			bins: []bin{{"a", "node", 0, 0o644}, {"b", "nodejs", 0, 0o755}},
			dirs: []string{"a", "b"}, want: "b/nodejs",
		},
		{
			name: "others cannot execute: skipped when isolated", runtime: "nodejs20.x", others: true,
			bins: []bin{{"a", "node", 0, 0o750}, {"b", "node", 0, 0o755}},
			dirs: []string{"a", "b"}, want: "b/node",
		},
		{
			name: "private directory: skipped when isolated", runtime: "nodejs24.x", others: true, private: true,
			bins: []bin{{"a", "node", 0, 0o755}, {"b", "node", 0, 0o755}},
			dirs: []string{"a", "b"}, want: "b/node",
		},
		{
			name: "private directory: fine when unisolated", runtime: "nodejs24.x", private: true,
			bins: []bin{{"a", "node", 0, 0o755}, {"b", "node", 0, 0o755}},
			dirs: []string{"a", "b"}, want: "a/node",
		},
		{
			name: "none", runtime: "python3.14",
			bins: []bin{{"a", "node", 0, 0o755}},
			dirs: []string{"a"}, want: "",
		},
		{
			name: "not a managed runtime", runtime: "provided.al2023",
			bins: []bin{{"a", "python3", 0, 0o755}},
			dirs: []string{"a"}, want: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			if err := os.Chmod(root, 0o755); err != nil {
				t.Fatal(err)
			}
			for _, b := range tt.bins {
				fakeBin(t, filepath.Join(root, b.dir), b.name, b.code, b.perm)
			}
			var path []string
			for _, d := range tt.dirs {
				path = append(path, filepath.Join(root, d))
			}
			if tt.private {
				if err := os.Chmod(path[0], 0o700); err != nil {
					t.Fatal(err)
				}
			}
			if !allSearchable(root) && tt.others {
				t.Skip("the temporary directory is not searchable by others")
			}
			s, err := New(Config{
				Dir:               filepath.Join(root, "runtime"),
				Path:              strings.Join(path, string(os.PathListSeparator)) + ":relative:",
				OthersMustExecute: tt.others,
			}, discard)
			if err != nil {
				t.Fatal(err)
			}
			want := ""
			if tt.want != "" {
				want = filepath.Join(root, tt.want)
			}
			if got := s.Interpreter(tt.runtime); got != want {
				t.Errorf("Interpreter(%s) = %q, want %q", tt.runtime, got, want)
			}
		})
	}
}

// TestInterpreterShims checks that a candidate found on PATH is replaced by
// the executable it runs (what the probe prints), and a configured one is
// not.
func TestInterpreterShims(t *testing.T) {
	root := t.TempDir()
	real := fakeBin(t, filepath.Join(root, "versions"), "python3.11", 0, 0o755)
	shims := filepath.Join(root, "shims")
	shim := filepath.Join(shims, "python3")
	if err := os.MkdirAll(shims, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(shim, []byte("#!/bin/sh\necho "+real+"\necho /usr/lib/python3/dist-packages\necho relative\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	// A probe that prints something other than an executable's path.
	odd := filepath.Join(root, "odd", "node")
	if err := os.MkdirAll(filepath.Dir(odd), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(odd, []byte("#!/bin/sh\necho v20.0.0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	path := shims + string(os.PathListSeparator) + filepath.Dir(odd)

	s, err := New(Config{Dir: filepath.Join(root, "runtime"), Path: path}, discard)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Interpreter("python3.12"); got != real {
		t.Errorf("found on PATH: Interpreter = %q, want the shim's target %q", got, real)
	}
	if got := s.Interpreter("python3.9"); got != real {
		t.Errorf("second runtime of the same shim: Interpreter = %q, want %q", got, real)
	}
	l, err := s.Resolve("python3.12", "app.handler", t.TempDir(), "")
	if want := []string{real, "-S", "/var/runtime/python/bootstrap.py", "/usr/lib/python3/dist-packages"}; err != nil || !slices.Equal(l.Command, want) {
		t.Errorf("python launch = %q, %v; want %q", l.Command, err, want)
	}
	if got := s.Interpreter("nodejs22.x"); got != odd {
		t.Errorf("probe printing no path: Interpreter = %q, want the candidate %q", got, odd)
	}

	s, err = New(Config{Dir: filepath.Join(root, "runtime"), Path: path, Interpreters: map[string]string{"python": shim}}, discard)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Interpreter("python3.12"); got != shim {
		t.Errorf("configured: Interpreter = %q, want it as configured %q", got, shim)
	}
}

// TestPythonBytecode checks, with a real Python, that the first use of an
// interpreter compiles the client to a bytecode cache every uid can read.
func TestPythonBytecode(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 on PATH")
	}
	dir := filepath.Join(t.TempDir(), "runtime")
	s, err := New(Config{Dir: dir, Path: filepath.Dir(py)}, discard)
	if err != nil {
		t.Fatal(err)
	}
	if s.Interpreter("python3.12") == "" {
		t.Fatal("no interpreter chosen")
	}
	// The probe told the module search path: the client restores it
	// under -S.
	l, err := s.Resolve("python3.12", "app.handler", t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Command) < 4 || l.Command[1] != "-S" || l.Command[2] != "/var/runtime/python/bootstrap.py" || !slices.ContainsFunc(l.Command[3:], func(p string) bool { return strings.Contains(p, "python3") }) {
		t.Errorf("python launch = %q, want -S, the client and the search path", l.Command)
	}
	cached, _ := filepath.Glob(filepath.Join(dir, "python", "__pycache__", "_lambdad_runtime.*.pyc"))
	if len(cached) != 1 {
		t.Fatalf("bytecode cache = %q, want one file", cached)
	}
	for _, p := range []string{filepath.Dir(cached[0]), cached[0]} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm()&0o005 == 0 {
			t.Errorf("%s is not readable by others: %v %v", p, fi.Mode(), err)
		}
	}
}

func allSearchable(dir string) bool {
	for ; ; dir = filepath.Dir(dir) {
		fi, err := os.Stat(dir)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		if dir == "/" {
			return true
		}
	}
}

func TestResolveManaged(t *testing.T) {
	root := t.TempDir()
	py := fakeBin(t, filepath.Join(root, "bin"), "python3", 0, 0o755)
	node := fakeBin(t, filepath.Join(root, "other"), "node", 0, 0o755)
	dir := filepath.Join(root, "runtime")
	s, err := New(Config{Dir: dir, Path: filepath.Join(root, "bin"), Interpreters: map[string]string{"nodejs": node}}, discard)
	if err != nil {
		t.Fatal(err)
	}
	l, err := s.Resolve("python3.12", "app.handler", t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(l.Command, []string{py, "-s", "/var/runtime/python/bootstrap.py"}) || l.ExecutionEnv != "AWS_Lambda_python3.12" || l.RuntimeDir != dir {
		t.Errorf("python launch = %+v", l)
	}
	l, err = s.Resolve("nodejs22.x", "index.handler", t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(l.Command, []string{node, "/var/runtime/node/index.cjs"}) || l.ExecutionEnv != "AWS_Lambda_nodejs22.x" ||
		!slices.Contains(l.Env, "NODE_PATH=/opt/nodejs/node22/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:/var/task") {
		t.Errorf("node launch = %+v", l)
	}
	// The clients are on disk, readable by everyone.
	for _, f := range []string{"python/bootstrap.py", "python/_lambdad_runtime.py", "node/index.cjs"} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil || fi.Mode().Perm() != 0o644 || fi.Size() == 0 {
			t.Errorf("client %s: %v %v", f, fi, err)
		}
	}

	// No interpreter: the invoke-time error names what was looked for.
	s, err = New(Config{Dir: dir, Path: filepath.Join(root, "empty")}, discard)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Resolve("python3.11", "app.handler", t.TempDir(), "")
	var re *Error
	want := "Runtime python3.11 has no interpreter on this host: no working python3.11 or python3 on PATH; set one with --runtime-interpreter python3.11=/path/to/python3"
	if !errors.As(err, &re) || re.Type != "Runtime.InvalidEntrypoint" || re.Message != want {
		t.Errorf("Resolve without interpreter = %v, want Runtime.InvalidEntrypoint: %s", err, want)
	}

	// provided.* is unchanged, with or without a Set.
	var none *Set
	if _, err := none.Resolve("provided.al2023", "bootstrap", t.TempDir(), ""); !errors.As(err, &re) || re.Type != "Runtime.InvalidEntrypoint" {
		t.Errorf("nil Set, provided without bootstrap: %v", err)
	}
	if _, err := none.Resolve("python3.12", "app.handler", t.TempDir(), ""); !errors.As(err, &re) || re.Message != "Runtime python3.12 is not supported by lambdad" {
		t.Errorf("nil Set, python: %v", err)
	}
}

func TestNewRejectsBadOverrides(t *testing.T) {
	root := t.TempDir()
	exe := fakeBin(t, root, "python3", 0, 0o755)
	for name, m := range map[string]map[string]string{
		"unknown runtime": {"ruby3.3": exe},
		"relative path":   {"python": "python3"},
		"missing file":    {"python3.12": filepath.Join(root, "nope")},
		"not executable":  {"nodejs": filepath.Join(root, "runtime", "node", "index.cjs")},
	} {
		if _, err := New(Config{Dir: filepath.Join(root, "runtime"), Interpreters: m}, discard); err == nil {
			t.Errorf("%s: New(%v) succeeded", name, m)
		}
	}
}

func TestManagedRuntimes(t *testing.T) {
	got := ManagedRuntimes()
	want := []string{"nodejs18.x", "nodejs20.x", "nodejs22.x", "nodejs24.x", "python3.10", "python3.11", "python3.12", "python3.13", "python3.14", "python3.9"}
	if !slices.Equal(got, want) {
		t.Errorf("ManagedRuntimes() = %q, want %q", got, want)
	}
}
