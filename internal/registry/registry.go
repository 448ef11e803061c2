package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/lambdad/lambdad/internal/store"
)

// Store buckets of the registry.
const (
	functionsBucket = "functions"
	codeBucket      = "code"
)

// Store is what the registry needs of package store; *store.Store has it.
type Store interface {
	KeyValue(ctx context.Context, bucket string) (jetstream.KeyValue, error)
	Blobs(ctx context.Context, bucket string) (*store.Blobs, error)
}

var _ Store = (*store.Store)(nil)

// codeStore is the content-addressed store of code zips.
type codeStore interface {
	Put(ctx context.Context, data []byte) (store.Digest, error)
	Get(ctx context.Context, d store.Digest) ([]byte, error)
	Open(ctx context.Context, d store.Digest) (io.ReadCloser, int64, error)
}

var _ codeStore = (*store.Blobs)(nil)

// Config configures a Registry.
type Config struct {
	// Region is the region of every ARN the registry issues and accepts.
	Region string
	// ConcurrencyLimit is each account's concurrent executions limit;
	// 0 means 1000, AWS's default.
	ConcurrencyLimit int
	// MinUnreservedConcurrency is what PutFunctionConcurrency must leave
	// unreserved in an account; 0 means 100, as on AWS.
	MinUnreservedConcurrency int
	// Now is the clock of LastModified; nil means time.Now.
	Now func() time.Time
}

// applyTimeout bounds how long a write waits for the registry's own watcher
// to see it (see waitFor); it is only reached when Run is not running.
const applyTimeout = 10 * time.Second

// Registry is the function control plane: it validates and stores
// functions, and serves their configurations from memory. It is safe for
// concurrent use. Run must be running for writes to complete.
type Registry struct {
	cfg  Config
	log  *slog.Logger
	kv   jetstream.KeyValue
	code codeStore
	// layers is the bucket of layer records (see layers.go).
	layers jetstream.KeyValue

	// idx is the in-memory index, replaced whole on every change. Only the
	// applier writes it: New while loading, then Run.
	idx atomic.Pointer[index]
	// applied is the highest store revision reflected in idx.
	applied atomic.Uint64

	// advancedMu guards advanced, which is closed and replaced whenever idx
	// changes, waking writers in waitFor.
	advancedMu sync.Mutex
	advanced   chan struct{}

	// subsMu guards subs and nextSub (see OnChange).
	subsMu  sync.Mutex
	subs    map[int]func(Change)
	nextSub int

	// reserveMu serialises PutFunctionConcurrency's check of the account
	// limit with its write, so two reservations made through this registry
	// cannot together exceed the limit. (Across cluster nodes the check is
	// not atomic: TODO when cluster mode lands.)
	reserveMu sync.Mutex
}

// Lock order: reserveMu, then advancedMu or subsMu (never both held).

// index is an immutable snapshot of every stored function.
type index struct {
	fns map[fnKey]*Function
	// names are each account's function names, sorted.
	names map[string][]string
	// reserved is each account's total reserved concurrency.
	reserved map[string]int
}

// fnKey identifies a function.
type fnKey struct{ account, name string }

// Change is one change of a stored function, as OnChange reports it.
type Change struct {
	Account string
	Name    string
	// Old is the function before the change; nil when it was created.
	Old *Function
	// New is the function after the change; nil when it was deleted.
	New *Function
}

// New opens the registry's buckets in st and loads every stored function
// into memory before it returns, so Resolve answers at once. The caller must
// call Run for writes to complete and for changes made by other lambdad
// nodes to show up.
func New(ctx context.Context, st Store, cfg Config, log *slog.Logger) (*Registry, error) {
	if cfg.Region == "" {
		return nil, errors.New("registry: no region")
	}
	if cfg.ConcurrencyLimit == 0 {
		cfg.ConcurrencyLimit = 1000
	}
	if cfg.MinUnreservedConcurrency == 0 {
		cfg.MinUnreservedConcurrency = 100
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	kv, err := st.KeyValue(ctx, functionsBucket)
	if err != nil {
		return nil, fmt.Errorf("open functions: %w", err)
	}
	code, err := st.Blobs(ctx, codeBucket)
	if err != nil {
		return nil, fmt.Errorf("open code store: %w", err)
	}
	layers, err := st.KeyValue(ctx, layersBucket)
	if err != nil {
		return nil, fmt.Errorf("open layers: %w", err)
	}
	r := &Registry{
		cfg:      cfg,
		log:      log,
		kv:       kv,
		code:     code,
		layers:   layers,
		advanced: make(chan struct{}),
		subs:     make(map[int]func(Change)),
	}
	r.idx.Store(&index{fns: map[fnKey]*Function{}, names: map[string][]string{}, reserved: map[string]int{}})
	if err := r.load(ctx); err != nil {
		return nil, err
	}
	log.Info("registry loaded", "functions", len(r.idx.Load().fns), "revision", r.applied.Load())
	return r, nil
}

// load reads the current value of every key.
func (r *Registry) load(ctx context.Context) error {
	w, err := r.kv.WatchAll(ctx)
	if err != nil {
		return fmt.Errorf("load functions: %w", err)
	}
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("load functions: %w", ctx.Err())
		case e, ok := <-w.Updates():
			if !ok {
				return errors.New("load functions: watcher closed")
			}
			if e == nil { // all current values delivered
				return nil
			}
			r.apply(e)
		}
	}
}

