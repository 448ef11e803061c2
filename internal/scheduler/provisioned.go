package scheduler

import (
	"context"
	"slices"
	"sync/atomic"
	"time"
)

// Provisioned concurrency.
//
// Provision sets how many environments of a function version the scheduler
// keeps initialised ("provisioned"), whatever the traffic. A pool with a
// target runs a filler goroutine while it has fewer provisioned
// environments than its target: it starts the missing ones (Init runs at
// once, with AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency and
// the longer Init limit of provisioned concurrency), and backs off after an
// Init failure. Provisioned environments are never reaped; one that dies
// (crash, timeout, exit while idle) is replaced. Invocations take an idle
// provisioned environment first and only then an on-demand one; their
// REPORT lines carry no Init Duration, as on AWS.
//
// Accounting: a target is claimed concurrency, whether its environments are
// initialised or not. A function with a reservation runs at most Reserved
// minus its provisioned targets on demand; the targets of functions without
// one are taken from the account's unreserved concurrency. Invocations on
// provisioned environments count against neither.
//
// A provisioned environment's state (pool.mu): starting (counted in
// pool.starting) → live, idle in pool.provIdle or busy → gone (counted out
// by provisionedGone). leaving marks a live environment being stopped
// because the target shrank.

// provisioning is the scheduler's provisioned concurrency state, guarded by
// Scheduler.mu unless noted.
type provisioning struct {
	// targets are the provisioned targets by version.
	targets map[poolKey]provTarget
	// unreserved is each account's provisioned targets of functions without
	// a reservation.
	unreserved map[string]int
	// active is len(targets), read without the lock on the invoke path.
	active atomic.Int32
	// ctx bounds the Init of provisioned environments; cancel ends it at
	// shutdown, done wakes fillers that back off.
	ctx    context.Context
	cancel context.CancelFunc
}

// provTarget is one version's target as Provision last set it.
type provTarget struct {
	n          int
	unreserved bool // the function had no reservation
}

// Provisioning is the state of one version's provisioned environments.
type Provisioning struct {
	// Target is the number of environments Provision asked for.
	Target int
	// Allocated is the number of them initialised and alive (it can exceed
	// Target for a moment while a smaller target takes effect).
	Allocated int
	// Failure is why the last provisioned environment failed its Init
	// ("" when the last one succeeded): a function error type such as
	// Runtime.ExitError, or the platform's error.
	Failure string
}

// provisionedInitMin is the least time a provisioned environment gets for
// its Init phase: AWS allows provisioned concurrency 130 s or the function's
// timeout, whichever is higher, where on-demand Init gets 10 s.
const provisionedInitMin = 130 * time.Second

// Backoff of a filler after an Init failure.
const (
	provisionBackoffMin = time.Second
	provisionBackoffMax = time.Minute
)

// Provision keeps n environments of fn initialised from now on; n = 0
// releases them. It does not block: environments start in the background,
// and Provisioned reports how many are ready. Calling it again with the same
// fn and n changes nothing (a pool retired meanwhile is recreated). A
// scheduler that is shutting down ignores it.
func (s *Scheduler) Provision(fn *Function, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	pv := &s.prov
	if pv.targets == nil {
		pv.targets = make(map[poolKey]provTarget)
		pv.unreserved = make(map[string]int)
		pv.ctx, pv.cancel = context.WithCancel(context.Background())
	}
	pk := poolKey{fn.Account, fn.Name, fn.Version}
	old := pv.targets[pk]
	next := provTarget{n: n, unreserved: fn.Reserved < 0}
	st := s.byFn[fnKey{fn.Account, fn.Name}]
	if st == nil {
		st = &fnState{}
		s.byFn[fnKey{fn.Account, fn.Name}] = st
	}
	st.provisioned += next.n - old.n
	if old.unreserved {
		pv.unreserved[fn.Account] -= old.n
	}
	if next.unreserved {
		pv.unreserved[fn.Account] += next.n
	}
	if pv.unreserved[fn.Account] == 0 {
		delete(pv.unreserved, fn.Account)
	}
	if n == 0 {
		delete(pv.targets, pk)
	} else {
		pv.targets[pk] = next
	}
	pv.active.Store(int32(len(pv.targets)))

	p := s.pools[pk]
	if n > 0 && (p == nil || p.fn.Revision != fn.Revision) {
		if p != nil {
			for _, e := range p.retire() {
				go e.stop(s.cfg.ShutdownGrace)
			}
		}
		p = newPool(*fn)
		s.pools[pk] = p
	}
	if p != nil {
		s.setTargetLocked(p, n)
	}
}

