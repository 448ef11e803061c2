package e2e

// Sources of the aws-lambda-go functions the invoke tests deploy. Each is a
// whole main package, built by lambdadtest.GoBootstrap.

// goEcho answers the raw event bytes and reports what the runtime saw.
const goEcho = `package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type out struct {
	Event         json.RawMessage   ` + "`json:\"event\"`" + `
	RequestID     string            ` + "`json:\"requestId\"`" + `
	ARN           string            ` + "`json:\"arn\"`" + `
	DeadlineMs    int64             ` + "`json:\"deadlineMs\"`" + `
	ClientCustom  map[string]string ` + "`json:\"clientCustom\"`" + `
	Env           map[string]string ` + "`json:\"env\"`" + `
}

func handler(ctx context.Context, event json.RawMessage) (out, error) {
	lc, _ := lambdacontext.FromContext(ctx)
	dl, _ := ctx.Deadline()
	fmt.Println("echo handler saw", string(event))
	env := map[string]string{}
	for _, k := range []string{"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
		"AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_REGION", "AWS_DEFAULT_REGION", "_HANDLER",
		"LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "TZ", "LANG", "GREETING", "AWS_EXECUTION_ENV"} {
		if v, ok := os.LookupEnv(k); ok {
			env[k] = v
		}
	}
	return out{Event: event, RequestID: lc.AwsRequestID, ARN: lc.InvokedFunctionArn, DeadlineMs: dl.UnixMilli(),
		ClientCustom: lc.ClientContext.Custom, Env: env}, nil
}

func main() { lambda.Start(handler) }
`

// goBehaviour does what the event asks: fail, panic, sleep, answer big,
// count warm invocations, exit, or allocate memory.
const goBehaviour = `package main

import (
	"context"
	"errors"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

type in struct {
	Do    string ` + "`json:\"do\"`" + `
	N     int    ` + "`json:\"n\"`" + `
}

var count int
var hold [][]byte

func handler(ctx context.Context, e in) (any, error) {
	count++
	switch e.Do {
	case "error":
		return nil, errors.New("something failed")
	case "panic":
		panic("boom")
	case "sleep":
		time.Sleep(time.Duration(e.N) * time.Millisecond)
		return "slept", nil
	case "big":
		return strings.Repeat("x", e.N), nil
	case "count":
		return count, nil
	case "exit":
		os.Exit(e.N)
	case "alloc":
		for i := 0; i < e.N; i++ {
			b := make([]byte, 1<<20)
			for j := range b {
				b[j] = byte(j)
			}
			hold = append(hold, b)
		}
		return len(hold), nil
	}
	return "ok", nil
}

func main() { lambda.Start(handler) }
`

// goInitExit fails during Init.
const goInitExit = `package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	fmt.Println("cannot start: missing configuration")
	os.Exit(3)
	lambda.Start(func() (string, error) { return "unreachable", nil })
}
`

// curlBootstrap is a custom runtime in the style of AWS's tutorial: a shell
// loop with curl. It echoes the event, fails on {"fail":true}, and reports
// an init error when INIT_FAIL is set.
const curlBootstrap = `#!/bin/sh
set -eu
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01"
if [ -n "${INIT_FAIL:-}" ]; then
  curl -sS -X POST "$API/runtime/init/error" -H "Lambda-Runtime-Function-Error-Type: Runtime.ConfigError" \
    -d '{"errorMessage":"init failed on purpose","errorType":"ConfigError"}' >/dev/null
  exit 1
fi
while true; do
  HEADERS="$(mktemp)"
  EVENT=$(curl -sS -LD "$HEADERS" "$API/runtime/invocation/next")
  REQUEST_ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
  rm -f "$HEADERS"
  echo "shell runtime got $EVENT"
  case "$EVENT" in
    *'"fail":true'*)
      curl -sS -X POST "$API/runtime/invocation/$REQUEST_ID/error" -H "Lambda-Runtime-Function-Error-Type: Unhandled" \
        -d '{"errorMessage":"asked to fail","errorType":"ShellError"}' >/dev/null ;;
    *)
      curl -sS -X POST "$API/runtime/invocation/$REQUEST_ID/response" -d "{\"shell\":$EVENT}" >/dev/null ;;
  esac
done
`
