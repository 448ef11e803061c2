package runtimeapi_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lambdad/lambdad/internal/runtimeapi"
)

// asyncInvoke is an Invoke running in its own goroutine.
type asyncInvoke struct {
	inv  *runtimeapi.Invocation
	done chan struct{}
	r    *runtimeapi.Response
	err  error
}

func startInvoke(ctx context.Context, s *runtimeapi.Server, inv *runtimeapi.Invocation) *asyncInvoke {
	a := &asyncInvoke{inv: inv, done: make(chan struct{})}
	go func() {
		defer close(a.done)
		a.r, a.err = s.Invoke(ctx, inv)
	}()
	return a
}

// wait returns the Invoke's result, failing the test if it takes too long.
func (a *asyncInvoke) wait(tb testing.TB) (*runtimeapi.Response, error) {
	tb.Helper()
	select {
	case <-a.done:
		return a.r, a.err
	case <-time.After(10 * time.Second):
		tb.Fatalf("invoke %s did not return", a.inv.RequestID)
		return nil, nil
	}
}

// running reports whether the Invoke has not returned yet.
func (a *asyncInvoke) running() bool {
	select {
	case <-a.done:
		return false
	default:
		return true
	}
}

// handOut starts an Invoke of payload and takes it with a GET /next on c.
func handOut(t *testing.T, s *runtimeapi.Server, c *rawConn, payload string) *asyncInvoke {
	t.Helper()
	a := startInvoke(testContext(t, 10*time.Second), s, newInvocation(payload))
	c.send(getNext)
	resp, body := c.response()
	if resp.StatusCode != 200 || body != payload || resp.Header.Get("Lambda-Runtime-Aws-Request-Id") != a.inv.RequestID {
		t.Fatalf("GET /next: %d %q id %q, want 200 %q id %q", resp.StatusCode, body,
			resp.Header.Get("Lambda-Runtime-Aws-Request-Id"), payload, a.inv.RequestID)
	}
	return a
}