// setTargetLocked gives pool p a target of n, stopping idle provisioned
// environments beyond it and starting the filler when some are missing.
// The caller holds s.mu.
func (s *Scheduler) setTargetLocked(p *pool, n int) {
	p.provTarget = n
	p.mu.Lock()
	defer p.mu.Unlock()
	p.target = n
	for p.live-p.leaving > n && len(p.provIdle) > 0 {
		e := p.provIdle[len(p.provIdle)-1]
		p.provIdle[len(p.provIdle)-1] = nil
		p.provIdle = p.provIdle[:len(p.provIdle)-1]
		e.leaving = true
		p.leaving++
		go e.stop(s.cfg.ShutdownGrace)
	}
	s.fillLocked(p)
}

// fillLocked starts p's filler if p lacks provisioned environments and none
// runs. The caller holds s.mu and p.mu; s.closed is false or the filler is
// not started (so that shutdown's wait does not race with wg.Add).
func (s *Scheduler) fillLocked(p *pool) {
	if s.closed || p.retired || p.filling || p.target-(p.live-p.leaving)-p.starting <= 0 {
		return
	}
	p.filling = true
	s.wg.Add(1)
	go s.fill(p)
}

// fill starts p's missing provisioned environments, in parallel, until p has
// its target, is retired, or the scheduler shuts down.
func (s *Scheduler) fill(p *pool) {
	defer s.wg.Done()
	backoff := provisionBackoffMin
	for {
		p.mu.Lock()
		need := p.target - (p.live - p.leaving) - p.starting
		if p.retired || need <= 0 || s.prov.ctx.Err() != nil {
			p.filling = false
			p.mu.Unlock()
			return
		}
		p.starting += need
		p.mu.Unlock()

		results := make(chan bool, need)
		for range need {
			go func() { results <- s.startProvisioned(p) }()
		}
		ok := true
		for range need {
			ok = <-results && ok
		}
		if ok {
			backoff = provisionBackoffMin
			continue
		}
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-s.prov.ctx.Done():
			t.Stop()
		}
		backoff = min(2*backoff, provisionBackoffMax)
	}
}

// startProvisioned starts one provisioned environment of p and adds it to
// p's idle provisioned environments, unless p no longer needs it. It
// reports false when the environment could not be started or initialised.
func (s *Scheduler) startProvisioned(p *pool) bool {
	e, failed, err := s.startEnvironment(s.prov.ctx, p, &Request{provisioned: true})
	p.mu.Lock()
	defer p.mu.Unlock()
	p.starting--
	if err != nil || failed != nil {
		reason := "Sandbox.Error"
		if failed != nil && failed.ErrorType != "" {
			reason = failed.ErrorType
		}
		if s.prov.ctx.Err() == nil {
			p.failure = reason
			s.log.Warn("provisioned environment failed to initialise", "function", p.fn.Name, "version", p.fn.Version, "error_type", reason, "err", err)
		}
		return false
	}
	// From here on provisionedGone accounts for e's end.
	e.prov.Store(p)
	select {
	case <-e.gone:
		p.failure = "Runtime.ExitError"
		return false
	default:
	}
	if p.retired || p.live-p.leaving >= p.target {
		go e.stop(s.cfg.ShutdownGrace)
		return true
	}
	e.counted = true
	p.live++
	p.failure = ""
	p.provIdle = append(p.provIdle, e)
	return true
}

