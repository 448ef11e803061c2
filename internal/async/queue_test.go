package async

import (
	"github.com/lambdad/lambdad/internal/lambdadtest"

	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdad/lambdad/internal/awserr"
	"github.com/lambdad/lambdad/internal/registry"
	"github.com/lambdad/lambdad/internal/scheduler"
	"github.com/lambdad/lambdad/internal/store"
)

const testAccount = "123456789012"

func TestMain(m *testing.M) {
	os.Exit(lambdadtest.MainWithLeakCheck(m, "github.com/nats-io/", "async.(*Queue)"))
}

// invoker is a scripted stand-in for the scheduler: it records each attempt
// and answers with script(function, attempt number of that request id).
type invoker struct {
	mu     sync.Mutex
	calls  []call
	script func(c call, n int) (*scheduler.Result, error)
}

type call struct {
	function, requestID string
	payload             string
}

func (iv *invoker) InvokeVersion(ctx context.Context, v *registry.Version, req *scheduler.Request) (*scheduler.Result, error) {
	iv.mu.Lock()
	c := call{function: v.Function.Name, requestID: req.RequestID, payload: string(req.Payload)}
	iv.calls = append(iv.calls, c)
	n := 0
	for _, p := range iv.calls {
		if p.requestID == req.RequestID {
			n++
		}
	}
	iv.mu.Unlock()
	if iv.script != nil {
		return iv.script(c, n)
	}
	return &scheduler.Result{Payload: []byte(`"ok"`)}, nil
}

// callsTo returns the attempts made on function.
func (iv *invoker) callsTo(function string) []call {
	iv.mu.Lock()
	defer iv.mu.Unlock()
	var out []call
	for _, c := range iv.calls {
		if c.function == function {
			out = append(out, c)
		}
	}
	return out
}

// env is a queue on a real store and registry.
type env struct {
	t   *testing.T
	dir string
	st  *store.Store
	reg *registry.Registry
	q   *Queue
	cfg Config
	// stop stops Run (when started), the registry and the store.
	stops []func()
}

func newEnv(t *testing.T, dir string, cfg Config) *env {
	t.Helper()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := store.Open(ctx, store.Config{Dir: dir}, log)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, dir: dir, st: st, cfg: cfg}
	e.stops = append(e.stops, func() {
		if err := st.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	reg, err := registry.New(ctx, st, registry.Config{Region: "us-east-1"}, log)
	if err != nil {
		e.close()
		t.Fatal(err)
	}
	e.reg = reg
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- reg.Run(runCtx) }()
	e.stops = append(e.stops, func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("registry Run: %v", err)
		}
	})
	if cfg.RetryDelay == 0 {
		cfg.RetryDelay = 50 * time.Millisecond
	}
	if cfg.ThrottleMin == 0 {
		cfg.ThrottleMin, cfg.ThrottleMax = 20*time.Millisecond, 100*time.Millisecond
	}
	if cfg.AckWait == 0 {
		cfg.AckWait = 3 * time.Second
	}
	cfg.Workers = 8
	e.q, err = New(ctx, st.JetStream(), reg, cfg, log)
	if err != nil {
		e.close()
		t.Fatal(err)
	}
	t.Cleanup(e.close)
	return e
}

func (e *env) close() {
	for i := len(e.stops) - 1; i >= 0; i-- {
		e.stops[i]()
	}
	e.stops = nil
}

// run runs the queue's consumer with iv until the env closes.
func (e *env) run(iv Invoker) {
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.q.Run(ctx, iv) }()
	e.stops = append(e.stops, func() {
		stop()
		if err := <-done; err != nil {
			e.t.Errorf("queue Run: %v", err)
		}
	})
}

