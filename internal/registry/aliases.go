package registry

import (
	"context"
	"errors"
	"maps"
	"math"
	"slices"
	"strconv"

	"github.com/lambdad/lambdad/internal/awserr"
)

// Alias is a named pointer to a published version (or $LATEST), optionally
// routing a share of invocations to a second version. Aliases are replaced
// whole, never changed.
type Alias struct {
	Name string `json:"name"`
	// FunctionVersion is the version the alias points to.
	FunctionVersion string `json:"functionVersion"`
	Description     string `json:"description,omitempty"`
	// Weights is RoutingConfig.AdditionalVersionWeights: the share (0–1)
	// of invocations that go to another version; nil when none.
	Weights    map[string]float64 `json:"weights,omitempty"`
	RevisionID string             `json:"revisionId"`
}

// AliasRoutingConfiguration is the model's AliasRoutingConfiguration.
type AliasRoutingConfiguration struct {
	AdditionalVersionWeights map[string]float64 `json:"AdditionalVersionWeights"`
}

// AliasConfiguration is the model's AliasConfiguration, what the alias
// operations return.
type AliasConfiguration struct {
	AliasArn        string                     `json:"AliasArn"`
	Name            string                     `json:"Name"`
	FunctionVersion string                     `json:"FunctionVersion"`
	Description     string                     `json:"Description"`
	RoutingConfig   *AliasRoutingConfiguration `json:"RoutingConfig,omitempty"`
	RevisionId      string                     `json:"RevisionId"`
}

// AliasInput is CreateAlias's and UpdateAlias's request body (Name only in
// CreateAlias's, RevisionId only in UpdateAlias's).
type AliasInput struct {
	Name            *string                    `json:"Name,omitempty"`
	FunctionVersion *string                    `json:"FunctionVersion,omitempty"`
	Description     *string                    `json:"Description,omitempty"`
	RoutingConfig   *AliasRoutingConfiguration `json:"RoutingConfig,omitempty"`
	RevisionId      *string                    `json:"RevisionId,omitempty"`
}

// ListAliasesInput is ListAliases' query.
type ListAliasesInput struct {
	FunctionVersion string
	Marker          string
	MaxItems        int
}

// ListAliasesOutput is ListAliases' response.
type ListAliasesOutput struct {
	NextMarker *string               `json:"NextMarker"`
	Aliases    []*AliasConfiguration `json:"Aliases"`
}

// maxAliasWeights is how many versions besides its own an alias may route
// to.
const maxAliasWeights = 1

// configuration is a as the API shows it.
func (a *Alias) configuration(arn string) *AliasConfiguration {
	c := &AliasConfiguration{
		AliasArn:        arn,
		Name:            a.Name,
		FunctionVersion: a.FunctionVersion,
		Description:     a.Description,
		RevisionId:      a.RevisionID,
	}
	if a.Weights != nil {
		c.RoutingConfig = &AliasRoutingConfiguration{AdditionalVersionWeights: maps.Clone(a.Weights)}
	}
	return c
}

// pick returns the version an invocation through a goes to: with each
// weight's probability the weighted version, else FunctionVersion. u is a
// uniform random number in [0, 1).
func (a *Alias) pick(u float64) string {
	for v, w := range a.Weights {
		if u < w {
			return v
		}
		u -= w
	}
	return a.FunctionVersion
}

// checkAliasInput validates the members of an alias request in the model's
// terms.
func checkAliasInput(in *AliasInput, create bool, v *violations) {
	if create {
		if in.Name == nil {
			v.addNull("name")
		} else {
			v.length(*in.Name, "name", 1, 128)
			if !isAliasName(*in.Name) {
				v.add(*in.Name, "name", "Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)")
			}
		}
		if in.FunctionVersion == nil {
			v.addNull("functionVersion")
		}
	}
	if in.FunctionVersion != nil {
		v.length(*in.FunctionVersion, "functionVersion", 1, 1024)
		v.pattern(*in.FunctionVersion, "functionVersion", functionVersionPattern)
	}
	if in.Description != nil {
		v.length(*in.Description, "description", 0, 256)
	}
	if in.RoutingConfig != nil {
		for k, w := range in.RoutingConfig.AdditionalVersionWeights {
			if !allDigits.MatchString(k) || len(k) > 1024 {
				v.add(k, "routingConfig.additionalVersionWeights.key", "Member must satisfy regular expression pattern: [0-9]+")
			}
			if w < 0 || w > 1 || math.IsNaN(w) {
				v.add(strconv.FormatFloat(w, 'f', -1, 64), "routingConfig.additionalVersionWeights.value", "Member must have value less than or equal to 1.0")
			}
		}
	}
}

