package e2e

import (
	"encoding/base64"
	"encoding/json"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambdad/lambdad/internal/lambdadtest"
)

const pythonApp = `import json
import logging
import os
import time

logger = logging.getLogger()
logger.setLevel(logging.INFO)
COUNT = 0


def handler(event, context):
    global COUNT
    COUNT += 1
    print("print line", COUNT)
    logger.info("logging line %d", COUNT)
    cc = context.client_context
    return {
        "event": event,
        "count": COUNT,
        "pid": os.getpid(),
        "context": {
            "function_name": context.function_name,
            "function_version": context.function_version,
            "invoked_function_arn": context.invoked_function_arn,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "aws_request_id": context.aws_request_id,
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
            "remaining_ok": 0 < context.get_remaining_time_in_millis() <= 3000,
            "identity": [context.identity.cognito_identity_id, context.identity.cognito_identity_pool_id],
            "custom": cc.custom if cc else None,
            "app_title": cc.client.app_title if cc and cc.client else None,
        },
        "execution_env": os.environ.get("AWS_EXECUTION_ENV"),
    }


def fail(event, context):
    raise ValueError("boom " + str(event["n"]))


def unserialisable(event, context):
    return {"s": {1, 2}}


def sleepy(event, context):
    time.sleep(event["s"])
    return "done"


def none(event, context):
    pass
`

func pythonZip(t *testing.T) []byte {
	return textFiles(t, map[string]string{
		"app.py":              pythonApp,
		"broken.py":           "def handler(event, context)\n    return 1\n",
		"pkg/__init__.py":     "",
		"pkg/helper.py":       "VALUE = 'from pkg.helper'\n",
		"pkg/sub/__init__.py": "",
		"pkg/sub/mod.py":      "from pkg import helper\n\n\ndef handler(event, context):\n    return {'value': helper.VALUE, 'module': __name__}\n",
	})
}

