package api

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/lambdad/lambdad/internal/registry"
	"github.com/lambdad/lambdad/internal/sigv4"
	"github.com/lambdad/lambdad/internal/store"
)

const (
	testAccessKey = "AKIATESTAPI000000001"
	testSecretKey = "test-api-secret-key-000000000000000000001"
	testAccount   = "123456789012"
	testRole      = "arn:aws:iam::123456789012:role/lambda-role"
	testARN       = "arn:aws:lambda:us-east-1:123456789012:function:"
)

// testAPI is the API server on a real store and registry, behind an
// httptest server, with an SDK client signed for testAccount.
type testAPI struct {
	url    string
	client *lambda.Client
	reg    *registry.Registry
}

func newTestAPI(t testing.TB, cfg registry.Config) *testAPI {
	t.Helper()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := store.Open(ctx, store.Config{Dir: t.TempDir()}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	cfg.Region = "us-east-1"
	reg, err := registry.New(ctx, st, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- reg.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("registry Run: %v", err)
		}
	})
	srv, err := New(Config{
		Region:      "us-east-1",
		Credentials: []sigv4.Credentials{{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey, AccountID: testAccount}},
	}, reg, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	client := lambda.New(lambda.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(hs.URL),
		RetryMaxAttempts: 1,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey}, nil
		}),
	})
	return &testAPI{url: hs.URL, client: client, reg: reg}
}

func testZip(t testing.TB, content string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	f, err := w.Create("bootstrap")
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte(content))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func sha256Base64(b []byte) string {
	sum := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}

func createInput(name string, zip []byte) *lambda.CreateFunctionInput {
	return &lambda.CreateFunctionInput{
		FunctionName: aws.String(name),
		Runtime:      types.RuntimeProvidedal2023,
		Handler:      aws.String("bootstrap"),
		Role:         aws.String(testRole),
		Code:         &types.FunctionCode{ZipFile: zip},
	}
}

// wantAPIError asserts that err is an AWS error with this status, code and
// message, as the SDK decoded it.
func wantAPIError(t *testing.T, err error, status int, code, msg string) {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error = %v, want %d %s %q", err, status, code, msg)
	}
	var withStatus interface{ HTTPStatusCode() int }
	if !errors.As(err, &withStatus) {
		t.Fatalf("error %v carries no HTTP status", err)
	}
	if withStatus.HTTPStatusCode() != status || apiErr.ErrorCode() != code || apiErr.ErrorMessage() != msg {
		t.Fatalf("error = %d %s %q,\nwant    %d %s %q", withStatus.HTTPStatusCode(), apiErr.ErrorCode(), apiErr.ErrorMessage(), status, code, msg)
	}
}

