package registry

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"

	"github.com/lambdad/lambdad/internal/awserr"
)

// Published versions are immutable snapshots of $LATEST, numbered from 1
// and never renumbered: a deleted version's number is not reused.

// version returns the version q names: $LATEST or a published number; nil
// when there is none (or q names an alias).
func (fn *Function) version(q string) *Version {
	if q == Latest {
		return fn.Latest
	}
	return fn.Versions[q]
}

// lastPublished is the newest published version, or nil.
func (fn *Function) lastPublished() *Version {
	return fn.Versions[strconv.Itoa(fn.LastVersion)]
}

// publish adds a published version of fn's $LATEST to fn (a copy being
// changed inside mutate or before create) and returns it. As on AWS, when
// $LATEST has not changed since the newest published version, that version
// is returned and nothing is added. description "" keeps $LATEST's.
func (r *Registry) publish(fn *Function, description *string) *Version {
	if last := fn.lastPublished(); last != nil && last.PublishedFrom == fn.Latest.RevisionID {
		return last
	}
	v := *fn.Latest
	v.Environment = maps.Clone(fn.Latest.Environment)
	fn.LastVersion++
	v.Version = strconv.Itoa(fn.LastVersion)
	if description != nil {
		v.Description = *description
	}
	v.LastModified = r.cfg.Now()
	v.RevisionID = newRevisionID()
	v.PublishedFrom = fn.Latest.RevisionID
	v.Function = fn
	versions := make(map[string]*Version, len(fn.Versions)+1)
	maps.Copy(versions, fn.Versions)
	versions[v.Version] = &v
	fn.Versions = versions
	return &v
}

// PublishVersionInput is PublishVersion's request body.
type PublishVersionInput struct {
	CodeSha256  *string `json:"CodeSha256,omitempty"`
	Description *string `json:"Description,omitempty"`
	RevisionId  *string `json:"RevisionId,omitempty"`
	PublishTo   *string `json:"PublishTo,omitempty"`
}

// PublishVersion publishes function functionName's $LATEST as a new version
// and returns that version's configuration (201 on AWS).
func (r *Registry) PublishVersion(ctx context.Context, account, functionName string, in *PublishVersionInput) (*FunctionConfiguration, error) {
	var v violations
	if in.Description != nil {
		v.length(*in.Description, "description", 0, 256)
	}
	t, err := r.updateTarget(account, functionName, &v)
	if err != nil {
		return nil, err
	}
	if in.PublishTo != nil {
		return nil, errUnsupported("PublishTo is")
	}
	var published *Version
	fn, err := r.mutate(ctx, t.key(), func(fn *Function) error {
		if err := checkRevision(in.RevisionId, fn); err != nil {
			return err
		}
		if in.CodeSha256 != nil && *in.CodeSha256 != fn.Latest.CodeDigest.Base64() {
			return invalidParameter("CodeSHA256 (%s) is different from current CodeSHA256 in $LATEST (%s). Please try again with the CodeSHA256 in $LATEST.", *in.CodeSha256, fn.Latest.CodeDigest.Base64())
		}
		published = r.publish(fn, in.Description)
		return nil
	})
	if errors.Is(err, errNoFunction) {
		return nil, r.notFound(account, t.name, "")
	}
	if err != nil {
		return nil, err
	}
	r.linked(fn)
	return published.configuration(r.qualifiedARN(account, t.name, published.Version), viewStored), nil
}

// ListVersionsInput is ListVersionsByFunction's query.
type ListVersionsInput struct {
	Marker   string
	MaxItems int
}

// ListVersionsOutput is ListVersionsByFunction's response.
type ListVersionsOutput struct {
	NextMarker *string                  `json:"NextMarker"`
	Versions   []*FunctionConfiguration `json:"Versions"`
}

// versionOrder lists fn's versions as AWS does: $LATEST, then the
// published ones by number.
func (fn *Function) versionOrder() []*Version {
	out := make([]*Version, 0, len(fn.Versions)+1)
	out = append(out, fn.Latest)
	nums := make([]int, 0, len(fn.Versions))
	for k := range fn.Versions {
		n, _ := strconv.Atoi(k)
		nums = append(nums, n)
	}
	slices.Sort(nums)
	for _, n := range nums {
		out = append(out, fn.Versions[strconv.Itoa(n)])
	}
	return out
}

