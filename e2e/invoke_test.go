package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambdad/lambdad/internal/lambdadtest"
	"github.com/lambdad/lambdad/internal/sandbox"
)

// deploy creates a provided.al2023 function from zip and returns its name.
func deploy(t *testing.T, c *lambda.Client, name string, zip []byte, opts ...func(*lambda.CreateFunctionInput)) string {
	t.Helper()
	in := createInput(name, zip)
	for _, o := range opts {
		o(in)
	}
	if _, err := c.CreateFunction(ctx(t), in); err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return name
}

func invokeJSON(t *testing.T, c *lambda.Client, name, payload string, opts ...func(*lambda.InvokeInput)) *lambda.InvokeOutput {
	t.Helper()
	in := &lambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(payload)}
	for _, o := range opts {
		o(in)
	}
	out, err := c.Invoke(ctx(t), in)
	if err != nil {
		t.Fatalf("invoke %s %s: %v", name, payload, err)
	}
	return out
}

func tail(in *lambda.InvokeInput) { in.LogType = types.LogTypeTail }

func decodeLog(t *testing.T, out *lambda.InvokeOutput) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	if err != nil {
		t.Fatalf("LogResult is not base64: %v", err)
	}
	return string(b)
}

var reportLine = regexp.MustCompile(`REPORT RequestId: ([0-9a-f-]{36})\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: (\d+) MB\tMax Memory Used: \d+ MB\t(Init Duration: \d+\.\d\d ms\t)?`)

