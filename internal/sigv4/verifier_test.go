package sigv4_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lambdad/lambdad/internal/awserr"
	"github.com/lambdad/lambdad/internal/sigv4"
)

const invokeURL = "http://" + testHost + "/2015-03-31/functions/my-fn/invocations"

// sdkHeaders are the extra headers aws-sdk-go-v2 sends (and signs) on Invoke.
var sdkHeaders = map[string][]string{
	"Content-Type":          {"application/octet-stream"},
	"Amz-Sdk-Invocation-Id": {"3f1c5b2e-8d4a-4b6f-9e0a-1c2d3e4f5a6b"},
	"Amz-Sdk-Request":       {"attempt=1; max=3"},
	"X-Amz-Log-Type":        {"Tail"},
	"X-Amz-Client-Context":  {"eyJjdXN0b20iOnsiYSI6MX19"},
	"User-Agent":            {"aws-sdk-go-v2/1.47.3 os/linux lang/go#1.26 api/lambda#1.113.1"},
}

func TestVerifySDKSigned(t *testing.T) {
	payload := []byte(`{"key":"value","n":42}`)
	tests := []struct {
		name string
		req  request
		opts signOpts
	}{
		{name: "plain path, empty body", req: request{url: "http://" + testHost + "/2015-03-31/functions/"}},
		{name: "no port in host", req: request{url: "http://lambda.us-east-1.amazonaws.com/2015-03-31/functions/"}},
		{
			name: "full ARN with colons",
			req:  request{url: "http://" + testHost + "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af%3Aprod"},
		},
		{
			name: "invoke with qualifier, payload and SDK headers",
			req:  request{method: http.MethodPost, url: invokeURL + "?Qualifier=prod", body: payload, headers: sdkHeaders},
		},
		{
			name: "invoke of a partial ARN with a dot and a version",
			req:  request{method: http.MethodPost, url: "http://" + testHost + "/2015-03-31/functions/123456789012%3Afunction%3Amy.fn/invocations?Qualifier=%24LATEST", body: payload},
		},
		{
			name: "list with marker and max items",
			req:  request{url: "http://" + testHost + "/2015-03-31/functions/?Marker=eyJhIjoiYiJ9%3D%3D&MaxItems=10&FunctionVersion=ALL"},
		},
		{
			name: "query with spaces, plus, unicode, reserved characters and repeats",
			req:  request{url: "http://" + testHost + "/2015-03-31/functions/?b=hello%20world&a=%E2%9C%93&a=1&plus=a+b&c=&d&r=%21%27%28%29%2A%3B%40%26%3D%2B%24%2C%2F%3F%23%5B%5D~_-."},
		},
		{
			name: "header values with runs of spaces and repeated lines",
			req: request{method: http.MethodPost, url: invokeURL, body: payload, headers: map[string][]string{
				"X-Custom": {"  a   b  c ", "second"},
			}},
		},
		{
			name: "x-amz-content-sha256 with the body hash (JS SDK)",
			req: request{method: http.MethodPost, url: invokeURL, body: payload, headers: map[string][]string{
				"X-Amz-Content-Sha256": {sha256Hex(payload)},
			}},
		},
		{
			name: "x-amz-content-sha256 UNSIGNED-PAYLOAD",
			req: request{method: http.MethodPost, url: invokeURL, body: payload, headers: map[string][]string{
				"X-Amz-Content-Sha256": {"UNSIGNED-PAYLOAD"},
			}},
			opts: signOpts{payloadHash: "UNSIGNED-PAYLOAD"},
		},
		{
			name: "session token is just a signed header",
			req: request{url: "http://" + testHost + "/2015-03-31/functions/", headers: map[string][]string{
				"X-Amz-Security-Token": {"FwoGZXIvYXdzEBYaDK"},
			}},
		},
		{name: "another region", req: request{url: "http://" + testHost + "/2015-03-31/functions/"}, opts: signOpts{region: "eu-central-1"}},
		{name: "signed 5 minutes ago", req: request{url: invokeURL, method: http.MethodPost, body: payload}, opts: signOpts{at: testNow.Add(-5 * time.Minute)}},
		{name: "signed 5 minutes ahead", req: request{url: invokeURL, method: http.MethodPost, body: payload}, opts: signOpts{at: testNow.Add(5 * time.Minute)}},
		{name: "DELETE", req: request{method: http.MethodDelete, url: "http://" + testHost + "/2015-03-31/functions/f/aliases/live"}},
	}
	v := newTestVerifier()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req.build(t)
			sign(t, req, tt.req.body, tt.opts)
			srv, body := received(t, req)
			res, err := v.Verify(srv, body, testNow)
			if err != nil {
				t.Fatalf("Verify: %v\nAuthorization: %s", err, req.Header.Get("Authorization"))
			}
			o := tt.opts.withDefaults()
			if res.Credentials != testCreds || res.Region != o.region || !res.Date.Equal(o.at) {
				t.Errorf("Verify = %+v, want creds %+v, region %s, date %v", res, testCreds, o.region, o.at)
			}
		})
	}
}

