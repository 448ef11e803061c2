package e2e

import (
	"encoding/json"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/lambdad/lambdad/internal/lambdadtest"
)

// goAsyncWorker logs every event it runs ("EVENT <request id> <event>")
// and fails when the event says {"fail":true}. As a destination it logs the
// records it receives.
const goAsyncWorker = `package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

func handler(ctx context.Context, event json.RawMessage) (json.RawMessage, error) {
	lc, _ := lambdacontext.FromContext(ctx)
	fmt.Printf("EVENT %s %s\n", lc.AwsRequestID, event)
	var in struct{ Fail bool ` + "`json:\"fail\"`" + ` }
	json.Unmarshal(event, &in)
	if in.Fail {
		return nil, errors.New("asked to fail")
	}
	return json.RawMessage(` + "`" + `{"done":true}` + "`" + `), nil
}

func main() { lambda.Start(handler) }
`

// asyncArgs make the async back-offs short enough for tests.
var asyncArgs = []string{"--async-retry-delay", "200ms", "--async-throttle-min", "50ms", "--async-throttle-max", "200ms", "--async-ack-wait", "3s"}

const fnARN = "arn:aws:lambda:us-east-1:123456789012:function:"

var eventLine = regexp.MustCompile(`(?m)^EVENT ([0-9a-f-]{36}) (.*)$`)

// events returns the "EVENT <id> <event>" lines function name has logged.
func events(t *testing.T, d *lambdadtest.Daemon, name string) [][]string {
	t.Helper()
	out, err := exec.Command(lambdadtest.Binary(t), "logs", name, "--data-dir", d.DataDir, "--account-id", lambdadtest.AccountID).CombinedOutput()
	if err != nil && !strings.Contains(string(out), "no log") {
		// A function that has not run yet has no log group.
		return nil
	}
	var lines [][]string
	for _, m := range eventLine.FindAllStringSubmatch(string(out), -1) {
		lines = append(lines, m[1:])
	}
	return lines
}

// waitEvents polls function name's log until it has logged n events, and
// fails if it logs more within settle afterwards.
func waitEvents(t *testing.T, d *lambdadtest.Daemon, name string, n int, settle time.Duration) [][]string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var got [][]string
	for {
		got = events(t, d, name)
		if len(got) >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(got) < n {
		t.Fatalf("%s logged %d events, want %d:\n%s", name, len(got), n, d.Output())
	}
	if settle > 0 {
		time.Sleep(settle) // nothing to poll for: proving that no more runs come
		got = events(t, d, name)
		if len(got) != n {
			t.Fatalf("%s logged %d events, want exactly %d: %v", name, len(got), n, got)
		}
	}
	return got
}

// record decodes a destination record and blanks its timestamp after
// checking its format.
func record(t *testing.T, s string) map[string]any {
	t.Helper()
	var rec map[string]any
	if err := json.Unmarshal([]byte(s), &rec); err != nil {
		t.Fatalf("record %s: %v", s, err)
	}
	ts, _ := rec["timestamp"].(string)
	if _, err := time.Parse("2006-01-02T15:04:05.000Z", ts); err != nil {
		t.Errorf("timestamp %q: %v", ts, err)
	}
	delete(rec, "timestamp")
	return rec
}

func wantRecord(t *testing.T, got map[string]any, want string) {
	t.Helper()
	b, _ := json.Marshal(got)
	var w map[string]any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	wb, _ := json.Marshal(w)
	if string(b) != string(wb) {
		t.Errorf("record\n got %s\nwant %s", b, wb)
	}
}

