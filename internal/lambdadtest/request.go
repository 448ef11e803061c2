package lambdadtest

import (
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
)

// SignedRequest is one Lambda API request, signed once with the harness
// credentials, that benchmarks replay against lambdad or a baseline (the
// signature stays valid for the 5 minutes of allowed clock skew).
type SignedRequest struct {
	Method string
	Path   string
	Body   []byte
	Header http.Header
}

// Sign signs method+path+body for the host of baseURL.
func Sign(t testing.TB, baseURL, method, path string, body []byte) *SignedRequest {
	t.Helper()
	req, err := http.NewRequest(method, baseURL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(body) > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: AccessKeyID, SecretAccessKey: SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "lambda", Region, time.Now()); err != nil {
		t.Fatal(err)
	}
	return &SignedRequest{Method: method, Path: path, Body: body, Header: req.Header}
}

// Do sends the request to baseURL with client and returns the response
// status, draining and closing the body.
func (s *SignedRequest) Do(client *http.Client, baseURL string) (int, []byte, error) {
	req, err := http.NewRequest(s.Method, baseURL+s.Path, bytes.NewReader(s.Body))
	if err != nil {
		return 0, nil, err
	}
	req.Header = s.Header.Clone()
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, body, err
}

// KeepAliveClient is an HTTP client that keeps up to n connections per host.
func KeepAliveClient(n int) *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: n, DisableCompression: true}}
}
