package registry

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/lambdad/lambdad/internal/awserr"
)

// A function's resource-based policy (AddPermission, RemovePermission,
// GetPolicy) is kept per qualifier: one for the unqualified function, one
// for each published version and one for each alias. As on AWS, a statement
// applies only to the ARN it was added for: a grant on alias PROD does not
// let its holder invoke the unqualified function, nor the version PROD
// points to.

// Policy is the resource-based policy of one qualifier of a function: its
// statements in the order they were added. A stored Policy is immutable:
// changes replace it.
type Policy struct {
	Statements []*Statement `json:"statements"`
}

// Statement is one AddPermission grant, kept as the request gave it; the
// document GetPolicy shows is rendered from it. Empty fields were not given.
type Statement struct {
	Sid string `json:"sid"`
	// Action is "lambda:InvokeFunction", "lambda:*", "*", ...
	Action string `json:"action"`
	// Principal is "*", an account ID, an IAM ARN or a service principal
	// such as "s3.amazonaws.com".
	Principal             string `json:"principal"`
	SourceArn             string `json:"sourceArn,omitempty"`
	SourceAccount         string `json:"sourceAccount,omitempty"`
	EventSourceToken      string `json:"eventSourceToken,omitempty"`
	PrincipalOrgID        string `json:"principalOrgId,omitempty"`
	FunctionUrlAuthType   string `json:"functionUrlAuthType,omitempty"`
	InvokedViaFunctionUrl bool   `json:"invokedViaFunctionUrl,omitempty"`
}

// PolicyRequest is an access to be checked against a resource policy.
type PolicyRequest struct {
	// Action is the action asked for, e.g. "lambda:InvokeFunctionUrl".
	Action string
	// Principal is "*" for an anonymous caller, else the caller's account
	// ID (or its IAM ARN, or a service principal).
	Principal string
	// FunctionUrlAuthType is "NONE" or "AWS_IAM" for a request that came
	// through a function URL, else "". A function URL request also
	// satisfies the lambda:InvokedViaFunctionUrl condition.
	FunctionUrlAuthType string
	// SourceArn and SourceAccount are the resource and account on whose
	// behalf a service calls; "" when none.
	SourceArn     string
	SourceAccount string
	// EventSourceToken is the token an Alexa-style caller presents; "" when
	// none.
	EventSourceToken string
}

// Permits reports whether fn's resource policy for qualifier ("" or
// "$LATEST" for the unqualified function, else a version number or an alias
// name) has an Allow statement matching req. A qualifier that no longer
// exists has no policy. Statements conditioned on aws:PrincipalOrgID never
// match: lambdad has no organizations. Permits reads the snapshot only.
func (fn *Function) Permits(qualifier string, req PolicyRequest) bool {
	p := fn.policy(qualifier)
	if p == nil {
		return false
	}
	for _, s := range p.Statements {
		if s.permits(req) {
			return true
		}
	}
	return false
}

// policy returns the policy of qualifier, or nil when it has none or the
// qualifier no longer names a version or alias of fn. A deleted version or
// alias takes its policy with it even if its record still holds one.
func (fn *Function) policy(qualifier string) *Policy {
	if qualifier == Latest {
		qualifier = ""
	}
	if qualifier != "" && fn.Versions[qualifier] == nil && fn.Aliases[qualifier] == nil {
		return nil
	}
	return fn.Policies[qualifier]
}

// permits reports whether s allows req: its action, principal and every
// condition match.
func (s *Statement) permits(req PolicyRequest) bool {
	if !actionMatches(s.Action, req.Action) || !principalMatches(s.Principal, req.Principal) {
		return false
	}
	switch {
	case s.SourceAccount != "" && s.SourceAccount != req.SourceAccount,
		s.SourceArn != "" && (req.SourceArn == "" || !arnLike(s.SourceArn, req.SourceArn)),
		s.EventSourceToken != "" && s.EventSourceToken != req.EventSourceToken,
		s.PrincipalOrgID != "",
		s.FunctionUrlAuthType != "" && s.FunctionUrlAuthType != req.FunctionUrlAuthType,
		s.InvokedViaFunctionUrl && req.FunctionUrlAuthType == "":
		return false
	}
	return true
}

