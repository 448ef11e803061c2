package sigv4_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/lambdad/lambdad/internal/awserr"
	"github.com/lambdad/lambdad/internal/sigv4"
)

const (
	testKeyID   = "AKIDLAMBDADTEST"
	testSecret  = "lambdadTestSecretKey/K7MDENG+bPxRfiCYEXAMPLE"
	testAccount = "123456789012"
	testRegion  = "us-east-1"
	testHost    = "lambda.test:9000"
)

// testNow is the server clock of most tests; signatures are made at it.
var testNow = time.Date(2026, 11, 23, 7, 27, 33, 0, time.UTC)

var testCreds = sigv4.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret, AccountID: testAccount}

func lookupTestCreds(id string) (sigv4.Credentials, bool) {
	if id == testKeyID {
		return testCreds, true
	}
	return sigv4.Credentials{}, false
}

func newTestVerifier() *sigv4.Verifier {
	return sigv4.NewVerifier("lambda", lookupTestCreds, 5*time.Minute)
}

// request describes a client request before signing.
type request struct {
	method  string
	url     string // absolute, as the SDK would build it; escaped path kept via RawPath
	body    []byte
	headers map[string][]string
}

func (rq request) build(t testing.TB) *http.Request {
	t.Helper()
	method := rq.method
	if method == "" {
		method = http.MethodGet
	}
	url := rq.url
	if url == "" {
		url = "http://" + testHost + "/2015-03-31/functions/"
	}
	req, err := http.NewRequest(method, url, bytes.NewReader(rq.body))
	if err != nil {
		t.Fatalf("build request: %v", err)
	}
	if len(rq.body) == 0 {
		req.Body = http.NoBody
	}
	for k, vs := range rq.headers {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	return req
}

// signOpts change how sign signs.
type signOpts struct {
	creds       sigv4.Credentials
	region      string
	service     string
	at          time.Time
	payloadHash string // default: hex SHA-256 of the body
}

func (o signOpts) withDefaults() signOpts {
	if o.creds == (sigv4.Credentials{}) {
		o.creds = testCreds
	}
	if o.region == "" {
		o.region = testRegion
	}
	if o.service == "" {
		o.service = "lambda"
	}
	if o.at.IsZero() {
		o.at = testNow
	}
	return o
}

// sign signs req in place with aws-sdk-go-v2's signer, exactly as the Lambda
// client does.
func sign(t testing.TB, req *http.Request, body []byte, o signOpts) {
	t.Helper()
	o = o.withDefaults()
	hash := o.payloadHash
	if hash == "" {
		hash = sha256Hex(body)
	}
	creds := aws.Credentials{AccessKeyID: o.creds.AccessKeyID, SecretAccessKey: o.creds.SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hash, o.service, o.region, o.at); err != nil {
		t.Fatalf("sign: %v", err)
	}
}

// presign presigns req with the SDK's signer and returns the request a
// client would send to the presigned URL.
func presign(t testing.TB, req *http.Request, body []byte, o signOpts) *http.Request {
	t.Helper()
	o = o.withDefaults()
	hash := o.payloadHash
	if hash == "" {
		hash = sha256Hex(body)
	}
	creds := aws.Credentials{AccessKeyID: o.creds.AccessKeyID, SecretAccessKey: o.creds.SecretAccessKey}
	signedURL, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, hash, o.service, o.region, o.at)
	if err != nil {
		t.Fatalf("presign: %v", err)
	}
	out, err := http.NewRequest(req.Method, signedURL, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("build presigned request: %v", err)
	}
	if len(body) == 0 {
		out.Body = http.NoBody
	}
	for k, vs := range hdr {
		if http.CanonicalHeaderKey(k) == "Host" {
			continue
		}
		out.Header[http.CanonicalHeaderKey(k)] = vs
	}
	return out
}

// received writes a client request to the wire and parses it back the way
// net/http's server does, so the verifier sees exactly what a server sees
// (RequestURI, Host, Content-Length in the header map).
func received(t testing.TB, req *http.Request) (*http.Request, []byte) {
	t.Helper()
	var wire bytes.Buffer
	if err := req.Write(&wire); err != nil {
		t.Fatalf("write request: %v", err)
	}
	srv, err := http.ReadRequest(bufio.NewReader(&wire))
	if err != nil {
		t.Fatalf("read request back: %v\n%s", err, wire.String())
	}
	body, err := io.ReadAll(srv.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return srv, body
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// wantAWSError checks that err is an *awserr.Error with code and message and
// a 403 status.
func wantAWSError(t *testing.T, err error, code, message string) {
	t.Helper()
	if err == nil {
		t.Fatalf("Verify succeeded; want %s %q", code, message)
	}
	e, ok := awserr.As(err)
	if !ok {
		t.Fatalf("Verify error %T %v is not an *awserr.Error", err, err)
	}
	if e.Code != code || e.Message != message {
		t.Errorf("Verify error\n got %s %q\nwant %s %q", e.Code, e.Message, code, message)
	}
	if e.HTTPStatus() != http.StatusForbidden {
		t.Errorf("status %d, want 403", e.HTTPStatus())
	}
}