// TestControlPlaneThroughSDK drives every control-plane operation with the
// real aws-sdk-go-v2 client, waiters included.
func TestControlPlaneThroughSDK(t *testing.T) {
	a := newTestAPI(t, registry.Config{ConcurrencyLimit: 200})
	c := a.client
	ctx := t.Context()
	zip1 := testZip(t, "#!/bin/sh\necho one\n")
	arn := testARN + "hello"

	created, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("hello"),
		Runtime:      types.RuntimeProvidedal2023,
		Handler:      aws.String("bootstrap"),
		Role:         aws.String(testRole),
		Code:         &types.FunctionCode{ZipFile: zip1},
		Timeout:      aws.Int32(10),
		Environment:  &types.Environment{Variables: map[string]string{"GREETING": "hi"}},
		Tags:         map[string]string{"team": "a"},
		LoggingConfig: &types.LoggingConfig{
			LogFormat: types.LogFormatJson,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(created.FunctionArn) != arn || created.State != types.StatePending || created.StateReasonCode != types.StateReasonCodeCreating ||
		aws.ToString(created.CodeSha256) != sha256Base64(zip1) || created.CodeSize != int64(len(zip1)) || aws.ToInt32(created.Timeout) != 10 ||
		created.LoggingConfig.ApplicationLogLevel != types.ApplicationLogLevelInfo || created.TracingConfig.Mode != types.TracingModePassThrough {
		t.Errorf("CreateFunction = %+v", created)
	}

	// Waiters succeed at once: the function is Active when its record is.
	if err := lambda.NewFunctionExistsWaiter(c).Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("hello")}, 5*time.Second); err != nil {
		t.Fatalf("FunctionExists: %v", err)
	}
	if err := lambda.NewFunctionActiveV2Waiter(c).Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("hello")}, 5*time.Second); err != nil {
		t.Fatalf("FunctionActiveV2: %v", err)
	}
	if err := lambda.NewFunctionActiveWaiter(c).Wait(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("hello")}, 5*time.Second); err != nil {
		t.Fatalf("FunctionActive: %v", err)
	}

	got, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("hello")})
	if err != nil {
		t.Fatal(err)
	}
	if got.Configuration.State != types.StateActive || got.Configuration.LastUpdateStatus != types.LastUpdateStatusSuccessful ||
		got.Tags["team"] != "a" || got.Configuration.Environment.Variables["GREETING"] != "hi" || aws.ToString(got.Code.RepositoryType) != "S3" {
		t.Errorf("GetFunction = %+v %+v", got.Configuration, got)
	}
	resp, err := http.Get(aws.ToString(got.Code.Location))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(body, zip1) {
		t.Errorf("Code.Location: %d, %d bytes", resp.StatusCode, len(body))
	}
	for _, name := range []string{arn, "123456789012:function:hello", "hello:$LATEST"} {
		cfg, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name)})
		if err != nil {
			t.Fatalf("GetFunctionConfiguration %s: %v", name, err)
		}
		if aws.ToString(cfg.RevisionId) != aws.ToString(created.RevisionId) {
			t.Errorf("GetFunctionConfiguration %s: RevisionId %s", name, aws.ToString(cfg.RevisionId))
		}
	}

	// Updates: InProgress in the response, Successful at once after.
	zip2 := testZip(t, "#!/bin/sh\necho two\n")
	upd, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("hello"), ZipFile: zip2, RevisionId: created.RevisionId})
	if err != nil {
		t.Fatal(err)
	}
	if upd.LastUpdateStatus != types.LastUpdateStatusInProgress || upd.LastUpdateStatusReasonCode != types.LastUpdateStatusReasonCode("Creating") || aws.ToString(upd.CodeSha256) != sha256Base64(zip2) {
		t.Errorf("UpdateFunctionCode = %+v", upd)
	}
	if err := lambda.NewFunctionUpdatedV2Waiter(c).Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("hello")}, 5*time.Second); err != nil {
		t.Fatalf("FunctionUpdatedV2: %v", err)
	}
	_, err = c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("hello"), RevisionId: created.RevisionId, Timeout: aws.Int32(20)})
	wantAPIError(t, err, 412, "PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
	updc, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String(arn), RevisionId: upd.RevisionId, Timeout: aws.Int32(20), MemorySize: aws.Int32(256),
		Environment: &types.Environment{Variables: map[string]string{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(updc.Timeout) != 20 || aws.ToInt32(updc.MemorySize) != 256 || updc.Environment == nil || len(updc.Environment.Variables) != 0 {
		t.Errorf("UpdateFunctionConfiguration = %+v", updc)
	}
	if err := lambda.NewFunctionUpdatedWaiter(c).Wait(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("hello")}, 5*time.Second); err != nil {
		t.Fatalf("FunctionUpdated: %v", err)
	}

	// Tags.
	if _, err := c.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(arn), Tags: map[string]string{"env": "dev", "team": "b"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagResource(ctx, &lambda.UntagResourceInput{Resource: aws.String(arn), TagKeys: []string{"env", "nope"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(arn)})
	if err != nil || len(tags.Tags) != 1 || tags.Tags["team"] != "b" {
		t.Errorf("ListTags = %v, %v", tags, err)
	}

	// Concurrency.
	conc, err := c.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String("hello")})
	if err != nil || conc.ReservedConcurrentExecutions != nil {
		t.Errorf("GetFunctionConcurrency before = %+v, %v", conc, err)
	}
	put, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("hello"), ReservedConcurrentExecutions: aws.Int32(100)})
	if err != nil || aws.ToInt32(put.ReservedConcurrentExecutions) != 100 {
		t.Errorf("PutFunctionConcurrency = %+v, %v", put, err)
	}
	_, err = c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("hello"), ReservedConcurrentExecutions: aws.Int32(101)})
	wantAPIError(t, err, 400, "InvalidParameterValueException", "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100].")
	conc, err = c.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String("hello")})
	if err != nil || aws.ToInt32(conc.ReservedConcurrentExecutions) != 100 {
		t.Errorf("GetFunctionConcurrency = %+v, %v", conc, err)
	}
	settings, err := c.GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if l, u := settings.AccountLimit, settings.AccountUsage; l.ConcurrentExecutions != 200 || aws.ToInt32(l.UnreservedConcurrentExecutions) != 100 ||
		l.CodeSizeZipped != 52428800 || l.CodeSizeUnzipped != 262144000 || l.TotalCodeSize != 80530636800 ||
		u.FunctionCount != 1 || u.TotalCodeSize != int64(len(zip2)) {
		t.Errorf("GetAccountSettings = %+v %+v", *l, *u)
	}
	if _, err := c.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String("hello")}); err != nil {
		t.Fatal(err)
	}
	gotAfter, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("hello")})
	if err != nil || gotAfter.Concurrency != nil {
		t.Errorf("GetFunction Concurrency after delete = %+v, %v", gotAfter.Concurrency, err)
	}

	// Delete.
	if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("hello")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("hello")})
	wantAPIError(t, err, 404, "ResourceNotFoundException", "Function not found: "+arn)
	_, err = c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("hello")})
	wantAPIError(t, err, 404, "ResourceNotFoundException", "Function not found: "+arn)
}

