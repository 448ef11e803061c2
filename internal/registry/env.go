package registry

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
)

// maxEnvironmentSize is AWS's limit on a function's environment variables,
// measured as their compact JSON object in UTF-8.
const maxEnvironmentSize = 4096

// reservedEnvironment are the variables Lambda sets itself and refuses in a
// function's configuration (PROTOCOLS §11.1; AWS_REGION, AWS_DEFAULT_REGION
// and the credentials are confirmed by real errors, the rest follows the
// developer guide's list of reserved variables). Names starting with "_" are
// refused by the name pattern already.
var reservedEnvironment = []string{
	"AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_DEFAULT_REGION",
	"AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
	"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION",
	"AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME",
	"AWS_LAMBDA_LOG_STREAM_NAME", "AWS_LAMBDA_MAX_CONCURRENCY",
	"AWS_LAMBDA_RUNTIME_API", "AWS_REGION", "AWS_SECRET_ACCESS_KEY",
	"AWS_SESSION_TOKEN", "LAMBDA_RUNTIME_DIR", "LAMBDA_TASK_ROOT",
}

// UnmarshalJSON decodes Environment and remembers the order of its
// variables, which AWS's size error quotes.
func (e *Environment) UnmarshalJSON(b []byte) error {
	var raw struct {
		Variables json.RawMessage `json:"Variables"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	e.Variables, e.order = nil, nil
	if len(raw.Variables) == 0 || string(raw.Variables) == "null" {
		return nil
	}
	if err := json.Unmarshal(raw.Variables, &e.Variables); err != nil {
		return err
	}
	// The map decoded, so the object is well formed: walk its keys.
	dec := json.NewDecoder(bytes.NewReader(raw.Variables))
	if _, err := dec.Token(); err != nil { // {
		return nil
	}
	seen := make(map[string]bool, len(e.Variables))
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil
		}
		k, _ := t.(string)
		if !seen[k] {
			seen[k] = true
			e.order = append(e.order, k)
		}
		if _, err := dec.Token(); err != nil { // the value: a string or null
			return nil
		}
	}
	return nil
}

// keys returns the variable names in request order when known, sorted
// otherwise.
func (e *Environment) keys() []string {
	if len(e.order) == len(e.Variables) {
		return e.order
	}
	ks := make([]string, 0, len(e.Variables))
	for k := range e.Variables {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// checkEnvironmentNames adds the model's violation for variable names that
// do not match its pattern. Variables are sensitive, so AWS quotes no value.
func checkEnvironmentNames(e *Environment, v *violations) {
	for k := range e.Variables {
		if !envNamePattern.re().MatchString(k) {
			v.addSensitive("environment.variables", "Map keys must satisfy constraint: [Member must satisfy regular expression pattern: "+envNamePattern.text+"]")
			return
		}
	}
}

// checkEnvironment applies AWS's rules beyond the model: no reserved
// variables, and at most 4 KB in all.
func checkEnvironment(e *Environment) error {
	var reserved []string
	for _, k := range e.keys() {
		if slices.Contains(reservedEnvironment, k) {
			reserved = append(reserved, k)
		}
	}
	if len(reserved) > 0 {
		return invalidParameter("Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: %s", strings.Join(reserved, ", "))
	}
	measured := compactEnvironment(e)
	if len(measured) > maxEnvironmentSize {
		return invalidParameter("Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: %s", measured)
	}
	return nil
}

// compactEnvironment is the variables as the compact JSON object AWS
// measures, in request order, without Go's HTML escaping.
func compactEnvironment(e *Environment) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	b.WriteByte('{')
	for i, k := range e.keys() {
		if i > 0 {
			b.WriteByte(',')
		}
		_ = enc.Encode(k) // a string always encodes
		b.Truncate(b.Len() - 1)
		b.WriteByte(':')
		_ = enc.Encode(e.Variables[k])
		b.Truncate(b.Len() - 1)
	}
	b.WriteByte('}')
	return b.String()
}