func TestInvokeGoFunction(t *testing.T) {
	d := lambdadtest.Start(t, lambdadtest.Options{})
	c := d.Client()
	deploy(t, c, "echo", lambdadtest.GoZip(t, goEcho), func(in *lambda.CreateFunctionInput) {
		in.Environment = &types.Environment{Variables: map[string]string{"GREETING": "hi"}}
		in.MemorySize = aws.Int32(256)
		in.Timeout = aws.Int32(30)
	})

	payload := `{"a":1,"nested":{"list":[1,2,"three"]},"unicode":"h\u00e9llo"}`
	clientContext := base64.StdEncoding.EncodeToString([]byte(`{"custom":{"k":"v"},"client":{"app_title":"t"},"env":{}}`))
	before := time.Now()
	out := invokeJSON(t, c, "echo", payload, tail, func(in *lambda.InvokeInput) { in.ClientContext = aws.String(clientContext) })
	if out.StatusCode != 200 || out.FunctionError != nil || aws.ToString(out.ExecutedVersion) != "$LATEST" {
		t.Fatalf("status %d FunctionError %v ExecutedVersion %q: %s", out.StatusCode, aws.ToString(out.FunctionError), aws.ToString(out.ExecutedVersion), out.Payload)
	}
	var got struct {
		Event        json.RawMessage
		RequestID    string
		ARN          string
		DeadlineMs   int64
		ClientCustom map[string]string
		Env          map[string]string
	}
	if err := json.Unmarshal(out.Payload, &got); err != nil {
		t.Fatalf("payload %s: %v", out.Payload, err)
	}
	if string(got.Event) != payload {
		t.Errorf("event = %s, want %s", got.Event, payload)
	}
	if got.ARN != "arn:aws:lambda:us-east-1:123456789012:function:echo" {
		t.Errorf("invoked ARN = %q", got.ARN)
	}
	if dl := time.UnixMilli(got.DeadlineMs); dl.Before(before.Add(29*time.Second)) || dl.After(time.Now().Add(31*time.Second)) {
		t.Errorf("deadline %v is not start + 30 s", dl)
	}
	if got.ClientCustom["k"] != "v" {
		t.Errorf("client context custom = %v", got.ClientCustom)
	}
	wantEnv := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME": "echo", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/echo", "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
		"_HANDLER": "bootstrap", "LAMBDA_RUNTIME_DIR": "/var/runtime", "TZ": ":UTC", "LANG": "en_US.UTF-8", "GREETING": "hi",
	}
	for k, v := range wantEnv {
		if got.Env[k] != v {
			t.Errorf("env %s = %q, want %q", k, got.Env[k], v)
		}
	}
	if _, ok := got.Env["AWS_EXECUTION_ENV"]; ok {
		t.Errorf("AWS_EXECUTION_ENV is set for a provided runtime")
	}
	if !regexp.MustCompile(`^\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}$`).MatchString(got.Env["AWS_LAMBDA_LOG_STREAM_NAME"]) {
		t.Errorf("log stream name %q", got.Env["AWS_LAMBDA_LOG_STREAM_NAME"])
	}

	log := decodeLog(t, out)
	if !strings.HasPrefix(log, "START RequestId: "+got.RequestID+" Version: $LATEST\n") {
		t.Errorf("log does not start with START:\n%s", log)
	}
	if !strings.Contains(log, "echo handler saw "+payload+"\n") {
		t.Errorf("log lacks the function's output:\n%s", log)
	}
	if !strings.Contains(log, "END RequestId: "+got.RequestID+"\n") {
		t.Errorf("log lacks END:\n%s", log)
	}
	m := reportLine.FindStringSubmatch(log)
	if m == nil || m[1] != got.RequestID || m[2] != "256" || m[3] == "" {
		t.Errorf("REPORT line (want Init Duration on a cold start) not found in:\n%s", log)
	}

	// Warm: the second invoke has no Init Duration.
	out = invokeJSON(t, c, "echo", `{}`, tail)
	if m := reportLine.FindStringSubmatch(decodeLog(t, out)); m == nil || m[3] != "" {
		t.Errorf("warm REPORT line wrong:\n%s", decodeLog(t, out))
	}

	// An empty payload is accepted.
	out = invokeJSON(t, c, "echo", "")
	if out.StatusCode != 200 || out.FunctionError != nil {
		t.Errorf("empty payload: %d %v %s", out.StatusCode, aws.ToString(out.FunctionError), out.Payload)
	}

	// DryRun answers 204 without running anything.
	dry, err := c.Invoke(ctx(t), &lambda.InvokeInput{FunctionName: aws.String("echo"), InvocationType: types.InvocationTypeDryRun})
	if err != nil || dry.StatusCode != 204 {
		t.Errorf("DryRun: %v, status %d", err, dry.StatusCode)
	}

	// `lambdad logs` prints the stream.
	logsOut, err := exec.Command(lambdadtest.Binary(t), "logs", "echo", "--data-dir", d.DataDir, "--account-id", lambdadtest.AccountID).CombinedOutput()
	if err != nil {
		t.Fatalf("lambdad logs: %v\n%s", err, logsOut)
	}
	if !strings.Contains(string(logsOut), "echo handler saw "+payload) || strings.Count(string(logsOut), "REPORT RequestId:") != 3 {
		t.Errorf("lambdad logs output:\n%s", logsOut)
	}
}