func (e *env) create(name string) {
	e.t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	f, _ := w.Create("bootstrap")
	f.Write([]byte("#!/bin/sh\n"))
	w.Close()
	s := func(v string) *string { return &v }
	_, err := e.reg.CreateFunction(e.t.Context(), testAccount, &registry.CreateFunctionInput{
		FunctionName: s(name),
		FunctionSettings: registry.FunctionSettings{
			Role: s("arn:aws:iam::123456789012:role/r"), Runtime: s("provided.al2023"), Handler: s("bootstrap"),
		},
		Code: &registry.FunctionCode{ZipFile: b.Bytes()},
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) configure(name string, in registry.EventInvokeConfigInput) {
	e.t.Helper()
	if _, err := e.reg.PutFunctionEventInvokeConfig(e.t.Context(), testAccount, name, "", &in); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) enqueue(requestID, function, payload string) {
	e.t.Helper()
	err := e.q.Accept(e.t.Context(), &Event{RequestID: requestID, Account: testAccount, Function: function, Payload: []byte(payload)})
	if err != nil {
		e.t.Fatal(err)
	}
}

// waitFor polls cond every 10 ms until it holds or 10 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitStats waits until the queue is empty and has finished n events.
func (e *env) waitFinished(n int64) Stats {
	e.t.Helper()
	var s Stats
	waitFor(e.t, fmt.Sprintf("%d finished events", n), func() bool {
		var err error
		s, err = e.q.Stats(e.t.Context())
		return err == nil && s.Succeeded+s.Failed >= n && s.Queued == 0 && s.InFlight == 0
	})
	return s
}

func ptr[T any](v T) *T { return &v }

const arn = "arn:aws:lambda:us-east-1:123456789012:function:"

func TestSuccessGoesToOnSuccess(t *testing.T) {
	e := newEnv(t, t.TempDir(), Config{})
	e.create("f")
	e.create("dest")
	e.configure("f", registry.EventInvokeConfigInput{DestinationConfig: &registry.DestinationConfig{
		OnSuccess: &registry.Destination{Destination: ptr(arn + "dest")},
	}})
	iv := &invoker{script: func(c call, n int) (*scheduler.Result, error) {
		return &scheduler.Result{Payload: []byte(`{"out":1}`)}, nil
	}}
	e.run(iv)
	e.enqueue("req-1", "f", `{"in":1}`)
	s := e.waitFinished(2) // f, then dest
	if s.Succeeded != 2 || s.Failed != 0 || s.Accepted != 1 || s.Dropped != 0 {
		t.Errorf("stats = %+v", s)
	}
	dest := iv.callsTo("dest")
	if len(dest) != 1 {
		t.Fatalf("dest ran %d times", len(dest))
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(dest[0].payload), &rec); err != nil {
		t.Fatal(err)
	}
	if ts, _ := rec["timestamp"].(string); len(ts) != len("2026-11-23T07:31:05.118Z") || !strings.HasSuffix(ts, "Z") {
		t.Errorf("timestamp %q", ts)
	}
	delete(rec, "timestamp")
	got, _ := json.Marshal(rec)
	want := `{"requestContext":{"approximateInvokeCount":1,"condition":"Success","functionArn":"` + arn + `f:$LATEST","requestId":"req-1"},"requestPayload":{"in":1},"responseContext":{"executedVersion":"$LATEST","statusCode":200},"responsePayload":{"out":1},"version":"1.0"}`
	if string(got) != want {
		t.Errorf("record\n got %s\nwant %s", got, want)
	}
}

func TestRetries(t *testing.T) {
	for _, tc := range []struct {
		name    string
		retries *int
		want    int
	}{
		{"default", nil, 3},
		{"one", ptr(1), 2},
		{"zero", ptr(0), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, t.TempDir(), Config{})
			e.create("f")
			e.create("dlq")
			e.configure("f", registry.EventInvokeConfigInput{MaximumRetryAttempts: tc.retries, DestinationConfig: &registry.DestinationConfig{
				OnFailure: &registry.Destination{Destination: ptr(arn + "dlq")},
			}})
			iv := &invoker{script: func(c call, n int) (*scheduler.Result, error) {
				if c.function == "f" {
					return &scheduler.Result{FunctionError: true, Payload: []byte(`{"errorMessage":"boom","errorType":"Error"}`)}, nil
				}
				return &scheduler.Result{Payload: []byte("null")}, nil
			}}
			e.run(iv)
			e.enqueue("req-r", "f", `{}`)
			s := e.waitFinished(2)
			calls := iv.callsTo("f")
			if len(calls) != tc.want {
				t.Fatalf("f ran %d times, want %d", len(calls), tc.want)
			}
			for _, c := range calls {
				if c.requestID != "req-r" {
					t.Errorf("attempt with request id %s", c.requestID)
				}
			}
			if s.Failed != 1 || s.Succeeded != 1 || s.Retried != int64(tc.want-1) || s.Dropped != 0 {
				t.Errorf("stats = %+v", s)
			}
			dlq := iv.callsTo("dlq")
			if len(dlq) != 1 {
				t.Fatalf("dlq ran %d times", len(dlq))
			}
			var rec Record
			if err := json.Unmarshal([]byte(dlq[0].payload), &rec); err != nil {
				t.Fatal(err)
			}
			if rec.RequestContext.Condition != ConditionRetriesExhausted || rec.RequestContext.ApproximateInvokeCount != tc.want ||
				rec.ResponseContext.FunctionError != "Unhandled" || string(rec.ResponsePayload) != `{"errorMessage":"boom","errorType":"Error"}` {
				t.Errorf("record = %+v", rec)
			}
		})
	}
}

