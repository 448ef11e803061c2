package scheduler

import (
	"sync"
	"time"
)

// pool holds the environments of one function version at one revision.
type pool struct {
	fn Function

	mu      sync.Mutex
	idle    []*environment // most recently used last
	retired bool

	// Provisioned environments (provisioned.go): the target, the idle
	// ones (most recently used last), and the counts of those starting,
	// live (initialised, not gone) and leaving (being stopped).
	target                  int
	provIdle                []*environment
	starting, live, leaving int
	filling                 bool   // a filler goroutine runs
	failure                 string // why the last provisioned Init failed

	// provTarget is target, guarded by the scheduler's mutex for the
	// invoke path.
	provTarget int
}

func newPool(fn Function) *pool { return &pool{fn: fn} }

// take pops the warmest idle environment, or returns nil.
func (p *pool) take() *environment {
	p.mu.Lock()
	defer p.mu.Unlock()
	return popWarmest(&p.idle)
}

// popWarmest removes and returns the last (most recently used) environment
// of *idle, or nil when it is empty. The caller holds the pool's lock.
func popWarmest(idle *[]*environment) *environment {
	n := len(*idle)
	if n == 0 {
		return nil
	}
	e := (*idle)[n-1]
	(*idle)[n-1] = nil
	*idle = (*idle)[:n-1]
	return e
}

// put returns a healthy environment after an invocation. An environment of
// a retired pool is stopped instead.
func (p *pool) put(e *environment) {
	p.mu.Lock()
	if p.retired {
		p.mu.Unlock()
		go e.stop(e.s.cfg.ShutdownGrace)
		return
	}
	e.lastUsed = time.Now()
	p.idle = append(p.idle, e)
	p.mu.Unlock()
}

// retire marks the pool as replaced and returns its idle environments for
// the caller to stop; busy ones are stopped when they come back.
func (p *pool) retire() []*environment {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.retired = true
	idle := append(p.idle, p.provIdle...)
	p.idle, p.provIdle = nil, nil
	return idle
}

// expired removes and returns the idle environments last used before cutoff.
func (p *pool) expired(cutoff time.Time) []*environment {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []*environment
	kept := p.idle[:0]
	for _, e := range p.idle {
		if e.lastUsed.Before(cutoff) {
			out = append(out, e)
		} else {
			kept = append(kept, e)
		}
	}
	for i := len(kept); i < len(p.idle); i++ {
		p.idle[i] = nil
	}
	p.idle = kept
	return out
}

// idleCount is the number of warm environments, for tests and metrics.
func (p *pool) idleCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle)
}
