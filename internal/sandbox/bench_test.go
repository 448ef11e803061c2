//go:build linux

package sandbox_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/lambdad/lambdad/internal/sandbox"
)

// BenchmarkStart starts /bin/true and waits for it to be reaped. The
// start-ms metric is Start alone, what a cold start pays before the runtime
// runs. isolated takes an init from a full warm pool (the pool refills
// outside the timed part); isolated-nopool starts one per environment, the
// cost of a burst that empties the pool. SANDBOX_BENCH_SELFEXE names
// another binary to use as the init, such as a built lambdad.
func BenchmarkStart(b *testing.B) {
	for _, bm := range []struct {
		name  string
		mode  sandbox.Mode
		warm  int
		await bool
	}{
		{"unisolated", sandbox.Unisolated, 0, false},
		{"isolated", sandbox.Isolated, 1, true},
		{"isolated-nopool", sandbox.Isolated, -1, false},
	} {
		b.Run(bm.name, func(b *testing.B) {
			m := newBenchManager(b, bm.mode, bm.warm)
			spec := sandbox.Spec{ID: "bench", CodeDir: b.TempDir(), Command: []string{"/bin/true"}, MemoryMB: 128}
			var startTotal time.Duration
			for b.Loop() {
				if bm.await {
					b.StopTimer()
					awaitWarm(b, m, bm.warm)
					b.StartTimer()
				}
				t0 := time.Now()
				p, err := m.Start(context.Background(), spec)
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

func awaitWarm(b *testing.B, m *sandbox.Manager, n int) {
	deadline := time.Now().Add(10 * time.Second)
	for sandbox.WarmReady(m) < n {
		if time.Now().After(deadline) {
			b.Fatal("warm pool did not fill")
		}
		time.Sleep(100 * time.Microsecond)
	}
}

func newBenchManager(b *testing.B, mode sandbox.Mode, warm int, tweaks ...func(sandbox.Config) sandbox.Config) *sandbox.Manager {
	b.Helper()
	if mode == sandbox.Isolated && !canIsolate() {
		b.Skip("isolated mode needs Linux and root")
	}
	cfg := sandbox.Config{
		Isolation:  sandbox.IsolationOff,
		SelfExe:    os.Getenv("SANDBOX_BENCH_SELFEXE"),
		WorkDir:    b.TempDir(),
		CgroupRoot: "lambdad-bench",
		WarmInits:  warm,
	}
	if mode == sandbox.Isolated {
		cfg.Isolation = sandbox.IsolationOn
	}
	for _, tweak := range tweaks {
		cfg = tweak(cfg)
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

// BenchmarkStartBurst starts 200 isolated environments at once (a sleeping
// /bin/sleep each), as a burst of invokes does, and reports the wall time
// until every one runs: the warm pool is soon empty, so this measures how
// fast inits start and join their cgroups when many do so together.
//
// The process holds files=N more open descriptors meanwhile, as lambdad
// does with ~N/5 environments running (Runtime API sockets, output pipes,
// pidfds), and starts its inits from the spawner or, with spawner=off,
// from its own descriptor table, which every start then copies and closes.
func BenchmarkStartBurst(b *testing.B) {
	for _, files := range []int{0, 5000} {
		for _, spawner := range []bool{true, false} {
			b.Run(fmt.Sprintf("files=%d/spawner=%s", files, onOff(spawner)), func(b *testing.B) {
				var tweaks []func(sandbox.Config) sandbox.Config
				if !spawner {
					tweaks = append(tweaks, sandbox.WithoutSpawner)
				}
				m := newBenchManager(b, sandbox.Isolated, 0, tweaks...)
				for range files {
					f, err := os.Open(os.DevNull)
					if err != nil {
						b.Fatal(err)
					}
					b.Cleanup(func() { f.Close() })
				}
				benchBurst(b, m)
			})
		}
	}
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func benchBurst(b *testing.B, m *sandbox.Manager) {
	const n = 200
	code := b.TempDir()
	var wall time.Duration
	for b.Loop() {
		procs := make([]*sandbox.Process, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		t0 := time.Now()
		for i := range n {
			wg.Go(func() {
				spec := sandbox.Spec{ID: "burst-" + strconv.Itoa(i), CodeDir: code, Command: []string{"/bin/sleep", "60"}, MemoryMB: 128}
				procs[i], errs[i] = m.Start(context.Background(), spec)
			})
		}
		wg.Wait()
		wall += time.Since(t0)
		b.StopTimer()
		for i, p := range procs {
			if errs[i] != nil {
				b.Error(errs[i])
				continue
			}
			wg.Go(func() { _ = p.Kill() })
		}
		wg.Wait()
		b.StartTimer()
	}
	b.ReportMetric(float64(wall.Microseconds())/1000/float64(b.N)/n, "ms/env")
}