// TestErrorsThroughSDK checks status, code and message of error answers as
// the SDK decodes them.
func TestErrorsThroughSDK(t *testing.T) {
	a := newTestAPI(t, registry.Config{})
	c := a.client
	ctx := t.Context()
	zip := testZip(t, "x")
	if _, err := c.CreateFunction(ctx, createInput("exists", zip)); err != nil {
		t.Fatal(err)
	}
	with := func(in *lambda.CreateFunctionInput, f func(*lambda.CreateFunctionInput)) *lambda.CreateFunctionInput {
		f(in)
		return in
	}
	tests := []struct {
		name      string
		call      func() error
		status    int
		code, msg string
	}{
		{"create existing", func() error { _, err := c.CreateFunction(ctx, createInput("exists", zip)); return err },
			409, "ResourceConflictException", "Function already exist: exists"},
		{"create bad zip", func() error { _, err := c.CreateFunction(ctx, createInput("bad", []byte("no zip"))); return err },
			400, "InvalidParameterValueException", "Could not unzip uploaded file. Please check your file, then try to upload again."},
		{"create bad name", func() error { _, err := c.CreateFunction(ctx, createInput("bad name!", zip)); return err },
			400, "ValidationException", `1 validation error detected: Value 'bad name!' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?`},
		{"create timeout 901", func() error {
			_, err := c.CreateFunction(ctx, with(createInput("t", zip), func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(901) }))
			return err
		}, 400, "ValidationException", "1 validation error detected: Value '901' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900"},
		{"create reserved variable", func() error {
			_, err := c.CreateFunction(ctx, with(createInput("e", zip), func(in *lambda.CreateFunctionInput) {
				in.Environment = &types.Environment{Variables: map[string]string{"AWS_REGION": "x"}}
			}))
			return err
		}, 400, "InvalidParameterValueException", "Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: AWS_REGION"},
		{"create deprecated runtime", func() error {
			_, err := c.CreateFunction(ctx, with(createInput("r", zip), func(in *lambda.CreateFunctionInput) { in.Runtime = types.RuntimeGo1x }))
			return err
		}, 400, "InvalidParameterValueException", "The runtime parameter of go1.x is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions."},
		{"create other region", func() error {
			_, err := c.CreateFunction(ctx, createInput("arn:aws:lambda:eu-west-1:123456789012:function:x", zip))
			return err
		}, 404, "ResourceNotFoundException", "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')"},
		{"get other account", func() error {
			_, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("arn:aws:lambda:us-east-1:111111111111:function:exists")})
			return err
			// AWS's 403 has no message; the SDK then says UnknownError.
		}, 403, "AccessDeniedException", "UnknownError"},
		{"get unknown", func() error {
			_, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("nope")})
			return err
		}, 404, "ResourceNotFoundException", "Function not found: " + testARN + "nope"},
		{"get unknown version", func() error {
			_, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("exists"), Qualifier: aws.String("7")})
			return err
		}, 404, "ResourceNotFoundException", "Function not found: " + testARN + "exists:7"},
		{"qualifier mismatch", func() error {
			_, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("exists:1"), Qualifier: aws.String("2")})
			return err
		}, 400, "InvalidParameterValueException", "The derived qualifier from the function name does not match the specified qualifier."},
		{"delete $LATEST", func() error {
			_, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("exists"), Qualifier: aws.String("$LATEST")})
			return err
		}, 400, "InvalidParameterValueException", "$LATEST version cannot be deleted without deleting the function."},
		{"update code of unknown", func() error {
			_, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("nope"), ZipFile: zip})
			return err
		}, 404, "ResourceNotFoundException", "Function not found: " + testARN + "nope"},
		{"update code from S3", func() error {
			_, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("exists"), S3Bucket: aws.String("b"), S3Key: aws.String("k")})
			return err
		}, 400, "InvalidParameterValueException", "S3 code locations (S3Bucket, S3Key, S3ObjectVersion) are not supported by lambdad yet; upload the deployment package inline with ZipFile."},
		{"update memory", func() error {
			_, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("exists"), MemorySize: aws.Int32(64)})
			return err
		}, 400, "ValidationException", "1 validation error detected: Value '64' at 'memorySize' failed to satisfy constraint: Member must have value greater than or equal to 128"},
		{"concurrency of unknown", func() error {
			_, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("nope"), ReservedConcurrentExecutions: aws.Int32(1)})
			return err
		}, 404, "ResourceNotFoundException", "Function not found: " + testARN + "nope:$LATEST"},
		{"concurrency of a version", func() error {
			_, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String(testARN + "exists:$LATEST"), ReservedConcurrentExecutions: aws.Int32(1)})
			return err
		}, 400, "InvalidParameterValueException", "This operation is permitted on Lambda functions only. Aliases and versions do not support this operation. Please specify either a function name or an unqualified function ARN."},
		{"tag a version", func() error {
			_, err := c.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(testARN + "exists:1"), Tags: map[string]string{"a": "b"}})
			return err
		}, 400, "InvalidParameterValueException", "Tags on function aliases and versions are not supported. Please specify a function ARN."},
		{"tag nothing", func() error {
			_, err := c.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(testARN + "exists"), Tags: map[string]string{}})
			return err
		}, 400, "InvalidParameterValueException", "An error occurred and the request cannot be processed."},
		{"list tags of unknown", func() error {
			_, err := c.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(testARN + "nope")})
			return err
		}, 404, "ResourceNotFoundException", "Function not found: " + testARN + "nope"},
		{"list bad version filter", func() error {
			_, err := c.ListFunctions(ctx, &lambda.ListFunctionsInput{FunctionVersion: "LATEST"})
			return err
		}, 400, "ValidationException", "1 validation error detected: Value 'LATEST' at 'functionVersion' failed to satisfy constraint: Member must satisfy enum value set: [ALL]"},
		{"list MaxItems 0", func() error {
			_, err := c.ListFunctions(ctx, &lambda.ListFunctionsInput{MaxItems: aws.Int32(0)})
			return err
		}, 400, "ValidationException", "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantAPIError(t, tc.call(), tc.status, tc.code, tc.msg)
		})
	}
}

