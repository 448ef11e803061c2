package scheduler

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdad/lambdad/internal/logs"
	"github.com/lambdad/lambdad/internal/sandbox"
	"github.com/lambdad/lambdad/internal/store"
)

// provisionedBootstrap answers each event with the environment's
// initialization type and process id; "sleep" answers after a while,
// "crash" kills the runtime, and FAIL_INIT makes Init fail.
const provisionedBootstrap = `#!/bin/sh
[ -n "$FAIL_INIT" ] && { echo "init failed"; exit 3; }
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
while true; do
  H=$(mktemp)
  EVENT=$(curl -sS -D "$H" "$API/invocation/next")
  ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$H" | tr -d '[:space:]' | cut -d: -f2)
  rm -f "$H"
  case "$EVENT" in
    '"crash"') exit 1 ;;
    '"sleep"') sleep 1 ;;
  esac
  curl -sS -o /dev/null -X POST "$API/invocation/$ID/response" -d "{\"type\":\"$AWS_LAMBDA_INITIALIZATION_TYPE\",\"pid\":$$}"
done
`

// runningScheduler is a scheduler with real environments (no isolation)
// running until the test ends, and a function of provisionedBootstrap.
func runningScheduler(t *testing.T) (*Scheduler, *Function) {
	t.Helper()
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	hdr := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	hdr.SetMode(0o755)
	w, err := zw.CreateHeader(hdr)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(provisionedBootstrap))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	code := zb.Bytes()
	digest := store.Sum(code)

	dir := t.TempDir()
	sb, err := sandbox.NewManager(sandbox.Config{Isolation: sandbox.IsolationOff}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ls, err := logs.NewStore(filepath.Join(dir, "logs"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{
		Region:           "us-east-1",
		ConcurrencyLimit: 10,
		CodeDir:          filepath.Join(dir, "code"),
		Code:             func(context.Context, store.Digest) ([]byte, error) { return code, nil },
		ShutdownGrace:    100 * time.Millisecond,
	}, sb, ls, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	fn := &Function{
		Account: "1", Name: "f", Version: "1", ARN: "arn:aws:lambda:us-east-1:1:function:f",
		Revision: "r1", Runtime: "provided.al2023", Handler: "bootstrap", Code: digest,
		MemoryMB: 128, TimeoutSec: 5, EphemeralMB: 512, Reserved: -1,
	}
	return s, fn
}

// waitFor polls cond until it holds or 20 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type answer struct {
	Type string `json:"type"`
	PID  int    `json:"pid"`
}

// invoke runs one invocation with LogType Tail.
func invoke(t *testing.T, s *Scheduler, fn *Function, payload string) (answer, *Result) {
	t.Helper()
	res, err := s.Invoke(t.Context(), fn, &Request{RequestID: randomHex(8), Payload: []byte(payload), Tail: true})
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var a answer
	if !res.FunctionError {
		if err := json.Unmarshal(res.Payload, &a); err != nil {
			t.Fatalf("answer %q: %v", res.Payload, err)
		}
	}
	return a, res
}

func TestProvisionedEnvironments(t *testing.T) {
	s, fn := runningScheduler(t)
	allocated := func(n int) func() bool {
		return func() bool { return s.Provisioned("1", "f", "1").Allocated == n }
	}

	s.Provision(fn, 2)
	waitFor(t, "2 provisioned environments", allocated(2))
	if got := s.Provisioned("1", "f", "1"); got != (Provisioning{Target: 2, Allocated: 2}) {
		t.Errorf("Provisioned = %+v", got)
	}
	claimed := func() (fnProv, accountProv int) {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.byFn[fnKey{"1", "f"}].provisioned, s.prov.unreserved["1"]
	}
	if f, a := claimed(); f != 2 || a != 2 {
		t.Errorf("claimed concurrency: function %d, account %d; want 2, 2", f, a)
	}

	// Invocations use them, and their REPORT lines have no Init Duration.
	a, res := invoke(t, s, fn, `{}`)
	if a.Type != "provisioned-concurrency" {
		t.Errorf("first invocation ran on %q environment", a.Type)
	}
	if tail := string(res.LogTail); !strings.Contains(tail, "REPORT RequestId:") || strings.Contains(tail, "Init Duration") {
		t.Errorf("tail of a provisioned invocation:\n%s", tail)
	}

	// With both busy, a third invocation runs on demand, with Init Duration.
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if _, err := s.Invoke(context.Background(), fn, &Request{RequestID: randomHex(8), Payload: []byte(`"sleep"`)}); err != nil {
				t.Errorf("sleep: %v", err)
			}
		})
	}
	p := s.pools[poolKey{"1", "f", "1"}]
	waitFor(t, "both provisioned environments busy", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return len(p.provIdle) == 0
	})
	a, res = invoke(t, s, fn, `{}`)
	if a.Type != "on-demand" || !strings.Contains(string(res.LogTail), "Init Duration") {
		t.Errorf("spill-over invocation: type %q, tail:\n%s", a.Type, res.LogTail)
	}
	wg.Wait()

	// A provisioned environment that crashes is replaced.
	_, res = invoke(t, s, fn, `"crash"`)
	if !res.FunctionError || res.ErrorType != "Runtime.ExitError" {
		t.Fatalf("crash: %+v", res)
	}
	waitFor(t, "the crashed environment's replacement", allocated(2))
	pids := map[int]bool{}
	for range 4 {
		a, _ := invoke(t, s, fn, `{}`)
		if a.Type != "provisioned-concurrency" {
			t.Errorf("after the crash an invocation ran on %q environment", a.Type)
		}
		pids[a.PID] = true
	}
	if len(pids) > 2 {
		t.Errorf("4 sequential invocations used %d environments", len(pids))
	}

	// Releasing them stops them; invocations then run on demand.
	s.Provision(fn, 0)
	waitFor(t, "the provisioned environments to stop", allocated(0))
	if f, a := claimed(); f != 0 || a != 0 {
		t.Errorf("claimed concurrency after release: function %d, account %d", f, a)
	}
	if a, _ := invoke(t, s, fn, `{}`); a.Type != "on-demand" {
		t.Errorf("after release an invocation ran on %q environment", a.Type)
	}
}

