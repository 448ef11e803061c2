package sigv4_test

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lambdad/lambdad/internal/sigv4"
)

// TestVerifyAWSTestSuite verifies requests of AWS's SigV4 test suite
// (get-vanilla and friends: key AKIDEXAMPLE, service "service", 2015-08-30),
// given as the raw bytes a server receives.
func TestVerifyAWSTestSuite(t *testing.T) {
	const scope = "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"
	tests := []struct {
		name, requestLine, signature string
	}{
		{"get-vanilla", "GET / HTTP/1.1", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
		{"post-vanilla", "POST / HTTP/1.1", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
		{"get-vanilla-query", "GET /?Param1=value1 HTTP/1.1", "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
		{"get-vanilla-query-order-key-case", "GET /?Param2=value2&Param1=value1 HTTP/1.1", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
	}
	creds := sigv4.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", AccountID: "111122223333"}
	v := sigv4.NewVerifier("service", func(id string) (sigv4.Credentials, bool) { return creds, id == creds.AccessKeyID }, 5*time.Minute)
	now := time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wire := tt.requestLine + "\r\n" +
				"Host:example.amazonaws.com\r\n" +
				"X-Amz-Date:20150830T123600Z\r\n" +
				"Authorization: AWS4-HMAC-SHA256 Credential=" + scope + ", SignedHeaders=host;x-amz-date, Signature=" + tt.signature + "\r\n\r\n"
			r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(wire)))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(r.Body)
			res, err := v.Verify(r, body, now)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if res.Credentials != creds || res.Region != "us-east-1" || !res.Date.Equal(now) {
				t.Errorf("Verify = %+v", res)
			}
		})
	}
}

// TestVerifyDateHeader checks a request dated by an HTTP Date header instead
// of X-Amz-Date, against a signature computed here from the specification.
func TestVerifyDateHeader(t *testing.T) {
	const date = "Mon, 23 Nov 2026 07:27:33 GMT"
	canonical := "GET\n/2015-03-31/functions/\n\n" +
		"date:" + date + "\nhost:" + testHost + "\n\n" +
		"date;host\n" + sha256Hex(nil)
	stringToSign := "AWS4-HMAC-SHA256\n20261123T072733Z\n20261123/us-east-1/lambda/aws4_request\n" + sha256Hex([]byte(canonical))
	mac := func(key []byte, s string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(s))
		return m.Sum(nil)
	}
	key := mac(mac(mac(mac([]byte("AWS4"+testSecret), "20261123"), "us-east-1"), "lambda"), "aws4_request")
	signature := hex.EncodeToString(mac(key, stringToSign))

	wire := "GET /2015-03-31/functions/ HTTP/1.1\r\n" +
		"Host: " + testHost + "\r\n" +
		"Date: " + date + "\r\n" +
		"Authorization: AWS4-HMAC-SHA256 Credential=" + testKeyID + "/20261123/us-east-1/lambda/aws4_request,SignedHeaders=date;host,Signature=" + signature + "\r\n\r\n"
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(wire)))
	if err != nil {
		t.Fatal(err)
	}
	res, err := newTestVerifier().Verify(r, nil, testNow)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if !res.Date.Equal(testNow) {
		t.Errorf("Date = %v, want %v", res.Date, testNow)
	}

	r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "date;host", "host", 1))
	_, err = newTestVerifier().Verify(r, nil, testNow)
	wantAWSError(t, err, "IncompleteSignatureException", "'Date' must be a 'SignedHeader' in the AWS Authorization.")
}
