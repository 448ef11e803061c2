package sigv4_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/lambdad/lambdad/internal/awserr"
	"github.com/lambdad/lambdad/internal/sigv4"
)

// verifyingServer is an httptest server whose handler verifies every
// request's signature with the server clock and answers {} or the AWS error.
type verifyingServer struct {
	*httptest.Server
	mu      sync.Mutex
	uris    []string // RequestURI of each request received
	results []sigv4.Result
	errs    []error
}

func newVerifyingServer(t *testing.T) *verifyingServer {
	v := newTestVerifier()
	s := &verifyingServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		var res sigv4.Result
		if err == nil {
			res, err = v.Verify(r, body, time.Now())
		}
		s.mu.Lock()
		s.uris = append(s.uris, r.RequestURI)
		s.results = append(s.results, res)
		s.errs = append(s.errs, err)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if e, ok := awserr.As(err); ok {
			w.Header().Set("X-Amzn-ErrorType", e.Code)
			w.WriteHeader(e.HTTPStatus())
			_ = json.NewEncoder(w).Encode(e.Body())
			return
		}
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
		}
		_, _ = io.WriteString(w, "{}")
	}))
	t.Cleanup(s.Close)
	return s
}

// last returns what the server saw of the latest request.
func (s *verifyingServer) last() (string, sigv4.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.uris) - 1
	if n < 0 {
		return "", sigv4.Result{}, errors.New("no request received")
	}
	return s.uris[n], s.results[n], s.errs[n]
}

func newLambdaClient(url, keyID, secret string) *lambda.Client {
	return lambda.New(lambda.Options{
		Region:           testRegion,
		BaseEndpoint:     aws.String(url),
		RetryMaxAttempts: 1,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret, Source: "test"}, nil
		}),
	})
}

// TestVerifyLambdaClient sends real aws-sdk-go-v2 Lambda calls to a server
// that verifies them: the most faithful check of the canonical request.
func TestVerifyLambdaClient(t *testing.T) {
	srv := newVerifyingServer(t)
	client := newLambdaClient(srv.URL, testKeyID, testSecret)
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:f:prod"
	tests := []struct {
		name    string
		call    func(ctx context.Context) error
		wantURI string // a substring of the request target on the wire
	}{
		{
			name: "GetFunction with a full ARN",
			call: func(ctx context.Context) error {
				_, err := client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(arn)})
				return err
			},
			wantURI: "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af%3Aprod",
		},
		{
			name: "GetFunction of a partial ARN with a qualifier",
			call: func(ctx context.Context) error {
				_, err := client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("123456789012:function:my.fn"), Qualifier: aws.String("$LATEST")})
				return err
			},
			wantURI: "123456789012%3Afunction%3Amy.fn?Qualifier=%24LATEST",
		},
		{
			name: "Invoke with qualifier, payload, log type and client context",
			call: func(ctx context.Context) error {
				_, err := client.Invoke(ctx, &lambda.InvokeInput{
					FunctionName:  aws.String("arn:aws:lambda:us-east-1:123456789012:function:my-fn"),
					Qualifier:     aws.String("prod"),
					Payload:       []byte(`{"hello":"world","n":[1,2,3]}`),
					LogType:       types.LogTypeTail,
					ClientContext: aws.String("eyJjdXN0b20iOnsiYSI6MX19"),
				})
				return err
			},
			wantURI: "my-fn/invocations?Qualifier=prod",
		},
		{
			name: "Invoke asynchronously without payload",
			call: func(ctx context.Context) error {
				_, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("my-fn"), InvocationType: types.InvocationTypeEvent})
				return err
			},
			wantURI: "/2015-03-31/functions/my-fn/invocations",
		},
		{
			name: "ListFunctions with Marker and MaxItems",
			call: func(ctx context.Context) error {
				_, err := client.ListFunctions(ctx, &lambda.ListFunctionsInput{Marker: aws.String("eyJhIjoiYiBjIn0=/+ &?x"), MaxItems: aws.Int32(10), FunctionVersion: types.FunctionVersionAll})
				return err
			},
			wantURI: "MaxItems=10",
		},
		{
			name: "UpdateFunctionConfiguration",
			call: func(ctx context.Context) error {
				_, err := client.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
					FunctionName: aws.String("my-fn"),
					Environment:  &types.Environment{Variables: map[string]string{"A": "b c", "UNICODE": "✓"}},
					Timeout:      aws.Int32(30),
				})
				return err
			},
			wantURI: "/2015-03-31/functions/my-fn/configuration",
		},
		{
			name: "DeleteAlias",
			call: func(ctx context.Context) error {
				_, err := client.DeleteAlias(ctx, &lambda.DeleteAliasInput{FunctionName: aws.String("my-fn"), Name: aws.String("live")})
				return err
			},
			wantURI: "/2015-03-31/functions/my-fn/aliases/live",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := tt.call(ctx); err != nil {
				t.Fatalf("call: %v", err)
			}
			uri, res, err := srv.last()
			if err != nil {
				t.Fatalf("Verify %s: %v", uri, err)
			}
			if !strings.Contains(uri, tt.wantURI) {
				t.Errorf("request target %q does not contain %q", uri, tt.wantURI)
			}
			if res.Credentials != testCreds || res.Region != testRegion {
				t.Errorf("Verify = %+v", res)
			}
		})
	}
}

// TestVerifyLambdaClientErrors checks what the SDK makes of the errors.
func TestVerifyLambdaClientErrors(t *testing.T) {
	srv := newVerifyingServer(t)
	tests := []struct {
		name, keyID, secret, code, message string
	}{
		{name: "wrong secret", keyID: testKeyID, secret: "not-the-secret", code: awserr.InvalidSignature, message: mismatch},
		{name: "unknown key", keyID: "AKIDUNKNOWN", secret: testSecret, code: awserr.UnrecognizedClient, message: "The security token included in the request is invalid."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			client := newLambdaClient(srv.URL, tt.keyID, tt.secret)
			_, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("my-fn"), Payload: []byte(`{}`)})
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("Invoke error %v is not a smithy.APIError", err)
			}
			if apiErr.ErrorCode() != tt.code || apiErr.ErrorMessage() != tt.message {
				t.Errorf("Invoke error = %s %q, want %s %q", apiErr.ErrorCode(), apiErr.ErrorMessage(), tt.code, tt.message)
			}
		})
	}
}