func TestListFunctionsPaginator(t *testing.T) {
	a := newTestAPI(t, registry.Config{})
	c := a.client
	zip := testZip(t, "x")
	const n = 65
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 8)
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if _, err := c.CreateFunction(context.Background(), createInput(fmt.Sprintf("fn-%03d", i), zip)); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, pageSize := range []int32{0, 7, 50, 1000} {
		t.Run(fmt.Sprint("MaxItems=", pageSize), func(t *testing.T) {
			in := &lambda.ListFunctionsInput{}
			if pageSize > 0 {
				in.MaxItems = aws.Int32(pageSize)
			}
			p := lambda.NewListFunctionsPaginator(c, in, func(o *lambda.ListFunctionsPaginatorOptions) { o.StopOnDuplicateToken = true })
			var names []string
			for p.HasMorePages() {
				page, err := p.NextPage(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				limit := 50
				if pageSize > 0 && pageSize < 50 {
					limit = int(pageSize)
				}
				if len(page.Functions) > limit {
					t.Errorf("page of %d functions, limit %d", len(page.Functions), limit)
				}
				for _, f := range page.Functions {
					names = append(names, aws.ToString(f.FunctionName))
				}
			}
			if len(names) != n {
				t.Fatalf("listed %d functions, want %d", len(names), n)
			}
			for i, name := range names {
				if want := fmt.Sprintf("fn-%03d", i); name != want {
					t.Fatalf("function %d is %s, want %s", i, name, want)
				}
			}
		})
	}
}