func TestPythonHandler(t *testing.T) {
	needInterpreter(t, "python3")
	managedModes(t, func(t *testing.T, c *lambda.Client) {
		zip := pythonZip(t)
		deployManaged(t, c, "py", types.RuntimePython312, "app.handler", zip, 3)

		t.Run("round trip", func(t *testing.T) {
			payload := `{"a":1,"nested":{"list":[1,2,"three"]},"unicode":"h\u00e9llo"}`
			clientContext := base64.StdEncoding.EncodeToString([]byte(`{"custom":{"k":"v"},"client":{"app_title":"t"},"env":{}}`))
			out := invokeJSON(t, c, "py", payload, tail, func(in *lambda.InvokeInput) { in.ClientContext = aws.String(clientContext) })
			if out.StatusCode != 200 || out.FunctionError != nil {
				t.Fatalf("status %d FunctionError %q: %s", out.StatusCode, aws.ToString(out.FunctionError), out.Payload)
			}
			log := decodeLog(t, out)
			reqID := reportRequestID(t, log)
			var got struct {
				Event        json.RawMessage
				Count        int
				Context      map[string]any
				ExecutionEnv string `json:"execution_env"`
			}
			if err := json.Unmarshal(out.Payload, &got); err != nil {
				t.Fatalf("payload %s: %v", out.Payload, err)
			}
			if string(got.Event) != `{"a": 1, "nested": {"list": [1, 2, "three"]}, "unicode": "h\u00e9llo"}` && string(got.Event) != `{"a": 1, "nested": {"list": [1, 2, "three"]}, "unicode": "héllo"}` {
				t.Errorf("event = %s", got.Event)
			}
			if !strings.Contains(string(out.Payload), `"unicode": "héllo"`) {
				t.Errorf("payload is not AWS's encoding (spaces after separators, non-ASCII as is): %s", out.Payload)
			}
			want := map[string]any{
				"function_name":        "py",
				"function_version":     "$LATEST",
				"invoked_function_arn": "arn:aws:lambda:" + lambdadtest.Region + ":" + lambdadtest.AccountID + ":function:py",
				"memory_limit_in_mb":   "256",
				"aws_request_id":       reqID,
				"log_group_name":       "/aws/lambda/py",
				"remaining_ok":         true,
				"identity":             []any{nil, nil},
				"custom":               map[string]any{"k": "v"},
				"app_title":            "t",
			}
			for k, v := range want {
				g, _ := json.Marshal(got.Context[k])
				w, _ := json.Marshal(v)
				if string(g) != string(w) {
					t.Errorf("context.%s = %s, want %s", k, g, w)
				}
			}
			mustMatch(t, "log_stream_name", `^\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}$`, got.Context["log_stream_name"].(string))
			if got.Count != 1 || got.ExecutionEnv != "AWS_Lambda_python3.12" {
				t.Errorf("count %d AWS_EXECUTION_ENV %q", got.Count, got.ExecutionEnv)
			}
			mustMatch(t, "log", `(?m)^print line 1\n\[INFO\]\t`+isoTime+`\t`+reqID+`\tlogging line 1\n`, log)
		})

		t.Run("warm reuse", func(t *testing.T) {
			var first, second struct{ Count, Pid int }
			json.Unmarshal(invokeJSON(t, c, "py", `{}`).Payload, &first)
			json.Unmarshal(invokeJSON(t, c, "py", `{}`).Payload, &second)
			if second.Count != first.Count+1 || second.Pid != first.Pid || first.Pid == 0 {
				t.Errorf("module state not kept: %+v then %+v", first, second)
			}
		})

		t.Run("null result", func(t *testing.T) {
			deployManaged(t, c, "py-none", types.RuntimePython312, "app.none", zip, 3)
			out := invokeJSON(t, c, "py-none", `{}`)
			if out.FunctionError != nil || string(out.Payload) != "null" {
				t.Errorf("FunctionError %q payload %s, want null", aws.ToString(out.FunctionError), out.Payload)
			}
		})

		t.Run("exception", func(t *testing.T) {
			deployManaged(t, c, "py-fail", types.RuntimePython312, "app.fail", zip, 3)
			out := invokeJSON(t, c, "py-fail", `{"n":7}`, tail)
			log := decodeLog(t, out)
			reqID := reportRequestID(t, log)
			var e struct {
				ErrorMessage string   `json:"errorMessage"`
				ErrorType    string   `json:"errorType"`
				RequestID    string   `json:"requestId"`
				StackTrace   []string `json:"stackTrace"`
			}
			if err := json.Unmarshal(out.Payload, &e); err != nil {
				t.Fatalf("payload %s: %v", out.Payload, err)
			}
			if aws.ToString(out.FunctionError) != "Unhandled" || e.ErrorMessage != "boom 7" || e.ErrorType != "ValueError" || e.RequestID != reqID || len(e.StackTrace) != 1 {
				t.Fatalf("FunctionError %q payload %s", aws.ToString(out.FunctionError), out.Payload)
			}
			line := strconv.Itoa(lineOf(t, pythonApp, `raise ValueError`))
			mustMatch(t, "stack frame", `^  File ".*/app\.py", line `+line+`, in fail\n    raise ValueError\("boom " \+ str\(event\["n"\]\)\)\n$`, e.StackTrace[0])
			if !strings.HasPrefix(string(out.Payload), `{"errorMessage": "boom 7", "errorType": "ValueError", "requestId": "`) {
				t.Errorf("payload key order or spacing differs from AWS's: %s", out.Payload)
			}
			mustMatch(t, "log", `(?m)^\[ERROR\] ValueError: boom 7\rTraceback \(most recent call last\):\r  File ".*/app\.py", line `+line+`, in fail\r    raise`, log)
		})

		t.Run("unserialisable result", func(t *testing.T) {
			deployManaged(t, c, "py-marshal", types.RuntimePython312, "app.unserialisable", zip, 3)
			out := invokeJSON(t, c, "py-marshal", `{}`, tail)
			reqID := reportRequestID(t, decodeLog(t, out))
			wantErrorPayload(t, out, `{"errorMessage":"Unable to marshal response: Object of type set is not JSON serializable","errorType":"Runtime.MarshalError","requestId":"`+reqID+`","stackTrace":[]}`)
		})

		t.Run("sub-packages", func(t *testing.T) {
			// /opt (layers) is not wired yet; these are the /var/task cases.
			for i, h := range []string{"pkg/sub/mod.handler", "pkg.sub.mod.handler"} {
				name := "py-pkg" + string(rune('a'+i))
				deployManaged(t, c, name, types.RuntimePython311, h, zip, 3)
				out := invokeJSON(t, c, name, `{}`)
				if out.FunctionError != nil || string(out.Payload) != `{"value": "from pkg.helper", "module": "pkg.sub.mod"}` {
					t.Errorf("%s: FunctionError %q payload %s", h, aws.ToString(out.FunctionError), out.Payload)
				}
			}
		})

		t.Run("init errors", func(t *testing.T) {
			tests := []struct{ name, handler, want string }{
				{"py-nomod", "nomodule.handler", `{"errorMessage":"Unable to import module 'nomodule': No module named 'nomodule'","errorType":"Runtime.ImportModuleError","requestId":"","stackTrace":[]}`},
				{"py-nohandler", "app.nope", `{"errorMessage":"Handler 'nope' missing on module 'app'","errorType":"Runtime.HandlerNotFound","requestId":"","stackTrace":[]}`},
				{"py-malformed", "app", `{"errorMessage":"Bad handler 'app': not enough values to unpack (expected 2, got 1)","errorType":"Runtime.MalformedHandlerName","requestId":"","stackTrace":[]}`},
			}
			for _, tt := range tests {
				t.Run(tt.handler, func(t *testing.T) {
					deployManaged(t, c, tt.name, types.RuntimePython313, tt.handler, zip, 3)
					out := invokeJSON(t, c, tt.name, `{}`, tail)
					wantErrorPayload(t, out, tt.want)
					var e struct{ ErrorType, ErrorMessage string }
					json.Unmarshal([]byte(tt.want), &e)
					if log := decodeLog(t, out); !strings.Contains(log, "[ERROR] "+e.ErrorType+": "+e.ErrorMessage+"\n") {
						t.Errorf("log lacks the error line:\n%s", log)
					}
				})
			}
			deployManaged(t, c, "py-syntax", types.RuntimePython312, "broken.handler", zip, 3)
			out := invokeJSON(t, c, "py-syntax", `{}`)
			var e struct {
				ErrorMessage string `json:"errorMessage"`
				ErrorType    string `json:"errorType"`
			}
			json.Unmarshal(out.Payload, &e)
			if aws.ToString(out.FunctionError) != "Unhandled" || e.ErrorType != "Runtime.UserCodeSyntaxError" ||
				!regexp.MustCompile(`^Syntax error in module 'broken': .*\(broken\.py, line 1\)$`).MatchString(e.ErrorMessage) {
				t.Errorf("syntax error: FunctionError %q payload %s", aws.ToString(out.FunctionError), out.Payload)
			}
		})

		t.Run("timeout", func(t *testing.T) {
			deployManaged(t, c, "py-sleep", types.RuntimePython312, "app.sleepy", zip, 1)
			out := invokeJSON(t, c, "py-sleep", `{"s":5}`)
			var e struct{ ErrorType, ErrorMessage string }
			json.Unmarshal(out.Payload, &e)
			if aws.ToString(out.FunctionError) != "Unhandled" || e.ErrorType != "Sandbox.Timedout" || !strings.HasSuffix(e.ErrorMessage, "Task timed out after 1.00 seconds") {
				t.Errorf("timeout: FunctionError %q payload %s", aws.ToString(out.FunctionError), out.Payload)
			}
			// The next invocation gets a fresh environment.
			out = invokeJSON(t, c, "py-sleep", `{"s":0}`)
			if out.FunctionError != nil || string(out.Payload) != `"done"` {
				t.Errorf("after timeout: FunctionError %q payload %s", aws.ToString(out.FunctionError), out.Payload)
			}
		})
	})
}

