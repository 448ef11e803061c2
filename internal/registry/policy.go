package registry

import (
	"strings"
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
		return strings.HasPrefix(strings.ToLower(action), "lambda:")
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
