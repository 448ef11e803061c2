package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lambdad/lambdad/internal/lambdadtest"
)

// signWith is lambdadtest.Sign with extra headers covered by the signature.
func signWith(b *testing.B, baseURL, path string, body []byte, header map[string]string) *lambdadtest.SignedRequest {
	req, err := http.NewRequest("POST", baseURL+path, bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: lambdadtest.AccessKeyID, SecretAccessKey: lambdadtest.SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "lambda", lambdadtest.Region, time.Now()); err != nil {
		b.Fatal(err)
	}
	return &lambdadtest.SignedRequest{Method: "POST", Path: path, Body: body, Header: req.Header}
}

// parallel sends req n times from clients keep-alive connections and
// returns the rate per second.
func parallel(b *testing.B, url string, req *lambdadtest.SignedRequest, n, clients, wantStatus int) float64 {
	client := lambdadtest.KeepAliveClient(clients)
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				status, body, err := req.Do(client, url)
				if err != nil || status != wantStatus {
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
	return float64(n) / time.Since(start).Seconds()
}

// BenchmarkAsync compares accepting Event invokes with synchronous warm
// invokes of a no-op function, 8 clients each. Accepting is measured on a
// function held at reserved concurrency 0, whose events wait in the queue
// (one throttled delivery each, then a 10-minute back-off), so that running
// them does not compete for the CPU; mode=drain then measures b.N events of
// the no-op function end to end, from the first accept to the last success
// as the queue counts them (1 s resolution: run it with -benchtime 10000x).
func BenchmarkAsync(b *testing.B) {
	d := lambdadtest.Start(b, lambdadtest.Options{Args: []string{"--async-throttle-min", "10m", "--async-throttle-max", "10m"}})
	c := d.Client()
	for _, name := range []string{"noop", "held"} {
		if _, err := c.CreateFunction(b.Context(), createInput(name, lambdadtest.GoZip(b, noopFunction))); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := c.PutFunctionConcurrency(b.Context(), &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("held"), ReservedConcurrentExecutions: aws.Int32(0)}); err != nil {
		b.Fatal(err)
	}
	const clients = 8
	eventHeader := map[string]string{"X-Amz-Invocation-Type": "Event"}
	b.Run("mode=sync", func(b *testing.B) {
		req := signWith(b, d.URL, "/2015-03-31/functions/noop/invocations", payloadOf(100), nil)
		b.ReportMetric(parallel(b, d.URL, req, b.N, clients, http.StatusOK), "invokes/s")
	})
	b.Run("mode=event", func(b *testing.B) {
		req := signWith(b, d.URL, "/2015-03-31/functions/held/invocations", payloadOf(100), eventHeader)
		b.ReportMetric(parallel(b, d.URL, req, b.N, clients, http.StatusAccepted), "accepted/s")
	})
	b.Run("mode=drain", func(b *testing.B) {
		req := signWith(b, d.URL, "/2015-03-31/functions/noop/invocations", payloadOf(100), eventHeader)
		before := succeeded(b, d)
		start := time.Now()
		accepted := parallel(b, d.URL, req, b.N, clients, http.StatusAccepted)
		deadline := time.Now().Add(5 * time.Minute)
		for succeeded(b, d) < before+int64(b.N) {
			if time.Now().After(deadline) {
				b.Fatalf("drain: %d of %d events after 5 min", succeeded(b, d)-before, b.N)
			}
			time.Sleep(50 * time.Millisecond)
		}
		b.ReportMetric(accepted, "accepted/s")
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "drained/s")
	})
}

// succeeded reads the queue's count of succeeded events from the daemon's
// stats file.
func succeeded(b *testing.B, d *lambdadtest.Daemon) int64 {
	raw, err := os.ReadFile(filepath.Join(d.DataDir, "async-stats.json"))
	if err != nil {
		return 0
	}
	var s struct{ Succeeded int64 }
	if err := json.Unmarshal(raw, &s); err != nil {
		b.Fatal(err)
	}
	return s.Succeeded
}
