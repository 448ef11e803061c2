package api

import (
	"context"
	"encoding/base64"
	"sync"
	"time"

	"github.com/lambdad/lambdad/internal/registry"
	"github.com/lambdad/lambdad/internal/scheduler"
	"github.com/lambdad/lambdad/internal/store"
)

// schedFunctions maps registry versions to what the scheduler runs. Versions
// are immutable snapshots, so the mapping of one *registry.Version never
// changes; one entry per function version is kept, replaced when the
// version's snapshot changes.
type schedFunctions struct {
	mu sync.RWMutex
	m  map[schedKey]schedEntry
}

type schedKey struct{ account, name, version string }

type schedEntry struct {
	src *registry.Version
	fn  *scheduler.Function
}

// get returns the scheduler's view of v, building it once per snapshot.
func (c *schedFunctions) get(v *registry.Version) *scheduler.Function {
	k := schedKey{v.Function.Account, v.Function.Name, v.Version}
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if ok && e.src == v {
		return e.fn
	}
	fn := schedulerFunction(v)
	c.mu.Lock()
	if c.m == nil {
		c.m = make(map[schedKey]schedEntry)
	}
	c.m[k] = schedEntry{src: v, fn: fn}
	c.mu.Unlock()
	return fn
}

// forget drops the entries of a deleted function.
func (c *schedFunctions) forget(account, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.m {
		if k.account == account && k.name == name {
			delete(c.m, k)
		}
	}
}

// schedulerFunction is v as the scheduler runs it. Its Revision is v's
// LastModified, which every change of code or configuration renews; a
// change of permissions renews RevisionId but leaves the warm environments
// in use.
func schedulerFunction(v *registry.Version) *scheduler.Function {
	fn := v.Function
	reserved := -1
	if fn.ReservedConcurrency != nil {
		reserved = *fn.ReservedConcurrency
	}
	return &scheduler.Function{
		Account:     fn.Account,
		Name:        fn.Name,
		Version:     v.Version,
		ARN:         fn.ARN,
		Revision:    v.LastModified.Format(time.RFC3339Nano),
		Runtime:     v.Runtime,
		Handler:     v.Handler,
		Code:        v.CodeDigest,
		Layers:      layerDigests(v.Layers),
		MemoryMB:    v.MemorySize,
		TimeoutSec:  v.Timeout,
		EphemeralMB: v.EphemeralStorage,
		Environment: v.Environment,
		Reserved:    reserved,
	}
}

// resolveForInvoke resolves an Invoke's FunctionName and Qualifier.
func (s *Server) resolveForInvoke(account, functionName, qualifier string) (*scheduler.Function, string, error) {
	v, invokedARN, err := s.reg.ResolveInvoke(account, functionName, qualifier)
	if err != nil {
		return nil, "", err
	}
	return s.fns.get(v), invokedARN, nil
}

// prepareCode extracts newly stored code before the create or update is
// answered (the function's Pending phase, as on AWS), so that the first
// invoke does not pay for it. A failure is left for that invoke to report.
func (s *Server) prepareCode(ctx context.Context, codeSha256 string) {
	if s.sched == nil {
		return // a control-plane-only server (tests)
	}
	var buf [33]byte // DecodedLen of a 44-character CodeSha256
	n, err := base64.StdEncoding.Decode(buf[:], []byte(codeSha256))
	if err != nil || n != len(store.Digest{}) {
		return
	}
	d := store.Digest(buf[:n])
	if err := s.sched.Prepare(ctx, d); err != nil {
		s.log.Warn("prepare code", "code_sha256", codeSha256, "err", err)
	}
}
