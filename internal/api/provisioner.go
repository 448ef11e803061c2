package api

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/lambdad/lambdad/internal/registry"
	"github.com/lambdad/lambdad/internal/scheduler"
)

// Provisioner keeps the scheduler's provisioned environments in step with
// the registry's provisioned concurrency configs: after every change of a
// function with configs (made on this node or another) it asks the
// scheduler for each published version's target (registry
// Function.ProvisionedTargets), and releases the versions no config names
// any more (config deleted, alias moved to another version, version or
// function deleted). It re-applies every target each provisionResync, so
// that a pool the scheduler retired meanwhile comes back.
type Provisioner struct {
	reg   *registry.Registry
	sched *scheduler.Scheduler
	log   *slog.Logger

	// mu guards pending, the functions changed since the last pass.
	mu      sync.Mutex
	pending map[provKey]struct{}
	wake    chan struct{} // buffered 1: a pass is due

	// applied is what was asked of the scheduler, per function and
	// version. Only Run uses it.
	applied map[provKey]map[string]provApplied
}

type provKey struct{ account, name string }

type provApplied struct {
	fn *scheduler.Function
	n  int
}

// provisionResync is how often every target is applied again.
const provisionResync = 5 * time.Second

// NewProvisioner returns a provisioner of reg's configs on sched; Run runs
// it.
func NewProvisioner(reg *registry.Registry, sched *scheduler.Scheduler, log *slog.Logger) *Provisioner {
	return &Provisioner{
		reg:     reg,
		sched:   sched,
		log:     log,
		pending: make(map[provKey]struct{}),
		wake:    make(chan struct{}, 1),
		applied: make(map[provKey]map[string]provApplied),
	}
}

// Run applies the stored configs, then every change, until ctx ends. It
// leaves the environments running: the scheduler stops them when it shuts
// down. It returns nil.
func (p *Provisioner) Run(ctx context.Context) error {
	unregister := p.reg.OnChange(func(c registry.Change) {
		if (c.Old != nil && len(c.Old.Provisioned) > 0) || (c.New != nil && len(c.New.Provisioned) > 0) {
			p.enqueue(provKey{c.Account, c.Name})
		}
	})
	defer unregister()
	for _, fn := range p.reg.ProvisionedFunctions() {
		p.enqueue(provKey{fn.Account, fn.Name})
	}
	t := time.NewTicker(provisionResync)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-p.wake:
		case <-t.C:
			for k := range p.applied {
				p.enqueue(k)
			}
		}
		p.mu.Lock()
		keys := p.pending
		p.pending = make(map[provKey]struct{})
		p.mu.Unlock()
		for k := range keys {
			p.reconcile(k)
		}
	}
}

// enqueue schedules a pass over function k. It does not block.
func (p *Provisioner) enqueue(k provKey) {
	p.mu.Lock()
	p.pending[k] = struct{}{}
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// reconcile asks the scheduler for function k's current targets and
// releases those it no longer has.
func (p *Provisioner) reconcile(k provKey) {
	fn := p.reg.Function(k.account, k.name)
	next := make(map[string]provApplied)
	if fn != nil {
		for ver, n := range fn.ProvisionedTargets() {
			v := fn.Versions[ver]
			if v == nil {
				continue
			}
			sf := schedulerFunction(v)
			p.sched.Provision(sf, n)
			next[ver] = provApplied{fn: sf, n: n}
		}
	}
	for ver, a := range p.applied[k] {
		if _, ok := next[ver]; !ok {
			p.log.Debug("releasing provisioned environments", "function", k.name, "version", ver)
			p.sched.Provision(a.fn, 0)
		}
	}
	if len(next) == 0 {
		delete(p.applied, k)
	} else {
		p.applied[k] = next
	}
}
