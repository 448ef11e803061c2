package runtimeapi_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/lambdad/lambdad/internal/runtimeapi"
)

// benchPayload is the 100-byte event of the warm-invoke budget.
var benchPayload = []byte(`"` + strings.Repeat("x", 98) + `"`)

// BenchmarkInvoke measures one warm invoke through Invoke against the real
// aws-lambda-go echo function: /next answer, handler, chunked /response
// with trailers, hand-back to the caller. Compare with BenchmarkBaselineEcho
// (benchstat): the ratio is the cost of this half of the hot path in units
// of one plain HTTP round trip between two processes.
func BenchmarkInvoke(b *testing.B) {
	s, addr := newServer(b, runtimeapi.Limits{})
	startRuntime(b, goFunctionPath(b), addr)
	ctx := context.Background()
	if err := s.WaitInit(testContext(b, 20*time.Second)); err != nil {
		b.Fatal(err)
	}
	inv := newInvocation(string(benchPayload))
	inv.Deadline = time.Now().Add(time.Hour)
	ids := make([]string, 1024)
	for i := range ids {
		ids[i] = newInvocation("").RequestID
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(benchPayload)))
	i := 0
	for b.Loop() {
		inv.RequestID = ids[i%len(ids)]
		i++
		r, err := s.Invoke(ctx, inv)
		if err != nil {
			b.Fatal(err)
		}
		if len(r.Body) != len(benchPayload) {
			b.Fatalf("body %q", r.Body)
		}
		r.Release()
	}
}

// BenchmarkInvokeParallel drives 8 environments (Servers, each with its
// aws-lambda-go process) from 8 goroutines, one per environment: the
// throughput side of the budget (8 concurrent clients).
func BenchmarkInvokeParallel(b *testing.B) {
	procs := runtime.GOMAXPROCS(0)
	parallelism := max(1, 8/procs)
	envs := parallelism * procs // RunParallel starts this many goroutines
	servers := make(chan *runtimeapi.Server, envs)
	bin := goFunctionPath(b)
	for range envs {
		s, addr := newServer(b, runtimeapi.Limits{})
		startRuntime(b, bin, addr)
		if err := s.WaitInit(testContext(b, 20*time.Second)); err != nil {
			b.Fatal(err)
		}
		servers <- s
	}
	b.ReportAllocs()
	b.SetParallelism(parallelism)
	b.RunParallel(func(pb *testing.PB) {
		s := <-servers
		inv := newInvocation(string(benchPayload))
		inv.Deadline = time.Now().Add(time.Hour)
		ids := make([]string, 256)
		for i := range ids {
			ids[i] = newInvocation("").RequestID
		}
		for i := 0; pb.Next(); i++ {
			inv.RequestID = ids[i%len(ids)]
			r, err := s.Invoke(context.Background(), inv)
			if err != nil {
				b.Error(err)
				return
			}
			r.Release()
		}
	})
}

// BenchmarkBaselineEcho is one HTTP round trip of a 100-byte POST from a
// keep-alive net/http client to a net/http echo server in another process
// (this test binary re-executed).
func BenchmarkBaselineEcho(b *testing.B) {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), echoServerEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		b.Fatalf("read echo server address: %v", err)
	}
	url := "http://" + strings.TrimSpace(addr) + "/"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	b.Cleanup(client.CloseIdleConnections)
	b.ReportAllocs()
	b.SetBytes(int64(len(benchPayload)))
	for b.Loop() {
		resp, err := client.Post(url, "application/json", bytes.NewReader(benchPayload))
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if n != int64(len(benchPayload)) {
			b.Fatalf("echoed %d bytes", n)
		}
	}
}