func TestNextHeaders(t *testing.T) {
	tests := []struct {
		name string
		edit func(*runtimeapi.Invocation)
		want map[string]string // "" means absent
	}{
		{
			name: "all fields",
			edit: func(inv *runtimeapi.Invocation) {
				inv.ContentType = "application/octet-stream"
				inv.TraceID = "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1"
				inv.ClientContext = `{"custom":{"a":"b"}}`
				inv.CognitoIdentity = `{"cognitoIdentityId":"i","cognitoIdentityPoolId":"p"}`
			},
			want: map[string]string{
				"Content-Type":                        "application/octet-stream",
				"Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:123456789012:function:echo",
				"Lambda-Runtime-Trace-Id":             "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1",
				"Lambda-Runtime-Client-Context":       `{"custom":{"a":"b"}}`,
				"Lambda-Runtime-Cognito-Identity":     `{"cognitoIdentityId":"i","cognitoIdentityPoolId":"p"}`,
			},
		},
		{
			name: "empty fields omitted",
			edit: func(inv *runtimeapi.Invocation) { inv.FunctionARN = "" },
			want: map[string]string{
				"Content-Type":                        "application/json",
				"Lambda-Runtime-Invoked-Function-Arn": "",
				"Lambda-Runtime-Trace-Id":             "",
				"Lambda-Runtime-Client-Context":       "",
				"Lambda-Runtime-Cognito-Identity":     "",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, addr := newServer(t, runtimeapi.Limits{})
			c := dialRaw(t, addr)
			inv := newInvocation(`{"k":"v"}`)
			inv.Deadline = time.UnixMilli(1542409706888)
			tt.edit(inv)
			a := startInvoke(testContext(t, 10*time.Second), s, inv)
			c.send(getNext)
			resp, body := c.response()
			if resp.StatusCode != 200 || body != `{"k":"v"}` {
				t.Fatalf("got %d %q", resp.StatusCode, body)
			}
			want := map[string]string{
				"Lambda-Runtime-Aws-Request-Id": inv.RequestID,
				"Lambda-Runtime-Deadline-Ms":    "1542409706888",
				"Content-Length":                "9",
			}
			for k, v := range tt.want {
				want[k] = v
			}
			for k, v := range want {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
			c.send(post(responsePath(inv.RequestID), "ok", "Content-Type: text/plain"))
			c.expect(202, accepted)
			r, err := a.wait(t)
			if err != nil || string(r.Body) != "ok" || r.ContentType != "text/plain" || r.FunctionError {
				t.Fatalf("invoke: %v %+v", err, r)
			}
		})
	}
}

func TestAnswerStates(t *testing.T) {
	const (
		badID      = `{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}`
		twice      = `{"errorMessage":"State transition from RuntimeResponseSentState to InvocationResponse failed for runtime. Error: State transition is not allowed","errorType":"InvalidStateTransition"}`
		errorTwice = `{"errorMessage":"State transition from RuntimeResponseSentState to InvocationErrorResponse failed for runtime. Error: State transition is not allowed","errorType":"InvalidStateTransition"}`
	)
	s, addr := newServer(t, runtimeapi.Limits{})
	c := dialRaw(t, addr)

	c.send(post(responsePath("nobody"), "x"))
	c.expect(400, badID)

	a := handOut(t, s, c, `1`)
	id := a.inv.RequestID
	c.send(post(responsePath("8476a536-0000-0000-0000-000000000000"), "x"))
	c.expect(400, badID)
	c.send(post(errorPath(id+"x"), "x"))
	c.expect(400, badID)
	if !a.running() {
		t.Fatal("a rejected answer ended the invoke")
	}
	c.send(post(responsePath(id), "first"))
	c.expect(202, accepted)
	c.send(post(responsePath(id), "second"))
	c.expect(403, twice)
	c.send(post(errorPath(id), `{"errorMessage":"late"}`))
	c.expect(403, errorTwice)
	r, err := a.wait(t)
	if err != nil || string(r.Body) != "first" || r.FunctionError {
		t.Fatalf("invoke: %v %+v", err, r)
	}

	// The next GET /next completes the invocation: its id is stale now.
	b := handOut(t, s, c, `2`)
	c.send(post(responsePath(id), "stale"))
	c.expect(400, badID)
	c.send(post(errorPath(b.inv.RequestID), `{"errorMessage":"m","errorType":"T"}`, "Content-Type: application/json"))
	c.expect(202, accepted)
	c.send(post(responsePath(b.inv.RequestID), "x"))
	c.expect(403, twice)
	r, err = b.wait(t)
	if err != nil || string(r.Body) != `{"errorMessage":"m","errorType":"T"}` || !r.FunctionError || r.ErrorType != "T" {
		t.Fatalf("invoke: %v %+v", err, r)
	}
}

func TestInitErrorStates(t *testing.T) {
	const body = `{"errorMessage":"x","errorType":"Runtime.Bad"}`
	t.Run("after init", func(t *testing.T) {
		s, addr := newServer(t, runtimeapi.Limits{})
		c := dialRaw(t, addr)
		handOut(t, s, c, `1`)
		if err := s.WaitInit(testContext(t, 5*time.Second)); err != nil {
			t.Fatalf("wait init: %v", err)
		}
		c.send(post(initErrorPath, body))
		c.expect(403, `{"errorMessage":"State transition from Running to InitError failed for runtime. Error: State transition is not allowed","errorType":"InvalidStateTransition"}`)
	})
	t.Run("during init", func(t *testing.T) {
		s, addr := newServer(t, runtimeapi.Limits{})
		c := dialRaw(t, addr)
		a := startInvoke(testContext(t, 10*time.Second), s, newInvocation(`1`))
		c.send(post(initErrorPath, "not json", "Lambda-Runtime-Function-Error-Type: Runtime.Bad"))
		c.expect(202, accepted)
		var ie *runtimeapi.InitError
		if err := s.WaitInit(testContext(t, 5*time.Second)); !errors.As(err, &ie) {
			t.Fatalf("wait init: %v", err)
		}
		if string(ie.Body) != "not json" || ie.ContentType != "application/octet-stream" || ie.ErrorType != "Runtime.Bad" {
			t.Errorf("init error %+v", ie)
		}
		if _, err := a.wait(t); !errors.As(err, &ie) {
			t.Errorf("pending invoke: %v, want the init error", err)
		}
		c.send(post(initErrorPath, body))
		c.expect(403, `{"errorMessage":"State transition from InitError to InitError failed for runtime. Error: State transition is not allowed","errorType":"InvalidStateTransition"}`)
		c.send(getNext)
		c.expect(403, `{"errorMessage":"State transition from InitError to Ready failed for runtime. Error: State transition is not allowed","errorType":"InvalidStateTransition"}`)
	})
}

// chunked renders a chunked body from chunks and trailer lines.
func chunked(chunks []string, trailers ...string) string {
	var b strings.Builder
	for _, c := range chunks {
		fmt.Fprintf(&b, "%x;ext=1\r\n%s\r\n", len(c), c)
	}
	b.WriteString("0\r\n")
	for _, t := range trailers {
		b.WriteString(t + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

func postChunked(path, body string, headers ...string) string {
	h := ""
	for _, x := range headers {
		h += x + "\r\n"
	}
	return "POST " + path + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n" +
		"Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n" + h + "\r\n" + body
}

func TestResponseBodies(t *testing.T) {
	errBody := `{"errorMessage":"reader broke","errorType":"errorString"}`
	b64 := base64.StdEncoding.EncodeToString([]byte(errBody))
	tests := []struct {
		name       string
		request    func(id string) string
		status     int
		answer     string
		wantBody   string
		wantType   string
		wantCT     string
		wantError  bool
		wantClosed bool
	}{
		{
			name:    "chunked without error trailers",
			request: func(id string) string { return postChunked(responsePath(id), chunked([]string{"hel", "lo ", "world"})) },
			status:  202, answer: accepted, wantBody: "hello world", wantCT: "application/octet-stream",
		},
		{
			name: "error trailers",
			request: func(id string) string {
				return postChunked(responsePath(id), chunked([]string{"partial"},
					"Lambda-Runtime-Function-Error-Type: errorString", "Lambda-Runtime-Function-Error-Body: "+b64))
			},
			status: 202, answer: accepted, wantBody: errBody, wantType: "errorString", wantCT: "application/json", wantError: true,
		},
		{
			name: "error trailer with a body that is not base64",
			request: func(id string) string {
				return postChunked(responsePath(id), chunked(nil,
					"Lambda-Runtime-Function-Error-Type: Runtime.Broken", "Lambda-Runtime-Function-Error-Body: %%%"))
			},
			status: 202, answer: accepted, wantType: "Runtime.Broken", wantCT: "application/json", wantError: true,
			wantBody: `{"errorMessage":"The runtime reported Runtime.Broken without a readable Lambda-Runtime-Function-Error-Body trailer","errorType":"Runtime.Broken"}`,
		},
		{
			name: "streaming mode is buffered",
			request: func(id string) string {
				return postChunked(responsePath(id), chunked([]string{"a", "b"}), "Lambda-Runtime-Function-Response-Mode: streaming")
			},
			status: 202, answer: accepted, wantBody: "ab", wantCT: "application/octet-stream",
		},
		{
			name: "invalid response mode",
			request: func(id string) string {
				return post(responsePath(id), "x", "Lambda-Runtime-Function-Response-Mode: Streaming")
			},
			status: 400, answer: `{"errorMessage":"Invalid function response mode","errorType":"InvalidFunctionResponseMode"}`,
			wantBody: `{"errorMessage":"Invalid function response mode","errorType":"Runtime.InvalidResponseModeHeader"}`,
			wantType: "Runtime.InvalidResponseModeHeader", wantCT: "application/json", wantError: true,
		},
		{
			name:    "too large with Content-Length",
			request: func(id string) string { return post(responsePath(id), strings.Repeat("x", 101)) },
			status:  413, answer: `{"errorMessage":"Exceeded maximum allowed payload size (100 bytes).","errorType":"RequestEntityTooLarge"}`,
			wantBody: `{"errorMessage":"Response payload size exceeded maximum allowed payload size (100 bytes).","errorType":"Function.ResponseSizeTooLarge"}`,
			wantType: "Function.ResponseSizeTooLarge", wantCT: "application/json", wantError: true,
		},
		{
			name: "too large chunked",
			request: func(id string) string {
				return postChunked(responsePath(id), chunked([]string{strings.Repeat("x", 60), strings.Repeat("y", 60)}))
			},
			status: 413, answer: `{"errorMessage":"Exceeded maximum allowed payload size (100 bytes).","errorType":"RequestEntityTooLarge"}`,
			wantBody: `{"errorMessage":"Response payload size exceeded maximum allowed payload size (100 bytes).","errorType":"Function.ResponseSizeTooLarge"}`,
			wantType: "Function.ResponseSizeTooLarge", wantCT: "application/json", wantError: true,
		},
		{
			name: "exactly at the limit",
			request: func(id string) string {
				return postChunked(responsePath(id), chunked([]string{strings.Repeat("x", 50), strings.Repeat("y", 50)}))
			},
			status: 202, answer: accepted, wantBody: strings.Repeat("x", 50) + strings.Repeat("y", 50), wantCT: "application/octet-stream",
		},
		{
			name: "error cause stripped",
			request: func(id string) string {
				return post(errorPath(id), `{"errorMessage":"m","errorType":"T","stackTrace":[],"errorCause":{"paths":[]}}`,
					"Content-Type: application/vnd.aws.lambda.error.cause+json")
			},
			status: 202, answer: accepted, wantBody: `{"errorMessage":"m","errorType":"T","stackTrace":[]}`,
			wantType: "T", wantCT: "application/json", wantError: true,
		},
		{
			name:    "empty response",
			request: func(id string) string { return post(responsePath(id), "") },
			status:  202, answer: accepted, wantBody: "", wantCT: "application/octet-stream",
		},
		{
			name: "HTTP/1.0 closes",
			request: func(id string) string {
				return "POST " + responsePath(id) + " HTTP/1.0\r\nContent-Length: 2\r\n\r\nok"
			},
			status: 202, answer: accepted, wantBody: "ok", wantCT: "application/octet-stream", wantClosed: true,
		},
		{
			name: "Connection: close",
			request: func(id string) string {
				return post(responsePath(id), "ok", "Connection: close")
			},
			status: 202, answer: accepted, wantBody: "ok", wantCT: "application/octet-stream", wantClosed: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, addr := newServer(t, runtimeapi.Limits{MaxResponse: 100})
			c := dialRaw(t, addr)
			a := handOut(t, s, c, `{}`)
			c.send(tt.request(a.inv.RequestID))
			c.expect(tt.status, tt.answer)
			r, err := a.wait(t)
			if err != nil {
				t.Fatal(err)
			}
			if string(r.Body) != tt.wantBody || r.FunctionError != tt.wantError || r.ErrorType != tt.wantType || r.ContentType != tt.wantCT {
				t.Errorf("got body %q error=%v type %q content type %q\nwant %q error=%v type %q content type %q",
					r.Body, r.FunctionError, r.ErrorType, r.ContentType, tt.wantBody, tt.wantError, tt.wantType, tt.wantCT)
			}
			if tt.wantClosed {
				if !c.closed() {
					t.Error("connection left open")
				}
				return
			}
			// The connection still works, and the invocation is over.
			c.send(post(responsePath(a.inv.RequestID), "again"))
			resp, _ := c.response()
			if resp.StatusCode != 403 {
				t.Errorf("second answer: %d, want 403", resp.StatusCode)
			}
		})
	}
}

func TestExpectContinue(t *testing.T) {
	s, addr := newServer(t, runtimeapi.Limits{})
	c := dialRaw(t, addr)
	a := handOut(t, s, c, `{}`)
	c.send("POST " + responsePath(a.inv.RequestID) + " HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
	if resp, _ := c.response(); resp.StatusCode != 100 {
		t.Fatalf("got %d, want 100 Continue", resp.StatusCode)
	}
	c.send("hello")
	c.expect(202, accepted)
	if r, err := a.wait(t); err != nil || string(r.Body) != "hello" {
		t.Fatalf("invoke: %v %+v", err, r)
	}
}

func TestPipelining(t *testing.T) {
	s, addr := newServer(t, runtimeapi.Limits{})
	c := dialRaw(t, addr)
	a := handOut(t, s, c, `1`)
	// The answer and the next long poll in one write.
	c.send(post(responsePath(a.inv.RequestID), "one") + getNext)
	c.expect(202, accepted)
	if r, err := a.wait(t); err != nil || string(r.Body) != "one" {
		t.Fatalf("invoke: %v %+v", err, r)
	}
	b := startInvoke(testContext(t, 10*time.Second), s, newInvocation(`2`))
	resp, body := c.response()
	if resp.StatusCode != 200 || body != `2` {
		t.Fatalf("pipelined GET /next: %d %q", resp.StatusCode, body)
	}
	c.send(post(responsePath(b.inv.RequestID), "two"))
	c.expect(202, accepted)
	if r, err := b.wait(t); err != nil || string(r.Body) != "two" {
		t.Fatalf("invoke: %v %+v", err, r)
	}
	// A request pipelined behind a parked GET /next is answered after it.
	c.send(getNext + post(responsePath("junk"), "x"))
	d := startInvoke(testContext(t, 10*time.Second), s, newInvocation(`3`))
	c.expect(200, `3`)
	c.expect(400, `{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}`)
	c.send(post(responsePath(d.inv.RequestID), "three"))
	c.expect(202, accepted)
	if r, err := d.wait(t); err != nil || string(r.Body) != "three" {
		t.Fatalf("invoke: %v %+v", err, r)
	}
}

func TestRoutesAndFraming(t *testing.T) {
	tests := []struct {
		name       string
		request    string
		status     int
		body       string
		wantClosed bool
	}{
		{name: "unknown route", request: "GET /2018-06-01/nope HTTP/1.1\r\n\r\n", status: 404,
			body: `{"errorMessage":"Resource not found","errorType":"NotFound"}`},
		{name: "extensions API", request: post("/2020-01-01/extension/register", `{"events":null}`, "Lambda-Extension-Name: GoLangEnableSIGTERM"), status: 404,
			body: `{"errorMessage":"Resource not found","errorType":"NotFound"}`},
		{name: "wrong method", request: "POST /2018-06-01/runtime/invocation/next HTTP/1.1\r\nContent-Length: 0\r\n\r\n", status: 405,
			body: `{"errorMessage":"Method not allowed","errorType":"MethodNotAllowed"}`},
		{name: "missing id", request: post("/2018-06-01/runtime/invocation//response", "x"), status: 404,
			body: `{"errorMessage":"Resource not found","errorType":"NotFound"}`},
		{name: "garbage", request: "hello\r\n\r\n", status: 400,
			body: `{"errorMessage":"Malformed HTTP request","errorType":"InvalidRequestFormat"}`, wantClosed: true},
		{name: "HTTP/2 preface", request: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", status: 400,
			body: `{"errorMessage":"Malformed HTTP request","errorType":"InvalidRequestFormat"}`, wantClosed: true},
		{name: "bad Content-Length", request: "POST /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n", status: 400,
			body: `{"errorMessage":"Malformed HTTP request","errorType":"InvalidRequestFormat"}`, wantClosed: true},
		{name: "conflicting Content-Length", request: "POST /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", status: 400,
			body: `{"errorMessage":"Malformed HTTP request","errorType":"InvalidRequestFormat"}`, wantClosed: true},
		{name: "gzip encoding", request: "POST /x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", status: 501,
			body: `{"errorMessage":"Unsupported transfer encoding","errorType":"UnsupportedTransferEncoding"}`, wantClosed: true},
		{name: "header folding", request: "GET /x HTTP/1.1\r\nA: b\r\n c\r\n\r\n", status: 400,
			body: `{"errorMessage":"Malformed HTTP request","errorType":"InvalidRequestFormat"}`, wantClosed: true},
		{name: "header too large", request: "GET /x HTTP/1.1\r\nA: " + strings.Repeat("a", 2<<20) + "\r\n\r\n", status: 431,
			body: `{"errorMessage":"Request header fields too large","errorType":"RequestHeaderFieldsTooLarge"}`, wantClosed: true},
		{name: "broken chunk size", request: postChunked("/x", "zz\r\n"), status: 404,
			body: `{"errorMessage":"Resource not found","errorType":"NotFound"}`, wantClosed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, addr := newServer(t, runtimeapi.Limits{})
			c := dialRaw(t, addr)
			// The server may answer and close before reading all of it.
			go func() { _, _ = c.nc.Write([]byte(tt.request)) }()
			resp := c.expect(tt.status, tt.body)
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("content type %q", ct)
			}
			if tt.wantClosed {
				if !c.closed() {
					t.Error("connection left open")
				}
				return
			}
			// The connection still serves requests.
			c.send("GET /nope HTTP/1.1\r\n\r\n")
			c.expect(404, `{"errorMessage":"Resource not found","errorType":"NotFound"}`)
		})
	}
}

func TestLargeIgnoredHeader(t *testing.T) {
	// aws-lambda-go sends X-Ray error causes of up to 1 MiB in a header.
	s, addr := newServer(t, runtimeapi.Limits{})
	c := dialRaw(t, addr)
	a := handOut(t, s, c, `{}`)
	cause := `{"working_directory":"/var/task","exceptions":[],"paths":["` + strings.Repeat("p", 900<<10) + `"]}`
	c.send(post(errorPath(a.inv.RequestID), `{"errorMessage":"m","errorType":"T"}`, "Lambda-Runtime-Function-Xray-Error-Cause: "+cause))
	c.expect(202, accepted)
	if r, err := a.wait(t); err != nil || !r.FunctionError || r.ErrorType != "T" {
		t.Fatalf("invoke: %v %+v", err, r)
	}
	// The grown buffer is given back and the connection goes on.
	b := handOut(t, s, c, `{}`)
	c.send(post(responsePath(b.inv.RequestID), "ok"))
	c.expect(202, accepted)
}

func TestTruncatedAnswerCanBeRetried(t *testing.T) {
	s, addr := newServer(t, runtimeapi.Limits{})
	c := dialRaw(t, addr)
	a := handOut(t, s, c, `{}`)
	d := dialRaw(t, addr)
	d.send("POST " + responsePath(a.inv.RequestID) + " HTTP/1.1\r\nContent-Length: 10\r\n\r\nhalf")
	_ = d.nc.(interface{ CloseWrite() error }).CloseWrite()
	d.expect(400, `{"errorMessage":"HTTP request detected as truncated","errorType":"TruncatedHTTPRequest"}`)
	if !a.running() {
		t.Fatal("a truncated answer ended the invoke")
	}
	c.send(post(responsePath(a.inv.RequestID), "whole"))
	c.expect(202, accepted)
	if r, err := a.wait(t); err != nil || string(r.Body) != "whole" {
		t.Fatalf("invoke: %v %+v", err, r)
	}
}

func TestParkedConnectionGone(t *testing.T) {
	// A runtime that drops its long poll and polls again on a new
	// connection gets the invocation there.
	s, addr := newServer(t, runtimeapi.Limits{})
	old := dialRaw(t, addr)
	old.send(getNext)
	if err := s.WaitInit(testContext(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	old.nc.Close()
	// A write to a socket its peer has just closed succeeds, so an
	// invocation handed to the old poll before the server notices the close
	// would be lost: let the server drop it first.
	waitFor(t, "the old poll to be dropped", func() bool { return s.Conns() == 0 && s.ParkedPolls() == 0 })
	c := dialRaw(t, addr)
	c.send(getNext)
	waitFor(t, "the new poll to park", func() bool { return s.ParkedPolls() == 1 })
	a := startInvoke(testContext(t, 10*time.Second), s, newInvocation(`{}`))
	c.expect(200, `{}`)
	c.send(post(responsePath(a.inv.RequestID), "ok"))
	c.expect(202, accepted)
	if r, err := a.wait(t); err != nil || string(r.Body) != "ok" {
		t.Fatalf("invoke: %v %+v", err, r)
	}
}

func TestInvokeContext(t *testing.T) {
	s, addr := newServer(t, runtimeapi.Limits{})
	c := dialRaw(t, addr)
	cause := errors.New("function timed out")
	ctx, cancel := context.WithCancelCause(context.Background())
	a := startInvoke(ctx, s, newInvocation(`{}`))
	c.send(getNext)
	c.expect(200, `{}`)
	cancel(cause)
	if _, err := a.wait(t); !errors.Is(err, cause) {
		t.Fatalf("invoke: %v, want the context's cause", err)
	}
	c.send(post(responsePath(a.inv.RequestID), "late"))
	c.expect(400, `{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}`)

	// An invocation never taken is withdrawn when its context ends.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	if _, err := s.Invoke(ctx2, newInvocation(`{}`)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("invoke: %v, want deadline exceeded", err)
	}
	// ... and the environment serves the next one.
	b := handOut(t, s, c, `next`)
	c.send(post(responsePath(b.inv.RequestID), "ok"))
	c.expect(202, accepted)
	if r, err := b.wait(t); err != nil || string(r.Body) != "ok" {
		t.Fatalf("invoke: %v %+v", err, r)
	}
}

func TestInvokeLargePayloadNotRead(t *testing.T) {
	// A runtime that stops reading must not hold Invoke past its context.
	s, addr := newServer(t, runtimeapi.Limits{})
	c := dialRaw(t, addr)
	c.send(getNext)
	waitFor(t, "the poll to park", func() bool { return s.ParkedPolls() == 1 })
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	inv := newInvocation(strings.Repeat("x", 32<<20))
	a := startInvoke(ctx, s, inv)
	if line, err := c.br.ReadString('\n'); err != nil || line != "HTTP/1.1 200 OK\r\n" {
		t.Fatalf("status line %q: %v", line, err)
	}
	cause := errors.New("client went away")
	cancel(cause)
	if _, err := a.wait(t); !errors.Is(err, cause) {
		t.Fatalf("invoke: %v, want the context's cause", err)
	}
}

func TestInvokeMisuse(t *testing.T) {
	s, addr := newServer(t, runtimeapi.Limits{})
	bad := []*runtimeapi.Invocation{
		nil,
		{Deadline: time.Now()},
		{RequestID: "id"},
		{RequestID: "id\r\nX: y", Deadline: time.Now()},
		{RequestID: "id", Deadline: time.Now(), TraceID: "a\nb"},
	}
	for i, inv := range bad {
		if _, err := s.Invoke(context.Background(), inv); !errors.Is(err, runtimeapi.ErrInvalidInvocation) {
			t.Errorf("invocation %d: %v, want ErrInvalidInvocation", i, err)
		}
	}
	c := dialRaw(t, addr)
	a := handOut(t, s, c, `{}`)
	if _, err := s.Invoke(context.Background(), newInvocation(`{}`)); !errors.Is(err, runtimeapi.ErrInvokeInProgress) {
		t.Errorf("concurrent invoke: %v, want ErrInvokeInProgress", err)
	}
	c.send(post(responsePath(a.inv.RequestID), "ok"))
	c.expect(202, accepted)
	if _, err := a.wait(t); err != nil {
		t.Fatal(err)
	}
}

func TestClose(t *testing.T) {
	s := runtimeapi.New(runtimeapi.Limits{}, nil)
	addr, err := s.Listen()
	if err != nil {
		t.Fatal(err)
	}
	parked := dialRaw(t, addr)
	parked.send(getNext)
	if err := s.WaitInit(testContext(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	// Park a second GET /next so that the Invoke has one to wait behind.
	a := startInvoke(context.Background(), s, newInvocation(`{}`))
	parked.expect(200, `{}`)
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if _, err := a.wait(t); !errors.Is(err, runtimeapi.ErrClosed) || errors.Is(err, runtimeapi.ErrUndelivered) {
		t.Errorf("invoke: %v, want ErrClosed (the runtime had it)", err)
	}
	if !parked.closed() {
		t.Error("connection left open")
	}
	if err := s.WaitInit(context.Background()); err != nil {
		t.Errorf("wait init after init: %v", err)
	}
	if _, err := s.Invoke(context.Background(), newInvocation(`{}`)); !errors.Is(err, runtimeapi.ErrClosed) {
		t.Errorf("invoke after close: %v, want ErrClosed", err)
	}
	if _, err := s.Listen(); !errors.Is(err, runtimeapi.ErrClosed) {
		t.Errorf("listen after close: %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}

	// An invocation no runtime took can run elsewhere.
	s3 := runtimeapi.New(runtimeapi.Limits{}, nil)
	if _, err := s3.Listen(); err != nil {
		t.Fatal(err)
	}
	u := startInvoke(context.Background(), s3, newInvocation(`{}`))
	waitFor(t, "the invocation to be pending", s3.Pending)
	s3.Close()
	if _, err := u.wait(t); !errors.Is(err, runtimeapi.ErrUndelivered) || !errors.Is(err, runtimeapi.ErrClosed) {
		t.Errorf("undelivered invoke: %v, want ErrUndelivered wrapping ErrClosed", err)
	}

	// WaitInit during init returns on Close.
	s2 := runtimeapi.New(runtimeapi.Limits{}, nil)
	if _, err := s2.Listen(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s2.WaitInit(context.Background()) }()
	s2.Close()
	select {
	case err := <-done:
		if !errors.Is(err, runtimeapi.ErrClosed) {
			t.Errorf("wait init: %v, want ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("WaitInit did not return after Close")
	}
}

func TestManyConnections(t *testing.T) {
	_, addr := newServer(t, runtimeapi.Limits{})
	conns := make([]*rawConn, 0, 65)
	for range 64 {
		c := dialRaw(t, addr)
		c.send("GET /x HTTP/1.1\r\n\r\n")
		c.expect(404, `{"errorMessage":"Resource not found","errorType":"NotFound"}`)
		conns = append(conns, c)
	}
	extra := dialRaw(t, addr)
	resp, _ := extra.response()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("65th connection: %d, want 503", resp.StatusCode)
	}
	conns[0].nc.Close()
	// Once a slot frees up, connections are served again.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c := dialRaw(t, addr)
		c.send("GET /x HTTP/1.1\r\n\r\n")
		resp, _ := c.response()
		if resp.StatusCode == 404 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %d after a connection closed", resp.StatusCode)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
