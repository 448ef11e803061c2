package async

import (
	"strconv"
	"strings"
)

// MaxChain is how many invocations one chain of events may make of
// functions before the recursion guard stops it (about 16 on AWS).
const MaxChain = 16

// lineageKey and lineageTag form lambdad's lineage entry in the X-Ray trace
// header, "Lineage=lambdad:<n>": n invocations made by this chain so far.
// AWS's own Lineage format is undocumented; this one is lambdad's.
const (
	lineageKey = "Lineage="
	lineageTag = "lambdad:"
)

// Lineage returns the invocation count of lambdad's lineage entry in the
// trace header trace; 0 when it has none (a chain's first invocation).
func Lineage(trace string) int {
	for field := range strings.SplitSeq(trace, ";") {
		v, ok := strings.CutPrefix(strings.TrimSpace(field), lineageKey)
		if !ok {
			continue
		}
		for entry := range strings.SplitSeq(v, "|") {
			if s, ok := strings.CutPrefix(entry, lineageTag); ok {
				if n, err := strconv.Atoi(s); err == nil && n >= 0 {
					return n
				}
			}
		}
	}
	return 0
}

// WithLineage returns trace with lambdad's lineage entry set to n, keeping
// the other fields (and other Lineage entries) as they are.
func WithLineage(trace string, n int) string {
	entry := lineageTag + strconv.Itoa(n)
	fields := strings.Split(trace, ";")
	for i, field := range fields {
		v, ok := strings.CutPrefix(strings.TrimSpace(field), lineageKey)
		if !ok {
			continue
		}
		entries := strings.Split(v, "|")
		kept := entries[:0]
		for _, e := range entries {
			if e != "" && !strings.HasPrefix(e, lineageTag) {
				kept = append(kept, e)
			}
		}
		fields[i] = lineageKey + strings.Join(append(kept, entry), "|")
		return strings.Join(fields, ";")
	}
	if trace == "" {
		return lineageKey + entry
	}
	return trace + ";" + lineageKey + entry
}

// Recursive reports whether an invocation whose caller's trace header is
// trace would exceed MaxChain, for a function with the recursive loop
// setting loop ("Allow" never stops).
func Recursive(trace, loop string) bool {
	return loop != "Allow" && Lineage(trace) >= MaxChain
}