func TestAsyncInvokeAndOnSuccess(t *testing.T) {
	d := lambdadtest.Start(t, lambdadtest.Options{Args: asyncArgs})
	c := d.Client()
	zip := lambdadtest.GoZip(t, goAsyncWorker)
	deploy(t, c, "worker", zip)
	deploy(t, c, "sink", zip)
	if _, err := c.PutFunctionEventInvokeConfig(ctx(t), &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName:      aws.String("worker"),
		DestinationConfig: &types.DestinationConfig{OnSuccess: &types.OnSuccess{Destination: aws.String(fnARN + "sink")}},
	}); err != nil {
		t.Fatal(err)
	}

	out, err := c.Invoke(ctx(t), &lambda.InvokeInput{FunctionName: aws.String("worker"), InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"n":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	if out.StatusCode != 202 || len(out.Payload) != 0 || out.ExecutedVersion != nil {
		t.Errorf("Event invoke = %d %q %v", out.StatusCode, out.Payload, out.ExecutedVersion)
	}
	if _, err := c.Invoke(ctx(t), &lambda.InvokeInput{FunctionName: aws.String("worker:$LATEST"), InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"n":3}`)}); err != nil {
		t.Fatal(err)
	}
	asyncOut, err := c.InvokeAsync(ctx(t), &lambda.InvokeAsyncInput{FunctionName: aws.String("worker"), InvokeArgs: strings.NewReader(`{"n":2}`)})
	if err != nil {
		t.Fatal(err)
	}
	if asyncOut.Status != 202 {
		t.Errorf("InvokeAsync status %d", asyncOut.Status)
	}

	ran := waitEvents(t, d, "worker", 3, 0)
	recs := waitEvents(t, d, "sink", 3, 0)
	byPayload := map[string]string{}
	for _, r := range ran {
		byPayload[r[1]] = r[0]
	}
	if len(byPayload) != 3 || byPayload[`{"n":1}`] == "" || byPayload[`{"n":2}`] == "" || byPayload[`{"n":3}`] == "" {
		t.Fatalf("worker ran %v", ran)
	}
	for _, r := range recs {
		rec := record(t, r[1])
		payload, _ := json.Marshal(rec["requestPayload"])
		wantRecord(t, rec, `{"version":"1.0","requestContext":{"requestId":"`+byPayload[string(payload)]+`","functionArn":"`+fnARN+`worker:$LATEST","condition":"Success","approximateInvokeCount":1},
			"requestPayload":`+string(payload)+`,"responseContext":{"statusCode":200,"executedVersion":"$LATEST"},"responsePayload":{"done":true}}`)
	}

	// Limits and errors.
	big := `"` + strings.Repeat("x", 1<<20) + `"`
	_, err = c.Invoke(ctx(t), &lambda.InvokeInput{FunctionName: aws.String("worker"), InvocationType: types.InvocationTypeEvent, Payload: []byte(big)})
	wantAPIError(t, err, "RequestEntityTooLargeException", "1048578 byte payload is too large for the Event invocation type (limit 1048576 bytes)")
	_, err = c.Invoke(ctx(t), &lambda.InvokeInput{FunctionName: aws.String("nope"), InvocationType: types.InvocationTypeEvent})
	wantAPIError(t, err, "ResourceNotFoundException", "Function not found: "+fnARN+"nope:$LATEST")
	_, err = c.PutFunctionEventInvokeConfig(ctx(t), &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName:      aws.String("worker"),
		DestinationConfig: &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String("arn:aws:sqs:us-east-1:123456789012:q")}},
	})
	wantAPIError(t, err, "InvalidParameterValueException", "lambdad cannot deliver to Amazon SQS destinations (arn:aws:sqs:us-east-1:123456789012:q): only Lambda function destinations are supported.")
}

func TestAsyncRetriesAndOnFailure(t *testing.T) {
	d := lambdadtest.Start(t, lambdadtest.Options{Args: asyncArgs})
	c := d.Client()
	zip := lambdadtest.GoZip(t, goAsyncWorker)
	for _, tc := range []struct {
		name    string
		retries int32
	}{{"fails1", 1}, {"fails0", 0}} {
		t.Run(tc.name, func(t *testing.T) {
			deploy(t, c, tc.name, zip)
			deploy(t, c, tc.name+"-dlq", zip)
			if _, err := c.PutFunctionEventInvokeConfig(ctx(t), &lambda.PutFunctionEventInvokeConfigInput{
				FunctionName:         aws.String(tc.name),
				MaximumRetryAttempts: aws.Int32(tc.retries),
				DestinationConfig:    &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String(fnARN + tc.name + "-dlq")}},
			}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Invoke(ctx(t), &lambda.InvokeInput{FunctionName: aws.String(tc.name), InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"fail":true}`)}); err != nil {
				t.Fatal(err)
			}
			recs := waitEvents(t, d, tc.name+"-dlq", 1, 0)
			// The record comes after the last attempt: the count is final.
			want := int(tc.retries) + 1
			ran := waitEvents(t, d, tc.name, want, time.Second)
			for _, r := range ran {
				if r[0] != ran[0][0] {
					t.Errorf("attempts with different request ids: %v", ran)
				}
			}
			wantRecord(t, record(t, recs[0][1]), `{"version":"1.0","requestContext":{"requestId":"`+ran[0][0]+`","functionArn":"`+fnARN+tc.name+`:$LATEST","condition":"RetriesExhausted","approximateInvokeCount":`+string(rune('0'+want))+`},
				"requestPayload":{"fail":true},"responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":"Unhandled"},
				"responsePayload":{"errorMessage":"asked to fail","errorType":"errorString"}}`)
		})
	}
}

