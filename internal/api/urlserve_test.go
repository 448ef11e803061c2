package api

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambdad/lambdad/internal/furl"
	"github.com/lambdad/lambdad/internal/registry"
	"github.com/lambdad/lambdad/internal/scheduler"
)

const testURLID = "abcdefghijklmnopqrstuvwxyz012345"

func TestFunctionURLRequest(t *testing.T) {
	s := &Server{cfg: Config{Region: "us-east-1"}}
	tests := []struct {
		name, host, uri string
		want            urlAddress
		ok              bool
	}{
		{name: "host form", host: testURLID + ".lambda-url.us-east-1.localhost:9001", uri: "/a%2Fb/c?x=1",
			want: urlAddress{id: testURLID, domain: testURLID + ".lambda-url.us-east-1.localhost", rawPath: "/a%2Fb/c", region: "us-east-1"}, ok: true},
		{name: "host form, AWS domain, upper case", host: strings.ToUpper(testURLID) + ".lambda-url.eu-west-1.on.aws", uri: "/",
			want: urlAddress{id: testURLID, domain: testURLID + ".lambda-url.eu-west-1.on.aws", rawPath: "/", region: "eu-west-1"}, ok: true},
		{name: "path form", host: "127.0.0.1:9001", uri: "/_lambdad/urls/" + testURLID + "/deep/er?q",
			want: urlAddress{id: testURLID, domain: testURLID + ".lambda-url.us-east-1.localhost", rawPath: "/deep/er", region: "us-east-1"}, ok: true},
		{name: "path form, no slash", host: "127.0.0.1:9001", uri: "/_lambdad/urls/" + testURLID,
			want: urlAddress{id: testURLID, domain: testURLID + ".lambda-url.us-east-1.localhost", rawPath: "/", region: "us-east-1"}, ok: true},
		{name: "API request", host: "127.0.0.1:9001", uri: "/2015-03-31/functions/f/invocations"},
		{name: "dotted prefix", host: "a.b.lambda-url.us-east-1.localhost", uri: "/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tt.uri, nil)
			r.Host = tt.host
			got, ok := s.functionURLRequest(r)
			if ok != tt.ok || got != tt.want {
				t.Errorf("got %+v %v, want %+v %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

// FuzzFunctionURLRequest checks the address parsing of any Host and
// request target: no panic, and a URL address always has a path.
func FuzzFunctionURLRequest(f *testing.F) {
	s := &Server{cfg: Config{Region: "us-east-1"}}
	f.Add(testURLID+".lambda-url.us-east-1.localhost:9001", "/a?b")
	f.Add("127.0.0.1", "/_lambdad/urls/"+testURLID+"/x")
	f.Add("x.lambda-url.", "http://h/_lambdad/urls/")
	f.Fuzz(func(t *testing.T, host, uri string) {
		r := &http.Request{Method: "GET", Host: host, RequestURI: uri, URL: &httpURL}
		a, ok := s.functionURLRequest(r)
		if ok && !strings.HasPrefix(a.rawPath, "/") {
			t.Fatalf("rawPath %q", a.rawPath)
		}
	})
}

var httpURL = *httptest.NewRequest("GET", "/", nil).URL

// TestFunctionURLAccess checks the answers given before a function runs.
func TestFunctionURLAccess(t *testing.T) {
	a := newTestAPI(t, registry.Config{})
	ctx := context.Background()
	if _, err := a.client.CreateFunction(ctx, createInput("f", testZip(t, "x"))); err != nil {
		t.Fatal(err)
	}
	out, err := a.client.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{
		FunctionName: aws.String("f"), AuthType: types.FunctionUrlAuthTypeNone,
		Cors: &types.Cors{AllowOrigins: []string{"*"}, AllowMethods: []string{"*"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	url := aws.ToString(out.FunctionUrl)
	id := url[len("http://") : len("http://")+32]
	if want := "http://" + id + ".lambda-url.us-east-1.localhost:" + a.url[strings.LastIndexByte(a.url, ':')+1:] + "/"; url != want {
		t.Fatalf("FunctionUrl %q, want %q", url, want)
	}
	do := func(method, path string, header ...string) (*http.Response, string) {
		req, err := http.NewRequest(method, a.url+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, body := do("GET", "/_lambdad/urls/"+strings.Repeat("0", 32)+"/")
	if resp.StatusCode != 403 || body != `{"Message":null}` || resp.Header.Get("X-Amzn-Errortype") != "AccessDeniedException" {
		t.Errorf("unknown URL: %d %s", resp.StatusCode, body)
	}
	resp, body = do("POST", "/_lambdad/urls/"+id+"/x")
	if resp.StatusCode != 403 || body != `{"Message":"`+msgURLForbidden+`"}` {
		t.Errorf("no permission: %d %s", resp.StatusCode, body)
	}
	req, _ := http.NewRequest("POST", a.url+"/_lambdad/urls/"+id+"/x", strings.NewReader(strings.Repeat("a", maxInvokeBody+1)))
	big, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	big.Body.Close()
	if big.StatusCode != 413 || big.Header.Get("X-Amzn-Errortype") != "RequestEntityTooLargeException" {
		t.Errorf("6 MiB + 1: %d %v", big.StatusCode, big.Header)
	}
	// Preflights are answered before auth, without the function.
	resp, body = do("OPTIONS", "/_lambdad/urls/"+id+"/x", "Origin", "https://a.example", "Access-Control-Request-Method", "DELETE")
	if resp.StatusCode != 200 || body != "" || resp.Header.Get("Access-Control-Allow-Origin") != "*" || resp.Header.Get("Access-Control-Allow-Methods") != "*" {
		t.Errorf("preflight: %d %s %v", resp.StatusCode, body, resp.Header)
	}
}

// recorder is an httptest.ResponseRecorder that counts flushes.
type recorder struct {
	*httptest.ResponseRecorder
	flushes int
}

func (r *recorder) Flush() { r.flushes++; r.ResponseRecorder.Flush() }

func TestURLStream(t *testing.T) {
	const ct = furl.ContentTypeHTTPIntegration
	tests := []struct {
		name        string
		contentType string
		writes      []string
		res         scheduler.Result
		status      int
		header      http.Header
		body        string
		abort       bool
	}{
		{name: "prelude across writes", contentType: ct, writes: []string{`{"statusCode":2`, `01,"headers":{"x-a":"b"},"cookies":["c=1"]}` + "\x00\x00\x00", "\x00\x00\x00\x00\x00hel", "lo"},
			status: 201, header: http.Header{"Content-Type": {"application/octet-stream"}, "X-A": {"b"}, "Set-Cookie": {"c=1"}}, body: "hello"},
		{name: "no prelude", contentType: "application/octet-stream", writes: []string{"raw", " bytes"},
			status: 200, header: http.Header{"Content-Type": {"application/octet-stream"}}, body: "raw bytes"},
		{name: "nothing written", contentType: ct, status: 200, header: http.Header{"Content-Type": {"application/octet-stream"}}},
		{name: "prelude without delimiter", contentType: ct, writes: []string{`{"statusCode":204}`}, status: 204, header: http.Header{"Content-Type": {"application/octet-stream"}}},
		{name: "bad prelude", contentType: ct, writes: []string{"{x}\x00\x00\x00\x00\x00\x00\x00\x00body"}, status: 502, body: "Internal Server Error"},
		{name: "error before bytes", contentType: ct, res: scheduler.Result{FunctionError: true}, status: 502, body: "Internal Server Error"},
		{name: "error after bytes", contentType: "", writes: []string{"part"}, res: scheduler.Result{FunctionError: true}, status: 200, body: "part", abort: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{ResponseRecorder: httptest.NewRecorder()}
			u := &urlStream{w: rec, rc: http.NewResponseController(rec), reqHdr: http.Header{}}
			for i, p := range tt.writes {
				if i == 0 {
					u.SetContentType(tt.contentType)
				}
				if _, err := u.Write([]byte(p)); err != nil && tt.status != 502 {
					t.Fatalf("write %d: %v", i, err)
				}
				// As runtimeapi does when no more has arrived.
				if err := u.Flush(); err != nil {
					t.Fatalf("flush %d: %v", i, err)
				}
			}
			aborted := func() (aborted bool) {
				defer func() {
					if v := recover(); v != nil {
						if v != http.ErrAbortHandler {
							panic(v)
						}
						aborted = true
					}
				}()
				u.finish(&tt.res)
				return false
			}()
			if aborted != tt.abort || rec.Code != tt.status || rec.Body.String() != tt.body {
				t.Fatalf("aborted %v, %d %q; want %v, %d %q", aborted, rec.Code, rec.Body.String(), tt.abort, tt.status, tt.body)
			}
			if tt.header != nil {
				for name, want := range tt.header {
					if got := rec.Header().Values(name); strings.Join(got, "|") != strings.Join(want, "|") {
						t.Errorf("%s = %q, want %q", name, got, want)
					}
				}
			}
			if tt.body != "" && tt.status < 300 && rec.flushes == 0 {
				t.Error("never flushed")
			}
		})
	}
}