func TestInvokeFailures(t *testing.T) {
	d := lambdadtest.Start(t, lambdadtest.Options{})
	c := d.Client(func(o *lambda.Options) { o.RetryMaxAttempts = 1 })
	deploy(t, c, "behave", lambdadtest.GoZip(t, goBehaviour), func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(1) })

	t.Run("handler error", func(t *testing.T) {
		out := invokeJSON(t, c, "behave", `{"do":"error"}`)
		if aws.ToString(out.FunctionError) != "Unhandled" || string(out.Payload) != `{"errorMessage":"something failed","errorType":"errorString"}` {
			t.Errorf("FunctionError %q payload %s", aws.ToString(out.FunctionError), out.Payload)
		}
	})
	t.Run("panic", func(t *testing.T) {
		out := invokeJSON(t, c, "behave", `{"do":"panic"}`)
		var e struct {
			ErrorMessage string `json:"errorMessage"`
			ErrorType    string `json:"errorType"`
			StackTrace   []any  `json:"stackTrace"`
		}
		json.Unmarshal(out.Payload, &e)
		if aws.ToString(out.FunctionError) != "Unhandled" || e.ErrorMessage != "boom" || e.ErrorType != "string" || len(e.StackTrace) == 0 {
			t.Errorf("FunctionError %q payload %s", aws.ToString(out.FunctionError), out.Payload)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		out := invokeJSON(t, c, "behave", `{"do":"sleep","n":3000}`, tail)
		var e struct{ ErrorType, ErrorMessage string }
		json.Unmarshal(out.Payload, &e)
		want := fmt.Sprintf("RequestId: %s Error: Task timed out after 1.00 seconds", requestIDOf(t, out))
		if aws.ToString(out.FunctionError) != "Unhandled" || e.ErrorType != "Sandbox.Timedout" || e.ErrorMessage != want {
			t.Errorf("timeout: FunctionError %q payload %s, want message %q", aws.ToString(out.FunctionError), out.Payload, want)
		}
		if !strings.Contains(decodeLog(t, out), " Task timed out after 1.00 seconds\n") {
			t.Errorf("timeout log:\n%s", decodeLog(t, out))
		}
		// The next invoke gets a fresh environment and works.
		out = invokeJSON(t, c, "behave", `{"do":"count"}`)
		if string(out.Payload) != "1" {
			t.Errorf("after timeout, count = %s, want 1 (fresh environment)", out.Payload)
		}
	})
	t.Run("response too large", func(t *testing.T) {
		out := invokeJSON(t, c, "behave", `{"do":"big","n":7000000}`)
		want := `{"errorMessage":"Response payload size exceeded maximum allowed payload size (6291556 bytes).","errorType":"Function.ResponseSizeTooLarge"}`
		if aws.ToString(out.FunctionError) != "Unhandled" || string(out.Payload) != want {
			t.Errorf("FunctionError %q payload %.200s", aws.ToString(out.FunctionError), out.Payload)
		}
	})
	t.Run("large response under the limit", func(t *testing.T) {
		out := invokeJSON(t, c, "behave", `{"do":"big","n":6000000}`)
		if out.FunctionError != nil || len(out.Payload) != 6000002 {
			t.Errorf("FunctionError %q, %d bytes: %.300s", aws.ToString(out.FunctionError), len(out.Payload), out.Payload)
		}
	})
	t.Run("exit during invoke", func(t *testing.T) {
		out := invokeJSON(t, c, "behave", `{"do":"exit","n":7}`)
		want := fmt.Sprintf(`{"errorType":"Runtime.ExitError","errorMessage":"RequestId: %s Error: Runtime exited with error: exit status 7"}`, requestIDOf(t, out))
		if aws.ToString(out.FunctionError) != "Unhandled" || string(out.Payload) != want {
			t.Errorf("payload %s\nwant    %s", out.Payload, want)
		}
	})
	t.Run("warm reuse", func(t *testing.T) {
		first := invokeJSON(t, c, "behave", `{"do":"count"}`)
		second := invokeJSON(t, c, "behave", `{"do":"count"}`)
		a, _ := strconv.Atoi(string(first.Payload))
		b, _ := strconv.Atoi(string(second.Payload))
		if b != a+1 {
			t.Errorf("counts %d then %d: environment not reused", a, b)
		}
	})
	t.Run("code update retires environments", func(t *testing.T) {
		invokeJSON(t, c, "behave", `{"do":"count"}`)
		if _, err := c.UpdateFunctionConfiguration(ctx(t), &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("behave"), Description: aws.String("changed")}); err != nil {
			t.Fatal(err)
		}
		out := invokeJSON(t, c, "behave", `{"do":"count"}`)
		if string(out.Payload) != "1" {
			t.Errorf("after an update, count = %s, want 1", out.Payload)
		}
	})
	t.Run("init failure", func(t *testing.T) {
		deploy(t, c, "initfail", lambdadtest.GoZip(t, goInitExit))
		out := invokeJSON(t, c, "initfail", `{}`, tail)
		want := fmt.Sprintf(`{"errorType":"Runtime.ExitError","errorMessage":"RequestId: %s Error: Runtime exited with error: exit status 3"}`, requestIDOf(t, out))
		if aws.ToString(out.FunctionError) != "Unhandled" || string(out.Payload) != want {
			t.Errorf("payload %s\nwant    %s", out.Payload, want)
		}
		if !strings.Contains(decodeLog(t, out), "cannot start: missing configuration") {
			t.Errorf("init failure log:\n%s", decodeLog(t, out))
		}
	})
	t.Run("bad requests", func(t *testing.T) {
		_, err := c.Invoke(ctx(t), &lambda.InvokeInput{FunctionName: aws.String("behave"), Payload: []byte("{not json")})
		wantAPIError(t, err, "InvalidRequestContentException", "")
		_, err = c.Invoke(ctx(t), &lambda.InvokeInput{FunctionName: aws.String("missing"), Payload: []byte("{}")})
		wantAPIError(t, err, "ResourceNotFoundException", "Function not found: arn:aws:lambda:us-east-1:123456789012:function:missing:$LATEST")
		big := `"` + strings.Repeat("a", 6291456) + `"`
		_, err = c.Invoke(ctx(t), &lambda.InvokeInput{FunctionName: aws.String("behave"), Payload: []byte(big)})
		wantAPIError(t, err, "RequestEntityTooLargeException", "Request must be smaller than 6291456 bytes for the InvokeFunction operation")
	})
}

