package e2e

import (
	archivezip "archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambdad/lambdad/internal/lambdadtest"
)

const role = "arn:aws:iam::123456789012:role/lambda-role"

// echoScript is a minimal custom runtime; the control-plane tests never run it.
const echoScript = "#!/bin/sh\necho hello\n"

func sha256b64(b []byte) string {
	sum := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}

func createInput(name string, zip []byte) *lambda.CreateFunctionInput {
	return &lambda.CreateFunctionInput{
		FunctionName: aws.String(name),
		Runtime:      types.RuntimeProvidedal2023,
		Handler:      aws.String("bootstrap"),
		Role:         aws.String(role),
		Code:         &types.FunctionCode{ZipFile: zip},
	}
}

func TestFunctionLifecycle(t *testing.T) {
	d := lambdadtest.Start(t, lambdadtest.Options{})
	c := d.Client()
	zip1 := lambdadtest.ScriptZip(t, echoScript)

	created, err := c.CreateFunction(ctx(t), &lambda.CreateFunctionInput{
		FunctionName: aws.String("hello"),
		Runtime:      types.RuntimeProvidedal2023,
		Handler:      aws.String("bootstrap"),
		Role:         aws.String(role),
		Code:         &types.FunctionCode{ZipFile: zip1},
		Description:  aws.String("first"),
		Timeout:      aws.Int32(10),
		MemorySize:   aws.Int32(256),
		Environment:  &types.Environment{Variables: map[string]string{"GREETING": "hi"}},
		Tags:         map[string]string{"team": "a"},
	})
	if err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:lambda:us-east-1:123456789012:function:hello"
	if got := aws.ToString(created.FunctionArn); got != arn {
		t.Errorf("FunctionArn = %q, want %q", got, arn)
	}
	if created.State != types.StatePending || created.StateReasonCode != types.StateReasonCodeCreating {
		t.Errorf("create response State = %q/%q, want Pending/Creating", created.State, created.StateReasonCode)
	}
	if got, want := aws.ToString(created.CodeSha256), sha256b64(zip1); got != want {
		t.Errorf("CodeSha256 = %q, want %q", got, want)
	}
	if created.CodeSize != int64(len(zip1)) {
		t.Errorf("CodeSize = %d, want %d", created.CodeSize, len(zip1))
	}
	if aws.ToString(created.Version) != "$LATEST" || created.PackageType != types.PackageTypeZip {
		t.Errorf("Version/PackageType = %q/%q", aws.ToString(created.Version), created.PackageType)
	}
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$`).MatchString(aws.ToString(created.LastModified)) {
		t.Errorf("LastModified = %q, want yyyy-mm-ddThh:mm:ss.sss+0000", aws.ToString(created.LastModified))
	}
	if aws.ToInt32(created.Timeout) != 10 || aws.ToInt32(created.MemorySize) != 256 || created.EphemeralStorage == nil || aws.ToInt32(created.EphemeralStorage.Size) != 512 {
		t.Errorf("Timeout/MemorySize/EphemeralStorage = %v/%v/%v", aws.ToInt32(created.Timeout), aws.ToInt32(created.MemorySize), created.EphemeralStorage)
	}
	if len(created.Architectures) != 1 || created.Architectures[0] != types.ArchitectureX8664 {
		t.Errorf("Architectures = %v, want [x86_64]", created.Architectures)
	}

	// The waiters a deployment tool uses all succeed at once.
	if err := lambda.NewFunctionExistsWaiter(c).Wait(ctx(t), &lambda.GetFunctionInput{FunctionName: aws.String("hello")}, 10*time.Second); err != nil {
		t.Fatalf("FunctionExists: %v", err)
	}
	if err := lambda.NewFunctionActiveV2Waiter(c).Wait(ctx(t), &lambda.GetFunctionInput{FunctionName: aws.String("hello")}, 10*time.Second); err != nil {
		t.Fatalf("FunctionActiveV2: %v", err)
	}
	if err := lambda.NewFunctionActiveWaiter(c).Wait(ctx(t), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("hello")}, 10*time.Second); err != nil {
		t.Fatalf("FunctionActive: %v", err)
	}

	got, err := c.GetFunction(ctx(t), &lambda.GetFunctionInput{FunctionName: aws.String("hello")})
	if err != nil {
		t.Fatal(err)
	}
	cfg := got.Configuration
	if cfg.State != types.StateActive || cfg.LastUpdateStatus != types.LastUpdateStatusSuccessful {
		t.Errorf("State/LastUpdateStatus = %q/%q, want Active/Successful", cfg.State, cfg.LastUpdateStatus)
	}
	if cfg.Environment == nil || cfg.Environment.Variables["GREETING"] != "hi" {
		t.Errorf("Environment = %+v", cfg.Environment)
	}
	if got.Tags["team"] != "a" {
		t.Errorf("Tags = %v", got.Tags)
	}
	if got.Code == nil || aws.ToString(got.Code.RepositoryType) != "S3" {
		t.Fatalf("Code = %+v", got.Code)
	}
	// Code.Location downloads the exact zip, without credentials.
	resp, err := http.Get(aws.ToString(got.Code.Location))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(body, zip1) {
		t.Errorf("code download: status %d, %d bytes, want 200 and the %d-byte zip", resp.StatusCode, len(body), len(zip1))
	}
	// A tampered URL is refused.
	resp, err = http.Get(strings.Replace(aws.ToString(got.Code.Location), "Expires=", "Expires=1", 1))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("tampered code URL: status %d, want 403", resp.StatusCode)
	}

	// The same function by full ARN and by partial ARN.
	for _, name := range []string{arn, "123456789012:function:hello"} {
		cfgByARN, err := c.GetFunctionConfiguration(ctx(t), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name)})
		if err != nil {
			t.Fatalf("GetFunctionConfiguration(%s): %v", name, err)
		}
		if aws.ToString(cfgByARN.RevisionId) != aws.ToString(cfg.RevisionId) {
			t.Errorf("GetFunctionConfiguration(%s) RevisionId %q, want %q", name, aws.ToString(cfgByARN.RevisionId), aws.ToString(cfg.RevisionId))
		}
	}

	// Update code: new sha, new revision, InProgress then Successful.
	zip2 := lambdadtest.ScriptZip(t, echoScript+"echo again\n")
	upd, err := c.UpdateFunctionCode(ctx(t), &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("hello"), ZipFile: zip2})
	if err != nil {
		t.Fatal(err)
	}
	if upd.LastUpdateStatus != types.LastUpdateStatusInProgress {
		t.Errorf("update response LastUpdateStatus = %q, want InProgress", upd.LastUpdateStatus)
	}
	if aws.ToString(upd.CodeSha256) != sha256b64(zip2) || aws.ToString(upd.RevisionId) == aws.ToString(cfg.RevisionId) {
		t.Errorf("after code update: CodeSha256 %q RevisionId %q (old %q)", aws.ToString(upd.CodeSha256), aws.ToString(upd.RevisionId), aws.ToString(cfg.RevisionId))
	}
	if err := lambda.NewFunctionUpdatedV2Waiter(c).Wait(ctx(t), &lambda.GetFunctionInput{FunctionName: aws.String("hello")}, 10*time.Second); err != nil {
		t.Fatalf("FunctionUpdatedV2: %v", err)
	}

	// Update configuration with a stale RevisionId is refused; with the
	// current one it applies.
	_, err = c.UpdateFunctionConfiguration(ctx(t), &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("hello"), RevisionId: cfg.RevisionId, Timeout: aws.Int32(20),
	})
	wantAPIError(t, err, "PreconditionFailedException", "")
	upc, err := c.UpdateFunctionConfiguration(ctx(t), &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("hello"), RevisionId: upd.RevisionId, Timeout: aws.Int32(20),
		Description: aws.String("second"), Environment: &types.Environment{Variables: map[string]string{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := lambda.NewFunctionUpdatedWaiter(c).Wait(ctx(t), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("hello")}, 10*time.Second); err != nil {
		t.Fatalf("FunctionUpdated: %v", err)
	}
	after, err := c.GetFunctionConfiguration(ctx(t), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("hello")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(after.Timeout) != 20 || aws.ToString(after.Description) != "second" || aws.ToInt32(after.MemorySize) != 256 {
		t.Errorf("after config update: Timeout %d Description %q MemorySize %d", aws.ToInt32(after.Timeout), aws.ToString(after.Description), aws.ToInt32(after.MemorySize))
	}
	if aws.ToString(after.RevisionId) != aws.ToString(upc.RevisionId) || aws.ToString(after.CodeSha256) != sha256b64(zip2) {
		t.Errorf("after config update: RevisionId %q want %q; CodeSha256 %q", aws.ToString(after.RevisionId), aws.ToString(upc.RevisionId), aws.ToString(after.CodeSha256))
	}

	// Tags by ARN.
	if _, err := c.TagResource(ctx(t), &lambda.TagResourceInput{Resource: aws.String(arn), Tags: map[string]string{"env": "dev", "team": "b"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagResource(ctx(t), &lambda.UntagResourceInput{Resource: aws.String(arn), TagKeys: []string{"env"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListTags(ctx(t), &lambda.ListTagsInput{Resource: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if len(tags.Tags) != 1 || tags.Tags["team"] != "b" {
		t.Errorf("ListTags = %v, want map[team:b]", tags.Tags)
	}

	settings, err := c.GetAccountSettings(ctx(t), &lambda.GetAccountSettingsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if settings.AccountUsage.FunctionCount != 1 || settings.AccountLimit.ConcurrentExecutions != 1000 || settings.AccountLimit.CodeSizeZipped != 52428800 {
		t.Errorf("account settings: usage %+v limit %+v", settings.AccountUsage, settings.AccountLimit)
	}

	if _, err := c.DeleteFunction(ctx(t), &lambda.DeleteFunctionInput{FunctionName: aws.String("hello")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetFunction(ctx(t), &lambda.GetFunctionInput{FunctionName: aws.String("hello")})
	wantAPIError(t, err, "ResourceNotFoundException", "Function not found: "+arn)
	_, err = c.DeleteFunction(ctx(t), &lambda.DeleteFunctionInput{FunctionName: aws.String("hello")})
	wantAPIError(t, err, "ResourceNotFoundException", "Function not found: "+arn)
}

func TestListFunctionsPaginator(t *testing.T) {
	d := lambdadtest.Start(t, lambdadtest.Options{})
	c := d.Client()
	zip := lambdadtest.ScriptZip(t, echoScript)
	const n = 65
	want := map[string]bool{}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 8)
	for i := range n {
		name := fmt.Sprintf("fn-%03d", i)
		want[name] = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if _, err := c.CreateFunction(ctx(t), createInput(name, zip)); err != nil {
				errs <- fmt.Errorf("create %s: %w", name, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	for _, pageSize := range []int32{0, 7, 50} {
		t.Run(fmt.Sprintf("MaxItems=%d", pageSize), func(t *testing.T) {
			in := &lambda.ListFunctionsInput{}
			if pageSize > 0 {
				in.MaxItems = aws.Int32(pageSize)
			}
			p := lambda.NewListFunctionsPaginator(c, in)
			seen := map[string]bool{}
			pages := 0
			for p.HasMorePages() {
				page, err := p.NextPage(ctx(t))
				if err != nil {
					t.Fatal(err)
				}
				pages++
				limit := 50
				if pageSize > 0 {
					limit = int(pageSize)
				}
				if len(page.Functions) > limit {
					t.Errorf("page of %d functions, limit %d", len(page.Functions), limit)
				}
				for _, f := range page.Functions {
					name := aws.ToString(f.FunctionName)
					if seen[name] {
						t.Errorf("%s listed twice", name)
					}
					seen[name] = true
				}
			}
			if len(seen) != n {
				t.Errorf("listed %d functions in %d pages, want %d", len(seen), pages, n)
			}
			for name := range want {
				if !seen[name] {
					t.Errorf("%s not listed", name)
				}
			}
		})
	}
}

func TestStateSurvivesRestart(t *testing.T) {
	d := lambdadtest.Start(t, lambdadtest.Options{})
	zip := lambdadtest.ScriptZip(t, echoScript)
	c := d.Client()
	if _, err := c.CreateFunction(ctx(t), createInput("keep", zip)); err != nil {
		t.Fatal(err)
	}
	before, err := c.GetFunctionConfiguration(ctx(t), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("keep")})
	if err != nil {
		t.Fatal(err)
	}

	for _, kill := range []bool{false, true} {
		d.Restart(kill)
		c = d.Client()
		after, err := c.GetFunction(ctx(t), &lambda.GetFunctionInput{FunctionName: aws.String("keep")})
		if err != nil {
			t.Fatalf("after restart (kill=%v): %v", kill, err)
		}
		if aws.ToString(after.Configuration.RevisionId) != aws.ToString(before.RevisionId) || aws.ToString(after.Configuration.CodeSha256) != sha256b64(zip) {
			t.Errorf("after restart (kill=%v): RevisionId %q CodeSha256 %q", kill, aws.ToString(after.Configuration.RevisionId), aws.ToString(after.Configuration.CodeSha256))
		}
		resp, err := http.Get(aws.ToString(after.Code.Location))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !bytes.Equal(body, zip) {
			t.Errorf("after restart (kill=%v): code download differs", kill)
		}
	}
}

// TestKillDuringWrites SIGKILLs lambdad while clients create and update
// functions; after a restart every acknowledged function is whole.
func TestKillDuringWrites(t *testing.T) {
	d := lambdadtest.Start(t, lambdadtest.Options{})
	c := d.Client(func(o *lambda.Options) { o.RetryMaxAttempts = 1 })
	type acked struct{ name, sha string }
	var (
		mu   sync.Mutex
		done []acked
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				select {
				case <-stop:
					return
				default:
				}
				name := fmt.Sprintf("w%d-%d", w, i)
				zip := lambdadtest.ScriptZip(t, fmt.Sprintf("#!/bin/sh\necho %s\n", name))
				if _, err := c.CreateFunction(ctx(t), createInput(name, zip)); err != nil {
					return
				}
				mu.Lock()
				done = append(done, acked{name, sha256b64(zip)})
				mu.Unlock()
			}
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(done)
		mu.Unlock()
		if n >= 40 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	d.Kill()
	close(stop)
	wg.Wait()
	d.Restart(false)
	c = d.Client()
	mu.Lock()
	defer mu.Unlock()
	if len(done) == 0 {
		t.Fatal("no create was acknowledged before the kill")
	}
	for _, a := range done {
		got, err := c.GetFunction(ctx(t), &lambda.GetFunctionInput{FunctionName: aws.String(a.name)})
		if err != nil {
			t.Errorf("acknowledged %s lost: %v", a.name, err)
			continue
		}
		if aws.ToString(got.Configuration.CodeSha256) != a.sha {
			t.Errorf("%s: CodeSha256 %q, want %q", a.name, aws.ToString(got.Configuration.CodeSha256), a.sha)
		}
	}
	// Every function listed is readable with its code.
	p := lambda.NewListFunctionsPaginator(c, &lambda.ListFunctionsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range page.Functions {
			got, err := c.GetFunction(ctx(t), &lambda.GetFunctionInput{FunctionName: f.FunctionName})
			if err != nil {
				t.Fatalf("listed %s unreadable: %v", aws.ToString(f.FunctionName), err)
			}
			resp, err := http.Get(aws.ToString(got.Code.Location))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if sha256b64(body) != aws.ToString(got.Configuration.CodeSha256) {
				t.Errorf("%s: stored code does not match its CodeSha256", aws.ToString(f.FunctionName))
			}
		}
	}
}

func TestAuthentication(t *testing.T) {
	d := lambdadtest.Start(t, lambdadtest.Options{})
	wrongSecret := d.Client(func(o *lambda.Options) {
		o.RetryMaxAttempts = 1
		o.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: lambdadtest.AccessKeyID, SecretAccessKey: "wrong"}, nil
		})
	})
	_, err := wrongSecret.ListFunctions(ctx(t), &lambda.ListFunctionsInput{})
	wantAPIError(t, err, "InvalidSignatureException", "")

	unknownKey := d.Client(func(o *lambda.Options) {
		o.RetryMaxAttempts = 1
		o.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIAUNKNOWN000000000", SecretAccessKey: "x"}, nil
		})
	})
	_, err = unknownKey.ListFunctions(ctx(t), &lambda.ListFunctionsInput{})
	wantAPIError(t, err, "UnrecognizedClientException", "The security token included in the request is invalid.")

	// No signature at all.
	resp, err := http.Get(d.URL + "/2015-03-31/functions/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || resp.Header.Get("X-Amzn-Errortype") != "MissingAuthenticationTokenException" {
		t.Errorf("unsigned request: %d %q %s", resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"), body)
	}
}

func TestBadInput(t *testing.T) {
	d := lambdadtest.Start(t, lambdadtest.Options{})
	c := d.Client(func(o *lambda.Options) { o.RetryMaxAttempts = 1 })
	zip := lambdadtest.ScriptZip(t, echoScript)
	if _, err := c.CreateFunction(ctx(t), createInput("exists", zip)); err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("x"), 300)
	var reserved = map[string]string{"AWS_REGION": "eu-west-1"}
	cases := []struct {
		name string
		in   *lambda.CreateFunctionInput
		code string
		msg  string
	}{
		{"existing name", createInput("exists", zip), "ResourceConflictException", "Function already exist: exists"},
		{"not a zip", createInput("badzip", []byte("not a zip file")), "InvalidParameterValueException", "Could not unzip uploaded file. Please check your file, then try to upload again."},
		{"timeout too long", withCreate(createInput("t", zip), func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(901) }), "ValidationException", "1 validation error detected: Value '901' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900"},
		{"memory too small", withCreate(createInput("m", zip), func(in *lambda.CreateFunctionInput) { in.MemorySize = aws.Int32(64) }), "ValidationException", ""},
		{"reserved env key", withCreate(createInput("e", zip), func(in *lambda.CreateFunctionInput) {
			in.Environment = &types.Environment{Variables: reserved}
		}), "InvalidParameterValueException", "Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: AWS_REGION"},
		{"environment over 4KB", withCreate(createInput("e2", zip), func(in *lambda.CreateFunctionInput) {
			vars := map[string]string{}
			for i := range 20 {
				vars[fmt.Sprintf("K%02d", i)] = string(big)
			}
			in.Environment = &types.Environment{Variables: vars}
		}), "InvalidParameterValueException", ""},
		{"bad name", createInput("bad name!", zip), "ValidationException", ""},
		{"S3 code", withCreate(createInput("s3", nil), func(in *lambda.CreateFunctionInput) {
			in.Code = &types.FunctionCode{S3Bucket: aws.String("b"), S3Key: aws.String("k")}
		}), "InvalidParameterValueException", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.CreateFunction(ctx(t), tc.in)
			wantAPIError(t, err, tc.code, tc.msg)
		})
	}

	t.Run("zip over 50 MB", func(t *testing.T) {
		var buf bytes.Buffer
		zw := archivezip.NewWriter(&buf)
		w, _ := zw.CreateHeader(&archivezip.FileHeader{Name: "blob", Method: archivezip.Store})
		w.Write(bytes.Repeat([]byte{1}, 52428800))
		zw.Close()
		_, err := c.CreateFunction(ctx(t), createInput("huge", buf.Bytes()))
		wantAPIError(t, err, "RequestEntityTooLargeException", "")
	})

	t.Run("unknown function", func(t *testing.T) {
		_, err := c.GetFunctionConfiguration(ctx(t), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("nope")})
		wantAPIError(t, err, "ResourceNotFoundException", "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope")
	})

	t.Run("malformed body", func(t *testing.T) {
		status, errType := signedRaw(t, d, "POST", "/2015-03-31/functions", "{not json")
		if status != 400 || errType != "InvalidRequestContentException" {
			t.Errorf("got %d %q, want 400 InvalidRequestContentException", status, errType)
		}
	})

	t.Run("unknown route", func(t *testing.T) {
		status, _ := signedRaw(t, d, "GET", "/2015-03-31/nothing-here", "")
		if status != 404 {
			t.Errorf("got %d, want 404", status)
		}
	})

	// The daemon is still healthy.
	if _, err := c.GetFunction(ctx(t), &lambda.GetFunctionInput{FunctionName: aws.String("exists")}); err != nil {
		t.Fatal(err)
	}
}

func withCreate(in *lambda.CreateFunctionInput, f func(*lambda.CreateFunctionInput)) *lambda.CreateFunctionInput {
	f(in)
	return in
}

// TestAWSCLI runs the README's quick start with the real AWS CLI, when it is
// installed.
func TestAWSCLI(t *testing.T) {
	aws_, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the AWS CLI is not installed")
	}
	d := lambdadtest.Start(t, lambdadtest.Options{})
	dir := t.TempDir()
	zipPath := dir + "/fn.zip"
	writeFile(t, zipPath, lambdadtest.ScriptZip(t, echoScript))
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(aws_, append([]string{"lambda", "--endpoint-url", d.URL, "--region", "us-east-1", "--output", "json"}, args...)...)
		cmd.Env = append(cmd.Environ(), "AWS_ACCESS_KEY_ID="+lambdadtest.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+lambdadtest.SecretAccessKey, "AWS_PAGER=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	out := run("create-function", "--function-name", "hello", "--runtime", "provided.al2023", "--handler", "bootstrap", "--role", "arn:aws:iam::000000000000:role/any", "--zip-file", "fileb://"+zipPath)
	if !strings.Contains(out, `"FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:hello"`) {
		t.Errorf("create-function output:\n%s", out)
	}
	run("wait", "function-active-v2", "--function-name", "hello")
	out = run("list-functions")
	if !strings.Contains(out, `"FunctionName": "hello"`) {
		t.Errorf("list-functions output:\n%s", out)
	}
	run("delete-function", "--function-name", "hello")
}
