package registry

import (
	"context"
	"errors"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/lambdad/lambdad/internal/awserr"
)

// Provisioned concurrency configs (Put/Get/Delete/ListProvisionedConcurrencyConfigs).
//
// A config belongs to a published version or to an alias, and is stored in
// Function.Provisioned under that qualifier. The registry validates and
// stores configs; which environments they mean is Function.ProvisionedTargets,
// and how many of those are running is the scheduler's to say: the API
// combines the two (see ProvisionedConcurrencyConfig.Shares).

// ProvisionedConfig is the stored provisioned concurrency config of one
// qualifier. A stored ProvisionedConfig is immutable.
type ProvisionedConfig struct {
	// Requested is ProvisionedConcurrentExecutions.
	Requested    int       `json:"requested"`
	LastModified time.Time `json:"lastModified"`
}

// Statuses of a provisioned concurrency config.
const (
	ProvisionedInProgress = "IN_PROGRESS"
	ProvisionedReady      = "READY"
	ProvisionedFailed     = "FAILED"
)

// ProvisionedConcurrencyConfig is the response shape of the provisioned
// concurrency operations (Put/GetProvisionedConcurrencyConfigResponse, and a
// ProvisionedConcurrencyConfigListItem when FunctionArn is set). The
// registry fills the requested side; the caller fills Allocated, Available,
// Status and StatusReason from the scheduler with Fill.
type ProvisionedConcurrencyConfig struct {
	FunctionArn                              string `json:"FunctionArn,omitempty"`
	RequestedProvisionedConcurrentExecutions int    `json:"RequestedProvisionedConcurrentExecutions"`
	AvailableProvisionedConcurrentExecutions int    `json:"AvailableProvisionedConcurrentExecutions"`
	AllocatedProvisionedConcurrentExecutions int    `json:"AllocatedProvisionedConcurrentExecutions"`
	Status                                   string `json:"Status"`
	StatusReason                             string `json:"StatusReason,omitempty"`
	LastModified                             string `json:"LastModified"`

	// Account and Function name the function (not part of the shape).
	Account  string `json:"-"`
	Function string `json:"-"`
	// Shares are the versions whose environments serve this config.
	Shares []ProvisionedShare `json:"-"`
}

// ProvisionedShare is the part of a config that one version's environments
// serve: N of the version's Total provisioned environments (Total is more
// than N when two aliases with configs route to the same version).
type ProvisionedShare struct {
	Version string
	N       int
	Total   int
}

// ProvisionedAllocation is what the scheduler reports of one version's
// provisioned environments.
type ProvisionedAllocation struct {
	// Allocated is the number of initialised environments.
	Allocated int
	// Failure is the reason the last environment could not be initialised,
	// "" when it could.
	Failure string
}

// provisionedInitFailure is the StatusReason of a config whose
// environments fail their Init phase, as AWS reports it (CloudFormation
// quotes it as "Reason: FUNCTION_ERROR_INIT_FAILURE").
const provisionedInitFailure = "FUNCTION_ERROR_INIT_FAILURE"

// Fill sets the allocation fields and the status of c from alloc, which
// reports each version of c.Shares. The config is READY when every share is
// allocated, FAILED when one is not because its environments fail to
// initialise, and IN_PROGRESS otherwise.
func (c *ProvisionedConcurrencyConfig) Fill(alloc func(version string) ProvisionedAllocation) {
	allocated, failed := 0, false
	for _, sh := range c.Shares {
		a := alloc(sh.Version)
		n := sh.N
		if a.Allocated < sh.Total {
			// Environments of a version serve its configs in proportion.
			n = a.Allocated * sh.N / sh.Total
			if a.Failure != "" {
				failed = true
			}
		}
		allocated += n
	}
	c.AllocatedProvisionedConcurrentExecutions = allocated
	c.AvailableProvisionedConcurrentExecutions = allocated
	c.StatusReason = ""
	switch {
	case allocated >= c.RequestedProvisionedConcurrentExecutions:
		c.Status = ProvisionedReady
	case failed:
		c.Status = ProvisionedFailed
		c.StatusReason = provisionedInitFailure
	default:
		c.Status = ProvisionedInProgress
	}
}

// ListProvisionedConcurrencyConfigsOutput is ListProvisionedConcurrencyConfigs'
// response.
type ListProvisionedConcurrencyConfigsOutput struct {
	ProvisionedConcurrencyConfigs []*ProvisionedConcurrencyConfig `json:"ProvisionedConcurrencyConfigs"`
	NextMarker                    *string                         `json:"NextMarker,omitempty"`
}