func requestIDOf(t *testing.T, out *lambda.InvokeOutput) string {
	t.Helper()
	var e struct{ ErrorMessage string }
	json.Unmarshal(out.Payload, &e)
	m := regexp.MustCompile(`^RequestId: ([0-9a-f-]{36}) `).FindStringSubmatch(e.ErrorMessage)
	if m == nil {
		t.Fatalf("no request id in %s", out.Payload)
	}
	return m[1]
}

func TestInvokeCurlBootstrap(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	d := lambdadtest.Start(t, lambdadtest.Options{})
	c := d.Client()
	deploy(t, c, "shell", lambdadtest.ScriptZip(t, curlBootstrap))
	out := invokeJSON(t, c, "shell", `{"x":[1,2]}`, tail)
	if out.FunctionError != nil || string(out.Payload) != `{"shell":{"x":[1,2]}}` {
		t.Errorf("FunctionError %q payload %s", aws.ToString(out.FunctionError), out.Payload)
	}
	if !strings.Contains(decodeLog(t, out), `shell runtime got {"x":[1,2]}`) {
		t.Errorf("log:\n%s", decodeLog(t, out))
	}
	out = invokeJSON(t, c, "shell", `{"fail":true}`)
	if aws.ToString(out.FunctionError) != "Unhandled" || string(out.Payload) != `{"errorMessage":"asked to fail","errorType":"ShellError"}` {
		t.Errorf("FunctionError %q payload %s", aws.ToString(out.FunctionError), out.Payload)
	}

	deploy(t, c, "shell-init", lambdadtest.ScriptZip(t, curlBootstrap), func(in *lambda.CreateFunctionInput) {
		in.Environment = &types.Environment{Variables: map[string]string{"INIT_FAIL": "1"}}
	})
	out = invokeJSON(t, c, "shell-init", `{}`)
	if aws.ToString(out.FunctionError) != "Unhandled" || string(out.Payload) != `{"errorMessage":"init failed on purpose","errorType":"ConfigError"}` {
		t.Errorf("init error: FunctionError %q payload %s", aws.ToString(out.FunctionError), out.Payload)
	}
}

