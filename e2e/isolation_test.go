package e2e

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lambdad/lambdad/internal/lambdadtest"
)

// victimBootstrap answers every event with its own Runtime API address.
const victimBootstrap = `#!/bin/sh
set -eu
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01"
while true; do
  HEADERS="$(mktemp)"
  curl -sS -LD "$HEADERS" "$API/runtime/invocation/next" >/dev/null
  REQUEST_ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
  rm -f "$HEADERS"
  curl -sS -X POST "$API/runtime/invocation/$REQUEST_ID/response" -d "{\"api\":\"$AWS_LAMBDA_RUNTIME_API\"}" >/dev/null
done
`

// attackerBootstrap gets another environment's Runtime API address in its
// event ({"target":"host:port"}) and tries to answer an invocation there
// and to fetch the next one; for comparison it makes the same answer on
// its own Runtime API. It reports the HTTP status of each attempt, 000
// when there was no HTTP answer.
const attackerBootstrap = `#!/bin/sh
set -u
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01"
probe() { curl -s -o /dev/null -w '%{http_code}' -m 3 "$@"; }
while true; do
  HEADERS="$(mktemp)"
  EVENT=$(curl -sS -LD "$HEADERS" "$API/runtime/invocation/next")
  REQUEST_ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
  rm -f "$HEADERS"
  TARGET=$(printf '%s' "$EVENT" | sed -n 's/.*"target":"\([^"]*\)".*/\1/p')
  OTHER_ANSWER=$(probe -X POST -d '"stolen"' "http://$TARGET/2018-06-01/runtime/invocation/x/response")
  OTHER_NEXT=$(probe "http://$TARGET/2018-06-01/runtime/invocation/next")
  OWN_ANSWER=$(probe -X POST -d '"stolen"' "$API/runtime/invocation/x/response")
  curl -sS -X POST "$API/runtime/invocation/$REQUEST_ID/response" \
    -d "{\"other_answer\":\"$OTHER_ANSWER\",\"other_next\":\"$OTHER_NEXT\",\"own_answer\":\"$OWN_ANSWER\"}" >/dev/null
done
`

// TestRuntimeAPIIsolation: a function that knows another environment's
// Runtime API address cannot reach it (the connection is closed unanswered),
// while its own Runtime API answers the same request; the other environment
// is untouched. Isolated mode only: unisolated, every environment runs as
// lambdad's user and can reach the others (README, known limits).
func TestRuntimeAPIIsolation(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	d := lambdadtest.Start(t, lambdadtest.Options{})
	if !strings.Contains(d.Output(), "sandbox=isolated") {
		t.Skip("lambdad runs unisolated here (not root): environments share lambdad's uid")
	}
	c := d.Client()
	deploy(t, c, "victim", lambdadtest.ScriptZip(t, victimBootstrap))
	// Time enough for the attempts to show what they got if they got through.
	deploy(t, c, "attacker", lambdadtest.ScriptZip(t, attackerBootstrap), func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(20) })

	// The victim's environment stays warm, its runtime waiting on GET /next.
	var victim struct{ API string }
	out := invokeJSON(t, c, "victim", `{}`)
	if err := json.Unmarshal(out.Payload, &victim); err != nil || !strings.HasPrefix(victim.API, "127.0.0.1:") {
		t.Fatalf("victim answered %s (%v)", out.Payload, err)
	}

	out = invokeJSON(t, c, "attacker", `{"target":"`+victim.API+`"}`)
	want := `{"other_answer":"000","other_next":"000","own_answer":"400"}`
	if out.FunctionError != nil || string(out.Payload) != want {
		t.Errorf("attacker: FunctionError %q payload %s, want %s", aws.ToString(out.FunctionError), out.Payload, want)
	}
	if !strings.Contains(d.Output(), "runtime API connection refused") {
		t.Errorf("no refusal logged:\n%s", d.Output())
	}

	// The victim's warm environment answers its own next invocation.
	out = invokeJSON(t, c, "victim", `{}`, tail)
	if string(out.Payload) != `{"api":"`+victim.API+`"}` || reportLine.FindStringSubmatch(decodeLog(t, out))[3] != "" {
		t.Errorf("victim after the attempt: %s\n%s", out.Payload, decodeLog(t, out))
	}
}