// ListProvisionedInput is ListProvisionedConcurrencyConfigs' request.
type ListProvisionedInput struct {
	FunctionName string
	// Marker is the NextMarker of the previous page; empty for the first.
	Marker string
	// MaxItems bounds the page, 1–50; 0 means 50.
	MaxItems int
}

// provisionedTimeLayout is the LastModified of these operations:
// 2019-12-31T20:28:49+0000 (AWS CLI examples), unlike a function's.
const provisionedTimeLayout = "2006-01-02T15:04:05-0700"

// provisionedQualifierPattern is the Qualifier shape of these operations.
var provisionedQualifierPattern = mustPattern(`(|[a-zA-Z0-9$_-]+)`)

// AWS's messages for provisioned concurrency configs.
const (
	msgProvisionedUnpublished = "Provisioned Concurrency Configs cannot be applied to unpublished function versions."
	msgProvisionedNotVersion  = "The function resource provided must be an alias or a published version."
	msgProvisionedWeighted    = "Alias with weights can not be used with Provisioned Concurrency"
	msgProvisionedAliasOnVer  = "Alias can't be used for Provisioned Concurrency configuration on an already Provisioned version"
	msgProvisionedVerByAlias  = "Version is pointed by a Provisioned Concurrency alias"
	msgProvisionedOverReserve = "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function"
	msgProvisionedNotFound    = "No Provisioned Concurrency Config found for this function"
)

// provisionedTarget validates the FunctionName and Qualifier of a Put, Get
// or Delete in AWS's order: model constraints, then $LATEST (whose message
// differs for Put), then the region and account of an ARN.
func (r *Registry) provisionedTarget(account, functionName, qualifier string, v *violations, put bool) (target, error) {
	ref, _ := parseName(functionName, managementName, v)
	if qualifier == "" {
		v.addNull("qualifier")
	} else {
		v.length(qualifier, "qualifier", 1, 128)
		v.pattern(qualifier, "qualifier", provisionedQualifierPattern)
	}
	if err := v.err(); err != nil {
		return target{}, err
	}
	t, err := r.resolveRef(account, ref, qualifier)
	if err != nil {
		return target{}, err
	}
	if t.qualifier == Latest {
		if put {
			return target{}, invalidParameter(msgProvisionedUnpublished)
		}
		return target{}, invalidParameter(msgProvisionedNotVersion)
	}
	return t, nil
}

// provisionedQualifierExists checks that q names a published version or an
// alias of fn (fn nil: the function does not exist), with AWS's 404s.
func (r *Registry) provisionedQualifierExists(fn *Function, t target) error {
	if allDigits.MatchString(t.qualifier) {
		if fn == nil || fn.Versions[t.qualifier] == nil {
			return r.notFound(t.account, t.name, t.qualifier)
		}
		return nil
	}
	if fn == nil || fn.Aliases[t.qualifier] == nil {
		return awserr.New(awserr.ResourceNotFound, "Cannot find alias arn: %s", r.qualifiedARN(t.account, t.name, t.qualifier))
	}
	return nil
}

// PutProvisionedConcurrencyConfig sets the provisioned concurrency of a
// published version or an alias to n (nil: the request had none). The
// configs of a function must fit its reserved concurrency, and the
// provisioned concurrency of a function without a reservation must leave
// MinUnreservedConcurrency of the account unreserved. The returned config
// has its requested side set; see ProvisionedConcurrencyConfig.Fill.
func (r *Registry) PutProvisionedConcurrencyConfig(ctx context.Context, account, functionName, qualifier string, n *int) (*ProvisionedConcurrencyConfig, error) {
	var v violations
	switch {
	case n == nil:
		v.addNull("provisionedConcurrentExecutions")
	case *n < 1:
		v.intRange(int64(*n), "provisionedConcurrentExecutions", 1, math.MaxInt32)
	}
	t, err := r.provisionedTarget(account, functionName, qualifier, &v, true)
	if err != nil {
		return nil, err
	}
	// Serialised with PutFunctionConcurrency: both check the account's
	// unreserved concurrency.
	r.reserveMu.Lock()
	defer r.reserveMu.Unlock()
	var written *ProvisionedConfig
	fn, err := r.mutate(ctx, t.key(), func(fn *Function) error {
		if err := r.provisionedQualifierExists(fn, t); err != nil {
			return err
		}
		if err := r.checkProvisioned(fn, t.qualifier, *n); err != nil {
			return err
		}
		written = &ProvisionedConfig{Requested: *n, LastModified: r.cfg.Now().UTC().Truncate(time.Second)}
		m := maps.Clone(fn.Provisioned)
		if m == nil {
			m = make(map[string]*ProvisionedConfig, 1)
		}
		m[t.qualifier] = written
		fn.Provisioned = m
		return nil
	})
	if errors.Is(err, errNoFunction) {
		return nil, r.provisionedQualifierExists(nil, t)
	}
	if err != nil {
		return nil, err
	}
	return r.provisionedResponse(fn, t.qualifier, written), nil
}