// provisionedGone accounts for the end of provisioned environment e and
// starts its replacement if its pool still needs one. It runs on e's
// supervising goroutine once e's process is gone.
func (p *pool) provisionedGone(e *environment) {
	s := e.s
	s.mu.Lock()
	defer s.mu.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	if !e.counted {
		return
	}
	e.counted = false
	p.live--
	if e.leaving {
		p.leaving--
	}
	for i, idle := range p.provIdle {
		if idle == e {
			p.provIdle = slices.Delete(p.provIdle, i, i+1)
			break
		}
	}
	s.fillLocked(p)
}

// takeProvisioned pops the warmest idle provisioned environment of p, or
// returns nil.
func (p *pool) takeProvisioned() *environment {
	p.mu.Lock()
	defer p.mu.Unlock()
	return popWarmest(&p.provIdle)
}

// putProvisioned returns a healthy provisioned environment after an
// invocation; it is stopped instead when its pool is retired or has more
// than its target.
func (p *pool) putProvisioned(e *environment) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.retired || p.live-p.leaving > p.target {
		e.leaving = true
		p.leaving++
		go e.stop(e.s.cfg.ShutdownGrace)
		return
	}
	p.provIdle = append(p.provIdle, e)
}

// invokeProvisioned runs req on an idle provisioned environment of fn. It
// reports false, having run nothing, when fn has none idle (then the
// invocation runs on demand). An environment that died before taking the
// event is dropped (and replaced) and the next one is tried.
func (s *Scheduler) invokeProvisioned(fn *Function, req *Request) (*Result, bool) {
	if s.prov.active.Load() == 0 {
		return nil, false
	}
	for range maxAttempts {
		p, e := s.takeProvisionedFor(fn)
		if e == nil {
			return nil, false
		}
		res, out := e.invoke(req, false, true)
		switch out {
		case healthy:
			p.putProvisioned(e)
			return res, true
		case broken:
			go e.stop(0)
			return res, true
		}
		go e.stop(0)
	}
	return nil, false
}

// takeProvisionedFor takes an idle provisioned environment of fn's version
// at fn's revision.
func (s *Scheduler) takeProvisionedFor(fn *Function) (*pool, *environment) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, nil
	}
	p := s.pools[poolKey{fn.Account, fn.Name, fn.Version}]
	if p == nil || p.provTarget == 0 || p.fn.Revision != fn.Revision {
		return nil, nil
	}
	return p, p.takeProvisioned()
}

// Provisioned reports the provisioned environments of one function version.
func (s *Scheduler) Provisioned(account, name, version string) Provisioning {
	s.mu.Lock()
	defer s.mu.Unlock()
	pk := poolKey{account, name, version}
	out := Provisioning{Target: s.prov.targets[pk].n}
	if p := s.pools[pk]; p != nil {
		p.mu.Lock()
		out.Allocated = p.live - p.leaving
		out.Failure = p.failure
		p.mu.Unlock()
	}
	return out
}

// onDemandLimits returns what provisioned targets take from fn's on-demand
// concurrency: of its reservation (reserved) or of the account's unreserved
// concurrency (unreserved). The caller holds s.mu.
func (s *Scheduler) onDemandLimits(fn *Function, st *fnState) (reserved, unreserved int) {
	if fn.Reserved >= 0 {
		return st.provisioned, 0
	}
	if len(s.prov.unreserved) == 0 {
		return 0, 0
	}
	return 0, s.prov.unreserved[fn.Account]
}

// initContext bounds the Init phase of an environment started for req.
func (s *Scheduler) initContext(fn *Function, req *Request) (context.Context, context.CancelFunc) {
	if !req.provisioned {
		return context.WithTimeout(context.Background(), s.cfg.InitTimeout)
	}
	return context.WithTimeout(s.prov.ctx, max(provisionedInitMin, time.Duration(fn.TimeoutSec)*time.Second))
}

// initializationType is AWS_LAMBDA_INITIALIZATION_TYPE for req's environment.
func initializationType(req *Request) string {
	if req.provisioned {
		return "provisioned-concurrency"
	}
	return "on-demand"
}

// stopProvisioning ends the Init of provisioned environments and wakes
// fillers that back off. The caller has set s.closed.
func (s *Scheduler) stopProvisioning() {
	s.mu.Lock()
	cancel := s.prov.cancel
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}
