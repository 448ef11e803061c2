package registry

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// Key layout of the functions bucket: one key per function,
// "<account>.<name>" (names cannot contain dots), whose value is the
// function's JSON record (see record).
func storeKey(k fnKey) string { return k.account + "." + k.name }

// maxAttempts bounds the optimistic-concurrency retries of one write.
const maxAttempts = 64

// errNoFunction is returned by mutate when the function does not exist;
// callers turn it into the 404 their operation reports.
var errNoFunction = errors.New("no such function")

// isConflict reports whether err is the store's answer to a write whose
// expected revision is no longer the key's.
func isConflict(err error) bool {
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	return apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant
}

// current reads the stored function k with its revision, or errNoFunction.
func (r *Registry) current(ctx context.Context, k fnKey) (*Function, uint64, error) {
	e, err := r.kv.Get(ctx, storeKey(k))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, 0, errNoFunction
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read function %s: %w", k.name, err)
	}
	fn, err := decodeFunction(e.Value())
	if err != nil {
		return nil, 0, err
	}
	fn.Account, fn.Name = k.account, k.name
	fn.ARN = r.FunctionARN(k.account, k.name)
	fn.Revision = e.Revision()
	return fn, e.Revision(), nil
}

// mutate changes the stored function k with one conditional write: it reads
// the record, lets change edit a copy, and writes the copy only if the
// record is still the one read, retrying from the read otherwise. So
// concurrent changes never lose each other's writes, and change always sees
// the latest record (a RevisionId precondition checked in change is exact).
// change may return an error to abort. mutate returns the function as
// written, once this registry's index reflects it.
func (r *Registry) mutate(ctx context.Context, k fnKey, change func(fn *Function) error) (*Function, error) {
	for range maxAttempts {
		cur, rev, err := r.current(ctx, k)
		if err != nil {
			return nil, err
		}
		next := cur.clone()
		if err := change(next); err != nil {
			return nil, err
		}
		b, err := encodeFunction(next)
		if err != nil {
			return nil, err
		}
		newRev, err := r.kv.Update(ctx, storeKey(k), b, rev)
		if isConflict(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("write function %s: %w", k.name, err)
		}
		next.Revision = newRev
		if err := r.waitApplied(ctx, newRev); err != nil {
			return nil, err
		}
		return next, nil
	}
	return nil, fmt.Errorf("write function %s: %d conflicting writes in a row", k.name, maxAttempts)
}

// remove deletes the stored function k. It returns errNoFunction when there
// is none, and returns once this registry's index no longer has it.
func (r *Registry) remove(ctx context.Context, k fnKey) error {
	for range maxAttempts {
		_, rev, err := r.current(ctx, k)
		if err != nil {
			return err
		}
		err = r.kv.Delete(ctx, storeKey(k), jetstream.LastRevision(rev))
		if isConflict(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("delete function %s: %w", k.name, err)
		}
		// Delete reports no revision: wait until the index has dropped the
		// record that was deleted (or holds a newer one).
		return r.waitFor(ctx, func(ix *index) bool {
			fn := ix.fns[k]
			return fn == nil || fn.Revision > rev
		})
	}
	return fmt.Errorf("delete function %s: %d conflicting writes in a row", k.name, maxAttempts)
}
