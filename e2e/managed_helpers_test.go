package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambdad/lambdad/internal/lambdadtest"
)

// needInterpreter skips the test when none of names is on PATH.
func needInterpreter(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err == nil {
			return
		}
	}
	t.Skipf("managed runtime test: none of %v on PATH (./scripts/test installs python3 and nodejs)", names)
}

// managedModes runs body once per isolation mode this host offers: off,
// and on when running as root on Linux.
func managedModes(t *testing.T, body func(t *testing.T, c *lambda.Client)) {
	modes := []string{"off"}
	if os.Geteuid() == 0 {
		modes = append(modes, "on")
	}
	for _, mode := range modes {
		t.Run("isolation="+mode, func(t *testing.T) {
			d := lambdadtest.Start(t, lambdadtest.Options{Args: []string{"--isolation", mode}})
			body(t, d.Client())
		})
	}
}

// deployManaged creates a function of a managed runtime.
func deployManaged(t *testing.T, c *lambda.Client, name string, runtime types.Runtime, handler string, zip []byte, timeout int32) {
	t.Helper()
	in := createInput(name, zip)
	in.Runtime = runtime
	in.Handler = aws.String(handler)
	in.MemorySize = aws.Int32(256)
	in.Timeout = aws.Int32(timeout)
	if _, err := c.CreateFunction(ctx(t), in); err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
}

// textFiles is a zip of text files.
func textFiles(t *testing.T, files map[string]string) []byte {
	t.Helper()
	m := make(map[string]lambdadtest.File, len(files))
	for name, s := range files {
		m[name] = lambdadtest.File{Data: []byte(s)}
	}
	return lambdadtest.Zip(t, m)
}

// requestIDOf returns the request id of the REPORT line of an invocation's
// log tail.
func reportRequestID(t *testing.T, log string) string {
	t.Helper()
	m := reportLine.FindStringSubmatch(log)
	if m == nil {
		t.Fatalf("no REPORT line in log:\n%s", log)
	}
	return m[1]
}

// functionError decodes an error payload into a generic map and compares it
// with want (a JSON object).
func wantErrorPayload(t *testing.T, out *lambda.InvokeOutput, want string) {
	t.Helper()
	if aws.ToString(out.FunctionError) != "Unhandled" {
		t.Errorf("FunctionError = %q, want Unhandled (payload %s)", aws.ToString(out.FunctionError), out.Payload)
	}
	var got, exp any
	if err := json.Unmarshal(out.Payload, &got); err != nil {
		t.Fatalf("error payload %s: %v", out.Payload, err)
	}
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		t.Fatal(err)
	}
	g, _ := json.Marshal(got)
	e, _ := json.Marshal(exp)
	if string(g) != string(e) {
		t.Errorf("error payload\n got %s\nwant %s", g, e)
	}
}

var isoTime = `\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`

func mustMatch(t *testing.T, what, pattern, s string) {
	t.Helper()
	if !regexp.MustCompile(pattern).MatchString(s) {
		t.Errorf("%s: %q does not match %s", what, s, pattern)
	}
}

// lineOf returns the 1-based number of the first line of src containing
// substr.
func lineOf(t *testing.T, src, substr string) int {
	t.Helper()
	for i, l := range strings.Split(src, "\n") {
		if strings.Contains(l, substr) {
			return i + 1
		}
	}
	t.Fatalf("%q not in source", substr)
	return 0
}
