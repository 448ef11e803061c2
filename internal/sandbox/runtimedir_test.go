//go:build linux

package sandbox_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdad/lambdad/internal/sandbox"
)

// TestRuntimeDir checks that Spec.RuntimeDir is the runtime's /var/runtime
// (read-only when isolated), and that its paths in the command are mapped
// when unisolated, even though the directory is inside a hidden path.
func TestRuntimeDir(t *testing.T) {
	forEachMode(t, func(t *testing.T, e *testEnv) {
		rt := filepath.Join(e.hidden, "runtime")
		if err := os.MkdirAll(rt, 0o755); err != nil {
			t.Fatal(err)
		}
		script := "echo \"client at $0\"\ncat \"${0%/*}/data\"\n(: > \"${0%/*}/written\") 2>/dev/null && echo writable || echo read-only\n"
		if err := os.WriteFile(filepath.Join(rt, "client.sh"), []byte(script), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(rt, "data"), []byte("runtime data\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		spec := e.spec(e.codeDir(t), "rt-1")
		spec.RuntimeDir = rt
		spec.Command = []string{"/bin/sh", "/var/runtime/client.sh"}
		var out output
		spec.Stdout = &out
		p := e.start(t, spec)
		if st := waitDone(t, p); st.Code != 0 {
			t.Fatalf("exit %v, output %q", st, out.String())
		}
		want := "client at /var/runtime/client.sh\nruntime data\nread-only\n"
		if e.mode == sandbox.Unisolated {
			want = "client at " + rt + "/client.sh\nruntime data\nwritable\n"
		}
		if got := out.String(); got != want {
			t.Errorf("output %q, want %q", got, want)
		}
		if got := e.m.RuntimePath(spec, "/var/runtime/x"); e.mode == sandbox.Unisolated && got != rt+"/x" || e.mode == sandbox.Isolated && got != "/var/runtime/x" {
			t.Errorf("RuntimePath(/var/runtime/x) = %q", got)
		}

		// Without a RuntimeDir, /var/runtime is an empty directory.
		spec = e.spec(e.codeDir(t), "rt-2")
		spec.Command = []string{"/bin/sh", "-c", "ls -A /var/runtime | wc -l"}
		out = output{}
		spec.Stdout = &out
		p = e.start(t, spec)
		waitDone(t, p)
		if e.mode == sandbox.Isolated && strings.TrimSpace(out.String()) != "0" {
			t.Errorf("/var/runtime without a RuntimeDir holds %q entries", out.String())
		}
	})
}
