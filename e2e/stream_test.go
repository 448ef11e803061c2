package e2e

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambdad/lambdad/internal/eventstream"
	"github.com/lambdad/lambdad/internal/lambdadtest"
)

// goStreamer is an aws-lambda-go function whose handler returns an
// io.Reader: aws-lambda-go posts it chunked, as the reader yields, so a
// streaming invoke forwards each write. The event says how many chunks to
// write, the pause between them, and whether the reader fails at the end.
const goStreamer = `package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

type in struct {
	Do    string ` + "`json:\"do\"`" + `
	N     int    ` + "`json:\"n\"`" + `
	Pause int    ` + "`json:\"pause\"`" + `
}

func handler(ctx context.Context, e in) (io.Reader, error) {
	fmt.Println("streamer got", e.Do)
	switch e.Do {
	case "error":
		return nil, errors.New("refused before streaming")
	case "big":
		return strings.NewReader(strings.Repeat("b", e.N)), nil
	}
	pr, pw := io.Pipe()
	go func() {
		for i := 0; i < e.N; i++ {
			if i > 0 {
				time.Sleep(time.Duration(e.Pause) * time.Millisecond)
			}
			fmt.Fprintf(pw, "chunk-%d\n", i)
		}
		if e.Do == "fail" {
			pw.CloseWithError(errors.New("stream broke"))
			return
		}
		pw.Close()
	}()
	return pr, nil
}

func main() { lambda.Start(handler) }
`

// curlStreamer is a shell runtime that streams its answer with
// Lambda-Runtime-Function-Response-Mode: streaming, as the Runtime API
// documentation describes, with a pause between two lines.
const curlStreamer = `#!/bin/sh
set -eu
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01"
while true; do
  HEADERS="$(mktemp)"
  EVENT=$(curl -sS -LD "$HEADERS" "$API/runtime/invocation/next")
  REQUEST_ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
  rm -f "$HEADERS"
  { echo "first $EVENT"; sleep 0.5; echo "second"; } |
    curl -sS -X POST "$API/runtime/invocation/$REQUEST_ID/response" -T - \
      -H "Lambda-Runtime-Function-Response-Mode: streaming" -H "Transfer-Encoding: chunked" \
      -H "Content-Type: application/octet-stream" -H "Expect:" >/dev/null
done
`

// timedChunk is one PayloadChunk and when the client received it.
type timedChunk struct {
	data string
	at   time.Time
}

// streamed is what an InvokeWithResponseStream call returned.
type streamed struct {
	out        *lambda.InvokeWithResponseStreamOutput
	start      time.Time
	chunks     []timedChunk
	complete   *types.InvokeWithResponseStreamCompleteEvent
	completeAt time.Time
}

func (s *streamed) payload() string {
	var b strings.Builder
	for _, c := range s.chunks {
		b.WriteString(c.data)
	}
	return b.String()
}

// invokeStream calls InvokeWithResponseStream through aws-sdk-go-v2's event
// stream reader and collects every event.
func invokeStream(t *testing.T, c *lambda.Client, name, payload string, opts ...func(*lambda.InvokeWithResponseStreamInput)) *streamed {
	t.Helper()
	in := &lambda.InvokeWithResponseStreamInput{FunctionName: aws.String(name), Payload: []byte(payload)}
	for _, o := range opts {
		o(in)
	}
	s := &streamed{start: time.Now()}
	out, err := c.InvokeWithResponseStream(ctx(t), in)
	if err != nil {
		t.Fatalf("InvokeWithResponseStream %s %s: %v", name, payload, err)
	}
	s.out = out
	// Read (and close) even a DryRun's empty stream: aws-sdk-go-v2 starts a
	// reader for it, and one left running races with the client's next
	// stream (they share a decoder).
	es := out.GetStream()
	defer es.Close()
	for ev := range es.Events() {
		switch v := ev.(type) {
		case *types.InvokeWithResponseStreamResponseEventMemberPayloadChunk:
			if s.complete != nil {
				t.Fatalf("PayloadChunk after InvokeComplete")
			}
			s.chunks = append(s.chunks, timedChunk{string(v.Value.Payload), time.Now()})
		case *types.InvokeWithResponseStreamResponseEventMemberInvokeComplete:
			if s.complete != nil {
				t.Fatalf("second InvokeComplete")
			}
			s.complete, s.completeAt = &v.Value, time.Now()
		default:
			t.Fatalf("unexpected event %T", ev)
		}
	}
	if err := es.Err(); err != nil && (s.complete == nil || !errors.Is(err, net.ErrClosed)) {
		// After InvokeComplete the SDK's reader may still be reading when
		// the stream is closed under it; that is not lambdad's doing.
		t.Fatalf("event stream: %v", err)
	}
	if s.complete == nil && out.StatusCode != http.StatusNoContent {
		t.Fatalf("no InvokeComplete; chunks %q", s.payload())
	}
	return s
}

