package daemon_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambdad/lambdad/internal/daemon"
	"github.com/lambdad/lambdad/internal/lambdadtest"
)

// startInProcess runs a daemon in this process (for profiles and fast
// benchmarks) and returns its URL; it stops when the test ends.
func startInProcess(tb testing.TB) string {
	tb.Helper()
	cfg := daemon.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.DataDir = tb.TempDir()
	cfg.AccessKeyID = lambdadtest.AccessKeyID
	cfg.SecretAccessKey = lambdadtest.SecretAccessKey
	cfg.AccountID = lambdadtest.AccountID
	cfg.Isolation = os.Getenv("LAMBDAD_ISOLATION")
	if cfg.Isolation == "" {
		cfg.Isolation = "auto"
	}
	d, err := daemon.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("daemon: %v", err)
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		data, err := os.ReadFile(filepath.Join(cfg.DataDir, daemon.AddrFile))
		if err == nil && strings.HasSuffix(string(data), "\n") {
			return "http://" + strings.TrimSpace(string(data))
		}
		select {
		case err := <-done:
			tb.Fatalf("daemon stopped: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	tb.Fatal("daemon not ready")
	return ""
}

// create deploys a provided.al2023 function.
func create(tb testing.TB, c *lambda.Client, name string, zip []byte) {
	tb.Helper()
	_, err := c.CreateFunction(context.Background(), &lambda.CreateFunctionInput{
		FunctionName: aws.String(name),
		Runtime:      types.RuntimeProvidedal2023,
		Handler:      aws.String("bootstrap"),
		Role:         aws.String("arn:aws:iam::123456789012:role/r"),
		Code:         &types.FunctionCode{ZipFile: zip},
	})
	if err != nil {
		tb.Fatal(err)
	}
}

const noop = `package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(ctx context.Context, e json.RawMessage) (json.RawMessage, error) { return e, nil })
}
`

// BenchmarkInvokeInProcess is the warm invoke path with the daemon in the
// benchmark's process, so that -cpuprofile shows lambdad's side:
//
//	go test ./internal/daemon -run '^$' -bench InvokeInProcess -cpuprofile cpu.out
func BenchmarkInvokeInProcess(b *testing.B) {
	url := startInProcess(b)
	create(b, lambdadtest.NewClient(url), "noop", lambdadtest.GoZip(b, noop))
	req := lambdadtest.Sign(b, url, "POST", "/2015-03-31/functions/noop/invocations", []byte(`"`+strings.Repeat("a", 98)+`"`))
	client := lambdadtest.KeepAliveClient(1)
	if _, _, err := req.Do(client, url); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		status, body, err := req.Do(client, url)
		if err != nil || status != 200 {
			b.Fatalf("%d %v %s", status, err, body)
		}
	}
}

func TestDaemonServesAndStops(t *testing.T) {
	url := startInProcess(t)
	c := lambdadtest.NewClient(url)
	if _, err := c.ListFunctions(context.Background(), &lambda.ListFunctionsInput{}); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkInvokeInProcessParallel is BenchmarkInvokeInProcess with 8
// concurrent clients.
func BenchmarkInvokeInProcessParallel(b *testing.B) {
	url := startInProcess(b)
	create(b, lambdadtest.NewClient(url), "noop", lambdadtest.GoZip(b, noop))
	req := lambdadtest.Sign(b, url, "POST", "/2015-03-31/functions/noop/invocations", []byte(`"`+strings.Repeat("a", 98)+`"`))
	client := lambdadtest.KeepAliveClient(8)
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			status, body, err := req.Do(client, url)
			if err != nil || status != 200 {
				b.Errorf("%d %v %s", status, err, body)
				return
			}
		}
	})
}

// BenchmarkListFunctionsInProcess lists a 50-function page with the daemon
// in the benchmark's process, for profiles.
func BenchmarkListFunctionsInProcess(b *testing.B) {
	url := startInProcess(b)
	c := lambdadtest.NewClient(url)
	zip := lambdadtest.ScriptZip(b, "#!/bin/sh\n")
	for i := range 50 {
		create(b, c, fmt.Sprintf("fn-%02d", i), zip)
	}
	req := lambdadtest.Sign(b, url, "GET", "/2015-03-31/functions/", nil)
	client := lambdadtest.KeepAliveClient(1)
	b.ResetTimer()
	for range b.N {
		status, body, err := req.Do(client, url)
		if err != nil || status != 200 {
			b.Fatalf("%d %v %s", status, err, body)
		}
	}
}