func TestProvisionedInitFailure(t *testing.T) {
	s, fn := runningScheduler(t)
	fn.Environment = map[string]string{"FAIL_INIT": "1"}
	s.Provision(fn, 1)
	waitFor(t, "the init failure", func() bool { return s.Provisioned("1", "f", "1").Failure != "" })
	if got := s.Provisioned("1", "f", "1"); got.Allocated != 0 || got.Failure != "Runtime.ExitError" {
		t.Errorf("Provisioned = %+v", got)
	}
}

func TestProvisionedConcurrencyAccounting(t *testing.T) {
	t.Run("a reservation's on-demand share is what provisioning leaves", func(t *testing.T) {
		s := newTestScheduler(t, 100, 3)
		fn := &Function{Account: "1", Name: "r", Version: "1", Revision: "r", Reserved: 3}
		s.byFn[fnKey{"1", "r"}] = &fnState{provisioned: 2} // as Provision(fn, 2) leaves it
		if _, _, err := s.acquire(fn); err != nil {
			t.Fatal(err)
		}
		_, _, err := s.acquire(fn)
		wantThrottle(t, err, "ReservedFunctionConcurrentInvocationLimitExceeded")
	})
	t.Run("provisioning without a reservation takes from the unreserved pool", func(t *testing.T) {
		s := newTestScheduler(t, 5, 0)
		s.prov.unreserved = map[string]int{"1": 4} // as Provision leaves it
		fn := &Function{Account: "1", Name: "u", Version: "$LATEST", Revision: "r", Reserved: -1}
		if _, _, err := s.acquire(fn); err != nil {
			t.Fatal(err)
		}
		_, _, err := s.acquire(fn)
		wantThrottle(t, err, "ConcurrentInvocationLimitExceeded")
	})
}