func TestInvokeConcurrency(t *testing.T) {
	d := lambdadtest.Start(t, lambdadtest.Options{})
	c := d.Client(func(o *lambda.Options) { o.RetryMaxAttempts = 1 })
	deploy(t, c, "par", lambdadtest.GoZip(t, goBehaviour), func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(30) })

	t.Run("50 parallel invokes", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan string, 50)
		for range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out, err := c.Invoke(ctx(t), &lambda.InvokeInput{FunctionName: aws.String("par"), Payload: []byte(`{"do":"sleep","n":200}`)})
				if err != nil {
					errs <- err.Error()
					return
				}
				if out.FunctionError != nil || string(out.Payload) != `"slept"` {
					errs <- fmt.Sprintf("%v %s", aws.ToString(out.FunctionError), out.Payload)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
	})

	t.Run("reserved concurrency throttles", func(t *testing.T) {
		if _, err := c.PutFunctionConcurrency(ctx(t), &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("par"), ReservedConcurrentExecutions: aws.Int32(2)}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, throttled := 0, 0
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := c.Invoke(ctx(t), &lambda.InvokeInput{FunctionName: aws.String("par"), Payload: []byte(`{"do":"sleep","n":1500}`)})
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					ok++
					return
				}
				var tm *types.TooManyRequestsException
				if !errorsAs(err, &tm) || tm.Reason != types.ThrottleReasonReservedFunctionConcurrentInvocationLimitExceeded || aws.ToString(tm.Message) != "Rate Exceeded." {
					t.Errorf("unexpected error: %v", err)
					return
				}
				throttled++
			}()
		}
		wg.Wait()
		if ok != 2 || throttled != 4 {
			t.Errorf("%d succeeded and %d throttled, want 2 and 4", ok, throttled)
		}
		if _, err := c.PutFunctionConcurrency(ctx(t), &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("par"), ReservedConcurrentExecutions: aws.Int32(0)}); err != nil {
			t.Fatal(err)
		}
		_, err := c.Invoke(ctx(t), &lambda.InvokeInput{FunctionName: aws.String("par"), Payload: []byte(`{}`)})
		wantAPIError(t, err, "TooManyRequestsException", "Rate Exceeded.")
		if _, err := c.DeleteFunctionConcurrency(ctx(t), &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String("par")}); err != nil {
			t.Fatal(err)
		}
		invokeJSON(t, c, "par", `{}`)
	})
}

// TestNoOrphansAfterShutdown starts environments, stops lambdad, and checks
// that none of the runtime processes survive.
func TestNoOrphansAfterShutdown(t *testing.T) {
	d := lambdadtest.Start(t, lambdadtest.Options{})
	c := d.Client()
	deploy(t, c, "orphan", lambdadtest.GoZip(t, goBehaviour), func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(30) })
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Invoke(ctx(t), &lambda.InvokeInput{FunctionName: aws.String("orphan"), Payload: []byte(`{"do":"sleep","n":300}`)})
		}()
	}
	wg.Wait()
	pids := descendants(d.Pid())
	if len(runtimeProcesses(d.Pid())) < 3 {
		t.Fatalf("found %d runtime processes under lambdad, want at least 3", len(pids))
	}
	d.Stop()
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); err == nil {
			if state := procState(pid); state != "Z" {
				t.Errorf("runtime process %d survived lambdad's shutdown (state %s)", pid, state)
			}
		}
	}
}

// descendants lists the processes whose parent chain leads to pid.
func descendants(pid int) []int {
	parent := map[int]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(data)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		if len(fields) > 1 {
			parent[p], _ = strconv.Atoi(fields[1])
		}
	}
	var out []int
	for p := range parent {
		for q := parent[p]; q > 1; q = parent[q] {
			if q == pid {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// runtimeProcesses are the descendants of pid that run function code: not
// the sandbox's pre-started, idle inits.
func runtimeProcesses(pid int) []int {
	var out []int
	for _, p := range descendants(pid) {
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p))
		if err == nil && !strings.Contains(string(cmdline), "sandbox-init") && !strings.Contains(string(cmdline), sandbox.InitExeName) {
			out = append(out, p)
		}
	}
	return out
}

func procState(pid int) string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "gone"
	}
	s := string(data)
	return strings.Fields(s[strings.LastIndexByte(s, ')')+2:])[0]
}

