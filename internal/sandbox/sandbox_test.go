//go:build linux

package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdad/lambdad/internal/sandbox"
)

// testEnv is one Manager under test and what its tests share.
type testEnv struct {
	mode    sandbox.Mode
	m       *sandbox.Manager
	hidden  string // a HiddenPaths entry holding the file "secret"
	workDir string
	exe     string // the test binary
}

// forEachMode runs body once per mode. The isolated run needs root.
func forEachMode(t *testing.T, body func(t *testing.T, e *testEnv)) {
	for _, mode := range []sandbox.Mode{sandbox.Unisolated, sandbox.Isolated} {
		t.Run(mode.String(), func(t *testing.T) {
			body(t, newTestEnv(t, mode, nil))
		})
	}
}

// newTestEnv makes a Manager in mode; tweak may change its Config.
func newTestEnv(t testing.TB, mode sandbox.Mode, tweak func(*sandbox.Config)) *testEnv {
	t.Helper()
	if mode == sandbox.Isolated && !canIsolate() {
		t.Skip("isolated mode needs Linux and root: run the tests as root to cover it")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	e := &testEnv{mode: mode, exe: exe, hidden: hostTempDir(t), workDir: hostTempDir(t)}
	if err := os.WriteFile(filepath.Join(e.hidden, "secret"), []byte("s3cr3t"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := sandbox.Config{
		Isolation:   sandbox.IsolationOff,
		SelfExe:     exe,
		CgroupRoot:  "lambdad-test-" + strconv.Itoa(os.Getpid()),
		HiddenPaths: []string{e.hidden},
		WorkDir:     e.workDir,
	}
	if mode == sandbox.Isolated {
		cfg.Isolation = sandbox.IsolationOn
	}
	if tweak != nil {
		tweak(&cfg)
	}
	e.m, err = sandbox.NewManager(cfg, slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.m.Close(); err != nil {
			t.Errorf("close manager: %v", err)
		}
	})
	if got := e.m.Mode(); got != mode {
		t.Fatalf("Mode() = %v, want %v", got, mode)
	}
	return e
}

// canIsolate reports whether the isolated tests can run: as root on Linux.
func canIsolate() bool {
	_, err := os.Stat("/proc/self/mountinfo")
	return err == nil && os.Geteuid() == 0
}

// hostTempDir is a temporary directory outside /tmp, which an isolated
// runtime could not see anyway.
func hostTempDir(t testing.TB) string {
	t.Helper()
	if fi, err := os.Stat("/var/tmp"); err != nil || !fi.IsDir() {
		return t.TempDir()
	}
	dir, err := os.MkdirTemp("/var/tmp", "sandbox-test-")
	if err != nil {
		return t.TempDir()
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// codeDir makes a function code directory: data.txt and the test binary as
// helper, readable by the sandbox uid.
func (e *testEnv) codeDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data.txt"), []byte("hello from the code dir"), 0o644); err != nil {
		t.Fatal(err)
	}
	helper := filepath.Join(dir, "helper")
	if err := os.Link(e.exe, helper); err != nil {
		copyFile(t, e.exe, helper)
	}
	return dir
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// spec runs the helper with args from codeDir.
func (e *testEnv) spec(codeDir, id string, args ...string) sandbox.Spec {
	return sandbox.Spec{
		ID:      id,
		CodeDir: codeDir,
		Command: append([]string{"/var/task/helper"}, args...),
		Env: []string{
			"SANDBOX_TEST_HELPER=1",
			"GORACE=atexit_sleep_ms=0", // a race-enabled helper would wait a second at exit
			"PATH=/usr/local/bin:/usr/bin:/bin",
			"TEST_HIDDEN=" + e.hidden,
			"TEST_WORKDIR=" + e.workDir,
		},
		MemoryMB: 512,
		TmpMB:    64,
	}
}

// start starts spec and makes sure the process is gone when the test ends.
func (e *testEnv) start(t *testing.T, spec sandbox.Spec) *sandbox.Process {
	t.Helper()
	p, err := e.m.Start(context.Background(), spec)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = p.Kill() })
	return p
}

// output collects what a runtime writes.
type output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// waitFor polls until the output holds s.
func (o *output) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(o.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in output %q", s, o.String())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func waitDone(t *testing.T, p *sandbox.Process) sandbox.ExitStatus {
	t.Helper()
	select {
	case <-p.Done():
		return p.Exit()
	case <-time.After(20 * time.Second):
		t.Fatal("process did not end")
		return sandbox.ExitStatus{}
	}
}

func readReport(t *testing.T, out *output) report {
	t.Helper()
	out.waitFor(t, `"Done":true}`)
	line, _, _ := strings.Cut(out.String(), "\n")
	var r report
	if err := json.Unmarshal([]byte(line), &r); err != nil {
		t.Fatalf("report %q: %v", out.String(), err)
	}
	return r
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// TestEnvironment checks what the runtime sees: its argv and environment,
// the file system, its identity and limits, and the host's loopback.
func TestEnvironment(t *testing.T) {
	forEachMode(t, func(t *testing.T, e *testEnv) {
		ln := listen(t)
		code := e.codeDir(t)
		spec := e.spec(code, "env-1", "report", "a b", "c")
		spec.Env = append(spec.Env, "TEST_VAR=hello world", "TEST_DIAL="+ln.Addr().String(), "TEST_MARK=1")
		var out output
		spec.Stdout = &out
		ident, err := e.m.NewIdentity()
		if err != nil {
			t.Fatal(err)
		}
		spec.Identity = ident
		p := e.start(t, spec)
		r := readReport(t, &out)
		t.Logf("report: %+v", r)
		if st := waitDone(t, p); st.Code != 0 || st.Error() != "exit status 0" {
			t.Errorf("exit = %+v (%v), output %q", st, st, out.String())
		}

		if !slices.Equal(r.Args, []string{"report", "a b", "c"}) {
			t.Errorf("args = %q", r.Args)
		}
		if r.TestVar != "hello world" {
			t.Errorf("TEST_VAR = %q", r.TestVar)
		}
		if r.TaskData != "hello from the code dir" {
			t.Errorf("data.txt in the working directory = %q", r.TaskData)
		}
		if r.TmpWriteErr != "" {
			t.Errorf("write to tmp: %s", r.TmpWriteErr)
		}
		if r.DevNullErr != "" {
			t.Errorf("write to /dev/null: %s", r.DevNullErr)
		}
		if r.DialErr != "" {
			t.Errorf("dial the host's loopback: %s", r.DialErr)
		}
		if got := e.m.TaskRoot(spec); e.mode == sandbox.Isolated && got != "/var/task" || e.mode == sandbox.Unisolated && got != code {
			t.Errorf("TaskRoot = %q", got)
		}

		if e.mode == sandbox.Unisolated {
			if r.Pid != p.Pid() {
				t.Errorf("pid = %d, want %d", r.Pid, p.Pid())
			}
			if r.Cwd != code {
				t.Errorf("cwd = %q, want the code dir %q", r.Cwd, code)
			}
			if want := e.m.RuntimePath(spec, "/tmp"); r.TmpDir != want {
				t.Errorf("TMPDIR = %q, want %q", r.TmpDir, want)
			}
			if _, err := os.Stat(r.TmpDir); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("tmp dir after exit: %v, want it removed", err)
			}
			return // nothing else is enforced
		}
		want := report{
			Pid: 1, UID: ident.UID(), GID: sandbox.DefaultGID + ident.UID() - sandbox.DefaultUID,
			Cwd: "/var/task", Hostname: "localhost", TmpDir: "/tmp", TmpSizeMB: 64, NoFile: 1024,
		}
		got := report{
			Pid: r.Pid, UID: r.UID, GID: r.GID,
			Cwd: r.Cwd, Hostname: r.Hostname, TmpDir: r.TmpDir, TmpSizeMB: r.TmpSizeMB, NoFile: r.NoFile,
		}
		if !equalJSON(got, want) {
			t.Errorf("identity and limits:\n got %+v\nwant %+v", got, want)
		}
		for what, err := range map[string]string{"/var/task": r.TaskWriteErr, "/etc": r.EtcWriteErr} {
			if !strings.Contains(err, "read-only file system") {
				t.Errorf("write to %s: %q, want a read-only file system", what, err)
			}
		}
		if len(r.HiddenList) != 0 || len(r.WorkList) != 0 {
			t.Errorf("hidden paths show %q and %q, want nothing", r.HiddenList, r.WorkList)
		}
	})
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// TestTmpIsPrivate runs two environments at once: neither sees the
// other's files in its tmp directory.
func TestTmpIsPrivate(t *testing.T) {
	forEachMode(t, func(t *testing.T, e *testEnv) {
		code := e.codeDir(t)
		var outA, outB output
		a := e.spec(code, "env-a", "report", "stay")
		a.Env = append(a.Env, "TEST_MARK=a")
		a.Stdout = &outA
		pa := e.start(t, a)
		readReport(t, &outA)

		b := e.spec(code, "env-b", "report")
		b.Env = append(b.Env, "TEST_MARK=b")
		b.Stdout = &outB
		pb := e.start(t, b)
		rb := readReport(t, &outB)
		waitDone(t, pb)
		if slices.Contains(rb.TmpList, "marker-a") {
			t.Errorf("env-b sees env-a's /tmp: %q", rb.TmpList)
		}
		if err := pa.Kill(); err != nil {
			t.Errorf("Kill: %v", err)
		}
	})
}

// TestExitStatus checks how endings are reported.
func TestExitStatus(t *testing.T) {
	forEachMode(t, func(t *testing.T, e *testEnv) {
		code := e.codeDir(t)
		tests := []struct {
			name string
			args []string
			kill bool
			want sandbox.ExitStatus
			text string
		}{
			{"success", []string{"exit", "0"}, false, sandbox.ExitStatus{Code: 0}, "exit status 0"},
			{"failure", []string{"exit", "3"}, false, sandbox.ExitStatus{Code: 3}, "exit status 3"},
			{"killed", []string{"sleep"}, true, sandbox.ExitStatus{Code: -1, Signal: "killed"}, "signal: killed"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var out output
				spec := e.spec(code, tt.name, tt.args...)
				spec.Stdout = &out
				p := e.start(t, spec)
				if tt.kill {
					out.waitFor(t, "ready")
					if err := p.Kill(); err != nil {
						t.Errorf("Kill: %v", err)
					}
				}
				if got := waitDone(t, p); got != tt.want || got.Error() != tt.text {
					t.Errorf("Exit() = %+v %q, want %+v %q", got, got.Error(), tt.want, tt.text)
				}
			})
		}
	})
}

// TestStopKillsTree stops a tree of processes that all ignore SIGTERM and
// checks that none survives.
func TestStopKillsTree(t *testing.T) {
	forEachMode(t, func(t *testing.T, e *testEnv) {
		var out output
		args := []string{"tree"}
		if e.mode == sandbox.Isolated {
			args = append(args, "escape") // a child in its own session dies with the namespace
		}
		spec := e.spec(e.codeDir(t), "tree", args...)
		spec.Stdout = &out
		p := e.start(t, spec)
		out.waitFor(t, "ready")
		pids := treePIDs(t, p.Pid(), e.mode == sandbox.Isolated)
		if want := 5 + len(args) - 1; len(pids) != want {
			t.Fatalf("tree has pids %v, want %d", pids, want)
		}
		start := time.Now()
		if err := p.Stop(100 * time.Millisecond); err != nil {
			t.Errorf("Stop: %v", err)
		}
		if d := time.Since(start); d < 100*time.Millisecond {
			t.Errorf("Stop took %v: it did not wait for the grace period", d)
		}
		if st := p.Exit(); st.Signal != "killed" {
			t.Errorf("Exit() = %v, want signal: killed", st)
		}
		if err := p.Stop(time.Second); err != nil { // idempotent
			t.Errorf("second Stop: %v", err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for _, pid := range pids {
			for alive(pid) {
				if time.Now().After(deadline) {
					t.Fatalf("pid %d of the tree survived", pid)
				}
				time.Sleep(2 * time.Millisecond)
			}
		}
	})
}

// treePIDs lists the processes in leader's process group and, when
// isolated, its PID namespace.
func treePIDs(t *testing.T, leader int, isolated bool) []int {
	t.Helper()
	ns, err := os.Readlink("/proc/" + strconv.Itoa(leader) + "/ns/pid")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, ent := range entries {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile("/proc/" + ent.Name() + "/stat")
		if err != nil {
			continue
		}
		_, rest, _ := bytes.Cut(data, []byte(") "))
		f := strings.Fields(string(rest))
		if len(f) < 3 {
			continue
		}
		pgid, _ := strconv.Atoi(f[2])
		pidNS, _ := os.Readlink("/proc/" + ent.Name() + "/ns/pid")
		if pgid == leader || (isolated && pidNS == ns) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	_, rest, _ := bytes.Cut(data, []byte(") "))
	return !bytes.HasPrefix(rest, []byte("Z"))
}

// TestStopGrace: a runtime that exits on SIGTERM ends within the grace
// period. (Go programs exit on SIGTERM, also as PID 1.)
func TestStopGrace(t *testing.T) {
	forEachMode(t, func(t *testing.T, e *testEnv) {
		var out output
		spec := e.spec(e.codeDir(t), "grace", "sleep")
		spec.Stdout = &out
		p := e.start(t, spec)
		out.waitFor(t, "ready")
		start := time.Now()
		if err := p.Stop(10 * time.Second); err != nil {
			t.Errorf("Stop: %v", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Stop took %v", d)
		}
		if st := p.Exit(); st.Signal == "killed" {
			t.Errorf("Exit() = %v: it was killed, not stopped", st)
		}
	})
}

// TestMemory checks the peak memory figure and, when isolated, that the
// memory limit holds.
func TestMemory(t *testing.T) {
	forEachMode(t, func(t *testing.T, e *testEnv) {
		code := e.codeDir(t)
		t.Run("peak", func(t *testing.T) {
			var out output
			spec := e.spec(code, "peak", "alloc", "100")
			spec.Stdout = &out
			p := e.start(t, spec)
			if st := waitDone(t, p); st.Code != 0 {
				t.Fatalf("exit %v, output %q", st, out.String())
			}
			if got := p.MaxMemoryUsedMB(); got < 100 || got > 400 {
				t.Errorf("MaxMemoryUsedMB = %d after allocating 100 MB", got)
			}
		})
		t.Run("live", func(t *testing.T) {
			var out output
			spec := e.spec(code, "live", "sleep")
			spec.Stdout = &out
			p := e.start(t, spec)
			out.waitFor(t, "ready")
			if got := p.MaxMemoryUsedMB(); got <= 0 {
				t.Errorf("MaxMemoryUsedMB of a running runtime = %d", got)
			}
		})
		t.Run("limit", func(t *testing.T) {
			if e.mode == sandbox.Unisolated {
				t.Skip("memory limits are not enforced unisolated")
			}
			var out output
			spec := e.spec(code, "oom", "alloc", "1024")
			spec.MemoryMB = 64
			spec.Stdout = &out
			p := e.start(t, spec)
			st := waitDone(t, p)
			if !st.OOMKilled || st.Error() != "signal: killed" {
				t.Errorf("Exit() = %+v %q, want OOM-killed; output %q", st, st, out.String())
			}
			if got := p.MaxMemoryUsedMB(); got < 60 || got > 65 {
				t.Errorf("MaxMemoryUsedMB = %d with a 64 MB limit", got)
			}
		})
	})
}

// TestPidsLimit: an isolated environment cannot start more processes than
// PidsMax.
func TestPidsLimit(t *testing.T) {
	forEachMode(t, func(t *testing.T, e *testEnv) {
		if e.mode == sandbox.Unisolated {
			t.Skip("pids limits are not enforced unisolated")
		}
		var out output
		spec := e.spec(e.codeDir(t), "pids", "spawn", "100")
		spec.Env = append(spec.Env, "GOMAXPROCS=1")
		spec.PidsMax = 32
		spec.Stdout = &out
		p := e.start(t, spec)
		if st := waitDone(t, p); st.Code != 0 {
			t.Fatalf("exit %v, output %q", st, out.String())
		}
		n, err := parseSpawn(out.String())
		if err != nil || n >= 32 || !strings.Contains(out.String(), "resource temporarily unavailable") {
			t.Errorf("spawn with PidsMax 32 said %q", out.String())
		}
	})
}

// parseSpawn reads "started N <error>".
func parseSpawn(s string) (int, error) {
	f := strings.Fields(s)
	if len(f) < 2 || f[0] != "started" {
		return 0, errors.New("no count")
	}
	return strconv.Atoi(f[1])
}

// TestStartErrors checks what Start refuses and how.
func TestStartErrors(t *testing.T) {
	forEachMode(t, func(t *testing.T, e *testEnv) {
		code := e.codeDir(t)
		t.Run("missing command", func(t *testing.T) {
			spec := e.spec(code, "missing")
			spec.Command = []string{"/var/task/bootstrap"}
			_, err := e.m.Start(context.Background(), spec)
			if !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Start = %v, want a not-exist error", err)
			}
		})
		t.Run("command in PATH", func(t *testing.T) {
			spec := e.spec(code, "path")
			spec.Command = []string{"true"}
			p := e.start(t, spec)
			if st := waitDone(t, p); st.Code != 0 {
				t.Errorf("true: %v", st)
			}
		})
		t.Run("bad spec", func(t *testing.T) {
			for _, spec := range []sandbox.Spec{
				{ID: "", CodeDir: code, Command: []string{"x"}},
				{ID: "a/b", CodeDir: code, Command: []string{"x"}},
				{ID: "..", CodeDir: code, Command: []string{"x"}},
				{ID: "ok", CodeDir: "relative", Command: []string{"x"}},
				{ID: "ok", CodeDir: code},
				{ID: "ok", CodeDir: code, Command: []string{"x"}, MemoryMB: -1},
			} {
				if _, err := e.m.Start(context.Background(), spec); err == nil {
					t.Errorf("Start(%+v) succeeded", spec)
				}
			}
		})
		t.Run("cancelled", func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if _, err := e.m.Start(ctx, e.spec(code, "cancelled", "exit", "0")); !errors.Is(err, context.Canceled) {
				t.Errorf("Start = %v, want context.Canceled", err)
			}
		})
		t.Run("duplicate id", func(t *testing.T) {
			var out output
			spec := e.spec(code, "dup", "sleep")
			spec.Stdout = &out
			p := e.start(t, spec)
			if _, err := e.m.Start(context.Background(), spec); err == nil {
				t.Error("second Start with the same id succeeded")
			}
			if err := p.Kill(); err != nil {
				t.Errorf("Kill: %v", err)
			}
			p = e.start(t, spec)
			if err := p.Kill(); err != nil {
				t.Errorf("Kill: %v", err)
			}
		})
	})
}

// TestClose: Close kills what runs, and Start fails afterwards.
func TestClose(t *testing.T) {
	forEachMode(t, func(t *testing.T, e *testEnv) {
		code := e.codeDir(t)
		var procs []*sandbox.Process
		for i := range 3 {
			var out output
			spec := e.spec(code, "close-"+strconv.Itoa(i), "sleep")
			spec.Stdout = &out
			procs = append(procs, e.start(t, spec))
			out.waitFor(t, "ready")
		}
		var wg sync.WaitGroup
		for range 2 { // Close may run concurrently with itself
			wg.Go(func() {
				if err := e.m.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
		}
		wg.Wait()
		for _, p := range procs {
			select {
			case <-p.Done():
			default:
				t.Errorf("pid %d still running after Close", p.Pid())
			}
		}
		if _, err := e.m.Start(context.Background(), e.spec(code, "late", "exit", "0")); !errors.Is(err, sandbox.ErrClosed) {
			t.Errorf("Start after Close = %v, want ErrClosed", err)
		}
	})
}

// TestRuntimePath checks the mapping of sandbox paths.
func TestRuntimePath(t *testing.T) {
	forEachMode(t, func(t *testing.T, e *testEnv) {
		spec := sandbox.Spec{ID: "paths", CodeDir: "/code", OptDir: "/layers"}
		tmp := e.m.RuntimePath(spec, "/tmp")
		tests := []struct{ in, unisolated string }{
			{"/var/task", "/code"},
			{"/var/task/bootstrap", "/code/bootstrap"},
			{"/var/taskforce", "/var/taskforce"},
			{"/opt/bin/x", "/layers/bin/x"},
			{"/tmp/f", filepath.Join(tmp, "f")},
			{"/usr/bin/python3", "/usr/bin/python3"},
		}
		for _, tt := range tests {
			want := tt.in
			if e.mode == sandbox.Unisolated {
				want = tt.unisolated
			}
			if got := e.m.RuntimePath(spec, tt.in); got != want {
				t.Errorf("RuntimePath(%q) = %q, want %q", tt.in, got, want)
			}
		}
	})
}

func TestNewManagerConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  sandbox.Config
		ok   bool
	}{
		{"off", sandbox.Config{Isolation: "off"}, true},
		{"bad isolation", sandbox.Config{Isolation: "maybe"}, false},
		{"bad cgroup root", sandbox.Config{Isolation: "off", CgroupRoot: "../x"}, false},
		{"hide root", sandbox.Config{Isolation: "off", HiddenPaths: []string{"/"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.WorkDir = t.TempDir()
			m, err := sandbox.NewManager(tt.cfg, nil)
			if (err == nil) != tt.ok {
				t.Fatalf("NewManager = %v, want ok %v", err, tt.ok)
			}
			if m != nil {
				if m.Mode() != sandbox.Unisolated {
					t.Errorf("mode %v", m.Mode())
				}
				if err := m.Close(); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

func TestModeString(t *testing.T) {
	for m, want := range map[sandbox.Mode]string{sandbox.Isolated: "isolated", sandbox.Unisolated: "unisolated", 7: "Mode(7)"} {
		if got := m.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(m), got, want)
		}
	}
}

// TestLegacyRemount runs the read-only checks with the mount-by-mount
// remount used before Linux 5.12.
func TestLegacyRemount(t *testing.T) {
	e := newTestEnv(t, sandbox.Isolated, func(cfg *sandbox.Config) { *cfg = sandbox.WithLegacyRemount(*cfg) })
	var out output
	spec := e.spec(e.codeDir(t), "legacy", "report")
	spec.Stdout = &out
	p := e.start(t, spec)
	r := readReport(t, &out)
	waitDone(t, p)
	for what, err := range map[string]string{"/var/task": r.TaskWriteErr, "/etc": r.EtcWriteErr} {
		if !strings.Contains(err, "read-only file system") {
			t.Errorf("write to %s: %q, want a read-only file system", what, err)
		}
	}
	if r.TmpWriteErr != "" || r.DevNullErr != "" {
		t.Errorf("writes to /tmp and /dev/null: %q, %q", r.TmpWriteErr, r.DevNullErr)
	}
}

// TestWarmPool: Start takes a prepared init from the pool, which refills;
// a warm init that died is replaced by a new one, unnoticed.
func TestWarmPool(t *testing.T) {
	e := newTestEnv(t, sandbox.Isolated, func(cfg *sandbox.Config) { cfg.WarmInits = 1 })
	code := e.codeDir(t)
	awaitReady := func(n int) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for sandbox.WarmReady(e.m) != n {
			if time.Now().After(deadline) {
				t.Fatalf("%d warm inits ready, want %d", sandbox.WarmReady(e.m), n)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	run := func(id string) {
		t.Helper()
		runIsolatedReport(t, e, code, id)
	}

	awaitReady(1)
	run("warm-1")
	awaitReady(1) // refilled
	for _, wait := range []bool{true, false} {
		// Dead, the send fails; dying, the send may work and the init
		// die without a word. Start recovers either way.
		if n := sandbox.KillWarmInits(e.m, wait); n != 1 {
			t.Fatalf("killed %d warm inits, want 1", n)
		}
		run("warm-dead-" + strconv.FormatBool(wait))
		awaitReady(1)
	}
}

// TestBrokenInit: a SelfExe that does not run the init makes auto fall back
// to unisolated and on fail.
func TestBrokenInit(t *testing.T) {
	if !canIsolate() {
		t.Skip("needs Linux and root")
	}
	for _, tt := range []struct {
		isolation string
		ok        bool
	}{
		{sandbox.IsolationAuto, true},
		{sandbox.IsolationOn, false},
	} {
		t.Run(tt.isolation, func(t *testing.T) {
			m, err := sandbox.NewManager(sandbox.Config{
				Isolation:  tt.isolation,
				SelfExe:    "/bin/true",
				WorkDir:    t.TempDir(),
				CgroupRoot: "lambdad-test-" + strconv.Itoa(os.Getpid()),
			}, slog.New(slog.NewTextHandler(t.Output(), nil)))
			if (err == nil) != tt.ok {
				t.Fatalf("NewManager = %v, want ok %v", err, tt.ok)
			}
			if err != nil {
				t.Logf("NewManager: %v", err)
				return
			}
			defer m.Close()
			if m.Mode() != sandbox.Unisolated {
				t.Errorf("mode %v, want unisolated", m.Mode())
			}
		})
	}
}

// TestRuntimes runs real runtimes: a shell bootstrap that calls a Runtime
// API-like server on the host's loopback with curl, and the interpreters
// the host has, as they would run in a function.
func TestRuntimes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "pong")
	}))
	t.Cleanup(srv.Close)
	forEachMode(t, func(t *testing.T, e *testEnv) {
		code := e.codeDir(t)
		script := "#!/bin/sh\nset -e\ncd /tmp 2>/dev/null || cd \"$TMPDIR\"\necho \"$(curl -sf \"http://$AWS_LAMBDA_RUNTIME_API/ping\") from $(pwd)\"\n"
		if err := os.WriteFile(filepath.Join(code, "bootstrap"), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name    string
			needs   string
			command []string
			want    string
		}{
			{"sh and curl", "curl", []string{"/var/task/bootstrap"}, "pong from "},
			{"python", "python3", []string{"/usr/bin/python3", "-c", "import os; print('python', os.getcwd() != '')"}, "python True"},
			{"node", "node", []string{"/usr/bin/node", "-e", "console.log('node', 6*7)"}, "node 42"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := exec.LookPath(tt.needs); err != nil {
					t.Skipf("no %s here", tt.needs)
				}
				if _, err := os.Stat(tt.command[0]); err != nil && tt.needs != "curl" {
					t.Skipf("no %s here", tt.command[0])
				}
				var out output
				spec := e.spec(code, "rt-"+tt.needs)
				spec.Command = tt.command
				spec.Env = append(spec.Env, "AWS_LAMBDA_RUNTIME_API="+srv.Listener.Addr().String(), "HOME=/tmp")
				spec.Stdout, spec.Stderr = &out, &out
				p := e.start(t, spec)
				if st := waitDone(t, p); st.Code != 0 || !strings.Contains(out.String(), tt.want) {
					t.Errorf("exit %v, output %q, want %q", st, out.String(), tt.want)
				}
			})
		}
	})
}

// runIsolatedReport runs the report action in an isolated environment and
// checks that the runtime is PID 1 in /var/task and exits 0.
func runIsolatedReport(t *testing.T, e *testEnv, code, id string) {
	t.Helper()
	var out output
	spec := e.spec(code, id, "report")
	spec.Stdout = &out
	p := e.start(t, spec)
	if r := readReport(t, &out); r.Pid != 1 || r.Cwd != "/var/task" {
		t.Errorf("report: %+v", r)
	}
	if st := waitDone(t, p); st.Code != 0 {
		t.Errorf("exit %v", st)
	}
}
