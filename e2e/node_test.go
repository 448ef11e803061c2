package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambdad/lambdad/internal/lambdadtest"
)

const nodeIndex = `let count = 0;

exports.handler = async (event, context) => {
  count++;
  console.log('console line', count, {k: 'v'});
  console.error('multi\nline');
  return {
    event,
    count,
    pid: process.pid,
    context: {
      functionName: context.functionName,
      functionVersion: context.functionVersion,
      invokedFunctionArn: context.invokedFunctionArn,
      memoryLimitInMB: context.memoryLimitInMB,
      awsRequestId: context.awsRequestId,
      logGroupName: context.logGroupName,
      logStreamName: context.logStreamName,
      callbackWaitsForEmptyEventLoop: context.callbackWaitsForEmptyEventLoop,
      remainingOk: context.getRemainingTimeInMillis() > 0 && context.getRemainingTimeInMillis() <= 3000,
      custom: context.clientContext && context.clientContext.custom,
    },
    executionEnv: process.env.AWS_EXECUTION_ENV,
  };
};

exports.reject = async (event) => {
  throw new TypeError('bad ' + event.n);
};

exports.callbackOk = (event, context, callback) => {
  setTimeout(() => callback(null, { via: 'callback', n: event.n }), 10);
};

exports.callbackErr = (event, context, callback) => {
  callback(new Error('cb failed'));
};

exports.callbackString = (event, context, callback) => {
  callback('plain string');
};

exports.waits = (event, context, callback) => {
  setTimeout(() => console.log('timer fired'), 100);
  callback(null, 'after the timer');
};

exports.noWait = (event, context, callback) => {
  context.callbackWaitsForEmptyEventLoop = false;
  setTimeout(() => console.log('late timer'), 500);
  callback(null, 'at once');
};

exports.sleepy = (event) => new Promise((resolve) => setTimeout(() => resolve('done'), event.ms));

exports.nested = { fn: async () => 'nested' };

exports.usesDep = async () => require('dep').greet();

exports.notFunction = 42;

exports.uncaught = (event, context, callback) => {
  setTimeout(() => { throw new RangeError('thrown from a timer'); }, 1);
};

exports.unhandled = async () => {
  Promise.reject(new Error('nobody catches me'));
  return new Promise((resolve) => setTimeout(() => resolve('too late'), 200));
};
`

func nodeZip(t *testing.T) []byte {
	return textFiles(t, map[string]string{
		"index.js":                  nodeIndex,
		"esm.mjs":                   "export const handler = async (event) => ({ esm: true, url: import.meta.url.endsWith('/esm.mjs') });\n",
		"legacy.cjs":                "module.exports.handler = async () => 'cjs';\n",
		"sub/package.json":          `{"type":"module"}`,
		"sub/mod.js":                "import { v } from './lib.js';\nexport const handler = async () => ({ v });\n",
		"sub/lib.js":                "export const v = 'esm by package type';\n",
		"node_modules/dep/index.js": "module.exports = { greet: () => 'hi from dep' };\n",
		"broken.js":                 "exports.handler = async ( => 1;\n",
		"throws.js":                 "throw new RangeError('init went wrong');\n",
	})
}