func TestVerifyPresigned(t *testing.T) {
	tests := []struct {
		name    string
		url     string
		body    []byte
		opts    signOpts
		now     time.Time
		wantErr *awserr.Error
	}{
		{name: "body hash", url: "http://" + testHost + "/?X-Amz-Expires=300"},
		{name: "unsigned payload", url: "http://" + testHost + "/path?X-Amz-Expires=300", body: []byte("hello"), opts: signOpts{payloadHash: "UNSIGNED-PAYLOAD"}},
		{name: "other query parameters", url: "http://" + testHost + "/a/b%3Ac?X-Amz-Expires=60&z=1&a=x%20y"},
		{name: "at the end of X-Amz-Expires", url: "http://" + testHost + "/?X-Amz-Expires=300", now: testNow.Add(300 * time.Second)},
		{name: "long life", url: "http://" + testHost + "/?X-Amz-Expires=604800", now: testNow.Add(6 * 24 * time.Hour)},
		{
			name: "expired", url: "http://" + testHost + "/?X-Amz-Expires=300", now: testNow.Add(301 * time.Second),
			wantErr: awserr.New(awserr.InvalidSignature, "Request has expired"),
		},
		{
			name: "from the future", url: "http://" + testHost + "/?X-Amz-Expires=300", opts: signOpts{at: testNow.Add(6 * time.Minute)},
			wantErr: awserr.New(awserr.InvalidSignature, "Signature not yet current: 20261123T073333Z is still later than 20261123T073233Z (20261123T072733Z + 5 min.)"),
		},
		{
			name: "expires too long", url: "http://" + testHost + "/?X-Amz-Expires=604801",
			wantErr: awserr.New(awserr.IncompleteSignature, "X-Amz-Expires must be a whole number of seconds from 0 to 604800, got '604801'."),
		},
		{
			name: "no expiry", url: "http://" + testHost + "/",
			wantErr: awserr.New(awserr.IncompleteSignature, "AWS query-string parameters must include 'X-Amz-Expires'. Re-examine the query-string parameters."),
		},
		{
			name: "unknown key", url: "http://" + testHost + "/?X-Amz-Expires=300",
			opts:    signOpts{creds: sigv4.Credentials{AccessKeyID: "AKIDUNKNOWN", SecretAccessKey: "x"}},
			wantErr: awserr.New(awserr.UnrecognizedClient, "The security token included in the request is invalid."),
		},
	}
	v := newTestVerifier()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := request{url: tt.url, body: tt.body}.build(t)
			signedReq := presign(t, req, tt.body, tt.opts)
			srv, body := received(t, signedReq)
			now := tt.now
			if now.IsZero() {
				now = testNow
			}
			res, err := v.Verify(srv, body, now)
			if tt.wantErr != nil {
				wantAWSError(t, err, tt.wantErr.Code, tt.wantErr.Message)
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v\nURL: %s", err, signedReq.URL)
			}
			if res.Credentials != testCreds || res.Region != testRegion {
				t.Errorf("Verify = %+v", res)
			}
		})
	}

	t.Run("tampered query", func(t *testing.T) {
		req := presign(t, request{url: "http://" + testHost + "/?X-Amz-Expires=300&user=alice"}.build(t), nil, signOpts{})
		req.URL.RawQuery = strings.Replace(req.URL.RawQuery, "user=alice", "user=mallory", 1)
		srv, body := received(t, req)
		_, err := v.Verify(srv, body, testNow)
		wantAWSError(t, err, awserr.InvalidSignature, mismatch)
	})
}

const mismatch = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."