// streamClient is a Lambda client whose streams each get a connection of
// their own: aws-sdk-go-v2's event-stream reader can still hold a pooled
// connection when the next stream takes it, which once failed a test with a
// read on a closed connection before any event.
func streamClient(d *lambdadtest.Daemon) *lambda.Client {
	return d.Client(func(o *lambda.Options) {
		o.HTTPClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	})
}

func streamTail(in *lambda.InvokeWithResponseStreamInput) { in.LogType = types.LogTypeTail }

// wantComplete checks InvokeComplete's error members.
func wantComplete(t *testing.T, s *streamed, code, details string) {
	t.Helper()
	if got := aws.ToString(s.complete.ErrorCode); got != code {
		t.Errorf("ErrorCode = %q, want %q", got, code)
	}
	if got := aws.ToString(s.complete.ErrorDetails); got != details {
		t.Errorf("ErrorDetails = %q, want %q", got, details)
	}
}

func TestInvokeWithResponseStream(t *testing.T) {
	d := lambdadtest.Start(t, lambdadtest.Options{})
	c := streamClient(d)
	zip := lambdadtest.GoZip(t, goStreamer)
	deploy(t, c, "streamer", zip)
	deploy(t, c, "slow-streamer", zip, func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(1) })

	t.Run("wire format", func(t *testing.T) { testStreamWire(t, d) })

	t.Run("timeout mid-stream", func(t *testing.T) {
		s := invokeStream(t, c, "slow-streamer", `{"do":"chunks","n":3,"pause":800}`)
		// Chunks come at 0, 0.8 and 1.6 s; the function times out at 1 s.
		if got := s.payload(); got != "chunk-0\n" && got != "chunk-0\nchunk-1\n" {
			t.Errorf("payload %q, want the chunks written within the timeout", got)
		}
		if aws.ToString(s.complete.ErrorCode) != "Sandbox.Timedout" ||
			!regexp.MustCompile(`^RequestId: [0-9a-f-]{36} Error: Task timed out after 1.00 seconds$`).MatchString(aws.ToString(s.complete.ErrorDetails)) {
			t.Errorf("ErrorCode %q ErrorDetails %q", aws.ToString(s.complete.ErrorCode), aws.ToString(s.complete.ErrorDetails))
		}
	})

	t.Run("chunks arrive as written", func(t *testing.T) {
		const pause = 400 * time.Millisecond
		s := invokeStream(t, c, "streamer", fmt.Sprintf(`{"do":"chunks","n":3,"pause":%d}`, pause.Milliseconds()), streamTail)
		if s.out.StatusCode != 200 || aws.ToString(s.out.ExecutedVersion) != "$LATEST" ||
			aws.ToString(s.out.ResponseStreamContentType) != "application/vnd.amazon.eventstream" {
			t.Errorf("status %d version %q content type %q", s.out.StatusCode, aws.ToString(s.out.ExecutedVersion), aws.ToString(s.out.ResponseStreamContentType))
		}
		if got := s.payload(); got != "chunk-0\nchunk-1\nchunk-2\n" {
			t.Fatalf("payload %q", got)
		}
		wantComplete(t, s, "", "")
		// The function writes its last chunk two pauses after its first: a
		// client that got the first chunk well before the end got it while
		// the function was still running (buffered, the gap would be ~0).
		if gap := s.completeAt.Sub(s.chunks[0].at); gap < pause {
			t.Errorf("first chunk only %v before InvokeComplete, want about %v", gap, 2*pause)
		}
		if len(s.chunks) < 3 {
			t.Errorf("%d chunks, want one per write", len(s.chunks))
		}
		log, err := base64.StdEncoding.DecodeString(aws.ToString(s.complete.LogResult))
		if err != nil || !strings.Contains(string(log), "streamer got chunks") || !reportLine.MatchString(string(log)) {
			t.Errorf("LogResult %q (%v)", log, err)
		}
	})

	t.Run("mid-stream error in trailers", func(t *testing.T) {
		s := invokeStream(t, c, "streamer", `{"do":"fail","n":2,"pause":50}`)
		if got := s.payload(); got != "chunk-0\nchunk-1\n" {
			t.Errorf("payload %q", got)
		}
		wantComplete(t, s, "errorString", "stream broke")
		if s.complete.LogResult != nil {
			t.Errorf("LogResult without LogType Tail: %q", aws.ToString(s.complete.LogResult))
		}
	})

	t.Run("error before streaming", func(t *testing.T) {
		s := invokeStream(t, c, "streamer", `{"do":"error"}`)
		if len(s.chunks) != 0 {
			t.Errorf("chunks %q", s.payload())
		}
		wantComplete(t, s, "errorString", "refused before streaming")
	})

	t.Run("plain Invoke assembles the stream", func(t *testing.T) {
		out := invokeJSON(t, c, "streamer", `{"do":"chunks","n":3,"pause":20}`)
		if out.FunctionError != nil || string(out.Payload) != "chunk-0\nchunk-1\nchunk-2\n" {
			t.Errorf("FunctionError %q payload %q", aws.ToString(out.FunctionError), out.Payload)
		}
	})

	t.Run("DryRun and Qualifier", func(t *testing.T) {
		s := invokeStream(t, c, "streamer", `{}`, func(in *lambda.InvokeWithResponseStreamInput) {
			in.InvocationType = types.ResponseStreamingInvocationTypeDryRun
		})
		if s.out.StatusCode != 204 {
			t.Errorf("DryRun status %d, want 204", s.out.StatusCode)
		}
		s = invokeStream(t, c, "streamer", `{"do":"chunks","n":1}`, func(in *lambda.InvokeWithResponseStreamInput) {
			in.Qualifier = aws.String("$LATEST")
		})
		if s.payload() != "chunk-0\n" || aws.ToString(s.out.ExecutedVersion) != "$LATEST" {
			t.Errorf("payload %q version %q", s.payload(), aws.ToString(s.out.ExecutedVersion))
		}
	})

	t.Run("errors before the stream are JSON errors", func(t *testing.T) {
		_, err := c.InvokeWithResponseStream(ctx(t), &lambda.InvokeWithResponseStreamInput{FunctionName: aws.String("nope")})
		wantAPIError(t, err, "ResourceNotFoundException", "Function not found: arn:aws:lambda:us-east-1:"+lambdadtest.AccountID+":function:nope:$LATEST")
		_, err = c.InvokeWithResponseStream(ctx(t), &lambda.InvokeWithResponseStreamInput{FunctionName: aws.String("streamer"),
			InvocationType: "Event"})
		wantAPIError(t, err, "ValidationException", "1 validation error detected: Value 'Event' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [RequestResponse, DryRun]")
		_, err = c.InvokeWithResponseStream(ctx(t), &lambda.InvokeWithResponseStreamInput{FunctionName: aws.String("streamer"),
			Payload: []byte("not json")})
		wantAPIError(t, err, "InvalidRequestContentException", "")
	})
}

