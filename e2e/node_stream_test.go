package e2e

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

const nodeStreaming = `exports.handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  responseStream.setContentType('text/plain');
  responseStream.write('hello ');
  await new Promise((resolve) => setTimeout(resolve, 20));
  responseStream.write(context.functionName);
  responseStream.end();
});

exports.implicitEnd = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.write(JSON.stringify(event));
});

exports.failing = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.write('partial');
  await new Promise((resolve) => setTimeout(resolve, 10));
  throw new TypeError('stream broke');
});

exports.http = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 201, headers: { a: 'b' } });
  responseStream.end('body');
});
`

// TestNodeStreaming covers awslambda.streamifyResponse through
// InvokeWithResponseStream, and the same function through Invoke.
func TestNodeStreaming(t *testing.T) {
	needInterpreter(t, "node", "nodejs")
	managedModes(t, func(t *testing.T, c *lambda.Client) {
		zip := textFiles(t, map[string]string{"index.js": nodeStreaming})
		for _, h := range []string{"handler", "implicitEnd", "failing", "http"} {
			deployManaged(t, c, "st-"+h, types.RuntimeNodejs22x, "index."+h, zip, 3)
		}

		s := invokeStream(t, c, "st-handler", `{}`)
		if s.payload() != "hello st-handler" {
			t.Errorf("payload %q", s.payload())
		}
		wantComplete(t, s, "", "")

		s = invokeStream(t, c, "st-implicitEnd", `{"k":"v"}`)
		if s.payload() != `{"k":"v"}` {
			t.Errorf("implicit end: payload %q", s.payload())
		}
		wantComplete(t, s, "", "")

		s = invokeStream(t, c, "st-failing", `{}`)
		if s.payload() != "partial" {
			t.Errorf("failing: payload %q", s.payload())
		}
		wantComplete(t, s, "TypeError", "stream broke")

		s = invokeStream(t, c, "st-http", `{}`)
		want := `{"statusCode":201,"headers":{"a":"b"}}` + "\x00\x00\x00\x00\x00\x00\x00\x00" + "body"
		if s.payload() != want {
			t.Errorf("http: payload %q", s.payload())
		}

		// A plain Invoke of a streaming function gets the buffered answer.
		out := invokeJSON(t, c, "st-handler", `{}`)
		if out.FunctionError != nil || string(out.Payload) != "hello st-handler" {
			t.Errorf("Invoke: FunctionError %q payload %q", aws.ToString(out.FunctionError), out.Payload)
		}
	})
}