func TestVerifyRejects(t *testing.T) {
	payload := []byte(`{"key":"value"}`)
	// signedInvoke returns a signed Invoke request as the server receives it.
	signedInvoke := func(t *testing.T, o signOpts) (*http.Request, []byte) {
		req := request{method: http.MethodPost, url: invokeURL + "?Qualifier=prod", body: payload, headers: sdkHeaders}.build(t)
		sign(t, req, payload, o)
		return received(t, req)
	}
	setAuth := func(value string) func(*http.Request, []byte) []byte {
		return func(r *http.Request, body []byte) []byte {
			r.Header.Set("Authorization", value)
			return body
		}
	}
	replaceAuth := func(old, new string) func(*http.Request, []byte) []byte {
		return func(r *http.Request, body []byte) []byte {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), old, new, 1))
			return body
		}
	}
	goodAuth := func(t *testing.T) string {
		r, _ := signedInvoke(t, signOpts{})
		return r.Header.Get("Authorization")
	}(t)
	sig := goodAuth[strings.Index(goodAuth, "Signature=")+len("Signature="):]

	tests := []struct {
		name    string
		opts    signOpts
		tamper  func(r *http.Request, body []byte) []byte
		code    string
		message string
	}{
		{
			name:   "no Authorization header",
			tamper: func(r *http.Request, b []byte) []byte { r.Header.Del("Authorization"); return b },
			code:   awserr.MissingAuthenticationToken, message: "Missing Authentication Token",
		},
		{
			name:   "empty Authorization header",
			tamper: setAuth("  "),
			code:   awserr.MissingAuthenticationToken, message: "Missing Authentication Token",
		},
		{
			name: "unknown access key",
			opts: signOpts{creds: sigv4.Credentials{AccessKeyID: "AKIDUNKNOWN", SecretAccessKey: testSecret}},
			code: awserr.UnrecognizedClient, message: "The security token included in the request is invalid.",
		},
		{
			name: "wrong secret",
			opts: signOpts{creds: sigv4.Credentials{AccessKeyID: testKeyID, SecretAccessKey: "wrong"}},
			code: awserr.InvalidSignature, message: mismatch,
		},
		{
			name:   "tampered body",
			tamper: func(r *http.Request, b []byte) []byte { return []byte(`{"key":"evil!"}`) },
			code:   awserr.InvalidSignature, message: mismatch,
		},
		{
			name: "tampered path",
			tamper: func(r *http.Request, b []byte) []byte {
				r.RequestURI = strings.Replace(r.RequestURI, "my-fn", "other", 1)
				return b
			},
			code: awserr.InvalidSignature, message: mismatch,
		},
		{
			name: "path decoded before verifying",
			tamper: func(r *http.Request, b []byte) []byte {
				r.RequestURI = strings.Replace(r.RequestURI, "my-fn", "my%2Dfn", 1)
				return b
			},
			code: awserr.InvalidSignature, message: mismatch,
		},
		{
			name:   "tampered query",
			tamper: func(r *http.Request, b []byte) []byte { r.URL.RawQuery = "Qualifier=dev"; return b },
			code:   awserr.InvalidSignature, message: mismatch,
		},
		{
			name:   "tampered signed header",
			tamper: func(r *http.Request, b []byte) []byte { r.Header.Set("X-Amz-Log-Type", "None"); return b },
			code:   awserr.InvalidSignature, message: mismatch,
		},
		{
			name:   "tampered host",
			tamper: func(r *http.Request, b []byte) []byte { r.Host = "evil.test:9000"; return b },
			code:   awserr.InvalidSignature, message: mismatch,
		},
		{
			name:   "tampered method",
			tamper: func(r *http.Request, b []byte) []byte { r.Method = http.MethodPut; return b },
			code:   awserr.InvalidSignature, message: mismatch,
		},
		{
			name:   "upper-case signature",
			tamper: replaceAuth(sig, strings.ToUpper(sig)),
			code:   awserr.InvalidSignature, message: mismatch,
		},
		{
			name:   "truncated signature",
			tamper: replaceAuth(sig, sig[:63]),
			code:   awserr.InvalidSignature, message: mismatch,
		},
		{
			name: "6 minutes old",
			opts: signOpts{at: testNow.Add(-6 * time.Minute)},
			code: awserr.InvalidSignature, message: "Signature expired: 20261123T072133Z is now earlier than 20261123T072233Z (20261123T072733Z - 5 min.)",
		},
		{
			name: "6 minutes in the future",
			opts: signOpts{at: testNow.Add(6 * time.Minute)},
			code: awserr.InvalidSignature, message: "Signature not yet current: 20261123T073333Z is still later than 20261123T073233Z (20261123T072733Z + 5 min.)",
		},
		{
			name:   "scope date differs from X-Amz-Date",
			tamper: func(r *http.Request, b []byte) []byte { r.Header.Set("X-Amz-Date", "20261124T072733Z"); return b },
			code:   awserr.InvalidSignature, message: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20261123' != '20261124', from '20261124T072733Z'.",
		},
		{
			name: "wrong service in scope",
			opts: signOpts{service: "s3"},
			code: awserr.InvalidSignature, message: "Credential should be scoped to correct service: 'lambda'. ",
		},
		{
			name:   "bad terminator",
			tamper: replaceAuth("/aws4_request", "/aws5_request"),
			code:   awserr.InvalidSignature, message: "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. ",
		},
		{
			name:   "bad region",
			tamper: replaceAuth("/us-east-1/", "/US_East/"),
			code:   awserr.InvalidSignature, message: "Credential should be scoped to a valid region, not 'US_East'. ",
		},
		{
			name:   "host not signed",
			tamper: setAuth("AWS4-HMAC-SHA256 Credential=" + testKeyID + "/20261123/us-east-1/lambda/aws4_request, SignedHeaders=x-amz-date, Signature=" + sig),
			code:   awserr.IncompleteSignature, message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
		},
		{
			name:   "x-amz-date not signed",
			tamper: setAuth("AWS4-HMAC-SHA256 Credential=" + testKeyID + "/20261123/us-east-1/lambda/aws4_request, SignedHeaders=content-length;host, Signature=" + sig),
			code:   awserr.IncompleteSignature, message: "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.",
		},
		{
			name:   "empty signed header name",
			tamper: setAuth("AWS4-HMAC-SHA256 Credential=" + testKeyID + "/20261123/us-east-1/lambda/aws4_request, SignedHeaders=host;;x-amz-date, Signature=" + sig),
			code:   awserr.IncompleteSignature, message: "SignedHeaders must be a list of header names separated by ';', got 'host;;x-amz-date'.",
		},
		{
			name:   "no X-Amz-Date",
			tamper: func(r *http.Request, b []byte) []byte { r.Header.Del("X-Amz-Date"); return b },
			code:   awserr.IncompleteSignature, message: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=" + goodAuth,
		},
		{
			name:   "X-Amz-Date not ISO-8601 basic",
			tamper: func(r *http.Request, b []byte) []byte { r.Header.Set("X-Amz-Date", "2026-11-23T07:27:33Z"); return b },
			code:   awserr.IncompleteSignature, message: "X-Amz-Date must be in the ISO-8601 basic format YYYYMMDD'T'HHMMSS'Z', got '2026-11-23T07:27:33Z'.",
		},
		{
			name:   "algorithm only",
			tamper: setAuth("AWS4-HMAC-SHA256"),
			code:   awserr.IncompleteSignature, message: "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256",
		},
		{
			name:   "bearer token",
			tamper: setAuth("Bearer eyJhbGciOi"),
			code:   awserr.IncompleteSignature, message: "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=Bearer eyJhbGciOi",
		},
		{
			name:   "missing signature",
			tamper: setAuth("AWS4-HMAC-SHA256 Credential=" + testKeyID + "/20261123/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date"),
			code:   awserr.IncompleteSignature, message: "Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256 Credential=" + testKeyID + "/20261123/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date",
		},
		{
			name:   "space inside the credential",
			tamper: replaceAuth(testKeyID+"/", testKeyID+" /"),
			code:   awserr.IncompleteSignature, message: "'/20261123/us-east-1/lambda/aws4_request' not a valid key=value pair (missing equal-sign) in Authorization header: '" + strings.Replace(goodAuth, testKeyID+"/", testKeyID+" /", 1) + "'.",
		},
		{
			name:   "credential with four elements",
			tamper: replaceAuth("/us-east-1/lambda/", "/us-east-1/"),
			code:   awserr.IncompleteSignature, message: "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" + testKeyID + "/20261123/us-east-1/aws4_request'.",
		},
		{
			name:   "credential with an empty element",
			tamper: replaceAuth("/us-east-1/", "//"),
			code:   awserr.IncompleteSignature, message: "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" + testKeyID + "/20261123//lambda/aws4_request'.",
		},
		{
			name:   "SigV4a",
			tamper: replaceAuth("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256"),
			code:   awserr.IncompleteSignature, message: "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256'. Only 'AWS4-HMAC-SHA256' is supported.",
		},
	}
	v := newTestVerifier()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, body := signedInvoke(t, tt.opts)
			if tt.tamper != nil {
				body = tt.tamper(r, body)
			}
			_, err := v.Verify(r, body, testNow)
			wantAWSError(t, err, tt.code, tt.message)
		})
	}
}