func TestInvokeWithResponseStreamCurl(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	d := lambdadtest.Start(t, lambdadtest.Options{})
	c := streamClient(d)
	deploy(t, c, "curl-streamer", lambdadtest.ScriptZip(t, curlStreamer))
	deploy(t, c, "shell", lambdadtest.ScriptZip(t, curlBootstrap))

	t.Run("streaming mode", func(t *testing.T) {
		s := invokeStream(t, c, "curl-streamer", `{"k":1}`)
		if got := s.payload(); got != "first {\"k\":1}\nsecond\n" {
			t.Fatalf("payload %q", got)
		}
		wantComplete(t, s, "", "")
		if gap := s.completeAt.Sub(s.chunks[0].at); gap < 250*time.Millisecond {
			t.Errorf("first chunk only %v before InvokeComplete, want about 500ms", gap)
		}
	})
	t.Run("buffered function through the streaming API", func(t *testing.T) {
		s := invokeStream(t, c, "shell", `{"x":[1,2]}`)
		if got := s.payload(); got != `{"shell":{"x":[1,2]}}` {
			t.Errorf("payload %q", got)
		}
		wantComplete(t, s, "", "")
		s = invokeStream(t, c, "shell", `{"fail":true}`)
		if len(s.chunks) != 0 {
			t.Errorf("chunks %q", s.payload())
		}
		wantComplete(t, s, "Unhandled", "asked to fail")
	})
	t.Run("streaming function through Invoke", func(t *testing.T) {
		out := invokeJSON(t, c, "curl-streamer", `{"k":2}`)
		if out.FunctionError != nil || string(out.Payload) != "first {\"k\":2}\nsecond\n" {
			t.Errorf("FunctionError %q payload %q", aws.ToString(out.FunctionError), out.Payload)
		}
	})
}

