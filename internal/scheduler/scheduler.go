package scheduler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/lambdad/lambdad/internal/awserr"
	"github.com/lambdad/lambdad/internal/codezip"
	"github.com/lambdad/lambdad/internal/logs"
	"github.com/lambdad/lambdad/internal/runtimes"
	"github.com/lambdad/lambdad/internal/sandbox"
	"github.com/lambdad/lambdad/internal/store"
)

// Config configures a Scheduler.
type Config struct {
	Region string
	// ConcurrencyLimit is the account's concurrent executions.
	ConcurrencyLimit int
	// ReservedTotal returns the sum of the account's reserved concurrency.
	ReservedTotal func(account string) int
	// IdleTimeout is how long an unused environment stays warm.
	IdleTimeout time.Duration
	// InitTimeout bounds an environment's Init phase (AWS: 10 s).
	InitTimeout time.Duration
	// CodeDir is where code zips are extracted, once per digest.
	CodeDir string
	// Code returns a code zip by digest.
	Code func(ctx context.Context, d store.Digest) ([]byte, error)
	// ShutdownGrace is how long a runtime gets between SIGTERM and SIGKILL.
	ShutdownGrace time.Duration
	// Runtimes starts managed runtimes (nil: provided.* only).
	Runtimes *runtimes.Set
}

// Scheduler owns every execution environment of a daemon.
type Scheduler struct {
	cfg     Config
	log     *slog.Logger
	sandbox *sandbox.Manager
	logs    *logs.Store

	mu       sync.Mutex
	pools    map[poolKey]*pool
	byFn     map[fnKey]*fnState // concurrency per function
	inFlight map[string]int     // unreserved busy environments per account
	closed   bool

	// prov is the provisioned concurrency state (provisioned.go).
	prov provisioning

	codeMu sync.Mutex
	codes  map[store.Digest]*codeDir
	// opt caches the merged /opt directories of layer lists (layers.go).
	opt optDirs

	wg sync.WaitGroup // environment goroutines
}

type fnKey struct{ account, name string }

type poolKey struct {
	account, name, version string
}

// fnState counts the busy environments of one function, across versions.
type fnState struct {
	busy int
	// provisioned is the sum of the function's provisioned targets.
	provisioned int
}

// New returns a scheduler that starts environments with sb and writes their
// logs to ls.
func New(cfg Config, sb *sandbox.Manager, ls *logs.Store, log *slog.Logger) (*Scheduler, error) {
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 10 * time.Minute
	}
	if cfg.InitTimeout <= 0 {
		cfg.InitTimeout = 10 * time.Second
	}
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = 2 * time.Second
	}
	if cfg.ReservedTotal == nil {
		cfg.ReservedTotal = func(string) int { return 0 }
	}
	if err := os.MkdirAll(cfg.CodeDir, 0o755); err != nil {
		return nil, fmt.Errorf("create code dir: %w", err)
	}
	return &Scheduler{
		cfg:      cfg,
		log:      log,
		sandbox:  sb,
		logs:     ls,
		pools:    make(map[poolKey]*pool),
		byFn:     make(map[fnKey]*fnState),
		inFlight: make(map[string]int),
		codes:    make(map[store.Digest]*codeDir),
	}, nil
}

// Run reaps idle environments until ctx ends, then stops every environment
// and waits for them. Invocations still running are ended.
func (s *Scheduler) Run(ctx context.Context) error {
	tick := s.cfg.IdleTimeout / 4
	tick = min(max(tick, 50*time.Millisecond), 5*time.Second)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			s.shutdown()
			return nil
		case now := <-t.C:
			s.reap(now)
		}
	}
}

// shutdown stops every environment and waits until their processes are gone.
func (s *Scheduler) shutdown() {
	s.mu.Lock()
	s.closed = true
	pools := make([]*pool, 0, len(s.pools))
	for _, p := range s.pools {
		pools = append(pools, p)
	}
	s.mu.Unlock()
	s.stopProvisioning()
	var wg sync.WaitGroup
	for _, p := range pools {
		for _, e := range p.retire() {
			wg.Add(1)
			go func() {
				defer wg.Done()
				e.stop(s.cfg.ShutdownGrace)
			}()
		}
	}
	wg.Wait()
	s.wg.Wait()
}

// reap stops environments idle for longer than IdleTimeout.
func (s *Scheduler) reap(now time.Time) {
	s.mu.Lock()
	pools := make([]*pool, 0, len(s.pools))
	for _, p := range s.pools {
		pools = append(pools, p)
	}
	s.mu.Unlock()
	for _, p := range pools {
		for _, e := range p.expired(now.Add(-s.cfg.IdleTimeout)) {
			s.log.Debug("reaping idle environment", "function", p.fn.Name, "env", e.id)
			go e.stop(s.cfg.ShutdownGrace)
		}
	}
}

// Retire stops the environments of a function (all versions): idle ones now,
// busy ones when their invocation ends. Used when a function is deleted.
func (s *Scheduler) Retire(account, name string) {
	s.retire(func(k poolKey) bool { return k.account == account && k.name == name })
}

// RetireVersion is Retire for one version of a function: $LATEST when it
// changed, a published version when it was deleted.
func (s *Scheduler) RetireVersion(account, name, version string) {
	s.retire(func(k poolKey) bool { return k == poolKey{account, name, version} })
}