func TestVerifyContentSHA256(t *testing.T) {
	payload := []byte(`{"a":1}`)
	tests := []struct {
		name     string
		declared string
		signHash string // payload hash given to the signer
		body     []byte // body the server receives, as long as payload
		code     string // empty: success
		message  string
	}{
		{name: "hex matches", declared: sha256Hex(payload), body: payload},
		{name: "upper-case hex matches", declared: strings.ToUpper(sha256Hex(payload)), signHash: strings.ToUpper(sha256Hex(payload)), body: payload},
		{name: "unsigned payload with any body", declared: "UNSIGNED-PAYLOAD", signHash: "UNSIGNED-PAYLOAD", body: []byte(`{"b":9}`)},
		{
			name: "hex of another body", declared: sha256Hex(payload), body: []byte(`{"a":2}`),
			code: awserr.InvalidSignature, message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
		},
		{
			name: "not a hash", declared: "banana", signHash: "banana", body: payload,
			code: awserr.InvalidSignature, message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
		},
		{
			name: "streaming", declared: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", signHash: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", body: payload,
			code: awserr.IncompleteSignature, message: "x-amz-content-sha256 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' is not supported: streaming payloads are an S3 feature.",
		},
	}
	v := newTestVerifier()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := request{method: http.MethodPost, url: invokeURL, body: payload, headers: map[string][]string{
				"X-Amz-Content-Sha256": {tt.declared},
			}}.build(t)
			sign(t, req, payload, signOpts{payloadHash: tt.signHash})
			srv, _ := received(t, req)
			_, err := v.Verify(srv, tt.body, testNow)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			wantAWSError(t, err, tt.code, tt.message)
		})
	}
}