func TestNodeHandler(t *testing.T) {
	needInterpreter(t, "node", "nodejs")
	managedModes(t, func(t *testing.T, c *lambda.Client) {
		zip := nodeZip(t)
		deployManaged(t, c, "js", types.RuntimeNodejs22x, "index.handler", zip, 3)

		t.Run("round trip", func(t *testing.T) {
			payload := `{"a":1,"nested":{"list":[1,2,"three"]},"unicode":"h\u00e9llo"}`
			out := invokeJSON(t, c, "js", payload, tail, func(in *lambda.InvokeInput) {
				in.ClientContext = aws.String("eyJjdXN0b20iOnsiayI6InYifX0=") // {"custom":{"k":"v"}}
			})
			if out.StatusCode != 200 || out.FunctionError != nil {
				t.Fatalf("status %d FunctionError %q: %s", out.StatusCode, aws.ToString(out.FunctionError), out.Payload)
			}
			log := decodeLog(t, out)
			reqID := reportRequestID(t, log)
			var got struct {
				Event        json.RawMessage
				Count        int
				Context      map[string]any
				ExecutionEnv string
			}
			if err := json.Unmarshal(out.Payload, &got); err != nil {
				t.Fatalf("payload %s: %v", out.Payload, err)
			}
			if string(got.Event) != `{"a":1,"nested":{"list":[1,2,"three"]},"unicode":"héllo"}` {
				t.Errorf("event = %s", got.Event)
			}
			want := map[string]any{
				"functionName":                   "js",
				"functionVersion":                "$LATEST",
				"invokedFunctionArn":             "arn:aws:lambda:" + lambdadtest.Region + ":" + lambdadtest.AccountID + ":function:js",
				"memoryLimitInMB":                "256",
				"awsRequestId":                   reqID,
				"logGroupName":                   "/aws/lambda/js",
				"callbackWaitsForEmptyEventLoop": true,
				"remainingOk":                    true,
				"custom":                         map[string]any{"k": "v"},
			}
			for k, v := range want {
				g, _ := json.Marshal(got.Context[k])
				w, _ := json.Marshal(v)
				if string(g) != string(w) {
					t.Errorf("context.%s = %s, want %s", k, g, w)
				}
			}
			if got.Count != 1 || got.ExecutionEnv != "AWS_Lambda_nodejs22.x" {
				t.Errorf("count %d AWS_EXECUTION_ENV %q", got.Count, got.ExecutionEnv)
			}
			mustMatch(t, "log", `(?m)^`+isoTime+`\t`+reqID+`\tINFO\tconsole line 1 \{ k: 'v' \}\n`+isoTime+`\t`+reqID+`\tERROR\tmulti\rline\n`, log)
		})

		t.Run("warm reuse", func(t *testing.T) {
			var first, second struct{ Count, Pid int }
			json.Unmarshal(invokeJSON(t, c, "js", `{}`).Payload, &first)
			json.Unmarshal(invokeJSON(t, c, "js", `{}`).Payload, &second)
			if second.Count != first.Count+1 || second.Pid != first.Pid || first.Pid == 0 {
				t.Errorf("module state not kept: %+v then %+v", first, second)
			}
		})

		t.Run("results", func(t *testing.T) {
			tests := []struct{ handler, event, want string }{
				{"index.callbackOk", `{"n":3}`, `{"via":"callback","n":3}`},
				{"index.nested.fn", `{}`, `"nested"`},
				{"index.usesDep", `{}`, `"hi from dep"`},
				{"esm.handler", `{}`, `{"esm":true,"url":true}`},
				{"legacy.handler", `{}`, `"cjs"`},
				{"sub/mod.handler", `{}`, `{"v":"esm by package type"}`},
			}
			for i, tt := range tests {
				t.Run(tt.handler, func(t *testing.T) {
					name := "js-r" + string(rune('a'+i))
					deployManaged(t, c, name, types.RuntimeNodejs20x, tt.handler, zip, 3)
					out := invokeJSON(t, c, name, tt.event)
					if out.FunctionError != nil || string(out.Payload) != tt.want {
						t.Errorf("FunctionError %q payload %s, want %s", aws.ToString(out.FunctionError), out.Payload, tt.want)
					}
				})
			}
		})

		t.Run("callbackWaitsForEmptyEventLoop", func(t *testing.T) {
			deployManaged(t, c, "js-waits", types.RuntimeNodejs22x, "index.waits", zip, 3)
			out := invokeJSON(t, c, "js-waits", `{}`, tail)
			if log := decodeLog(t, out); string(out.Payload) != `"after the timer"` || !strings.Contains(log, "\tINFO\ttimer fired\n") {
				t.Errorf("payload %s, log:\n%s", out.Payload, log)
			}
			deployManaged(t, c, "js-nowait", types.RuntimeNodejs22x, "index.noWait", zip, 3)
			out = invokeJSON(t, c, "js-nowait", `{}`, tail)
			if log := decodeLog(t, out); string(out.Payload) != `"at once"` || strings.Contains(log, "late timer") {
				t.Errorf("payload %s, log:\n%s", out.Payload, log)
			}
		})

		t.Run("errors", func(t *testing.T) {
			deployManaged(t, c, "js-reject", types.RuntimeNodejs22x, "index.reject", zip, 3)
			out := invokeJSON(t, c, "js-reject", `{"n":7}`, tail)
			var e struct {
				ErrorType    string   `json:"errorType"`
				ErrorMessage string   `json:"errorMessage"`
				Trace        []string `json:"trace"`
			}
			if err := json.Unmarshal(out.Payload, &e); err != nil {
				t.Fatalf("payload %s: %v", out.Payload, err)
			}
			if aws.ToString(out.FunctionError) != "Unhandled" || e.ErrorType != "TypeError" || e.ErrorMessage != "bad 7" ||
				len(e.Trace) < 2 || e.Trace[0] != "TypeError: bad 7" || !strings.Contains(e.Trace[1], "index.js:") ||
				!strings.HasPrefix(string(out.Payload), `{"errorType":"TypeError","errorMessage":"bad 7","trace":["TypeError: bad 7",`) {
				t.Errorf("rejection: FunctionError %q payload %s", aws.ToString(out.FunctionError), out.Payload)
			}
			log := decodeLog(t, out)
			mustMatch(t, "log", `(?m)^`+isoTime+`\t`+reportRequestID(t, log)+`\tERROR\tInvoke Error \t\{"errorType":"TypeError","errorMessage":"bad 7","stack":\["TypeError: bad 7",`, log)

			deployManaged(t, c, "js-cberr", types.RuntimeNodejs22x, "index.callbackErr", zip, 3)
			out = invokeJSON(t, c, "js-cberr", `{}`)
			json.Unmarshal(out.Payload, &e)
			if aws.ToString(out.FunctionError) != "Unhandled" || e.ErrorType != "Error" || e.ErrorMessage != "cb failed" || len(e.Trace) < 2 || e.Trace[0] != "Error: cb failed" {
				t.Errorf("callback error: FunctionError %q payload %s", aws.ToString(out.FunctionError), out.Payload)
			}

			deployManaged(t, c, "js-uncaught", types.RuntimeNodejs22x, "index.uncaught", zip, 3)
			out = invokeJSON(t, c, "js-uncaught", `{}`)
			json.Unmarshal(out.Payload, &e)
			if aws.ToString(out.FunctionError) != "Unhandled" || e.ErrorType != "RangeError" || e.ErrorMessage != "thrown from a timer" {
				t.Errorf("uncaught exception: FunctionError %q payload %s", aws.ToString(out.FunctionError), out.Payload)
			}
			deployManaged(t, c, "js-unhandled", types.RuntimeNodejs22x, "index.unhandled", zip, 3)
			out = invokeJSON(t, c, "js-unhandled", `{}`)
			json.Unmarshal(out.Payload, &e)
			if aws.ToString(out.FunctionError) != "Unhandled" || e.ErrorType != "Runtime.UnhandledPromiseRejection" || e.ErrorMessage != "Error: nobody catches me" {
				t.Errorf("unhandled rejection: FunctionError %q payload %s", aws.ToString(out.FunctionError), out.Payload)
			}
			// The process exited: the next invocation gets a new environment.
			out = invokeJSON(t, c, "js-uncaught", `{}`)
			json.Unmarshal(out.Payload, &e)
			if e.ErrorType != "RangeError" {
				t.Errorf("second uncaught exception: payload %s", out.Payload)
			}

			deployManaged(t, c, "js-cbstr", types.RuntimeNodejs22x, "index.callbackString", zip, 3)
			wantErrorPayload(t, invokeJSON(t, c, "js-cbstr", `{}`), `{"errorType":"string","errorMessage":"plain string","trace":[]}`)
		})

		t.Run("init errors", func(t *testing.T) {
			tests := []struct{ name, handler, errType, msgPrefix string }{
				{"js-nomod", "missing.handler", "Runtime.ImportModuleError", "Error: Cannot find module 'missing'"},
				{"js-nohandler", "index.nope", "Runtime.HandlerNotFound", "index.nope is undefined or not exported"},
				{"js-notfn", "index.notFunction", "Runtime.HandlerNotFound", "index.notFunction is not a function"},
				{"js-malformed", "index", "Runtime.MalformedHandlerName", "Bad handler"},
				{"js-syntax", "broken.handler", "Runtime.UserCodeSyntaxError", "SyntaxError: "},
				{"js-throws", "throws.handler", "RangeError", "init went wrong"},
			}
			for _, tt := range tests {
				t.Run(tt.handler, func(t *testing.T) {
					deployManaged(t, c, tt.name, types.RuntimeNodejs18x, tt.handler, zip, 3)
					out := invokeJSON(t, c, tt.name, `{}`, tail)
					var e struct {
						ErrorType    string   `json:"errorType"`
						ErrorMessage string   `json:"errorMessage"`
						Trace        []string `json:"trace"`
					}
					json.Unmarshal(out.Payload, &e)
					if aws.ToString(out.FunctionError) != "Unhandled" || e.ErrorType != tt.errType || !strings.HasPrefix(e.ErrorMessage, tt.msgPrefix) || e.Trace == nil {
						t.Errorf("FunctionError %q payload %s", aws.ToString(out.FunctionError), out.Payload)
					}
					if log := decodeLog(t, out); !strings.Contains(log, "\tundefined\tERROR\tInit Error \t{\"errorType\":\""+tt.errType+"\"") {
						t.Errorf("log lacks the init error line:\n%s", log)
					}
				})
			}
		})

		t.Run("timeout", func(t *testing.T) {
			deployManaged(t, c, "js-sleep", types.RuntimeNodejs22x, "index.sleepy", zip, 1)
			out := invokeJSON(t, c, "js-sleep", `{"ms":5000}`)
			var e struct{ ErrorType, ErrorMessage string }
			json.Unmarshal(out.Payload, &e)
			if aws.ToString(out.FunctionError) != "Unhandled" || e.ErrorType != "Sandbox.Timedout" || !strings.HasSuffix(e.ErrorMessage, "Task timed out after 1.00 seconds") {
				t.Errorf("timeout: FunctionError %q payload %s", aws.ToString(out.FunctionError), out.Payload)
			}
			out = invokeJSON(t, c, "js-sleep", `{"ms":1}`)
			if out.FunctionError != nil || string(out.Payload) != `"done"` {
				t.Errorf("after timeout: FunctionError %q payload %s", aws.ToString(out.FunctionError), out.Payload)
			}
		})
	})
}
