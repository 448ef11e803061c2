package scheduler

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/lambdad/lambdad/internal/awserr"
)

func newTestScheduler(t *testing.T, limit, reservedTotal int) *Scheduler {
	t.Helper()
	s, err := New(Config{
		ConcurrencyLimit: limit,
		ReservedTotal:    func(string) int { return reservedTotal },
		CodeDir:          t.TempDir(),
	}, nil, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func wantThrottle(t *testing.T, err error, reason string) {
	t.Helper()
	e, ok := awserr.As(err)
	if !ok || e.Code != awserr.TooManyRequests || e.Reason != reason || e.Message != "Rate Exceeded." {
		t.Fatalf("got %v, want TooManyRequestsException %s", err, reason)
	}
}

func TestConcurrencyAccounting(t *testing.T) {
	t.Run("unreserved functions share what reservations leave", func(t *testing.T) {
		s := newTestScheduler(t, 5, 3) // 2 unreserved
		a := &Function{Account: "1", Name: "a", Version: "$LATEST", Revision: "r", Reserved: -1}
		b := &Function{Account: "1", Name: "b", Version: "$LATEST", Revision: "r", Reserved: -1}
		if _, _, err := s.acquire(a); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.acquire(b); err != nil {
			t.Fatal(err)
		}
		_, _, err := s.acquire(a)
		wantThrottle(t, err, "ConcurrentInvocationLimitExceeded")
		s.release(b, true)
		if _, _, err := s.acquire(a); err != nil {
			t.Fatalf("after a release: %v", err)
		}
	})
	t.Run("a reservation is the function's own limit", func(t *testing.T) {
		s := newTestScheduler(t, 100, 2)
		r := &Function{Account: "1", Name: "r", Version: "$LATEST", Revision: "r", Reserved: 2}
		for range 2 {
			if _, unreserved, err := s.acquire(r); err != nil || unreserved {
				t.Fatalf("acquire: unreserved=%v err=%v", unreserved, err)
			}
		}
		_, _, err := s.acquire(r)
		wantThrottle(t, err, "ReservedFunctionConcurrentInvocationLimitExceeded")
		zero := &Function{Account: "1", Name: "z", Version: "$LATEST", Revision: "r", Reserved: 0}
		_, _, err = s.acquire(zero)
		wantThrottle(t, err, "ReservedFunctionConcurrentInvocationLimitExceeded")
	})
	t.Run("release undoes what acquire took after the reservation changed", func(t *testing.T) {
		s := newTestScheduler(t, 100, 0)
		before := &Function{Account: "1", Name: "f", Version: "$LATEST", Revision: "r", Reserved: -1}
		_, unreserved, err := s.acquire(before)
		if err != nil || !unreserved {
			t.Fatalf("acquire: unreserved=%v err=%v", unreserved, err)
		}
		after := *before
		after.Reserved = 10 // PutFunctionConcurrency while the invocation ran
		s.release(&after, unreserved)
		if n := s.inFlight["1"]; n != 0 {
			t.Errorf("unreserved in flight = %d after release, want 0", n)
		}
		if n := s.byFn[fnKey{"1", "f"}].busy; n != 0 {
			t.Errorf("busy = %d after release, want 0", n)
		}
	})
	t.Run("a new revision gets a new pool", func(t *testing.T) {
		s := newTestScheduler(t, 100, 0)
		v1 := &Function{Account: "1", Name: "f", Version: "$LATEST", Revision: "r1", Reserved: -1}
		p1, u, _ := s.acquire(v1)
		s.release(v1, u)
		v2 := *v1
		v2.Revision = "r2"
		p2, u, _ := s.acquire(&v2)
		s.release(&v2, u)
		if p1 == p2 || !p1.retired || p2.retired {
			t.Errorf("pools: same=%v old retired=%v new retired=%v", p1 == p2, p1.retired, p2.retired)
		}
	})
}

func TestInvokeStreamThrottled(t *testing.T) {
	s := newTestScheduler(t, 100, 0)
	fn := &Function{Account: "1", Name: "f", Version: "$LATEST", Revision: "r", Reserved: 0}
	var w strings.Builder
	_, err := s.InvokeStream(t.Context(), fn, &Request{RequestID: "id"}, &w)
	wantThrottle(t, err, "ReservedFunctionConcurrentInvocationLimitExceeded")
	if w.Len() != 0 {
		t.Errorf("wrote %q", w.String())
	}
}
