package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambdad/lambdad/internal/lambdadtest"
)

// constantFunction answers every event with the same small HTTP response,
// so that Invoke and a function URL move the same bytes out of the
// function.
const constantFunction = `package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

var answer = json.RawMessage(` + "`" + `{"statusCode":200,"body":"ok"}` + "`" + `)

func main() {
	lambda.Start(func(ctx context.Context, e json.RawMessage) (json.RawMessage, error) { return answer, nil })
}
`

// BenchmarkFunctionURL compares one warm request through a function URL
// (NONE auth, and AWS_IAM with a SigV4 signature) with a warm Invoke of
// the same function in the same run, over the same kind of keep-alive
// client, each with a 100-byte body:
//
//	go test ./e2e -run '^$' -bench FunctionURL -count 6 | tee url.txt
//	benchstat -col /target url.txt
func BenchmarkFunctionURL(b *testing.B) {
	d := lambdadtest.Start(b, lambdadtest.Options{})
	c := d.Client()
	zip := lambdadtest.GoZip(b, constantFunction)
	ids := map[types.FunctionUrlAuthType]string{}
	for name, auth := range map[string]types.FunctionUrlAuthType{"constant": types.FunctionUrlAuthTypeNone, "constant-iam": types.FunctionUrlAuthTypeAwsIam} {
		if _, err := c.CreateFunction(b.Context(), createInput(name, zip)); err != nil {
			b.Fatal(err)
		}
		out, err := c.CreateFunctionUrlConfig(b.Context(), &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String(name), AuthType: auth})
		if err != nil {
			b.Fatal(err)
		}
		u := aws.ToString(out.FunctionUrl)
		ids[auth] = u[len("http://") : len("http://")+32]
	}
	allowPublic(b, c, "constant")
	body := payloadOf(100)
	requests := []struct {
		target string
		req    *lambdadtest.SignedRequest
	}{
		{"invoke", lambdadtest.Sign(b, d.URL, "POST", "/2015-03-31/functions/constant/invocations", body)},
		{"url", &lambdadtest.SignedRequest{Method: "POST", Path: "/_lambdad/urls/" + ids[types.FunctionUrlAuthTypeNone] + "/bench", Body: body,
			Header: http.Header{"Content-Type": {"application/json"}}}},
		{"url-iam", signURL(b, d.URL, "/_lambdad/urls/"+ids[types.FunctionUrlAuthTypeAwsIam]+"/bench", body)},
	}
	for _, r := range requests {
		b.Run("target="+r.target, func(b *testing.B) { benchSequential(b, d.URL, r.req, 200) })
	}
}

// signURL signs a POST to a function URL's path form.
func signURL(b *testing.B, base, path string, body []byte) *lambdadtest.SignedRequest {
	req, err := http.NewRequest("POST", base+path, strings.NewReader(string(body)))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: lambdadtest.AccessKeyID, SecretAccessKey: lambdadtest.SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "lambda", lambdadtest.Region, time.Now()); err != nil {
		b.Fatal(err)
	}
	return &lambdadtest.SignedRequest{Method: "POST", Path: path, Body: body, Header: req.Header}
}
