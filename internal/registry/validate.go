package registry

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/lambdad/lambdad/internal/awserr"
)

// violations collects the model-constraint failures of one request, in the
// words AWS uses: "Value 'v' at 'member' failed to satisfy constraint: c".
// AWS reports all of them at once, as "N validation errors detected: a; b".
type violations []string

// add records that value, at the request member path member (camelCase, as
// AWS spells it: "functionName", "ephemeralStorage.size"), breaks constraint.
func (v *violations) add(value, member, constraint string) {
	*v = append(*v, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: %s", value, member, constraint))
}

// addNull records a missing required member.
func (v *violations) addNull(member string) {
	*v = append(*v, fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", member))
}

// addSensitive records a violation by a member the model marks sensitive:
// AWS leaves its value out of the message.
func (v *violations) addSensitive(member, constraint string) {
	*v = append(*v, fmt.Sprintf("Value at '%s' failed to satisfy constraint: %s", member, constraint))
}

// length checks min <= len(s) <= max (max < 0: no upper bound).
func (v *violations) length(s, member string, min, max int) {
	switch {
	case len(s) < min:
		v.add(s, member, fmt.Sprintf("Member must have length greater than or equal to %d", min))
	case max >= 0 && len(s) > max:
		v.add(s, member, fmt.Sprintf("Member must have length less than or equal to %d", max))
	}
}

// pattern checks that s matches p (whole string).
func (v *violations) pattern(s, member string, p *pattern) {
	if !p.re().MatchString(s) {
		v.add(s, member, "Member must satisfy regular expression pattern: "+p.text)
	}
}

// intRange checks min <= n <= max.
func (v *violations) intRange(n int64, member string, min, max int64) {
	switch {
	case n < min:
		v.add(strconv.FormatInt(n, 10), member, fmt.Sprintf("Member must have value greater than or equal to %d", min))
	case n > max:
		v.add(strconv.FormatInt(n, 10), member, fmt.Sprintf("Member must have value less than or equal to %d", max))
	}
}

// enum checks that s is one of values.
func (v *violations) enum(s, member string, values ...string) {
	for _, ok := range values {
		if s == ok {
			return
		}
	}
	v.add(s, member, "Member must satisfy enum value set: ["+strings.Join(values, ", ")+"]")
}

// err returns the ValidationException for the collected violations, or nil.
func (v violations) err() error {
	return v.errAs(awserr.Validation)
}

// errAs is err with another error code; AWS uses InvalidParameterValueException
// with the same text for a few checks done outside its model validation.
func (v violations) errAs(code string) error {
	switch len(v) {
	case 0:
		return nil
	case 1:
		return awserr.New(code, "1 validation error detected: %s", v[0])
	default:
		return awserr.New(code, "%d validation errors detected: %s", len(v), strings.Join(v, "; "))
	}
}

// invalidParameter returns an InvalidParameterValueException.
func invalidParameter(format string, args ...any) error {
	return awserr.New(awserr.InvalidParameterValue, format, args...)
}
