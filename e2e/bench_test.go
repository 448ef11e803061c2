package e2e

// Benchmarks of lambdad's API against a baseline: a plain net/http server
// running as its own process (lambdadtest.EchoServer), driven by the same
// keep-alive client in the same run. Run them with
//
//	go test ./e2e -run '^$' -bench . -count 6 | tee bench.txt
//	benchstat -col /target bench.txt
//
// Each benchmark reports p50 and p99 latencies beside ns/op.

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lambdad/lambdad/internal/lambdadtest"
)

// target is one server a benchmark drives: lambdad or the baseline.
type target struct {
	name string
	url  string
}

func targets(b *testing.B, d *lambdadtest.Daemon) []target {
	return []target{{"lambdad", d.URL}, {"baseline", lambdadtest.EchoServer(b)}}
}

// benchSequential replays req against url b.N times from one keep-alive
// client and reports latency percentiles.
func benchSequential(b *testing.B, url string, req *lambdadtest.SignedRequest, wantStatus int) {
	client := lambdadtest.KeepAliveClient(1)
	// Warm the connection (and, for lambdad, the environment).
	if _, _, err := req.Do(client, url); err != nil {
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		status, body, err := req.Do(client, url)
		lat = append(lat, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		if wantStatus != 0 && status != wantStatus {
			b.Fatalf("status %d: %s", status, body)
		}
	}
	b.StopTimer()
	reportPercentiles(b, lat)
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	p := func(q float64) float64 {
		return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))].Nanoseconds()) / 1e3
	}
	b.ReportMetric(p(0.50), "p50-µs")
	b.ReportMetric(p(0.99), "p99-µs")
}

func BenchmarkControlPlane(b *testing.B) {
	d := lambdadtest.Start(b, lambdadtest.Options{})
	c := d.Client()
	zip := lambdadtest.ScriptZip(b, echoScript)
	for i := range 60 {
		if _, err := c.CreateFunction(b.Context(), createInput(fmt.Sprintf("bench-%02d", i), zip)); err != nil {
			b.Fatal(err)
		}
	}
	ops := []struct {
		name string
		req  *lambdadtest.SignedRequest
	}{
		{"GetFunctionConfiguration", lambdadtest.Sign(b, d.URL, "GET", "/2015-03-31/functions/bench-07/configuration", nil)},
		{"ListFunctions", lambdadtest.Sign(b, d.URL, "GET", "/2015-03-31/functions/?MaxItems=50", nil)},
	}
	for _, op := range ops {
		for _, tg := range targets(b, d) {
			b.Run(op.name+"/target="+tg.name, func(b *testing.B) {
				benchSequential(b, tg.url, op.req, 200)
			})
		}
	}
}

// noopFunction is an aws-lambda-go function that returns its event.
const noopFunction = `package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(ctx context.Context, e json.RawMessage) (json.RawMessage, error) { return e, nil })
}
`

// rawEcho is an aws-lambda-go function that answers the raw event bytes,
// without decoding them (lambda.StartHandler with a lambda.Handler).
const rawEcho = `package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

type echo struct{}

func (echo) Invoke(ctx context.Context, payload []byte) ([]byte, error) { return payload, nil }

func main() { lambda.StartHandler(echo{}) }
`

func payloadOf(n int) []byte {
	if n < 2 {
		return []byte(`""`)
	}
	p := make([]byte, n)
	p[0], p[n-1] = '"', '"'
	for i := 1; i < n-1; i++ {
		p[i] = 'a' + byte(i%26)
	}
	return p
}

func BenchmarkInvokeWarm(b *testing.B) {
	d := lambdadtest.Start(b, lambdadtest.Options{})
	c := d.Client()
	if _, err := c.CreateFunction(b.Context(), createInput("noop", lambdadtest.GoZip(b, noopFunction))); err != nil {
		b.Fatal(err)
	}
	req := lambdadtest.Sign(b, d.URL, "POST", "/2015-03-31/functions/noop/invocations", payloadOf(100))
	for _, tg := range targets(b, d) {
		b.Run("target="+tg.name, func(b *testing.B) { benchSequential(b, tg.url, req, 200) })
	}
}