// testStreamWire checks the raw framing: the status,
// headers and event-stream messages exactly as lambdad sends them.
func testStreamWire(t *testing.T, d *lambdadtest.Daemon) {
	req := lambdadtest.Sign(t, d.URL, "POST", "/2021-11-15/functions/streamer/response-streaming-invocations", []byte(`{"do":"chunks","n":2}`))
	hreq, err := http.NewRequest(req.Method, d.URL+req.Path, bytes.NewReader(req.Body))
	if err != nil {
		t.Fatal(err)
	}
	hreq.Header = req.Header
	resp, err := http.DefaultClient.Do(hreq)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.amazon.eventstream" ||
		resp.Header.Get("X-Amz-Executed-Version") != "$LATEST" || resp.ContentLength != -1 || resp.Header.Get("X-Amzn-Requestid") == "" {
		t.Fatalf("status %d headers %v", resp.StatusCode, resp.Header)
	}
	dec := eventstream.NewDecoder(resp.Body)
	var payload strings.Builder
	for {
		m, err := dec.Decode()
		if err != nil {
			t.Fatalf("decode: %v (payload so far %q)", err, payload.String())
		}
		if m.GetString(":message-type") != "event" {
			t.Fatalf("message type %q", m.GetString(":message-type"))
		}
		switch m.GetString(":event-type") {
		case "PayloadChunk":
			if m.GetString(":content-type") != "application/octet-stream" {
				t.Errorf("chunk content type %q", m.GetString(":content-type"))
			}
			payload.Write(m.Payload)
			continue
		case "InvokeComplete":
			if m.GetString(":content-type") != "application/json" || string(m.Payload) != "{}" {
				t.Errorf("InvokeComplete %q %s", m.GetString(":content-type"), m.Payload)
			}
		default:
			t.Fatalf("event type %q", m.GetString(":event-type"))
		}
		break
	}
	if payload.String() != "chunk-0\nchunk-1\n" {
		t.Errorf("payload %q", payload.String())
	}
	if _, err := dec.Decode(); err == nil {
		t.Error("a message after InvokeComplete")
	}
}