// ListVersionsByFunction returns one page of a function's versions. The
// marker names the last version of the page.
func (r *Registry) ListVersionsByFunction(account, functionName string, in ListVersionsInput) (*ListVersionsOutput, error) {
	var v violations
	fn, after, limit, err := r.listPage(account, functionName, in.Marker, in.MaxItems, 10000, maxListPage, &v)
	if err != nil {
		return nil, err
	}
	all := fn.versionOrder()
	i := 0
	if after != "" {
		i = len(all)
		for j, ver := range all {
			if versionAfter(ver.Version, after) {
				i = j
				break
			}
		}
	}
	out := &ListVersionsOutput{Versions: []*FunctionConfiguration{}}
	for ; i < len(all) && len(out.Versions) < limit; i++ {
		ver := all[i]
		out.Versions = append(out.Versions, ver.configuration(r.qualifiedARN(account, fn.Name, ver.Version), viewListed))
	}
	if i < len(all) {
		m := encodeMarker(all[i-1].Version)
		out.NextMarker = &m
	}
	return out, nil
}

// listPage resolves what a List operation of one function's parts (its
// versions, aliases, provisioned configs) shares: the function, named
// without a qualifier, the marker decoded, and the page size (maxItems, at
// most maxPage; 0 means maxPage); maxItems above modelMax is a validation
// error. v holds the operation's own violations, reported with maxItems's.
func (r *Registry) listPage(account, functionName, marker string, maxItems, modelMax, maxPage int, v *violations) (fn *Function, after string, limit int, err error) {
	if maxItems != 0 {
		v.intRange(int64(maxItems), "maxItems", 1, int64(modelMax))
	}
	t, err := r.unqualifiedTarget(account, functionName, v)
	if err != nil {
		return nil, "", 0, err
	}
	if fn = r.Function(account, t.name); fn == nil {
		return nil, "", 0, r.notFound(account, t.name, "")
	}
	if after, err = decodeMarker(marker); err != nil {
		return nil, "", 0, err
	}
	limit = maxItems
	if limit == 0 || limit > maxPage {
		limit = maxPage
	}
	return fn, after, limit, nil
}

// versionAfter reports whether version v comes after the marker's version
// in versionOrder, so a listing goes on correctly when the marker's own
// version was deleted between pages.
func versionAfter(v, marker string) bool {
	if marker == Latest {
		return v != Latest
	}
	if v == Latest {
		return false
	}
	n, _ := strconv.Atoi(v)
	m, _ := strconv.Atoi(marker)
	return n > m
}

// deleteVersion deletes published version q of function t. A version that
// does not exist is deleted already, as on AWS; one an alias points to is
// refused.
func (r *Registry) deleteVersion(ctx context.Context, t target) error {
	_, err := r.mutate(ctx, t.key(), func(fn *Function) error {
		if fn.Versions[t.qualifier] == nil {
			return errNothingToDo
		}
		var users []string
		for name, a := range fn.Aliases {
			if a.FunctionVersion == t.qualifier || a.Weights[t.qualifier] > 0 {
				users = append(users, name)
			}
		}
		if len(users) > 0 {
			slices.Sort(users)
			return awserr.New(awserr.ResourceConflict, "Unable to delete version because the following aliases reference it: %v", users)
		}
		versions := maps.Clone(fn.Versions)
		delete(versions, t.qualifier)
		if len(versions) == 0 {
			versions = nil
		}
		fn.Versions = versions
		fn.dropQualifier(t.qualifier)
		return nil
	})
	switch {
	case errors.Is(err, errNothingToDo):
		return nil
	case errors.Is(err, errNoFunction):
		return r.notFound(t.account, t.name, "")
	}
	return err
}

// errNothingToDo aborts a mutate whose change would change nothing.
var errNothingToDo = errors.New("nothing to change")

// dropQualifier removes the settings kept per qualifier for a version or
// alias that is being deleted.
func (fn *Function) dropQualifier(q string) {
	fn.dropURL(q)
	fn.dropPolicy(q)
	fn.dropProvisioned(q)
	if _, ok := fn.EventInvoke[q]; ok {
		m := maps.Clone(fn.EventInvoke)
		delete(m, q)
		if len(m) == 0 {
			m = nil
		}
		fn.EventInvoke = m
	}
}
