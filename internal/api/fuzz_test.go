package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/lambdad/lambdad/internal/registry"
)

// FuzzRequests sends signed requests with arbitrary methods, paths, queries
// and bodies through the whole API. Whatever the input, the server answers
// (never a dropped connection: a panic would drop it), with a JSON error
// body and an X-Amzn-ErrorType for every 4xx/5xx, and never a 5xx.
func FuzzRequests(f *testing.F) {
	a := newTestAPI(f, registry.Config{})
	zip := testZip(f, "x")
	create, _ := json.Marshal(map[string]any{
		"FunctionName": "f", "Runtime": "provided.al2023", "Handler": "bootstrap",
		"Role": "arn:aws:iam::123456789012:role/r", "Code": map[string]any{"ZipFile": zip},
	})
	f.Add(uint8(1), "/2015-03-31/functions", "", create)
	f.Add(uint8(0), "/2015-03-31/functions/f", "Qualifier=$LATEST", []byte(nil))
	f.Add(uint8(0), "/2015-03-31/functions/", "MaxItems=3&Marker=abc", []byte(nil))
	f.Add(uint8(2), "/2015-03-31/functions/f/configuration", "", []byte(`{"Timeout":5,"Environment":{"Variables":{"A":"b"}}}`))
	f.Add(uint8(2), "/2015-03-31/functions/f/code", "", []byte(`{"ZipFile":"UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="}`))
	f.Add(uint8(1), "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af", "", []byte(`{"Tags":{"a":"b"}}`))
	f.Add(uint8(3), "/2017-03-31/tags/arn:aws:lambda:us-east-1:123456789012:function:f", "tagKeys=a&tagKeys=b", []byte(nil))
	f.Add(uint8(2), "/2017-10-31/functions/f/concurrency", "", []byte(`{"ReservedConcurrentExecutions":5}`))
	f.Add(uint8(0), "/2016-08-19/account-settings/", "", []byte(nil))
	f.Add(uint8(3), "/2015-03-31/functions/f", "", []byte(nil))
	f.Add(uint8(1), "/2015-03-31/functions", "", []byte(`{"FunctionName":1}`))
	f.Add(uint8(1), "/2015-03-31/functions", "", []byte(`[`))
	f.Add(uint8(2), "/2019-09-30/functions/f/provisioned-concurrency", "Qualifier=1", []byte(`{"ProvisionedConcurrentExecutions":2}`))
	f.Add(uint8(0), "/2019-09-30/functions/f/provisioned-concurrency", "List=ALL&MaxItems=1&Marker=MQ", []byte(nil))

	client := &http.Client{Timeout: 30 * time.Second}
	methods := []string{"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"}
	f.Fuzz(func(t *testing.T, method uint8, path, query string, body []byte) {
		u, err := url.Parse(a.url + path)
		if err != nil || u.Host != a.url[len("http://"):] || len(body) > 1<<20 {
			return
		}
		u.RawQuery = query
		m := methods[int(method)%len(methods)]
		req, err := http.NewRequest(m, u.String(), bytes.NewReader(body))
		if err != nil {
			return
		}
		sum := sha256.Sum256(body)
		creds := aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "lambda", "us-east-1", time.Now()); err != nil {
			return
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s?%s: %v", m, path, query, err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("%s %s?%s: status %d: %s", m, path, query, resp.StatusCode, got)
		}
		if resp.StatusCode >= 400 && m != "HEAD" {
			if resp.Header.Get("X-Amzn-Errortype") == "" || !json.Valid(got) {
				t.Fatalf("%s %s?%s: status %d without an AWS error: %q", m, path, query, resp.StatusCode, got)
			}
		}
	})
}