// actionMatches reports whether a statement's Action covers action. IAM
// compares action names case-insensitively.
func actionMatches(granted, action string) bool {
	if granted == "*" || strings.EqualFold(granted, "lambda:*") {
		const prefix = "lambda:"
		return len(action) > len(prefix) && strings.EqualFold(action[:len(prefix)], prefix)
	}
	return strings.EqualFold(granted, action)
}

// principalMatches reports whether a statement's Principal (as AddPermission
// was given it) covers the caller principal.
func principalMatches(granted, principal string) bool {
	switch {
	case granted == "*":
		return true
	case principal == "" || principal == "*":
		return false
	case granted == principal:
		return true
	}
	// An account grant, given as the ID or as its root ARN, covers every
	// identity of the account.
	account := granted
	if a, ok := rootAccount(granted); ok {
		account = a
	} else if !isAccountID(granted) {
		return false
	}
	if principal == account {
		return true
	}
	if a, _, ok := iamAccount(principal); ok {
		return a == account
	}
	return false
}

// isAccountID reports whether s is a 12-digit account ID.
func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// iamAccount returns the account and resource of an IAM ARN
// (arn:<partition>:iam::<account>:<resource>).
func iamAccount(arn string) (account, resource string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || parts[3] != "" || !isAccountID(parts[4]) {
		return "", "", false
	}
	return parts[4], parts[5], true
}

// rootAccount returns the account of an account's root ARN
// (arn:<partition>:iam::<account>:root).
func rootAccount(arn string) (string, bool) {
	a, r, ok := iamAccount(arn)
	return a, ok && r == "root"
}

// arnLike is IAM's ArnLike: pattern and arn are compared component by
// component (arn:partition:service:region:account:resource), each component
// as a glob in which * matches any run of characters and ? any one
// character.
func arnLike(pattern, arn string) bool {
	ps := strings.SplitN(pattern, ":", 6)
	as := strings.SplitN(arn, ":", 6)
	if len(ps) != 6 || len(as) != 6 {
		return false
	}
	for i := range ps {
		if !globMatch(ps[i], as[i]) {
			return false
		}
	}
	return true
}

