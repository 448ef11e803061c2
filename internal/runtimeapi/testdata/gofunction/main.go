// Command gofunction is a Lambda function built on aws-lambda-go for the
// runtimeapi tests. The event selects what it does; any other event is
// echoed back byte for byte. With GOFUNCTION_MODE=reader it instead returns
// an io.Reader that fails midway, which aws-lambda-go reports in trailers.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// BoomError is the error the "error" event returns; aws-lambda-go reports
// its type name as errorType.
type BoomError struct{}

func (BoomError) Error() string { return "boom" }

type handler struct{}

func (handler) Invoke(ctx context.Context, event []byte) ([]byte, error) {
	switch string(event) {
	case `"error"`:
		return nil, BoomError{}
	case `"panic"`:
		panic("kaboom")
	case `"big"`:
		return bytes.Repeat([]byte("x"), 7<<20), nil
	case `"context"`:
		lc, _ := lambdacontext.FromContext(ctx)
		deadline, _ := ctx.Deadline()
		trace, _ := ctx.Value("x-amzn-trace-id").(string)
		return json.Marshal(map[string]any{
			"requestId":     lc.AwsRequestID,
			"functionArn":   lc.InvokedFunctionArn,
			"deadlineMs":    deadline.UnixMilli(),
			"clientContext": lc.ClientContext,
			"identity":      lc.Identity,
			"traceId":       trace,
			"functionName":  os.Getenv("AWS_LAMBDA_FUNCTION_NAME"),
		})
	}
	return event, nil
}

// failingReader yields some bytes, then fails.
type failingReader struct{ sent bool }

func (r *failingReader) Read(p []byte) (int, error) {
	if !r.sent {
		r.sent = true
		return copy(p, "partial"), nil
	}
	return 0, errors.New("reader broke")
}

func main() {
	if os.Getenv("GOFUNCTION_MODE") == "reader" {
		lambda.Start(func(context.Context, json.RawMessage) (any, error) {
			return &failingReader{}, nil
		})
		return
	}
	lambda.StartHandler(handler{})
}