// TestVerifyPathNormalization covers clients that sign the normalised path
// (botocore, JS) and clients that sign a path with "//" as sent.
func TestVerifyPathNormalization(t *testing.T) {
	v := newTestVerifier()
	t.Run("client signs the normalised path", func(t *testing.T) {
		req := request{url: "http://" + testHost + "/2015-03-31/functions/f"}.build(t)
		sign(t, req, nil, signOpts{})
		srv, body := received(t, req)
		srv.RequestURI = "/2015-03-31/./functions//x/../f"
		if _, err := v.Verify(srv, body, testNow); err != nil {
			t.Fatalf("Verify: %v", err)
		}
	})
	t.Run("client signs the literal path", func(t *testing.T) {
		req := request{url: "http://" + testHost + "//2015-03-31/functions/f/"}.build(t)
		sign(t, req, nil, signOpts{})
		srv, body := received(t, req)
		if srv.RequestURI != "//2015-03-31/functions/f/" {
			t.Fatalf("RequestURI = %q", srv.RequestURI)
		}
		if _, err := v.Verify(srv, body, testNow); err != nil {
			t.Fatalf("Verify: %v", err)
		}
	})
}

// TestVerifyConcurrent runs verifications of many signing days from several
// goroutines, so the race detector sees the key cache under contention and
// its eviction.
func TestVerifyConcurrent(t *testing.T) {
	const days, workers = 300, 4
	v := newTestVerifier()
	type signed struct {
		r    *http.Request
		body []byte
		now  time.Time
	}
	reqs := make([]signed, days)
	for i := range reqs {
		at := testNow.AddDate(0, 0, -i)
		req := request{url: "http://" + testHost + "/2015-03-31/functions/"}.build(t)
		sign(t, req, nil, signOpts{at: at})
		r, body := received(t, req)
		reqs[i] = signed{r, body, at}
	}
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			var first error
			for i := range reqs {
				s := reqs[(i+w*days/workers)%days]
				if _, err := v.Verify(s.r, s.body, s.now); err != nil && first == nil {
					first = err
				}
			}
			errs <- first
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