// Run keeps the in-memory index in step with the store, applying every
// change (made through this registry or any other on the same store) in
// store order, and calls the OnChange callbacks. It returns nil when ctx
// ends, or an error if the store's watcher fails.
func (r *Registry) Run(ctx context.Context) error {
	// The watcher starts with the current value of every key again; apply
	// skips what load has already applied.
	w, err := r.kv.WatchAll(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped before the watch began
		}
		return fmt.Errorf("watch functions: %w", err)
	}
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-w.Updates():
			if !ok {
				if ctx.Err() != nil {
					return nil
				}
				return errors.New("watch functions: watcher closed")
			}
			if e != nil {
				r.apply(e)
			}
		}
	}
}

// apply brings one store entry into the index, unless the index already
// reflects it, and reports the change.
func (r *Registry) apply(e jetstream.KeyValueEntry) {
	rev := e.Revision()
	if rev <= r.applied.Load() {
		return
	}
	account, name, ok := strings.Cut(e.Key(), ".")
	if !ok {
		r.log.Warn("ignoring malformed function key", "key", e.Key())
		r.advance(rev)
		return
	}
	k := fnKey{account: account, name: name}
	var fn *Function
	if e.Operation() == jetstream.KeyValuePut {
		var err error
		fn, err = decodeFunction(e.Value())
		if err != nil {
			// A record this version cannot read must not stop the others.
			r.log.Error("ignoring unreadable function record", "key", e.Key(), "revision", rev, "err", err)
			r.advance(rev)
			return
		}
		fn.Account, fn.Name = account, name
		fn.ARN = r.FunctionARN(account, name)
		fn.Revision = rev
		fn.listed = listedFunction(fn.Latest.configuration(fn.ARN, viewListed))
	}
	old := r.idx.Load()
	prev := old.fns[k]
	if prev == nil && fn == nil {
		r.advance(rev)
		return
	}
	r.idx.Store(old.with(k, fn))
	r.advance(rev)
	r.notify(Change{Account: account, Name: name, Old: prev, New: fn})
}

// with returns a copy of ix in which k is fn (or absent when fn is nil).
func (ix *index) with(k fnKey, fn *Function) *index {
	next := &index{
		fns:      maps.Clone(ix.fns),
		names:    maps.Clone(ix.names),
		reserved: maps.Clone(ix.reserved),
	}
	if prev := ix.fns[k]; prev != nil && prev.ReservedConcurrency != nil {
		next.reserved[k.account] -= *prev.ReservedConcurrency
	}
	names := ix.names[k.account]
	i, found := slices.BinarySearch(names, k.name)
	switch {
	case fn != nil:
		next.fns[k] = fn
		if !found {
			next.names[k.account] = slices.Insert(slices.Clone(names), i, k.name)
		}
		if fn.ReservedConcurrency != nil {
			next.reserved[k.account] += *fn.ReservedConcurrency
		}
	case found:
		delete(next.fns, k)
		if len(names) == 1 {
			delete(next.names, k.account)
		} else {
			next.names[k.account] = slices.Delete(slices.Clone(names), i, i+1)
		}
	}
	if next.reserved[k.account] == 0 {
		delete(next.reserved, k.account)
	}
	return next
}

// advance records that the index reflects the store up to rev and wakes the
// writers waiting for it.
func (r *Registry) advance(rev uint64) {
	r.applied.Store(rev)
	r.advancedMu.Lock()
	close(r.advanced)
	r.advanced = make(chan struct{})
	r.advancedMu.Unlock()
}

// waitFor blocks until done(index) holds, ctx ends, or applyTimeout passes.
// Writers use it so that a change is visible to readers of this registry
// when the write returns.
func (r *Registry) waitFor(ctx context.Context, done func(*index) bool) error {
	timer := time.NewTimer(applyTimeout)
	defer timer.Stop()
	for {
		r.advancedMu.Lock()
		ch := r.advanced
		r.advancedMu.Unlock()
		if done(r.idx.Load()) {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("wait for the registry to apply a write: %w", ctx.Err())
		case <-timer.C:
			return errors.New("wait for the registry to apply a write: timed out (is Registry.Run running?)")
		}
	}
}