// globMatch reports whether s matches pattern, in which * matches any run
// of bytes and ? any one byte. It runs in O(len(pattern)*len(s)) at worst.
func globMatch(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// Limits and constants of resource policies, as on AWS.
const (
	// maxPolicySize bounds the compact JSON document of one qualifier's
	// policy, in bytes.
	maxPolicySize   = 20480
	policyVersion   = "2012-10-17"
	policyID        = "default"
	addRevisionHint = "The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve the latest Revision Id"
	// removeRevisionHint is RemovePermission's wording, which differs from
	// AddPermission's.
	removeRevisionHint = "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id"
	errNoPolicy        = "The resource you requested does not exist."
)

// Patterns of the model's permission shapes.
var (
	statementIDPattern           = mustPattern(`([a-zA-Z0-9-_]+)`)
	namespacedStatementIDPattern = mustPattern(`([a-zA-Z0-9-_.]+)`)
	actionPattern                = mustPattern(`(lambda:[*]|lambda:[a-zA-Z]+|[*])`)
	principalPattern             = mustPattern(`[^\s]+`)
	sourceArnPattern             = mustPattern(`arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:([a-z]{2}(-gov)?-[a-z]+-\d{1})?:(\d{12})?:(.*)`)
	sourceOwnerPattern           = mustPattern(`\d{12}`)
	eventSourceTokenPattern      = mustPattern(`[a-zA-Z0-9._\-]+`)
	principalOrgIDPattern        = mustPattern(`o-[a-z0-9]{10,32}`)
)

// AddPermissionInput is AddPermission's request body.
type AddPermissionInput struct {
	StatementId           *string `json:"StatementId"`
	Action                *string `json:"Action"`
	Principal             *string `json:"Principal"`
	SourceArn             *string `json:"SourceArn"`
	SourceAccount         *string `json:"SourceAccount"`
	EventSourceToken      *string `json:"EventSourceToken"`
	RevisionId            *string `json:"RevisionId"`
	PrincipalOrgID        *string `json:"PrincipalOrgID"`
	FunctionUrlAuthType   *string `json:"FunctionUrlAuthType"`
	InvokedViaFunctionUrl *bool   `json:"InvokedViaFunctionUrl"`
}

// AddPermissionOutput is AddPermission's response: the statement added, as
// a JSON document in a string.
type AddPermissionOutput struct {
	Statement string `json:"Statement"`
}

// GetPolicyOutput is GetPolicy's response: the policy as a JSON document in
// a string, and the RevisionId of the function, version or alias it
// belongs to.
type GetPolicyOutput struct {
	Policy     string `json:"Policy"`
	RevisionId string `json:"RevisionId"`
}

// checkAddPermission validates functionName, qualifier and in against the
// model, collecting every violation as AWS does.
func checkAddPermission(functionName, qualifier string, in *AddPermissionInput) (FunctionRef, error) {
	var v violations
	ref, _ := parseName(functionName, namespacedName, &v)
	required := func(s *string, member string, min, max int, p *pattern) {
		if s == nil {
			v.addNull(member)
			return
		}
		optional(&v, s, member, min, max, p)
	}
	required(in.StatementId, "statementId", 1, 100, statementIDPattern)
	required(in.Action, "action", -1, -1, actionPattern)
	required(in.Principal, "principal", -1, -1, principalPattern)
	optional(&v, in.SourceArn, "sourceArn", -1, -1, sourceArnPattern)
	optional(&v, in.SourceAccount, "sourceAccount", 0, 12, sourceOwnerPattern)
	optional(&v, in.EventSourceToken, "eventSourceToken", 0, 256, eventSourceTokenPattern)
	checkQualifier(qualifier, &v)
	optional(&v, in.PrincipalOrgID, "principalOrgID", 12, 34, principalOrgIDPattern)
	if in.FunctionUrlAuthType != nil {
		v.enum(*in.FunctionUrlAuthType, "functionUrlAuthType", "NONE", "AWS_IAM")
	}
	return ref, v.err()
}

// optional checks a member that may be absent (nil): its length when min
// >= 0 (max < 0: no upper bound), then its pattern.
func optional(v *violations, s *string, member string, min, max int, p *pattern) {
	if s == nil {
		return
	}
	n := len(*v)
	if min >= 0 {
		v.length(*s, member, min, max)
	}
	if len(*v) == n {
		v.pattern(*s, member, p)
	}
}

// checkPrincipal accepts the principals AddPermission does: "*", an account
// ID, an IAM ARN, or a service principal.
func checkPrincipal(p string) error {
	switch {
	case p == "*", isAccountID(p), strings.HasSuffix(p, ".amazonaws.com"), strings.HasSuffix(p, ".amazonaws.com.cn"), strings.HasSuffix(p, ".amazon.com"):
		return nil
	}
	if _, _, ok := iamAccount(p); ok {
		return nil
	}
	return invalidParameter("The provided principal was invalid. Please check the principal and try again.")
}

// policyQualifier returns the key under which fn keeps the policy of the
// qualifier t names ("" for the unqualified function and for $LATEST), or
// AWS's 404 for a version or alias that does not exist.
func (r *Registry) policyQualifier(fn *Function, t target) (string, error) {
	q := t.qualifier
	if q == "" || q == Latest {
		return "", nil
	}
	if fn.Versions[q] != nil || fn.Aliases[q] != nil {
		return q, nil
	}
	if isAliasName(q) {
		return "", awserr.New(awserr.ResourceNotFound, "Cannot find alias arn: %s", r.qualifiedARN(t.account, t.name, q))
	}
	return "", r.notFound(t.account, t.name, q)
}

// policyRevision is the RevisionId of what qualifier q names: a policy's
// RevisionId is that of its function, version or alias.
func (fn *Function) policyRevision(q string) string {
	switch {
	case q == "":
		return fn.Latest.RevisionID
	case fn.Aliases[q] != nil:
		return fn.Aliases[q].RevisionID
	default:
		return fn.Versions[q].RevisionID
	}
}

// newPolicyRevision gives what qualifier q names a new RevisionId, as AWS
// does when its policy changes. fn is a copy being changed inside mutate.
func (fn *Function) newPolicyRevision(q string) {
	id := newRevisionID()
	switch {
	case q == "":
		// A policy is neither code nor configuration: if the newest
		// published version still matches $LATEST, it keeps matching, so
		// that PublishVersion returns it instead of publishing a copy, as
		// AWS does.
		if last := fn.lastPublished(); last != nil && last.PublishedFrom == fn.Latest.RevisionID {
			v := *last
			v.PublishedFrom = id
			m := maps.Clone(fn.Versions)
			m[v.Version] = &v
			fn.Versions = m
		}
		fn.Latest.RevisionID = id
	case fn.Aliases[q] != nil:
		a := *fn.Aliases[q]
		a.RevisionID = id
		m := maps.Clone(fn.Aliases)
		m[q] = &a
		fn.Aliases = m
	default:
		v := *fn.Versions[q]
		v.RevisionID = id
		m := maps.Clone(fn.Versions)
		m[q] = &v
		fn.Versions = m
	}
}

// setPolicy replaces the policy of qualifier q (nil removes it). fn is a
// copy being changed inside mutate.
func (fn *Function) setPolicy(q string, p *Policy) {
	m := maps.Clone(fn.Policies)
	if p == nil {
		delete(m, q)
	} else {
		if m == nil {
			m = make(map[string]*Policy, 1)
		}
		m[q] = p
	}
	if len(m) == 0 {
		m = nil
	}
	fn.Policies = m
}

// dropPolicy removes the policy of a version or alias q that is being
// deleted, so that an alias created again under the same name starts
// without one, as on AWS. fn is a copy being changed inside mutate.
func (fn *Function) dropPolicy(q string) {
	if _, ok := fn.Policies[q]; ok {
		fn.setPolicy(q, nil)
	}
}

// AddPermission adds a statement to the resource policy of a function,
// version or alias (qualifier "" or in the name: the unqualified function)
// and returns the statement as GetPolicy shows it. It gives what it changed
// a new RevisionId, as AWS does.
func (r *Registry) AddPermission(ctx context.Context, account, functionName, qualifier string, in *AddPermissionInput) (*AddPermissionOutput, error) {
	ref, err := checkAddPermission(functionName, qualifier, in)
	if err != nil {
		return nil, err
	}
	t, err := r.resolveRef(account, ref, qualifier)
	if err != nil {
		return nil, err
	}
	if t.qualifier == Latest {
		return nil, invalidParameter("We currently do not support adding policies for $LATEST.")
	}
	if in.FunctionUrlAuthType != nil && !strings.EqualFold(*in.Action, "lambda:InvokeFunctionUrl") {
		return nil, invalidParameter("FunctionUrlAuthType is only supported for lambda:InvokeFunctionUrl action")
	}
	s := &Statement{
		Sid:                   *in.StatementId,
		Action:                *in.Action,
		Principal:             *in.Principal,
		SourceArn:             deref(in.SourceArn),
		SourceAccount:         deref(in.SourceAccount),
		EventSourceToken:      deref(in.EventSourceToken),
		PrincipalOrgID:        deref(in.PrincipalOrgID),
		FunctionUrlAuthType:   deref(in.FunctionUrlAuthType),
		InvokedViaFunctionUrl: in.InvokedViaFunctionUrl != nil && *in.InvokedViaFunctionUrl,
	}
	var resource string
	_, err = r.mutate(ctx, t.key(), func(fn *Function) error {
		q, err := r.policyQualifier(fn, t)
		if err != nil {
			return err
		}
		if rev := deref(in.RevisionId); rev != "" && rev != fn.policyRevision(q) {
			return awserr.New(awserr.PreconditionFailed, addRevisionHint)
		}
		if err := checkPrincipal(s.Principal); err != nil {
			return err
		}
		cur := fn.policy(q)
		if cur != nil && slices.ContainsFunc(cur.Statements, func(c *Statement) bool { return c.Sid == s.Sid }) {
			return awserr.New(awserr.ResourceConflict, "The statement id (%s) provided already exists. Please provide a new statement id, or remove the existing statement.", s.Sid)
		}
		next := &Policy{}
		if cur != nil {
			next.Statements = slices.Clone(cur.Statements)
		}
		next.Statements = append(next.Statements, s)
		resource = r.qualifiedARN(account, t.name, q)
		if n := len(next.document(resource)); n > maxPolicySize {
			return awserr.New("PolicyLengthExceededException", "The final policy size (%d) is bigger than the limit (%d).", n, maxPolicySize)
		}
		fn.setPolicy(q, next)
		fn.newPolicyRevision(q)
		return nil
	})
	if errors.Is(err, errNoFunction) {
		return nil, r.notFound(account, t.name, "")
	}
	if err != nil {
		return nil, err
	}
	return &AddPermissionOutput{Statement: string(marshalDocument(s.document(resource)))}, nil
}

// GetPolicy returns the resource policy of a function, version or alias.
// It reads memory only.
func (r *Registry) GetPolicy(account, functionName, qualifier string) (*GetPolicyOutput, error) {
	t, err := r.target(account, functionName, qualifier, namespacedName)
	if err != nil {
		return nil, err
	}
	fn := r.Function(account, t.name)
	if fn == nil {
		return nil, awserr.New(awserr.ResourceNotFound, errNoPolicy)
	}
	q, err := r.policyQualifier(fn, t)
	if err != nil {
		return nil, awserr.New(awserr.ResourceNotFound, errNoPolicy)
	}
	p := fn.policy(q)
	if p == nil {
		return nil, awserr.New(awserr.ResourceNotFound, errNoPolicy)
	}
	return &GetPolicyOutput{
		Policy:     string(p.document(r.qualifiedARN(account, t.name, q))),
		RevisionId: fn.policyRevision(q),
	}, nil
}

// RemovePermission removes statement statementID from the resource policy
// of a function, version or alias; revisionID "" skips the RevisionId
// check. The policy goes when its last statement does. It gives what it
// changed a new RevisionId, as AWS does.
func (r *Registry) RemovePermission(ctx context.Context, account, functionName, statementID, qualifier, revisionID string) error {
	var v violations
	ref, _ := parseName(functionName, namespacedName, &v)
	v.length(statementID, "statementId", 1, 100)
	v.pattern(statementID, "statementId", namespacedStatementIDPattern)
	checkQualifier(qualifier, &v)
	if err := v.err(); err != nil {
		return err
	}
	t, err := r.resolveRef(account, ref, qualifier)
	if err != nil {
		return err
	}
	_, err = r.mutate(ctx, t.key(), func(fn *Function) error {
		q, err := r.policyQualifier(fn, t)
		if err != nil {
			return err
		}
		cur := fn.policy(q)
		if cur == nil {
			return awserr.New(awserr.ResourceNotFound, "No policy is associated with the given resource.")
		}
		i := slices.IndexFunc(cur.Statements, func(s *Statement) bool { return s.Sid == statementID })
		if i < 0 {
			return awserr.New(awserr.ResourceNotFound, "Statement %s is not found in resource policy.", statementID)
		}
		if revisionID != "" && revisionID != fn.policyRevision(q) {
			return awserr.New(awserr.PreconditionFailed, removeRevisionHint)
		}
		var next *Policy
		if len(cur.Statements) > 1 {
			next = &Policy{Statements: slices.Delete(slices.Clone(cur.Statements), i, i+1)}
		}
		fn.setPolicy(q, next)
		fn.newPolicyRevision(q)
		return nil
	})
	if errors.Is(err, errNoFunction) {
		return awserr.New(awserr.ResourceNotFound, "No policy found for: %s", r.FunctionARN(account, t.name))
	}
	return err
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
