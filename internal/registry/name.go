package registry

import (
	"regexp"

	"github.com/lambdad/lambdad/internal/awserr"
)

// Latest is the qualifier of a function's unpublished, mutable version.
const Latest = "$LATEST"

// FunctionRef is a FunctionName as a request gives it, taken apart. A
// FunctionName is a bare name ("my-function"), a name with a qualifier
// ("my-function:prod"), a partial ARN ("123456789012:function:my-function")
// or a full ARN ("arn:aws:lambda:us-east-1:123456789012:function:my-function"),
// the ARN forms optionally qualified too. Fields the form leaves out are empty.
type FunctionRef struct {
	Region    string
	Account   string
	Name      string
	Qualifier string
}

// nameShape is one of the two FunctionName shapes of the model.
type nameShape struct {
	max     int
	pattern *pattern
}

var (
	// managementName is FunctionName: CreateFunction, UpdateFunction*,
	// *FunctionConcurrency, PublishVersion.
	managementName = nameShape{max: 140, pattern: functionNamePattern}
	// namespacedName is NamespacedFunctionName: GetFunction,
	// GetFunctionConfiguration, DeleteFunction, Invoke.
	namespacedName = nameShape{max: 256, pattern: namespacedNamePattern}
)

// nameParts takes apart a name that matched either shape's pattern.
var nameParts = regexp.MustCompile(`^(?:arn:(?:aws[a-zA-Z-]*)?:lambda:)?` +
	`(?:(?P<region>[a-z]{2}(?:(?:-gov)|(?:-iso(?:[a-z]?)))?-[a-z]+-\d{1}):)?` +
	`(?:(?P<account>\d{12}):)?` +
	`(?:function:)?` +
	`(?P<name>[a-zA-Z0-9-_\.]+)` +
	`(?::(?P<qualifier>\$LATEST(?:\.PUBLISHED)?|[a-zA-Z0-9-_]+))?$`)

var (
	regionGroup    = nameParts.SubexpIndex("region")
	accountGroup   = nameParts.SubexpIndex("account")
	nameGroup      = nameParts.SubexpIndex("name")
	qualifierGroup = nameParts.SubexpIndex("qualifier")
)

// parseName checks s against shape's length and pattern, adding any
// violation to v under the member "functionName", and takes it apart when it
// is valid.
func parseName(s string, shape nameShape, v *violations) (FunctionRef, bool) {
	n := len(*v)
	v.length(s, "functionName", 1, shape.max)
	v.pattern(s, "functionName", shape.pattern)
	if len(*v) > n {
		return FunctionRef{}, false
	}
	m := nameParts.FindStringSubmatch(s)
	if m == nil {
		// Unreachable: nameParts accepts everything either pattern accepts.
		v.add(s, "functionName", "Member must satisfy regular expression pattern: "+shape.pattern.text)
		return FunctionRef{}, false
	}
	return FunctionRef{
		Region:    m[regionGroup],
		Account:   m[accountGroup],
		Name:      m[nameGroup],
		Qualifier: m[qualifierGroup],
	}, true
}

// ParseFunctionName takes apart the FunctionName of a management operation
// (namespaced false: at most 140 characters, no dots) or of GetFunction,
// DeleteFunction and Invoke (namespaced true: NamespacedFunctionName, at most
// 256 characters). A name that breaks the model's constraints gets AWS's
// ValidationException.
func ParseFunctionName(s string, namespaced bool) (FunctionRef, error) {
	shape := managementName
	if namespaced {
		shape = namespacedName
	}
	var v violations
	ref, _ := parseName(s, shape, &v)
	return ref, v.err()
}

// checkQualifier checks a Qualifier query parameter; empty means absent.
func checkQualifier(q string, v *violations) {
	if q == "" {
		return
	}
	v.length(q, "qualifier", 1, 128)
	v.pattern(q, "qualifier", qualifierPattern)
}

// isAliasName reports whether q has the shape of an alias name.
func isAliasName(q string) bool {
	return aliasNamePattern.MatchString(q) && !allDigits.MatchString(q)
}

// target is the function a request addresses, validated and checked against
// the caller's account and the registry's region.
type target struct {
	account   string
	name      string
	qualifier string // "" when the request names none
}

func (t target) key() fnKey { return fnKey{account: t.account, name: t.name} }

// target validates a FunctionName and an optional Qualifier parameter of a
// request made by account, in the order AWS does: the model's constraints
// (ValidationException), the region and account of an ARN (404, 403), then a
// qualifier in the name that contradicts the parameter.
func (r *Registry) target(account, functionName, qualifier string, shape nameShape) (target, error) {
	var v violations
	ref, _ := parseName(functionName, shape, &v)
	checkQualifier(qualifier, &v)
	if err := v.err(); err != nil {
		return target{}, err
	}
	return r.resolveRef(account, ref, qualifier)
}

// resolveRef checks a valid FunctionRef against the caller's account and
// the registry's region, and merges its qualifier with the Qualifier
// parameter.
func (r *Registry) resolveRef(account string, ref FunctionRef, qualifier string) (target, error) {
	if ref.Region != "" && ref.Region != r.cfg.Region {
		return target{}, awserr.New(awserr.ResourceNotFound, "Functions from '%s' are not reachable in this region ('%s')", ref.Region, r.cfg.Region)
	}
	if ref.Account != "" && ref.Account != account {
		// AWS answers a function of another account with a bare 403.
		return target{}, awserr.New(awserr.AccessDenied, "")
	}
	q := ref.Qualifier
	if qualifier != "" {
		if q != "" && q != qualifier {
			return target{}, invalidParameter("The derived qualifier from the function name does not match the specified qualifier.")
		}
		q = qualifier
	}
	return target{account: account, name: ref.Name, qualifier: q}, nil
}

// unqualified rejects a target with a qualifier, for the operations AWS
// permits on functions only. $LATEST is refused too, as AWS does.
func (t target) unqualified() error {
	if t.qualifier != "" {
		return invalidParameter("This operation is permitted on Lambda functions only. Aliases and versions do not support this operation. Please specify either a function name or an unqualified function ARN.")
	}
	return nil
}

// FunctionARN is the unqualified ARN of a function in this registry's region.
func (r *Registry) FunctionARN(account, name string) string {
	return "arn:aws:lambda:" + r.cfg.Region + ":" + account + ":function:" + name
}

// qualifiedARN is FunctionARN with ":qualifier" when qualifier is not empty.
func (r *Registry) qualifiedARN(account, name, qualifier string) string {
	if qualifier == "" {
		return r.FunctionARN(account, name)
	}
	return r.FunctionARN(account, name) + ":" + qualifier
}

// notFound is AWS's 404 for a function, or a qualified version of it.
func (r *Registry) notFound(account, name, qualifier string) error {
	return awserr.New(awserr.ResourceNotFound, "Function not found: %s", r.qualifiedARN(account, name, qualifier))
}