// signed sends a request signed for testAccount, bypassing the SDK, and
// returns the response with its body read.
func (a *testAPI) signed(t *testing.T, method, path, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, a.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey}
	if err := v4.NewSigner().SignHTTP(t.Context(), creds, req, hex.EncodeToString(sum[:]), "lambda", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// TestWireShapes checks what the SDK does not show: statuses, empty bodies,
// members left out, error bodies.
func TestWireShapes(t *testing.T) {
	a := newTestAPI(t, registry.Config{})
	zipB64 := base64.StdEncoding.EncodeToString(testZip(t, "x"))

	resp, body := a.signed(t, "POST", "/2015-03-31/functions", `{"FunctionName":"wire","Role":"`+testRole+`","Runtime":"python3.12","Handler":"a.b","Code":{"ZipFile":"`+zipB64+`"},"Unknown":1}`)
	if resp.StatusCode != 201 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	var created map[string]any
	if err := json.Unmarshal(body, &created); err != nil {
		t.Fatal(err)
	}
	for _, absent := range []string{"Environment", "DeadLetterConfig", "KMSKeyArn", "LastUpdateStatus", "Layers", "VpcConfig"} {
		if _, ok := created[absent]; ok {
			t.Errorf("create response has %s: %s", absent, body)
		}
	}
	if created["Description"] != "" {
		t.Errorf("Description = %v, want \"\"", created["Description"])
	}

	tests := []struct {
		name, method, path, body string
		status                   int
		errType                  string
		wantBody                 string
	}{
		{"delete concurrency", "DELETE", "/2017-10-31/functions/wire/concurrency", "", 204, "", ""},
		{"get concurrency", "GET", "/2019-09-30/functions/wire/concurrency", "", 200, "", `{}`},
		{"untag without keys", "DELETE", "/2017-03-31/tags/" + testARN + "wire", "", 400, "ValidationException",
			`{"__type":"ValidationException","message":"1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null"}`},
		{"not json", "POST", "/2015-03-31/functions", "{not json", 400, "InvalidRequestContentException", ""},
		{"list tags", "GET", "/2017-03-31/tags/" + testARN + "wire", "", 200, "", `{"Tags":{}}`},
		{"MaxItems not a number", "GET", "/2015-03-31/functions/?MaxItems=abc", "", 400, "InvalidParameterValueException", ""},
		{"not found body", "GET", "/2015-03-31/functions/nope", "", 404, "ResourceNotFoundException",
			`{"Message":"Function not found: ` + testARN + `nope","Type":"User","__type":"ResourceNotFoundException"}`},
		{"conflict body", "POST", "/2015-03-31/functions", `{"FunctionName":"wire","Role":"` + testRole + `","Runtime":"python3.12","Handler":"a.b","Code":{"ZipFile":"` + zipB64 + `"}}`, 409, "ResourceConflictException",
			`{"Type":"User","__type":"ResourceConflictException","message":"Function already exist: wire"}`},
		{"delete", "DELETE", "/2015-03-31/functions/wire", "", 204, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := a.signed(t, tc.method, tc.path, tc.body)
			if resp.StatusCode != tc.status || resp.Header.Get("X-Amzn-Errortype") != tc.errType {
				t.Fatalf("%d %q %s, want %d %q", resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"), body, tc.status, tc.errType)
			}
			if tc.wantBody != "" || tc.status == 204 {
				if got := strings.TrimSpace(string(body)); got != tc.wantBody {
					t.Errorf("body %s, want %s", got, tc.wantBody)
				}
			}
		})
	}
}