// checkProvisioned checks a config of n for qualifier q of fn against its
// alias or version, the other configs, and the concurrency limits.
func (r *Registry) checkProvisioned(fn *Function, q string, n int) error {
	if a := fn.Aliases[q]; a != nil {
		if a.FunctionVersion == Latest {
			return invalidParameter(msgProvisionedUnpublished)
		}
		if len(a.Weights) > 0 {
			return invalidParameter(msgProvisionedWeighted)
		}
		if fn.Provisioned[a.FunctionVersion] != nil {
			return awserr.New(awserr.ResourceConflict, msgProvisionedAliasOnVer)
		}
	} else {
		for name, a := range fn.Aliases {
			if a.FunctionVersion == q && fn.Provisioned[name] != nil {
				return awserr.New(awserr.ResourceConflict, msgProvisionedVerByAlias)
			}
		}
	}
	others := 0
	for k, c := range fn.Provisioned {
		if k != q {
			others += c.Requested
		}
	}
	if fn.ReservedConcurrency != nil {
		if others+n > *fn.ReservedConcurrency {
			return invalidParameter(msgProvisionedOverReserve)
		}
		return nil
	}
	// Provisioned concurrency of a function without a reservation is taken
	// from the account's unreserved concurrency.
	unreserved := r.cfg.ConcurrencyLimit - r.ReservedTotal(fn.Account) - r.provisionedUnreserved(fn.Account, fn.Name)
	if unreserved-others-n < r.cfg.MinUnreservedConcurrency {
		return invalidParameter("Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [%d].", r.cfg.MinUnreservedConcurrency)
	}
	return nil
}

// provisionedUnreserved is the provisioned concurrency of account's
// functions that have no reservation, except function except. It reads
// memory only, one pass over the account's functions.
func (r *Registry) provisionedUnreserved(account, except string) int {
	ix := r.idx.Load()
	total := 0
	for _, name := range ix.names[account] {
		if name == except {
			continue
		}
		fn := ix.fns[fnKey{account: account, name: name}]
		if fn.ReservedConcurrency == nil {
			total += fn.provisionedTotal()
		}
	}
	return total
}

// provisionedTotal is the sum of fn's live configs.
func (fn *Function) provisionedTotal() int {
	total := 0
	for q, c := range fn.Provisioned {
		if fn.provisionedLive(q) {
			total += c.Requested
		}
	}
	return total
}

// provisionedLive reports whether the version or alias of a stored config
// still exists (a config outlives neither).
func (fn *Function) provisionedLive(q string) bool {
	return fn.Versions[q] != nil || fn.Aliases[q] != nil
}

// provisionedResponse is the config of q as the API shows it, with the
// shares of the versions that serve it.
func (r *Registry) provisionedResponse(fn *Function, q string, c *ProvisionedConfig) *ProvisionedConcurrencyConfig {
	targets := fn.ProvisionedTargets()
	out := &ProvisionedConcurrencyConfig{
		RequestedProvisionedConcurrentExecutions: c.Requested,
		Status:                                   ProvisionedInProgress,
		LastModified:                             c.LastModified.UTC().Format(provisionedTimeLayout),
		Account:                                  fn.Account,
		Function:                                 fn.Name,
	}
	for ver, n := range fn.provisionedShares(q, c.Requested) {
		out.Shares = append(out.Shares, ProvisionedShare{Version: ver, N: n, Total: max(targets[ver], n)})
	}
	slices.SortFunc(out.Shares, func(a, b ProvisionedShare) int { return compareVersions(a.Version, b.Version) })
	return out
}

// compareVersions orders version numbers numerically.
func compareVersions(a, b string) int {
	x, _ := strconv.Atoi(a)
	y, _ := strconv.Atoi(b)
	return x - y
}

// provisionedShares splits the n environments of the config of qualifier q
// among the published versions that serve it. A version's config is served
// by that version. An alias's is served by the version it points to; when
// the alias routes a share of invocations to another version (its routing
// config changed after the config was put), each version gets the share of
// the n environments its weight gives it, rounded, and the alias's own
// version the rest. An alias of $LATEST has no share: $LATEST cannot be
// provisioned.
func (fn *Function) provisionedShares(q string, n int) map[string]int {
	if fn.Versions[q] != nil {
		return map[string]int{q: n}
	}
	a := fn.Aliases[q]
	if a == nil || a.FunctionVersion == Latest {
		return nil
	}
	out := make(map[string]int, 1+len(a.Weights))
	rest := n
	for ver, w := range a.Weights {
		if fn.Versions[ver] == nil {
			continue
		}
		k := min(int(math.Round(w*float64(n))), rest)
		if k > 0 {
			out[ver] += k
			rest -= k
		}
	}
	if rest > 0 && fn.Versions[a.FunctionVersion] != nil {
		out[a.FunctionVersion] += rest
	}
	return out
}