// TestRuntimeInterpreterConfig covers a host without the interpreter (the
// invocation fails as AWS fails a runtime that cannot start) and the
// --runtime-interpreter override.
func TestRuntimeInterpreterConfig(t *testing.T) {
	needInterpreter(t, "python3")
	python, _ := exec.LookPath("python3")
	empty := t.TempDir()
	zip := pythonZip(t)

	d := lambdadtest.Start(t, lambdadtest.Options{Args: []string{"--isolation", "off"}, Env: []string{"PATH=" + empty}})
	c := d.Client()
	deployManaged(t, c, "py", types.RuntimePython312, "app.handler", zip, 3)
	out := invokeJSON(t, c, "py", `{}`)
	var e struct{ ErrorType, ErrorMessage string }
	json.Unmarshal(out.Payload, &e)
	want := "Error: Runtime python3.12 has no interpreter on this host: no working python3.12 or python3 on PATH; set one with --runtime-interpreter python3.12=/path/to/python3"
	if aws.ToString(out.FunctionError) != "Unhandled" || e.ErrorType != "Runtime.InvalidEntrypoint" || !strings.HasSuffix(e.ErrorMessage, want) {
		t.Errorf("without interpreter: FunctionError %q payload %s", aws.ToString(out.FunctionError), out.Payload)
	}
	d.Stop()

	d = lambdadtest.Start(t, lambdadtest.Options{Args: []string{"--isolation", "off", "--runtime-interpreter", "python=" + python}, Env: []string{"PATH=" + empty}})
	c = d.Client()
	deployManaged(t, c, "py", types.RuntimePython312, "app.handler", zip, 3)
	out = invokeJSON(t, c, "py", `{"x":1}`)
	if out.FunctionError != nil || !strings.HasPrefix(string(out.Payload), `{"event": {"x": 1}, "count": 1,`) {
		t.Errorf("with --runtime-interpreter: FunctionError %q payload %s", aws.ToString(out.FunctionError), out.Payload)
	}
}
