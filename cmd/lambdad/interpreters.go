package main

import (
	"fmt"
	"strings"
)

// interpreters is the value of the repeatable --runtime-interpreter flag
// and of LAMBDAD_RUNTIME_INTERPRETERS (comma-separated): RUNTIME=PATH,
// where RUNTIME is a managed runtime (python3.12) or a language (python,
// nodejs).
type interpreters map[string]string

func (m interpreters) String() string {
	parts := make([]string, 0, len(m))
	for k, v := range m {
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, ",")
}

// Set adds one or more comma-separated RUNTIME=PATH pairs.
func (m interpreters) Set(s string) error {
	for _, pair := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(pair, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return fmt.Errorf("runtime interpreter %q: want RUNTIME=PATH", pair)
		}
		m[k] = v
	}
	return nil
}