func (s *Scheduler) retire(match func(poolKey) bool) {
	s.mu.Lock()
	var retired []*pool
	for k, p := range s.pools {
		if match(k) {
			retired = append(retired, p)
			delete(s.pools, k)
		}
	}
	s.mu.Unlock()
	for _, p := range retired {
		for _, e := range p.retire() {
			go e.stop(s.cfg.ShutdownGrace)
		}
	}
}

// Invoke runs req on an environment of fn and returns the function's result.
// It returns an *awserr.Error when the invocation did not reach the function
// (throttled, daemon closing). ctx bounds only the wait for a caller that
// went away; a started invocation runs to its own deadline, as on AWS.
func (s *Scheduler) Invoke(ctx context.Context, fn *Function, req *Request) (*Result, error) {
	if res, ok := s.invokeProvisioned(fn, req); ok {
		return res, nil
	}
	p, unreserved, err := s.acquire(fn)
	if err != nil {
		return nil, err
	}
	defer s.release(fn, unreserved)

	// A warm environment whose runtime exited after its last answer (a Go
	// runtime that panicked, one that got a 413) never takes the event;
	// then the invocation runs on another environment.
	for attempt := 1; ; attempt++ {
		e := p.take()
		fresh := e == nil
		if fresh {
			var failed *Result
			e, failed, err = s.startEnvironment(ctx, p, req)
			if err != nil {
				return nil, err
			}
			if failed != nil {
				return failed, nil
			}
		}
		res, outcome := e.invoke(req, fresh, attempt < maxAttempts)
		switch outcome {
		case healthy:
			p.put(e)
		case undelivered:
			go e.stop(0)
			continue
		default:
			go e.stop(0)
		}
		return res, nil
	}
}

// maxAttempts bounds how often one invocation is offered to environments
// that died before taking it.
const maxAttempts = 3

// acquire reserves concurrency for one invocation of fn and returns the
// pool of its version, or a throttle error. unreserved reports that the
// invocation counts against the account's unreserved concurrency (fn had no
// reservation); release must be told the same, even if fn's reservation has
// changed meanwhile.
func (s *Scheduler) acquire(fn *Function) (p *pool, unreserved bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, false, awserr.New(awserr.Service, "lambdad is shutting down")
	}
	fk := fnKey{fn.Account, fn.Name}
	st := s.byFn[fk]
	if st == nil {
		st = &fnState{}
		s.byFn[fk] = st
	}
	provReserved, provUnreserved := s.onDemandLimits(fn, st)
	if fn.Reserved >= 0 {
		if st.busy >= fn.Reserved-provReserved {
			return nil, false, throttle("ReservedFunctionConcurrentInvocationLimitExceeded")
		}
	} else {
		limit := s.cfg.ConcurrencyLimit - s.cfg.ReservedTotal(fn.Account) - provUnreserved
		if s.inFlight[fn.Account] >= limit {
			return nil, false, throttle("ConcurrentInvocationLimitExceeded")
		}
		s.inFlight[fn.Account]++
		unreserved = true
	}
	st.busy++

	pk := poolKey{fn.Account, fn.Name, fn.Version}
	p = s.pools[pk]
	if p == nil || p.fn.Revision != fn.Revision {
		if p != nil {
			// The function changed: the old environments finish what they
			// run and are not reused.
			for _, e := range p.retire() {
				go e.stop(s.cfg.ShutdownGrace)
			}
		}
		p = newPool(*fn)
		s.pools[pk] = p
		if t := s.prov.targets[pk]; t.n > 0 {
			// A provisioned version's pool that was retired.
			s.setTargetLocked(p, t.n)
		}
	}
	return p, unreserved, nil
}

func (s *Scheduler) release(fn *Function, unreserved bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.byFn[fnKey{fn.Account, fn.Name}]; st != nil {
		st.busy--
	}
	if unreserved {
		s.inFlight[fn.Account]--
	}
}

func throttle(reason string) error {
	return &awserr.Error{Code: awserr.TooManyRequests, Message: "Rate Exceeded.", Reason: reason}
}

// Prepare extracts the code with digest d, if it is not extracted yet, so
// that environments of it start without that cost.
func (s *Scheduler) Prepare(ctx context.Context, d store.Digest) error {
	_, err := s.extract(ctx, d)
	return err
}

// codeDir is the extracted code of one digest, shared by every environment
// that runs it.
type codeDir struct {
	once sync.Once
	path string
	err  error
}

// extract returns the directory holding the code of d, extracting it on
// first use.
func (s *Scheduler) extract(ctx context.Context, d store.Digest) (string, error) {
	s.codeMu.Lock()
	c := s.codes[d]
	if c == nil {
		c = &codeDir{}
		s.codes[d] = c
	}
	s.codeMu.Unlock()
	c.once.Do(func() {
		dir := filepath.Join(s.cfg.CodeDir, d.Hex())
		if _, err := os.Stat(dir); err == nil {
			c.path = dir
			return
		}
		zip, err := s.cfg.Code(ctx, d)
		if err != nil {
			c.err = fmt.Errorf("read code %s: %w", d.Hex(), err)
			return
		}
		err = codezip.Extract(ctx, bytes.NewReader(zip), int64(len(zip)), dir, codezip.MaxUnzippedSize)
		if err != nil && !errors.Is(err, fs.ErrExist) {
			c.err = fmt.Errorf("extract code %s: %w", d.Hex(), err)
			return
		}
		c.path = dir
	})
	if c.err != nil {
		// Let a later invocation try again.
		s.codeMu.Lock()
		if s.codes[d] == c {
			delete(s.codes, d)
		}
		s.codeMu.Unlock()
	}
	return c.path, c.err
}