// TestAsyncSurvivesKill queues events for a function that cannot run
// (reserved concurrency 0: they are throttled and wait), kills lambdad with
// SIGKILL, restarts it and lets the function run: every event runs.
func TestAsyncSurvivesKill(t *testing.T) {
	d := lambdadtest.Start(t, lambdadtest.Options{Args: asyncArgs})
	c := d.Client()
	deploy(t, c, "held", lambdadtest.GoZip(t, goAsyncWorker))
	if _, err := c.PutFunctionConcurrency(ctx(t), &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("held"), ReservedConcurrentExecutions: aws.Int32(0)}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := c.Invoke(ctx(t), &lambda.InvokeInput{FunctionName: aws.String("held"), InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"i":` + string(rune('0'+i)) + `}`)}); err != nil {
			t.Fatal(err)
		}
	}
	d.Restart(true)
	c = d.Client()
	if got := events(t, d, "held"); len(got) != 0 {
		t.Fatalf("held ran before it was released: %v", got)
	}
	if _, err := c.DeleteFunctionConcurrency(ctx(t), &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String("held")}); err != nil {
		t.Fatal(err)
	}
	ran := waitEvents(t, d, "held", 3, 0)
	seen := map[string]bool{}
	for _, r := range ran {
		seen[r[1]] = true
	}
	if !seen[`{"i":0}`] || !seen[`{"i":1}`] || !seen[`{"i":2}`] {
		t.Errorf("ran %v", ran)
	}
	out, err := exec.Command(lambdadtest.Binary(t), "async-stats", "--data-dir", d.DataDir).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "succeeded  3") {
		// Counts are since the restart; the file is rewritten every second.
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) && (err != nil || !strings.Contains(string(out), "succeeded  3")) {
			time.Sleep(200 * time.Millisecond)
			out, err = exec.Command(lambdadtest.Binary(t), "async-stats", "--data-dir", d.DataDir).CombinedOutput()
		}
		if err != nil || !strings.Contains(string(out), "succeeded  3") {
			t.Errorf("async-stats: %v\n%s", err, out)
		}
	}
}

// curlLoop is a shell function that invokes itself asynchronously, as a
// function with an AWS SDK would: it signs with the credentials in its
// environment (curl --aws-sigv4) and forwards its trace header. The event
// {"left":n} says how many more times; it logs "EVENT <id> <event>".
const curlLoop = `#!/bin/sh
set -eu
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation"
while true; do
  H=$(mktemp)
  EVENT=$(curl -sS -LD "$H" "$API/next")
  ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$H" | tr -d '[:space:]' | cut -d: -f2)
  TRACE=$(grep -Fi Lambda-Runtime-Trace-Id "$H" | cut -d: -f2- | tr -d '[:space:]')
  rm -f "$H"
  echo "EVENT $ID $EVENT"
  echo "TRACE $TRACE"
  LEFT=$(echo "$EVENT" | sed -n 's/.*"left":\([0-9]*\).*/\1/p')
  if [ "${LEFT:-0}" -gt 0 ]; then
    curl -sS -o /dev/null -w "INVOKE %{http_code}\n" --aws-sigv4 "aws:amz:${AWS_REGION}:lambda" --user "${TEST_KEY_ID}:${TEST_SECRET}" \
      -H "X-Amz-Invocation-Type: Event" -H "X-Amzn-Trace-Id: $TRACE" -H "Content-Type: application/json" \
      --data "{\"left\":$((LEFT - 1))}" "${TEST_ENDPOINT}/2015-03-31/functions/${AWS_LAMBDA_FUNCTION_NAME}/invocations" || true
  fi
  curl -sS -o /dev/null -X POST "$API/$ID/response" --data '{}'
done
`

// TestRecursionControl runs a self-invoking function: under Terminate (the
// default) lambdad stops the chain after 16 invocations and sends the event
// to the on-failure destination; under Allow the chain runs to its end.
func TestRecursionControl(t *testing.T) {
	d := lambdadtest.Start(t, lambdadtest.Options{Args: asyncArgs})
	c := d.Client()
	env := &types.Environment{Variables: map[string]string{
		"TEST_KEY_ID": lambdadtest.AccessKeyID, "TEST_SECRET": lambdadtest.SecretAccessKey, "TEST_ENDPOINT": d.URL,
	}}
	loopZip := lambdadtest.ScriptZip(t, curlLoop)
	withEnv := func(in *lambda.CreateFunctionInput) { in.Environment = env }
	deploy(t, c, "loop", loopZip, withEnv)
	deploy(t, c, "loop-dlq", lambdadtest.GoZip(t, goAsyncWorker))
	deploy(t, c, "loop-ok", loopZip, withEnv)
	if _, err := c.PutFunctionEventInvokeConfig(ctx(t), &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName:      aws.String("loop"),
		DestinationConfig: &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String(fnARN + "loop-dlq")}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutFunctionRecursionConfig(ctx(t), &lambda.PutFunctionRecursionConfigInput{FunctionName: aws.String("loop-ok"), RecursiveLoop: types.RecursiveLoopAllow}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"loop", "loop-ok"} {
		if _, err := c.Invoke(ctx(t), &lambda.InvokeInput{FunctionName: aws.String(name), InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"left":20}`)}); err != nil {
			t.Fatal(err)
		}
	}

	recs := waitEvents(t, d, "loop-dlq", 1, 0)
	ran := waitEvents(t, d, "loop", 16, time.Second)
	if ran[15][1] != `{"left":5}` {
		t.Errorf("last run of loop: %v", ran[15])
	}
	rec := record(t, recs[0][1])
	rc, _ := rec["requestContext"].(map[string]any)
	if rc["condition"] != "RecursiveInvocationDetected" || rc["functionArn"] != fnARN+"loop:$LATEST" || rc["approximateInvokeCount"] != float64(0) {
		t.Errorf("record %v", rec)
	}
	if p, _ := json.Marshal(rec["requestPayload"]); string(p) != `{"left":4}` {
		t.Errorf("record payload %s", p)
	}
	waitEvents(t, d, "loop-ok", 21, time.Second)

	// A synchronous invoke whose chain is at the limit is refused.
	traced := func(trace string) func(*lambda.Options) {
		return func(o *lambda.Options) {
			o.APIOptions = append(o.APIOptions, smithyhttp.AddHeaderValue("X-Amzn-Trace-Id", trace))
		}
	}
	_, err := c.Invoke(ctx(t), &lambda.InvokeInput{FunctionName: aws.String("loop-dlq"), Payload: []byte(`{}`)}, traced("Root=1-5759e988-bd862e3fe1be46a994272793;Lineage=lambdad:16"))
	wantAPIError(t, err, "RecursiveInvocationException", "Lambda has detected your function being invoked in a recursive loop with other AWS resources and stopped your function's invocation.")
	if _, err := c.Invoke(ctx(t), &lambda.InvokeInput{FunctionName: aws.String("loop-dlq"), Payload: []byte(`{}`)}, traced("Root=1-5759e988-bd862e3fe1be46a994272793;Lineage=lambdad:15")); err != nil {
		t.Errorf("invoke at chain 15: %v", err)
	}
}
