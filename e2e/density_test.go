package e2e

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lambdad/lambdad/internal/lambdadtest"
)

// sleeper sleeps one second per invocation.
const sleeper = `package main

import (
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func() (string, error) { time.Sleep(time.Second); return "done", nil })
}
`

// TestDensity is the density benchmark: 1,000 concurrent invokes of a
// function that sleeps 1 s must all succeed within 10 s, with lambdad's own
// RSS (runtime processes excluded) under 200 MB. It is slow and heavy, so it
// runs only when asked (LAMBDAD_ISOLATION=off measures unisolated
// environments):
//
//	LAMBDAD_DENSITY=1 go test ./e2e -run TestDensity -v
func TestDensity(t *testing.T) {
	if os.Getenv("LAMBDAD_DENSITY") == "" {
		t.Skip("set LAMBDAD_DENSITY=1 to run the density benchmark")
	}
	const n = 1000
	d := lambdadtest.Start(t, lambdadtest.Options{Args: []string{"--log-level", "info"}, Env: []string{"LAMBDAD_ISOLATION=" + os.Getenv("LAMBDAD_ISOLATION")}})
	c := d.Client(func(o *lambda.Options) {
		o.RetryMaxAttempts = 1
		o.HTTPClient = lambdadtest.KeepAliveClient(n)
	})
	deploy(t, c, "sleeper", lambdadtest.GoZip(t, sleeper), func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(60) })

	var peakRSS atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if kb := rssKB(d.Pid()); kb > peakRSS.Load() {
				peakRSS.Store(kb)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()

	var wg sync.WaitGroup
	var failures atomic.Int64
	var firstErr atomic.Value
	start := time.Now()
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := c.Invoke(ctx(t), &lambda.InvokeInput{FunctionName: aws.String("sleeper"), Payload: []byte(`{}`)})
			if err == nil && (out.FunctionError != nil || string(out.Payload) != `"done"`) {
				err = fmt.Errorf("function error %s: %s", aws.ToString(out.FunctionError), out.Payload)
			}
			if err != nil {
				failures.Add(1)
				firstErr.CompareAndSwap(nil, err)
			}
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	close(stop)
	<-sampled
	envs := len(runtimeProcesses(d.Pid()))
	// CPU time is steadier than wall time on a shared machine.
	cpu := treeCPU(d.Pid())
	t.Logf("density: %d invokes, %d failed, wall %v, lambdad peak RSS %.1f MB, environments alive after the run %d, CPU of lambdad and its environments %v (%.1f ms per environment)",
		n, failures.Load(), wall.Round(time.Millisecond), float64(peakRSS.Load())/1024, envs,
		cpu.Round(10*time.Millisecond), float64(cpu.Milliseconds())/float64(max(envs, 1)))
	if f := failures.Load(); f > 0 {
		t.Errorf("%d invokes failed; first: %v", f, firstErr.Load())
	}
	if wall > 10*time.Second {
		t.Errorf("wall time %v, budget 10s", wall)
	}
	if peakRSS.Load() > 200*1024 {
		t.Errorf("lambdad peak RSS %.1f MB, budget 200 MB", float64(peakRSS.Load())/1024)
	}
}

// rssKB is a process's resident set size in KiB.
func rssKB(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				return kb
			}
		}
	}
	return 0
}

// treeCPU is the CPU time used so far by pid, the children it has reaped,
// and every live process below it.
func treeCPU(pid int) time.Duration {
	total := procCPU(pid, true)
	for _, p := range descendants(pid) {
		total += procCPU(p, false)
	}
	return total
}

// procCPU is a process's user and system time from /proc (in clock ticks,
// 100 a second on Linux), with its reaped children's when asked.
func procCPU(pid int, children bool) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 15 {
		return 0
	}
	fields := f[11:13] // utime, stime
	if children {
		fields = f[11:15] // and cutime, cstime
	}
	var ticks int64
	for _, v := range fields {
		n, _ := strconv.ParseInt(v, 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}
