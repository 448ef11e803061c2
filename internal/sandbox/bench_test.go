package sandbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/lambdad/lambdad/internal/sandbox"
)

// BenchmarkStart starts /bin/true and waits for it to be reaped. The
// start-ms metric is Start alone: what a cold start pays before the runtime
// runs.
func BenchmarkStart(b *testing.B) {
	for _, mode := range []sandbox.Mode{sandbox.Unisolated, sandbox.Isolated} {
		b.Run(mode.String(), func(b *testing.B) {
			e := newBenchEnv(b, mode)
			spec := sandbox.Spec{ID: "bench", CodeDir: b.TempDir(), Command: []string{"/bin/true"}, MemoryMB: 128}
			var startTotal time.Duration
			b.ResetTimer()
			for b.Loop() {
				t0 := time.Now()
				p, err := e.Start(context.Background(), spec)
				if err != nil {
					b.Fatal(err)
				}
				startTotal += time.Since(t0)
				<-p.Done()
				if st := p.Exit(); st.Code != 0 {
					b.Fatalf("exit %v", st)
				}
			}
			b.ReportMetric(float64(startTotal.Microseconds())/1000/float64(b.N), "start-ms")
		})
	}
}

func newBenchEnv(b *testing.B, mode sandbox.Mode) *sandbox.Manager {
	b.Helper()
	if mode == sandbox.Isolated && !canIsolate() {
		b.Skip("isolated mode needs Linux and root")
	}
	cfg := sandbox.Config{Isolation: sandbox.IsolationOff, WorkDir: b.TempDir(), CgroupRoot: "lambdad-bench"}
	if mode == sandbox.Isolated {
		cfg.Isolation = sandbox.IsolationOn
	}
	m, err := sandbox.NewManager(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := m.Close(); err != nil {
			b.Error(err)
		}
	})
	return m
}