// checkAlias checks an alias against its function's versions, as AWS does
// after validation.
func (r *Registry) checkAlias(fn *Function, a *Alias) error {
	if fn.version(a.FunctionVersion) == nil {
		return r.notFound(fn.Account, fn.Name, a.FunctionVersion)
	}
	if len(a.Weights) == 0 {
		return nil
	}
	if len(a.Weights) > maxAliasWeights {
		return invalidParameter("Number of items in AdditionalVersionWeights cannot be greater than %d", maxAliasWeights)
	}
	if a.FunctionVersion == Latest {
		return invalidParameter("$LATEST is not supported for an alias pointing to more than 1 version")
	}
	for k := range a.Weights {
		if k == a.FunctionVersion {
			return invalidParameter("Invalid function version %s. Function version %s is already included in routing configuration.", k, k)
		}
		if fn.Versions[k] == nil {
			return r.notFound(fn.Account, fn.Name, k)
		}
	}
	return nil
}

// unqualifiedTarget resolves the function of an operation on a function's
// parts (aliases, listings, reserved concurrency): a function name or
// unqualified ARN, never a version or alias.
func (r *Registry) unqualifiedTarget(account, functionName string, v *violations) (target, error) {
	ref, _ := parseName(functionName, managementName, v)
	if err := v.err(); err != nil {
		return target{}, err
	}
	t, err := r.resolveRef(account, ref, "")
	if err != nil {
		return target{}, err
	}
	if err := t.unqualified(); err != nil {
		return target{}, err
	}
	return t, nil
}

// errNoAlias is AWS's 404 for an alias that does not exist.
func (r *Registry) errNoAlias(account, name, alias string) error {
	return awserr.New(awserr.ResourceNotFound, "Cannot find alias arn: %s", r.qualifiedARN(account, name, alias))
}

// CreateAlias creates an alias of function functionName.
func (r *Registry) CreateAlias(ctx context.Context, account, functionName string, in *AliasInput) (*AliasConfiguration, error) {
	var v violations
	checkAliasInput(in, true, &v)
	t, err := r.unqualifiedTarget(account, functionName, &v)
	if err != nil {
		return nil, err
	}
	a := &Alias{Name: *in.Name, FunctionVersion: *in.FunctionVersion, RevisionID: newRevisionID()}
	if in.Description != nil {
		a.Description = *in.Description
	}
	if in.RoutingConfig != nil && len(in.RoutingConfig.AdditionalVersionWeights) > 0 {
		a.Weights = maps.Clone(in.RoutingConfig.AdditionalVersionWeights)
	}
	_, err = r.mutate(ctx, t.key(), func(fn *Function) error {
		if fn.Aliases[a.Name] != nil {
			return awserr.New(awserr.ResourceConflict, "Alias already exists: %s", r.qualifiedARN(account, t.name, a.Name))
		}
		if err := r.checkAlias(fn, a); err != nil {
			return err
		}
		if fn.Aliases == nil {
			fn.Aliases = make(map[string]*Alias, 1)
		}
		fn.Aliases[a.Name] = a
		return nil
	})
	if errors.Is(err, errNoFunction) {
		return nil, r.notFound(account, t.name, "")
	}
	if err != nil {
		return nil, err
	}
	return a.configuration(r.qualifiedARN(account, t.name, a.Name)), nil
}