func TestThrottledEventsWait(t *testing.T) {
	e := newEnv(t, t.TempDir(), Config{})
	e.create("f")
	iv := &invoker{script: func(c call, n int) (*scheduler.Result, error) {
		if n <= 4 {
			return nil, &awserr.Error{Code: awserr.TooManyRequests, Message: "Rate Exceeded.", Reason: "ReservedFunctionConcurrentInvocationLimitExceeded"}
		}
		return &scheduler.Result{Payload: []byte("null")}, nil
	}}
	e.run(iv)
	e.enqueue("req-t", "f", `{}`)
	s := e.waitFinished(1)
	if s.Succeeded != 1 || s.Throttled != 4 || s.Retried != 4 || len(iv.callsTo("f")) != 5 {
		t.Errorf("stats = %+v, %d calls", s, len(iv.callsTo("f")))
	}
}

func TestMaxEventAge(t *testing.T) {
	e := newEnv(t, t.TempDir(), Config{})
	e.create("f")
	e.create("dlq")
	e.configure("f", registry.EventInvokeConfigInput{MaximumEventAgeInSeconds: ptr(60), DestinationConfig: &registry.DestinationConfig{
		OnFailure: &registry.Destination{Destination: ptr(arn + "dlq")},
	}})
	iv := &invoker{}
	e.run(iv)
	// An event accepted 61 s ago is too old to run.
	err := e.q.Enqueue(t.Context(), &Event{RequestID: "req-old", Account: testAccount, Function: "f", Payload: []byte(`{"a":1}`), Enqueued: time.Now().Add(-61 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	e.waitFinished(2)
	if n := len(iv.callsTo("f")); n != 0 {
		t.Errorf("f ran %d times", n)
	}
	dlq := iv.callsTo("dlq")
	if len(dlq) != 1 {
		t.Fatalf("dlq ran %d times", len(dlq))
	}
	var rec map[string]any
	json.Unmarshal([]byte(dlq[0].payload), &rec)
	delete(rec, "timestamp")
	got, _ := json.Marshal(rec)
	want := `{"requestContext":{"approximateInvokeCount":0,"condition":"EventAgeExceeded","functionArn":"` + arn + `f:$LATEST","requestId":"req-old"},"requestPayload":{"a":1},"version":"1.0"}`
	if string(got) != want {
		t.Errorf("record\n got %s\nwant %s", got, want)
	}
}

func TestEventsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, dir, Config{})
	e.create("f")
	for i := range 5 {
		e.enqueue(fmt.Sprintf("req-%d", i), "f", `{}`)
	}
	e.close() // nothing consumed them
	e = newEnv(t, dir, Config{})
	iv := &invoker{}
	e.run(iv)
	waitFor(t, "5 events run", func() bool { return len(iv.callsTo("f")) == 5 })
}

func TestDeletedFunctionDropsEvent(t *testing.T) {
	e := newEnv(t, t.TempDir(), Config{})
	e.enqueue("req-x", "gone", `{}`)
	e.run(&invoker{})
	waitFor(t, "the event dropped", func() bool {
		s, err := e.q.Stats(t.Context())
		return err == nil && s.Dropped == 1 && s.Queued == 0
	})
}