// waitApplied waits until the index reflects store revision rev.
func (r *Registry) waitApplied(ctx context.Context, rev uint64) error {
	return r.waitFor(ctx, func(*index) bool { return r.applied.Load() >= rev })
}

// OnChange registers fn to be called after every change of a stored
// function, whether made through this registry or another node. Calls are
// made one at a time from Run's goroutine, in store order, after the change
// is visible to Resolve. fn must return quickly and must not call the
// registry's write methods (they wait for Run). The returned func
// unregisters fn.
func (r *Registry) OnChange(fn func(Change)) (unregister func()) {
	r.subsMu.Lock()
	defer r.subsMu.Unlock()
	id := r.nextSub
	r.nextSub++
	r.subs[id] = fn
	return func() {
		r.subsMu.Lock()
		defer r.subsMu.Unlock()
		delete(r.subs, id)
	}
}

func (r *Registry) notify(c Change) {
	r.subsMu.Lock()
	fns := make([]func(Change), 0, len(r.subs))
	for _, fn := range r.subs {
		fns = append(fns, fn)
	}
	r.subsMu.Unlock()
	for _, fn := range fns {
		fn(c)
	}
}

// Function returns the stored function name of account, or nil.
func (r *Registry) Function(account, name string) *Function {
	return r.idx.Load().fns[fnKey{account: account, name: name}]
}

// Resolve returns the configuration of a function version for the invoke
// path: qualifier "" and "$LATEST" name $LATEST, a number a published
// version, and an alias name the version the alias routes this invocation
// to (by its weights). It reads memory only. An unknown function, version
// or alias is AWS's 404 (as *awserr.Error), naming the qualified ARN as an
// unqualified Invoke does.
func (r *Registry) Resolve(account, name, qualifier string) (*Version, error) {
	fn := r.idx.Load().fns[fnKey{account: account, name: name}]
	if qualifier == "" {
		qualifier = Latest
	}
	if fn != nil {
		if v := fn.resolve(qualifier); v != nil {
			return v, nil
		}
	}
	return nil, r.notFound(account, name, qualifier)
}

// resolve returns the version qualifier names or routes to, or nil.
func (fn *Function) resolve(qualifier string) *Version {
	if qualifier == Latest {
		return fn.Latest
	}
	if v := fn.Versions[qualifier]; v != nil {
		return v
	}
	if a := fn.Aliases[qualifier]; a != nil {
		return fn.version(a.pick(rand.Float64()))
	}
	return nil
}

// ResolveInvoke is Resolve for a FunctionName and Qualifier as an Invoke
// request gives them (NamespacedFunctionName: a name, partial or full ARN,
// optionally qualified), with AWS's validation errors. It also returns the
// ARN the caller invoked: qualified when the caller named a qualifier.
func (r *Registry) ResolveInvoke(account, functionName, qualifier string) (*Version, string, error) {
	var t target
	if isPlainName(functionName) && (qualifier == "" || isPlainName(qualifier)) {
		// The common cases (a name, perhaps a version number or alias) need
		// no pattern matching.
		t = target{account: account, name: functionName, qualifier: qualifier}
	} else {
		var err error
		if t, err = r.target(account, functionName, qualifier, namespacedName); err != nil {
			return nil, "", err
		}
	}
	v, err := r.Resolve(account, t.name, t.qualifier)
	if err != nil {
		return nil, "", err
	}
	if t.qualifier == "" {
		return v, v.Function.ARN, nil
	}
	return v, r.qualifiedARN(account, t.name, t.qualifier), nil
}

// isPlainName reports whether s is a bare function name of valid
// characters, short enough to need no other check.
func isPlainName(s string) bool {
	if s == "" || len(s) > maxBareNameLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Code returns the deployment zip with digest d (Version.CodeDigest), or an
// error wrapping store.ErrNotFound.
func (r *Registry) Code(ctx context.Context, d store.Digest) ([]byte, error) {
	b, err := r.code.Get(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("read code %s: %w", d.Hex(), err)
	}
	return b, nil
}

// OpenCode streams the deployment zip with digest d and returns its size, or
// an error wrapping store.ErrNotFound. The caller must close the reader.
func (r *Registry) OpenCode(ctx context.Context, d store.Digest) (io.ReadCloser, int64, error) {
	rc, n, err := r.code.Open(ctx, d)
	if err != nil {
		return nil, 0, fmt.Errorf("open code %s: %w", d.Hex(), err)
	}
	return rc, n, nil
}

// newRevisionID returns a fresh RevisionId.
func newRevisionID() string { return uuid.NewString() }