// ProvisionedTargets returns how many provisioned environments each
// published version of fn must keep, summed over fn's configs (see
// provisionedShares); nil when there are none. It reads the snapshot only.
func (fn *Function) ProvisionedTargets() map[string]int {
	var out map[string]int
	for q, c := range fn.Provisioned {
		for ver, n := range fn.provisionedShares(q, c.Requested) {
			if out == nil {
				out = make(map[string]int)
			}
			out[ver] += n
		}
	}
	return out
}

// ProvisionedFunctions returns every stored function that has provisioned
// concurrency configs, of every account. It reads memory only.
func (r *Registry) ProvisionedFunctions() []*Function {
	var out []*Function
	for _, fn := range r.idx.Load().fns {
		if len(fn.Provisioned) > 0 {
			out = append(out, fn)
		}
	}
	return out
}

// GetProvisionedConcurrencyConfig returns the config of a published version
// or an alias, with its requested side set; see
// ProvisionedConcurrencyConfig.Fill. It reads memory only.
func (r *Registry) GetProvisionedConcurrencyConfig(account, functionName, qualifier string) (*ProvisionedConcurrencyConfig, error) {
	var v violations
	t, err := r.provisionedTarget(account, functionName, qualifier, &v, false)
	if err != nil {
		return nil, err
	}
	fn := r.Function(account, t.name)
	if err := r.provisionedQualifierExists(fn, t); err != nil {
		return nil, err
	}
	c := fn.Provisioned[t.qualifier]
	if c == nil {
		return nil, awserr.New(awserr.ProvisionedConfigMissing, msgProvisionedNotFound)
	}
	return r.provisionedResponse(fn, t.qualifier, c), nil
}

// DeleteProvisionedConcurrencyConfig removes the config of a published
// version or an alias. Deleting a config that does not exist succeeds, as
// on AWS.
func (r *Registry) DeleteProvisionedConcurrencyConfig(ctx context.Context, account, functionName, qualifier string) error {
	var v violations
	t, err := r.provisionedTarget(account, functionName, qualifier, &v, false)
	if err != nil {
		return err
	}
	fn := r.Function(account, t.name)
	if err := r.provisionedQualifierExists(fn, t); err != nil {
		return err
	}
	if fn.Provisioned[t.qualifier] == nil {
		return nil
	}
	_, err = r.mutate(ctx, t.key(), func(fn *Function) error {
		fn.dropProvisioned(t.qualifier)
		return nil
	})
	if errors.Is(err, errNoFunction) {
		return r.provisionedQualifierExists(nil, t)
	}
	return err
}

// dropProvisioned removes the config of qualifier q from fn, a copy being
// changed (in mutate). Deleting a version or an alias must drop its config
// too, so that a later alias of the same name does not inherit it.
func (fn *Function) dropProvisioned(q string) {
	if fn.Provisioned[q] == nil {
		return
	}
	m := maps.Clone(fn.Provisioned)
	delete(m, q)
	if len(m) == 0 {
		m = nil
	}
	fn.Provisioned = m
}

// ListProvisionedConcurrencyConfigs lists a function's configs, ordered by
// qualifier, with their requested sides set; see
// ProvisionedConcurrencyConfig.Fill. It reads memory only.
func (r *Registry) ListProvisionedConcurrencyConfigs(account string, in ListProvisionedInput) (*ListProvisionedConcurrencyConfigsOutput, error) {
	var v violations
	fn, after, limit, err := r.listPage(account, in.FunctionName, in.Marker, in.MaxItems, 50, 50, &v)
	if err != nil {
		return nil, err
	}
	out := &ListProvisionedConcurrencyConfigsOutput{ProvisionedConcurrencyConfigs: []*ProvisionedConcurrencyConfig{}}
	last := ""
	for _, q := range slices.Sorted(maps.Keys(fn.Provisioned)) {
		if (after != "" && q <= after) || !fn.provisionedLive(q) {
			continue
		}
		if len(out.ProvisionedConcurrencyConfigs) == limit {
			out.NextMarker = stringPtr(encodeMarker(last))
			break
		}
		c := r.provisionedResponse(fn, q, fn.Provisioned[q])
		c.FunctionArn = r.qualifiedARN(account, fn.Name, q)
		out.ProvisionedConcurrencyConfigs = append(out.ProvisionedConcurrencyConfigs, c)
		last = q
	}
	return out, nil
}
