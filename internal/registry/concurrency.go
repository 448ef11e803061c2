package registry

import (
	"context"
	"errors"

	"github.com/lambdad/lambdad/internal/codezip"
)

// totalCodeSizeLimit is the code storage quota GetAccountSettings reports
// (75 GB; not enforced).
const totalCodeSizeLimit = 80_530_636_800

// PutFunctionConcurrency reserves n concurrent executions for a function
// (0 stops it from being invoked). The account must keep
// MinUnreservedConcurrency unreserved. n nil means the request had none.
func (r *Registry) PutFunctionConcurrency(ctx context.Context, account, functionName string, n *int) (*Concurrency, error) {
	var v violations
	switch {
	case n == nil:
		v.addNull("reservedConcurrentExecutions")
	case *n < 0:
		v.intRange(int64(*n), "reservedConcurrentExecutions", 0, 1<<31-1)
	}
	t, err := r.unqualifiedTarget(account, functionName, &v)
	if err != nil {
		return nil, err
	}
	// One reservation at a time, so that the check below sees every other
	// reservation made through this registry.
	r.reserveMu.Lock()
	defer r.reserveMu.Unlock()
	_, err = r.mutate(ctx, t.key(), func(fn *Function) error {
		// Other functions' provisioned concurrency outside reservations is
		// taken from the unreserved concurrency too.
		others := r.ReservedTotal(account) + r.provisionedUnreserved(account, fn.Name)
		if fn.ReservedConcurrency != nil {
			others -= *fn.ReservedConcurrency
		}
		if r.cfg.ConcurrencyLimit-others-*n < r.cfg.MinUnreservedConcurrency {
			return invalidParameter("Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [%d].", r.cfg.MinUnreservedConcurrency)
		}
		fn.ReservedConcurrency = intPtr(*n)
		return nil
	})
	if errors.Is(err, errNoFunction) {
		// Recorded against AWS with the $LATEST-qualified ARN.
		return nil, r.notFound(account, t.name, Latest)
	}
	if err != nil {
		return nil, err
	}
	return &Concurrency{ReservedConcurrentExecutions: intPtr(*n)}, nil
}

// GetFunctionConcurrency returns a function's reservation; empty when it
// has none.
func (r *Registry) GetFunctionConcurrency(account, functionName string) (*Concurrency, error) {
	var v violations
	t, err := r.unqualifiedTarget(account, functionName, &v)
	if err != nil {
		return nil, err
	}
	fn := r.Function(account, t.name)
	if fn == nil {
		return nil, r.notFound(account, t.name, "")
	}
	out := &Concurrency{}
	if fn.ReservedConcurrency != nil {
		out.ReservedConcurrentExecutions = intPtr(*fn.ReservedConcurrency)
	}
	return out, nil
}

// DeleteFunctionConcurrency removes a function's reservation.
func (r *Registry) DeleteFunctionConcurrency(ctx context.Context, account, functionName string) error {
	var v violations
	t, err := r.unqualifiedTarget(account, functionName, &v)
	if err != nil {
		return err
	}
	_, err = r.mutate(ctx, t.key(), func(fn *Function) error {
		fn.ReservedConcurrency = nil
		return nil
	})
	if errors.Is(err, errNoFunction) {
		return r.notFound(account, t.name, "")
	}
	return err
}

// ReservedTotal is the sum of the reservations of account's functions. It
// reads memory only.
func (r *Registry) ReservedTotal(account string) int {
	return r.idx.Load().reserved[account]
}

// AccountSettings returns GetAccountSettings' response for account.
func (r *Registry) AccountSettings(account string) *AccountSettings {
	ix := r.idx.Load()
	var codeSize int64
	names := ix.names[account]
	for _, name := range names {
		codeSize += ix.fns[fnKey{account: account, name: name}].Latest.CodeSize
	}
	return &AccountSettings{
		AccountLimit: AccountLimit{
			TotalCodeSize:        totalCodeSizeLimit,
			CodeSizeUnzipped:     codezip.MaxUnzippedSize,
			CodeSizeZipped:       codezip.MaxZippedSize,
			ConcurrentExecutions: r.cfg.ConcurrencyLimit,
			// Provisioned concurrency of functions without a reservation
			// is not available to the others either.
			UnreservedConcurrentExecutions: r.cfg.ConcurrencyLimit - ix.reserved[account] - r.provisionedUnreserved(account, ""),
		},
		AccountUsage: AccountUsage{
			TotalCodeSize: codeSize,
			FunctionCount: int64(len(names)),
		},
	}
}