func BenchmarkInvokePayload(b *testing.B) {
	d := lambdadtest.Start(b, lambdadtest.Options{})
	c := d.Client()
	if _, err := c.CreateFunction(b.Context(), createInput("noop", lambdadtest.GoZip(b, rawEcho))); err != nil {
		b.Fatal(err)
	}
	for _, size := range []int{1 << 10, 100 << 10, 1 << 20, 6 << 20} {
		req := lambdadtest.Sign(b, d.URL, "POST", "/2015-03-31/functions/noop/invocations", payloadOf(size))
		for _, tg := range targets(b, d) {
			b.Run(fmt.Sprintf("size=%d/target=%s", size, tg.name), func(b *testing.B) {
				b.SetBytes(int64(size))
				benchSequential(b, tg.url, req, 200)
			})
		}
	}
}

// BenchmarkInvokeParallel drives 8 concurrent keep-alive clients and reports
// invokes per second.
func BenchmarkInvokeParallel(b *testing.B) {
	d := lambdadtest.Start(b, lambdadtest.Options{})
	c := d.Client()
	if _, err := c.CreateFunction(b.Context(), createInput("noop", lambdadtest.GoZip(b, noopFunction))); err != nil {
		b.Fatal(err)
	}
	req := lambdadtest.Sign(b, d.URL, "POST", "/2015-03-31/functions/noop/invocations", payloadOf(100))
	const clients = 8
	for _, tg := range targets(b, d) {
		b.Run("target="+tg.name, func(b *testing.B) {
			client := lambdadtest.KeepAliveClient(clients)
			var next atomic.Int64
			var failed atomic.Value
			var wg sync.WaitGroup
			start := time.Now()
			for range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						status, body, err := req.Do(client, tg.url)
						if err != nil || status != http.StatusOK {
							failed.Store(fmt.Sprintf("status %d err %v: %s", status, err, body))
							return
						}
					}
				}()
			}
			wg.Wait()
			if f := failed.Load(); f != nil {
				b.Fatal(f)
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "invokes/s")
		})
	}
}

// BenchmarkColdStart measures the first invoke of a newly created function:
// environment start, runtime init and the invoke itself, with isolation
// (namespaces and cgroups; when lambdad runs as root) and without.
func BenchmarkColdStart(b *testing.B) {
	for _, mode := range []string{"auto", "off"} {
		b.Run("isolation="+mode, func(b *testing.B) {
			d := lambdadtest.Start(b, lambdadtest.Options{Args: []string{"--isolation", mode}})
			c := d.Client()
			zip := lambdadtest.GoZip(b, noopFunction)
			benchColdStarts(b, d, "cold", func(name string, _ int) {
				if _, err := c.CreateFunction(b.Context(), createInput(name, zip)); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// benchColdStarts times b.N first invokes of new functions and reports
// their percentiles: for each, create(name, i) makes the function (not
// timed), its first invoke is timed, and it is deleted again (not timed).
func benchColdStarts(b *testing.B, d *lambdadtest.Daemon, prefix string, create func(name string, i int)) {
	c := d.Client()
	client := lambdadtest.KeepAliveClient(1)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		name := fmt.Sprintf("%s-%d-%d", prefix, b.N, i)
		create(name, i)
		req := lambdadtest.Sign(b, d.URL, "POST", "/2015-03-31/functions/"+name+"/invocations", payloadOf(100))
		b.StartTimer()
		start := time.Now()
		status, body, err := req.Do(client, d.URL)
		lat = append(lat, time.Since(start))
		if err != nil || status != 200 {
			b.Fatalf("status %d err %v: %s", status, err, body)
		}
		b.StopTimer()
		if _, err := c.DeleteFunction(b.Context(), &lambda.DeleteFunctionInput{FunctionName: aws.String(name)}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.StopTimer()
	reportPercentiles(b, lat)
}