func TestIdleEnvironmentsAreReaped(t *testing.T) {
	d := lambdadtest.Start(t, lambdadtest.Options{Args: []string{"--idle-timeout", "300ms"}})
	c := d.Client()
	deploy(t, c, "idle", lambdadtest.GoZip(t, goBehaviour))
	invokeJSON(t, c, "idle", `{"do":"count"}`)
	if n := len(runtimeProcesses(d.Pid())); n == 0 {
		t.Fatal("no environment process after an invoke")
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(runtimeProcesses(d.Pid())) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("environment still running 10s after a 300ms idle timeout")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The next invoke is a cold start again.
	out := invokeJSON(t, c, "idle", `{"do":"count"}`, tail)
	if string(out.Payload) != "1" {
		t.Errorf("count after reaping = %s, want 1", out.Payload)
	}
	if m := reportLine.FindStringSubmatch(decodeLog(t, out)); m == nil || m[3] == "" {
		t.Errorf("no Init Duration after reaping:\n%s", decodeLog(t, out))
	}
}

func TestMemoryLimit(t *testing.T) {
	d := lambdadtest.Start(t, lambdadtest.Options{})
	if !strings.Contains(d.Output(), "sandbox=isolated") {
		t.Skip("lambdad runs unisolated here (not root): memory limits are not enforced")
	}
	c := d.Client()
	deploy(t, c, "hungry", lambdadtest.GoZip(t, goBehaviour), func(in *lambda.CreateFunctionInput) {
		in.MemorySize = aws.Int32(128)
		in.Timeout = aws.Int32(30)
	})
	// 64 MiB fits.
	out := invokeJSON(t, c, "hungry", `{"do":"alloc","n":64}`)
	if out.FunctionError != nil || string(out.Payload) != "64" {
		t.Fatalf("64 MiB in 128 MB: %v %s", aws.ToString(out.FunctionError), out.Payload)
	}
	// 200 MiB more does not.
	out = invokeJSON(t, c, "hungry", `{"do":"alloc","n":200}`, tail)
	var e struct{ ErrorType, ErrorMessage string }
	json.Unmarshal(out.Payload, &e)
	if aws.ToString(out.FunctionError) != "Unhandled" || e.ErrorType != "Runtime.OutOfMemory" ||
		!strings.HasSuffix(e.ErrorMessage, " Error: Runtime exited with error: signal: killed") {
		t.Errorf("over the limit: FunctionError %q payload %s", aws.ToString(out.FunctionError), out.Payload)
	}
	if m := regexp.MustCompile(`Max Memory Used: (\d+) MB`).FindStringSubmatch(decodeLog(t, out)); m == nil {
		t.Errorf("no Max Memory Used in:\n%s", decodeLog(t, out))
	} else if used, _ := strconv.Atoi(m[1]); used < 100 || used > 130 {
		t.Errorf("Max Memory Used %d MB, want about the 128 MB limit", used)
	}
	// The function recovers on a fresh environment.
	out = invokeJSON(t, c, "hungry", `{"do":"count"}`)
	if string(out.Payload) != "1" {
		t.Errorf("after OOM: %s", out.Payload)
	}
}

func TestLogsFollow(t *testing.T) {
	d := lambdadtest.Start(t, lambdadtest.Options{})
	c := d.Client()
	deploy(t, c, "chatty", lambdadtest.GoZip(t, goEcho))
	var out syncBuffer
	cmd := exec.Command(lambdadtest.Binary(t), "logs", "chatty", "--follow", "--data-dir", d.DataDir, "--account-id", lambdadtest.AccountID)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	for i, payload := range []string{`{"first":1}`, `{"second":2}`} {
		invokeJSON(t, c, "chatty", payload)
		want := "echo handler saw " + payload
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(out.String(), want) {
			if time.Now().After(deadline) {
				t.Fatalf("invoke %d: `lambdad logs --follow` did not print %q within 10s:\n%s", i, want, out.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if n := strings.Count(out.String(), "START RequestId: "); n != 2 {
		t.Errorf("%d START lines, want 2:\n%s", n, out.String())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
