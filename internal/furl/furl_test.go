package furl

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

func TestEvent(t *testing.T) {
	at := time.Date(2026, 11, 23, 7, 31, 5, 118e6, time.UTC)
	base := func() *Request {
		return &Request{
			URLID:     "abcdefghijklmnopqrstuvwxyz012345",
			Domain:    "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.localhost",
			AccountID: "anonymous",
			RequestID: "req-1",
			Method:    "POST",
			RawPath:   "/pa2%2Fth/1",
			Protocol:  "HTTP/1.1",
			SourceIP:  "127.0.0.1",
			Host:      "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.localhost:9001",
			Header:    http.Header{"User-Agent": {"curl/8"}},
			Time:      at,
		}
	}
	tests := []struct {
		name   string
		change func(*Request)
		check  func(t *testing.T, ev *events.LambdaFunctionURLRequest, raw map[string]any)
	}{
		{
			name:   "no body, no query",
			change: func(*Request) {},
			check: func(t *testing.T, ev *events.LambdaFunctionURLRequest, raw map[string]any) {
				if ev.Version != "2.0" || ev.RawPath != "/pa2%2Fth/1" || ev.RawQueryString != "" {
					t.Errorf("version/rawPath/rawQueryString = %q %q %q", ev.Version, ev.RawPath, ev.RawQueryString)
				}
				for _, k := range []string{"body", "queryStringParameters", "cookies"} {
					if _, ok := raw[k]; ok {
						t.Errorf("%s present: %v", k, raw[k])
					}
				}
				if raw["routeKey"] != "$default" || ev.IsBase64Encoded {
					t.Errorf("routeKey %v, isBase64Encoded %v", raw["routeKey"], ev.IsBase64Encoded)
				}
				rc := ev.RequestContext
				if rc.APIID != "abcdefghijklmnopqrstuvwxyz012345" || rc.DomainPrefix != rc.APIID || rc.AccountID != "anonymous" || rc.RequestID != "req-1" {
					t.Errorf("requestContext = %+v", rc)
				}
				if rc.Time != "23/Nov/2026:07:31:05 +0000" || rc.TimeEpoch != at.UnixMilli() {
					t.Errorf("time = %q %d", rc.Time, rc.TimeEpoch)
				}
				want := events.LambdaFunctionURLRequestContextHTTPDescription{Method: "POST", Path: "/pa2%2Fth/1", Protocol: "HTTP/1.1", SourceIP: "127.0.0.1", UserAgent: "curl/8"}
				if rc.HTTP != want {
					t.Errorf("http = %+v, want %+v", rc.HTTP, want)
				}
				if rc.Authorizer != nil {
					t.Errorf("authorizer = %+v", rc.Authorizer)
				}
				if ev.Headers["host"] != "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.localhost:9001" || ev.Headers["user-agent"] != "curl/8" {
					t.Errorf("headers = %v", ev.Headers)
				}
				ctx := raw["requestContext"].(map[string]any)
				if ctx["routeKey"] != "$default" || ctx["stage"] != "$default" {
					t.Errorf("requestContext routeKey/stage = %v %v", ctx["routeKey"], ctx["stage"])
				}
			},
		},
		{
			name: "query, repeated headers, cookies",
			change: func(r *Request) {
				r.RawQuery = "q=query&multi=foo&multi=%2Fbar&flag"
				r.Header["X-Multi"] = []string{"v1", "v2"}
				r.Header["Cookie"] = []string{"c1=v1; c2=v2", "c3=v3"}
			},
			check: func(t *testing.T, ev *events.LambdaFunctionURLRequest, raw map[string]any) {
				if ev.RawQueryString != "q=query&multi=foo&multi=%2Fbar&flag" {
					t.Errorf("rawQueryString = %q", ev.RawQueryString)
				}
				want := map[string]string{"q": "query", "multi": "foo,/bar", "flag": ""}
				if !reflect.DeepEqual(ev.QueryStringParameters, want) {
					t.Errorf("queryStringParameters = %v, want %v", ev.QueryStringParameters, want)
				}
				if ev.Headers["x-multi"] != "v1,v2" {
					t.Errorf("x-multi = %q", ev.Headers["x-multi"])
				}
				if _, ok := ev.Headers["cookie"]; ok {
					t.Errorf("cookie header kept")
				}
				if !reflect.DeepEqual(ev.Cookies, []string{"c1=v1", "c2=v2", "c3=v3"}) {
					t.Errorf("cookies = %q", ev.Cookies)
				}
			},
		},
		{
			name: "JSON body is text",
			change: func(r *Request) {
				r.Header.Set("Content-Type", "application/json; charset=utf-8")
				r.Body = []byte(`{"foo":"bar"}`)
			},
			check: func(t *testing.T, ev *events.LambdaFunctionURLRequest, raw map[string]any) {
				if ev.Body != `{"foo":"bar"}` || ev.IsBase64Encoded {
					t.Errorf("body %q base64 %v", ev.Body, ev.IsBase64Encoded)
				}
			},
		},
		{
			name: "binary body is base64",
			change: func(r *Request) {
				r.Header.Set("Content-Type", "application/octet-stream")
				r.Body = []byte{0, 1, 2, 0xff}
			},
			check: func(t *testing.T, ev *events.LambdaFunctionURLRequest, raw map[string]any) {
				if ev.Body != "AAEC/w==" || !ev.IsBase64Encoded {
					t.Errorf("body %q base64 %v", ev.Body, ev.IsBase64Encoded)
				}
			},
		},
		{
			name: "multipart form is base64",
			change: func(r *Request) {
				r.Header.Set("Content-Type", "multipart/form-data; boundary=x")
				r.Body = []byte("--x\r\n\r\nbar\r\n--x--\r\n")
			},
			check: func(t *testing.T, ev *events.LambdaFunctionURLRequest, raw map[string]any) {
				if !ev.IsBase64Encoded {
					t.Errorf("multipart body sent as text")
				}
			},
		},
		{
			name: "text with invalid UTF-8 is base64",
			change: func(r *Request) {
				r.Header.Set("Content-Type", "text/plain")
				r.Body = []byte{'a', 0xff}
			},
			check: func(t *testing.T, ev *events.LambdaFunctionURLRequest, raw map[string]any) {
				if !ev.IsBase64Encoded || ev.Body != "Yf8=" {
					t.Errorf("body %q base64 %v", ev.Body, ev.IsBase64Encoded)
				}
			},
		},
		{
			name: "AWS_IAM authorizer",
			change: func(r *Request) {
				r.AccountID = "123456789012"
				r.IAM = &IAM{AccessKey: "AKID", AccountID: "123456789012", CallerID: "AKID", UserARN: "arn:aws:iam::123456789012:root", UserID: "123456789012"}
			},
			check: func(t *testing.T, ev *events.LambdaFunctionURLRequest, raw map[string]any) {
				iam := ev.RequestContext.Authorizer.IAM
				if iam == nil || iam.AccessKey != "AKID" || iam.AccountID != "123456789012" || iam.UserARN != "arn:aws:iam::123456789012:root" {
					t.Errorf("authorizer.iam = %+v", iam)
				}
				a := raw["requestContext"].(map[string]any)["authorizer"].(map[string]any)["iam"].(map[string]any)
				if v, ok := a["cognitoIdentity"]; !ok || v != nil {
					t.Errorf("cognitoIdentity = %v, %v", v, ok)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base()
			tt.change(r)
			b, err := Event(r)
			if err != nil {
				t.Fatal(err)
			}
			var ev events.LambdaFunctionURLRequest
			if err := json.Unmarshal(b, &ev); err != nil {
				t.Fatalf("aws-lambda-go cannot read the event: %v\n%s", err, b)
			}
			var raw map[string]any
			if err := json.Unmarshal(b, &raw); err != nil {
				t.Fatal(err)
			}
			tt.check(t, &ev, raw)
		})
	}
}

func TestParseResponse(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		status  int
		header  http.Header
		cookies []string
		body    string
		bad     bool
	}{
		// The recorded plain values of PROTOCOLS §6.4.
		{name: "object", payload: `{"hello": "world"}`, status: 200, body: `{"hello":"world"}`},
		{name: "http response", payload: `{"statusCode": 200, "body": "body123"}`, status: 200, body: "body123"},
		{name: "http response JSON body", payload: `{"statusCode": 200, "body": "{\"hello\": \"world\"}"}`, status: 200, body: `{"hello": "world"}`},
		{name: "list", payload: `["hello", 3, true]`, status: 200, body: `["hello",3,true]`},
		{name: "string", payload: `"hello"`, status: 200, body: "hello"},
		{name: "integer", payload: `3`, status: 200, body: "3"},
		{name: "float", payload: `3.1`, status: 200, body: "3.1"},
		{name: "boolean", payload: `true`, status: 200, body: "true"},
		{name: "not JSON", payload: `plain text`, status: 200, body: "plain text"},
		{
			name:    "headers, cookies, string status",
			payload: `{"statusCode":"418","headers":{"content-type":"text/plain","X-Num":3,"x-null":null,"Content-Length":"99"},"cookies":["a=1; Max-Age=60","b=2"],"body":"i'm a teapot"}`,
			status:  418, header: http.Header{"Content-Type": {"text/plain"}, "X-Num": {"3"}},
			cookies: []string{"a=1; Max-Age=60", "b=2"}, body: "i'm a teapot",
		},
		{name: "base64 body", payload: `{"statusCode":201,"body":"AAEC/w==","isBase64Encoded":true,"headers":{"Content-Type":"application/octet-stream"}}`, status: 201, header: http.Header{"Content-Type": {"application/octet-stream"}}, body: "\x00\x01\x02\xff"},
		{name: "no body", payload: `{"statusCode":204}`, status: 204},
		{name: "object body", payload: `{"statusCode":200,"body":{"a": 1}}`, status: 200, body: `{"a":1}`},
		{name: "status 200.0", payload: `{"statusCode":200.0}`, status: 200},
		{name: "status out of range", payload: `{"statusCode":99}`, bad: true},
		{name: "status not a number", payload: `{"statusCode":"abc"}`, bad: true},
		{name: "status fraction", payload: `{"statusCode":200.5}`, bad: true},
		{name: "bad base64", payload: `{"statusCode":200,"body":"!!","isBase64Encoded":true}`, bad: true},
		{name: "bad header name", payload: `{"statusCode":200,"headers":{"a b":"c"}}`, bad: true},
		{name: "header injection", payload: `{"statusCode":200,"headers":{"a":"b\r\nSet-Cookie: x"}}`, bad: true},
		{name: "headers not an object", payload: `{"statusCode":200,"headers":[1]}`, bad: true},
		{name: "cookies not strings", payload: `{"statusCode":200,"cookies":[1]}`, bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := ParseResponse([]byte(tt.payload))
			if tt.bad {
				if !errors.Is(err, ErrInvalidResponse) {
					t.Fatalf("err = %v, want ErrInvalidResponse", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			header := tt.header
			if header == nil {
				header = http.Header{"Content-Type": {"application/json"}}
			}
			if resp.StatusCode != tt.status || !reflect.DeepEqual(resp.Header, header) ||
				!reflect.DeepEqual(resp.Cookies, tt.cookies) || string(resp.Body) != tt.body {
				t.Errorf("got %d %v %q %q, want %d %v %q %q", resp.StatusCode, resp.Header, resp.Cookies, resp.Body, tt.status, header, tt.cookies, tt.body)
			}
		})
	}
}

func TestParsePrelude(t *testing.T) {
	tests := []struct {
		name    string
		prelude string
		status  int
		header  http.Header
		cookies []string
		bad     bool
	}{
		{name: "aws-lambda-go default", prelude: `{"statusCode":200}`, status: 200, header: http.Header{"Content-Type": {"application/octet-stream"}}},
		{name: "no status", prelude: `{}`, status: 200, header: http.Header{"Content-Type": {"application/octet-stream"}}},
		{name: "headers and cookies", prelude: `{"statusCode":201,"headers":{"content-type":"text/plain","x-a":"b"},"cookies":["a=1"]}`, status: 201,
			header: http.Header{"Content-Type": {"text/plain"}, "X-A": {"b"}}, cookies: []string{"a=1"}},
		{name: "not JSON", prelude: `nope`, bad: true},
		{name: "not an object", prelude: `[1]`, bad: true},
		{name: "bad status", prelude: `{"statusCode":"x"}`, bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePrelude([]byte(tt.prelude))
			if tt.bad {
				if !errors.Is(err, ErrInvalidResponse) {
					t.Fatalf("err = %v, want ErrInvalidResponse", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.StatusCode != tt.status || !reflect.DeepEqual(p.Header, tt.header) || !reflect.DeepEqual(p.Cookies, tt.cookies) {
				t.Errorf("got %d %v %q", p.StatusCode, p.Header, p.Cookies)
			}
		})
	}
}

func TestSplitter(t *testing.T) {
	stream := []byte(`{"statusCode":200}` + "\x00\x00\x00\x00\x00\x00\x00\x00" + "body\x00bytes")
	// Every way of cutting the stream in two pieces gives the same split.
	for cut := 0; cut <= len(stream); cut++ {
		var s Splitter
		prelude, body, done, err := s.Feed(stream[:cut])
		if err != nil {
			t.Fatalf("cut %d: first piece: %v", cut, err)
		}
		if !done {
			prelude, body, done, err = s.Feed(stream[cut:])
			if err != nil || !done {
				t.Fatalf("cut %d: second piece: done %v err %v", cut, done, err)
			}
			if rest := stream[cut:]; len(body) > len(rest) {
				t.Fatalf("cut %d: body longer than the piece", cut)
			}
		} else {
			body = append(body, stream[cut:]...)
		}
		if string(prelude) != `{"statusCode":200}` || string(body) != "body\x00bytes" {
			t.Fatalf("cut %d: prelude %q body %q", cut, prelude, body)
		}
	}

	t.Run("byte by byte", func(t *testing.T) {
		var s Splitter
		var body []byte
		for i := range stream {
			if body != nil {
				body = append(body, stream[i])
				continue
			}
			prelude, b, done, err := s.Feed(stream[i : i+1])
			if err != nil {
				t.Fatal(err)
			}
			if done {
				if string(prelude) != `{"statusCode":200}` {
					t.Fatalf("prelude %q", prelude)
				}
				body = append([]byte{}, b...)
			}
		}
		if string(body) != "body\x00bytes" {
			t.Fatalf("body %q", body)
		}
	})
	t.Run("short delimiter", func(t *testing.T) {
		var s Splitter
		if _, _, _, err := s.Feed([]byte("{}\x00\x00\x00x")); !errors.Is(err, ErrInvalidResponse) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("stream ends early", func(t *testing.T) {
		var s Splitter
		if _, _, done, err := s.Feed([]byte("{}\x00\x00")); done || err != nil {
			t.Fatalf("done %v err %v", done, err)
		}
		if string(s.Pending()) != "{}" {
			t.Fatalf("pending %q", s.Pending())
		}
	})
	t.Run("too long", func(t *testing.T) {
		var s Splitter
		if _, _, _, err := s.Feed(bytes.Repeat([]byte("a"), MaxPrelude+1)); !errors.Is(err, ErrInvalidResponse) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestCORS(t *testing.T) {
	tests := []struct {
		name      string
		cors      CORS
		req       http.Header
		preflight http.Header
		apply     http.Header
	}{
		{
			name:      "any origin",
			cors:      CORS{AllowOrigins: []string{"*"}, AllowMethods: []string{"get", "POST"}, AllowHeaders: []string{"x-custom"}, ExposeHeaders: []string{"x-out"}, MaxAge: 300},
			req:       http.Header{"Origin": {"https://example.com"}, "Access-Control-Request-Method": {"POST"}},
			preflight: http.Header{"Access-Control-Allow-Origin": {"*"}, "Access-Control-Allow-Methods": {"GET,POST"}, "Access-Control-Allow-Headers": {"x-custom"}, "Access-Control-Max-Age": {"300"}},
			apply:     http.Header{"Access-Control-Allow-Origin": {"*"}, "Access-Control-Expose-Headers": {"x-out"}},
		},
		{
			name:      "listed origin with credentials",
			cors:      CORS{AllowOrigins: []string{"https://a.example", "https://b.example"}, AllowCredentials: true, AllowHeaders: []string{"*"}},
			req:       http.Header{"Origin": {"https://B.example"}, "Access-Control-Request-Method": {"PUT"}, "Access-Control-Request-Headers": {"x-one, x-two"}},
			preflight: http.Header{"Access-Control-Allow-Origin": {"https://B.example"}, "Vary": {"Origin"}, "Access-Control-Allow-Credentials": {"true"}, "Access-Control-Allow-Headers": {"x-one, x-two"}},
			apply:     http.Header{"Access-Control-Allow-Origin": {"https://B.example"}, "Vary": {"Origin"}, "Access-Control-Allow-Credentials": {"true"}},
		},
		{
			name:      "origin not allowed",
			cors:      CORS{AllowOrigins: []string{"https://a.example"}},
			req:       http.Header{"Origin": {"https://evil.example"}, "Access-Control-Request-Method": {"GET"}},
			preflight: http.Header{},
			apply:     http.Header{},
		},
		{
			name:      "no origin",
			cors:      CORS{AllowOrigins: []string{"*"}},
			req:       http.Header{},
			preflight: http.Header{},
			apply:     http.Header{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pre := http.Header{}
			tt.cors.Preflight(tt.req, pre)
			if !reflect.DeepEqual(pre, tt.preflight) {
				t.Errorf("preflight = %v, want %v", pre, tt.preflight)
			}
			out := http.Header{}
			tt.cors.Apply(tt.req, out)
			if !reflect.DeepEqual(out, tt.apply) {
				t.Errorf("apply = %v, want %v", out, tt.apply)
			}
		})
	}
	t.Run("overrides the function's", func(t *testing.T) {
		c := CORS{AllowOrigins: []string{"https://a.example"}}
		out := http.Header{"Access-Control-Allow-Origin": {"*"}}
		c.Apply(http.Header{"Origin": {"https://a.example"}}, out)
		if got := out.Values("Access-Control-Allow-Origin"); !reflect.DeepEqual(got, []string{"https://a.example"}) {
			t.Errorf("Allow-Origin = %q", got)
		}
	})
	if !IsPreflight("OPTIONS", http.Header{"Origin": {"x"}, "Access-Control-Request-Method": {"GET"}}) || IsPreflight("OPTIONS", http.Header{"Origin": {"x"}}) || IsPreflight("GET", http.Header{"Origin": {"x"}, "Access-Control-Request-Method": {"GET"}}) {
		t.Error("IsPreflight is wrong")
	}
}

// BenchmarkMapping is the CPU cost a function URL adds to an invocation:
// building the event of a typical request and mapping a typical answer.
func BenchmarkMapping(b *testing.B) {
	r := &Request{
		URLID: "abcdefghijklmnopqrstuvwxyz012345", Domain: "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.localhost",
		AccountID: "anonymous", RequestID: "5f6a0000-0000-4000-8000-000000000000", Method: "POST", RawPath: "/bench",
		RawQuery: "a=1&b=2", Protocol: "HTTP/1.1", SourceIP: "127.0.0.1", Host: "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.localhost:9001",
		Header: http.Header{"Content-Type": {"application/json"}, "User-Agent": {"Go-http-client/1.1"}, "Accept-Encoding": {"gzip"},
			"X-Forwarded-For": {"127.0.0.1"}, "X-Forwarded-Proto": {"http"}, "X-Forwarded-Port": {"9001"}, "X-Amzn-Trace-Id": {"Root=1-5f6a0000-000000000000000000000000"}},
		Body: bytes.Repeat([]byte("a"), 100), Time: time.Now(),
	}
	answer := []byte(`{"statusCode":200,"headers":{"Content-Type":"text/plain"},"body":"ok"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Event(r); err != nil {
			b.Fatal(err)
		}
		if _, err := ParseResponse(answer); err != nil {
			b.Fatal(err)
		}
	}
}
