package registry

import (
	"context"
	"encoding/base64"
	"errors"
	"maps"
	"slices"
)

// lookup returns the function and version a read request names, with the
// FunctionArn to report: qualified when the request named a qualifier.
func (r *Registry) lookup(account, functionName, qualifier string) (*Version, string, error) {
	t, err := r.target(account, functionName, qualifier, namespacedName)
	if err != nil {
		return nil, "", err
	}
	fn := r.Function(account, t.name)
	if fn == nil {
		return nil, "", r.notFound(account, t.name, t.qualifier)
	}
	switch t.qualifier {
	case "":
		return fn.Latest, fn.ARN, nil
	case Latest:
		return fn.Latest, r.qualifiedARN(account, t.name, Latest), nil
	}
	if v := fn.Versions[t.qualifier]; v != nil {
		return v, r.qualifiedARN(account, t.name, t.qualifier), nil
	}
	if a := fn.Aliases[t.qualifier]; a != nil {
		// The alias's own version; its routing applies to invocations only.
		return fn.version(a.FunctionVersion), r.qualifiedARN(account, t.name, t.qualifier), nil
	}
	return nil, "", r.notFound(account, t.name, t.qualifier)
}

// GetFunctionConfiguration returns GetFunctionConfiguration's response.
func (r *Registry) GetFunctionConfiguration(account, functionName, qualifier string) (*FunctionConfiguration, error) {
	ver, arn, err := r.lookup(account, functionName, qualifier)
	if err != nil {
		return nil, err
	}
	return ver.configuration(arn, viewStored), nil
}

// GetFunction returns GetFunction's response, except Code.Location: the
// caller makes a download URL for CodeDigest.
func (r *Registry) GetFunction(account, functionName, qualifier string) (*GetFunctionOutput, error) {
	ver, arn, err := r.lookup(account, functionName, qualifier)
	if err != nil {
		return nil, err
	}
	fn := ver.Function
	out := &GetFunctionOutput{
		Configuration: ver.configuration(arn, viewStored),
		Code:          &FunctionCodeLocation{RepositoryType: "S3"},
		CodeDigest:    ver.CodeDigest,
	}
	if len(fn.Tags) > 0 {
		out.Tags = maps.Clone(fn.Tags)
	}
	if fn.ReservedConcurrency != nil {
		out.Concurrency = &Concurrency{ReservedConcurrentExecutions: intPtr(*fn.ReservedConcurrency)}
	}
	return out, nil
}

// DeleteFunction deletes function functionName with all its versions, as
// DeleteFunction does without a qualifier. With a version number as
// qualifier it deletes that version: a version that does not exist is
// deleted already, as on AWS. $LATEST and aliases cannot be deleted this
// way. Code is left in the code store (TODO: collect blobs no version
// names).
func (r *Registry) DeleteFunction(ctx context.Context, account, functionName, qualifier string) error {
	t, err := r.target(account, functionName, qualifier, namespacedName)
	if err != nil {
		return err
	}
	// AWS refuses these before it looks the function up.
	switch {
	case t.qualifier == Latest:
		return invalidParameter("$LATEST version cannot be deleted without deleting the function.")
	case t.qualifier != "" && isAliasName(t.qualifier):
		return invalidParameter("Deletion of aliases is not currently supported.")
	}
	if t.qualifier != "" {
		return r.deleteVersion(ctx, t)
	}
	err = r.remove(ctx, t.key())
	if errors.Is(err, errNoFunction) {
		return r.notFound(account, t.name, "")
	}
	return err
}

// ListFunctionsInput is ListFunctions' query.
type ListFunctionsInput struct {
	// Marker is the NextMarker of the previous page; empty for the first.
	Marker string
	// MaxItems bounds the page (at most 50 whatever is asked; 0 means 50).
	MaxItems int
	// FunctionVersion "ALL" lists every version, not only $LATEST.
	FunctionVersion string
	// MasterRegion lists the Lambda@Edge replicas of that region's
	// functions; lambdad has none.
	MasterRegion string
}

// maxListPage is the most ListFunctions returns in one page.
const maxListPage = 50

// ListFunctions returns one page of account's functions, in name order.
// The marker names the last function of the page, so a listing neither
// repeats nor skips a function that exists throughout it, whatever is
// created or deleted between pages.
func (r *Registry) ListFunctions(account string, in ListFunctionsInput) (*ListFunctionsOutput, error) {
	var v violations
	if in.MasterRegion != "" {
		v.pattern(in.MasterRegion, "masterRegion", masterRegionPattern)
	}
	if in.FunctionVersion != "" {
		v.enum(in.FunctionVersion, "functionVersion", "ALL")
	}
	if in.MaxItems != 0 {
		v.intRange(int64(in.MaxItems), "maxItems", 1, 10000)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	after, err := decodeMarker(in.Marker)
	if err != nil {
		return nil, err
	}
	limit := in.MaxItems
	if limit == 0 || limit > maxListPage {
		limit = maxListPage
	}
	out := &ListFunctionsOutput{Functions: []ListedFunction{}}
	if in.MasterRegion != "" {
		return out, nil
	}
	ix := r.idx.Load()
	names := ix.names[account]
	i := 0
	if in.Marker != "" {
		i, _ = slices.BinarySearch(names, after)
		if i < len(names) && names[i] == after {
			i++
		}
	}
	for ; i < len(names) && len(out.Functions) < limit; i++ {
		fn := ix.fns[fnKey{account: account, name: names[i]}]
		if in.FunctionVersion == "ALL" {
			// Every version of a function is on the same page.
			for _, ver := range fn.versionOrder() {
				arn := r.qualifiedARN(account, fn.Name, ver.Version)
				out.Functions = append(out.Functions, ListedFunction{FunctionConfiguration: ver.configuration(arn, viewListed)})
			}
			continue
		}
		out.Functions = append(out.Functions, fn.listed)
	}
	if i < len(names) {
		out.NextMarker = encodeMarker(names[i-1])
	}
	return out, nil
}

// Markers are the last name of a page, base64url-encoded: opaque to
// clients, stable across changes.
func encodeMarker(name string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(name))
}

func decodeMarker(m string) (string, error) {
	if m == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(m)
	if err != nil || len(b) == 0 {
		return "", invalidParameter("Invalid Marker: %s", m)
	}
	return string(b), nil
}