// UpdateAlias changes an alias; members left out keep their values, and an
// empty RoutingConfig removes the routing.
func (r *Registry) UpdateAlias(ctx context.Context, account, functionName, aliasName string, in *AliasInput) (*AliasConfiguration, error) {
	var v violations
	checkAliasInput(in, false, &v)
	checkAliasName(aliasName, &v)
	t, err := r.unqualifiedTarget(account, functionName, &v)
	if err != nil {
		return nil, err
	}
	var updated *Alias
	_, err = r.mutate(ctx, t.key(), func(fn *Function) error {
		cur := fn.Aliases[aliasName]
		if cur == nil {
			return r.errNoAlias(account, t.name, aliasName)
		}
		if in.RevisionId != nil && *in.RevisionId != cur.RevisionID {
			return errRevision
		}
		a := *cur
		if in.FunctionVersion != nil {
			a.FunctionVersion = *in.FunctionVersion
		}
		if in.Description != nil {
			a.Description = *in.Description
		}
		if in.RoutingConfig != nil {
			a.Weights = nil
			if len(in.RoutingConfig.AdditionalVersionWeights) > 0 {
				a.Weights = maps.Clone(in.RoutingConfig.AdditionalVersionWeights)
			}
		}
		if err := r.checkAlias(fn, &a); err != nil {
			return err
		}
		a.RevisionID = newRevisionID()
		fn.Aliases[aliasName] = &a
		updated = &a
		return nil
	})
	if errors.Is(err, errNoFunction) {
		return nil, r.notFound(account, t.name, "")
	}
	if err != nil {
		return nil, err
	}
	return updated.configuration(r.qualifiedARN(account, t.name, aliasName)), nil
}

// checkAliasName validates an alias name given in a request path.
func checkAliasName(name string, v *violations) {
	v.length(name, "name", 1, 128)
	if !isAliasName(name) {
		v.add(name, "name", "Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)")
	}
}

// GetAlias returns an alias.
func (r *Registry) GetAlias(account, functionName, aliasName string) (*AliasConfiguration, error) {
	var v violations
	checkAliasName(aliasName, &v)
	t, err := r.unqualifiedTarget(account, functionName, &v)
	if err != nil {
		return nil, err
	}
	fn := r.Function(account, t.name)
	if fn == nil {
		return nil, r.notFound(account, t.name, "")
	}
	a := fn.Aliases[aliasName]
	if a == nil {
		return nil, r.errNoAlias(account, t.name, aliasName)
	}
	return a.configuration(r.qualifiedARN(account, t.name, aliasName)), nil
}

// DeleteAlias deletes an alias; one that does not exist is deleted already,
// as on AWS.
func (r *Registry) DeleteAlias(ctx context.Context, account, functionName, aliasName string) error {
	var v violations
	checkAliasName(aliasName, &v)
	t, err := r.unqualifiedTarget(account, functionName, &v)
	if err != nil {
		return err
	}
	_, err = r.mutate(ctx, t.key(), func(fn *Function) error {
		if fn.Aliases[aliasName] == nil {
			return errNothingToDo
		}
		delete(fn.Aliases, aliasName)
		if len(fn.Aliases) == 0 {
			fn.Aliases = nil
		}
		fn.dropQualifier(aliasName)
		return nil
	})
	switch {
	case errors.Is(err, errNothingToDo):
		return nil
	case errors.Is(err, errNoFunction):
		return r.notFound(account, t.name, "")
	}
	return err
}

// ListAliases returns one page of a function's aliases in name order,
// optionally only those pointing to one version.
func (r *Registry) ListAliases(account, functionName string, in ListAliasesInput) (*ListAliasesOutput, error) {
	var v violations
	if in.FunctionVersion != "" {
		v.length(in.FunctionVersion, "functionVersion", 1, 1024)
		v.pattern(in.FunctionVersion, "functionVersion", functionVersionPattern)
	}
	fn, after, limit, err := r.listPage(account, functionName, in.Marker, in.MaxItems, 10000, maxListPage, &v)
	if err != nil {
		return nil, err
	}
	names := slices.Sorted(maps.Keys(fn.Aliases))
	out := &ListAliasesOutput{Aliases: []*AliasConfiguration{}}
	i := 0
	if after != "" {
		i, _ = slices.BinarySearch(names, after)
		if i < len(names) && names[i] == after {
			i++
		}
	}
	for ; i < len(names) && len(out.Aliases) < limit; i++ {
		a := fn.Aliases[names[i]]
		if in.FunctionVersion != "" && a.FunctionVersion != in.FunctionVersion {
			continue
		}
		out.Aliases = append(out.Aliases, a.configuration(r.qualifiedARN(account, fn.Name, a.Name)))
	}
	if i < len(names) {
		m := encodeMarker(names[i-1])
		out.NextMarker = &m
	}
	return out, nil
}
