package sigv4_test

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/lambdad/lambdad/internal/awserr"
)

// fuzzRequest builds the server-side request FuzzVerify checks: fixed host,
// date and content type, the fuzzed Authorization header, path, query and
// body.
func fuzzRequest(auth, path, query string, body []byte) *http.Request {
	uri := path
	if query != "" {
		uri += "?" + query
	}
	r := &http.Request{
		Method:        http.MethodPost,
		URL:           &url.URL{Path: path, RawQuery: query},
		RequestURI:    uri,
		Host:          testHost,
		ContentLength: int64(len(body)),
		Header: http.Header{
			"X-Amz-Date":     {"20261123T072733Z"},
			"Content-Type":   {"application/json"},
			"Content-Length": {strconv.Itoa(len(body))},
		},
	}
	if auth != "" {
		r.Header["Authorization"] = []string{auth}
	}
	return r
}

func FuzzVerify(f *testing.F) {
	v := newTestVerifier()
	// Seeds that verify: real requests signed by the SDK, in the shape
	// fuzzRequest rebuilds.
	seeds := []struct {
		path, query string
		body        []byte
		presigned   bool
	}{
		{path: "/2015-03-31/functions/my-fn/invocations", body: []byte(`{"hello":"world"}`)},
		{path: "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af%3Aprod/invocations", query: "Qualifier=prod", body: []byte(`[1,2,3]`)},
		{path: "/2015-03-31/functions/", query: "Marker=a%20b%2Bc%3D&MaxItems=10&a=%E2%9C%93&a=1"},
		{path: "/f", query: "X-Amz-Expires=300&x=y", presigned: true},
	}
	for _, s := range seeds {
		req := request{method: http.MethodPost, url: "http://" + testHost + s.path, body: s.body,
			headers: map[string][]string{"Content-Type": {"application/json"}}}.build(f)
		if s.query != "" {
			req.URL.RawQuery = s.query
		}
		auth, query := "", s.query
		if s.presigned {
			query = presign(f, req, s.body, signOpts{}).URL.RawQuery
		} else {
			sign(f, req, s.body, signOpts{})
			auth = req.Header.Get("Authorization")
		}
		if _, err := v.Verify(fuzzRequest(auth, s.path, query, s.body), s.body, testNow); err != nil {
			f.Fatalf("seed %s?%s does not verify: %v", s.path, query, err)
		}
		f.Add(auth, s.path, query, s.body)
	}
	// Seeds that do not.
	f.Add("AWS4-HMAC-SHA256", "/", "", []byte(nil))
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d/e,SignedHeaders=host,Signature=00", "//./../", "a&&=&%zz", []byte("x"))
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDLAMBDADTEST/20261123/us-east-1/lambda/aws4_request, SignedHeaders=;, Signature=", "", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=-1", []byte{})
	f.Add("", "/", "X-Amz-Signature=&X-Amz-Credential=%2F%2F%2F%2F", []byte{0xff})

	f.Fuzz(func(t *testing.T, auth, path, query string, body []byte) {
		r := fuzzRequest(auth, path, query, body)
		res, err := v.Verify(r, body, testNow)
		again, err2 := v.Verify(r, body, testNow)
		if (err == nil) != (err2 == nil) || res != again {
			t.Fatalf("Verify is not deterministic: %v, %v", err, err2)
		}
		if err != nil {
			e, ok := awserr.As(err)
			if !ok || e.HTTPStatus() != http.StatusForbidden || e.Message == "" {
				t.Fatalf("Verify error %T %v is not a 403 *awserr.Error", err, err)
			}
			return
		}
		if res.Credentials != testCreds {
			t.Fatalf("Verify succeeded with credentials %+v", res.Credentials)
		}
	})
}
