package registry

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/lambdad/lambdad/internal/awserr"
	"github.com/lambdad/lambdad/internal/store"
)

func TestCreateFunctionResponse(t *testing.T) {
	e := newEnv(t)
	in := createInput(t, "hello")
	zipSum := sha256.Sum256(in.Code.ZipFile)
	before := time.Now()
	out, err := e.reg.CreateFunction(t.Context(), testAccount, in)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	lastModified, _ := got["LastModified"].(string)
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$`).MatchString(lastModified) {
		t.Errorf("LastModified = %q, want AWS's format", lastModified)
	}
	if ts, err := time.Parse(lastModifiedLayout, lastModified); err != nil || ts.Before(before.Truncate(time.Millisecond)) {
		t.Errorf("LastModified = %q, before the request (%v)", lastModified, err)
	}
	revision, _ := got["RevisionId"].(string)
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`).MatchString(revision) {
		t.Errorf("RevisionId = %q, want a UUID", revision)
	}
	delete(got, "LastModified")
	delete(got, "RevisionId")
	want := map[string]any{
		"FunctionName":     "hello",
		"FunctionArn":      "arn:aws:lambda:us-east-1:123456789012:function:hello",
		"Runtime":          "python3.12",
		"Role":             testRole,
		"Handler":          "index.handler",
		"CodeSize":         float64(len(in.Code.ZipFile)),
		"Description":      "",
		"Timeout":          float64(3),
		"MemorySize":       float64(128),
		"CodeSha256":       base64.StdEncoding.EncodeToString(zipSum[:]),
		"Version":          "$LATEST",
		"TracingConfig":    map[string]any{"Mode": "PassThrough"},
		"State":            "Pending",
		"StateReason":      "The function is being created.",
		"StateReasonCode":  "Creating",
		"PackageType":      "Zip",
		"Architectures":    []any{"x86_64"},
		"EphemeralStorage": map[string]any{"Size": float64(512)},
		"LoggingConfig":    map[string]any{"LogFormat": "Text", "LogGroup": "/aws/lambda/hello"},
		"SnapStart":        map[string]any{"ApplyOn": "None", "OptimizationStatus": "Off"},
	}
	if g, w := fmt.Sprint(got), fmt.Sprint(want); g != w {
		t.Errorf("CreateFunction response\n got %s\nwant %s", g, w)
	}

	// Once created, the function is Active at once: the SDK waiters succeed
	// on their first poll.
	cfg, err := e.reg.GetFunctionConfiguration(testAccount, "hello", "")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.State != "Active" || cfg.LastUpdateStatus != "Successful" || cfg.StateReason != "" {
		t.Errorf("stored state = %q/%q/%q, want Active/Successful", cfg.State, cfg.LastUpdateStatus, cfg.StateReason)
	}
	if cfg.RevisionId != revision {
		t.Errorf("stored RevisionId = %q, want the create response's %q", cfg.RevisionId, revision)
	}
}

func TestFunctionLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	created := e.create("life")

	// Update the configuration.
	updated, err := e.reg.UpdateFunctionConfiguration(ctx, testAccount, "life", &UpdateFunctionConfigurationInput{
		FunctionSettings: FunctionSettings{
			Description: ptr("changed"),
			Timeout:     ptr(10),
			MemorySize:  ptr(512),
			Environment: &Environment{Variables: map[string]string{"ENV_A": "a"}},
		},
		RevisionId: ptr(created.RevisionId),
	})
	if err != nil {
		t.Fatal(err)
	}
	if updated.LastUpdateStatus != "InProgress" || updated.LastUpdateStatusReason != "The function is being created." || updated.LastUpdateStatusReasonCode != "Creating" || updated.State != "Active" {
		t.Errorf("update response state = %q %q %q %q", updated.State, updated.LastUpdateStatus, updated.LastUpdateStatusReason, updated.LastUpdateStatusReasonCode)
	}
	if updated.RevisionId == created.RevisionId {
		t.Error("RevisionId did not change")
	}
	if updated.Description != "changed" || updated.Timeout != 10 || updated.MemorySize != 512 || updated.Environment == nil || updated.Environment.Variables["ENV_A"] != "a" {
		t.Errorf("update response = %+v", updated)
	}
	if updated.CodeSha256 != created.CodeSha256 {
		t.Error("configuration update changed the code")
	}

	// A stale RevisionId is refused.
	_, err = e.reg.UpdateFunctionConfiguration(ctx, testAccount, "life", &UpdateFunctionConfigurationInput{
		FunctionSettings: FunctionSettings{Timeout: ptr(20)},
		RevisionId:       ptr(created.RevisionId),
	})
	wantAWSError(t, err, awserr.PreconditionFailed, "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")

	// Update the code.
	newZip := makeZip(t, map[string]string{"index.py": "def handler(e, c):\n    return 2\n"})
	codeOut, err := e.reg.UpdateFunctionCode(ctx, testAccount, "life", &UpdateFunctionCodeInput{ZipFile: newZip, RevisionId: ptr(updated.RevisionId)})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(newZip)
	if codeOut.CodeSha256 != base64.StdEncoding.EncodeToString(sum[:]) || codeOut.CodeSize != int64(len(newZip)) {
		t.Errorf("code update response CodeSha256/CodeSize = %s/%d", codeOut.CodeSha256, codeOut.CodeSize)
	}
	if codeOut.Timeout != 10 || codeOut.LastUpdateStatus != "InProgress" {
		t.Errorf("code update response = %+v", codeOut)
	}
	_, err = e.reg.UpdateFunctionCode(ctx, testAccount, "life", &UpdateFunctionCodeInput{ZipFile: newZip, RevisionId: ptr(updated.RevisionId)})
	wantAWSError(t, err, awserr.PreconditionFailed, "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")

	// GetFunction shows the stored state and names the code.
	got, err := e.reg.GetFunction(testAccount, "life", "")
	if err != nil {
		t.Fatal(err)
	}
	if got.Configuration.State != "Active" || got.Configuration.LastUpdateStatus != "Successful" || got.Configuration.RevisionId != codeOut.RevisionId {
		t.Errorf("GetFunction configuration = %+v", got.Configuration)
	}
	if got.CodeDigest != store.Sum(newZip) || got.Code.RepositoryType != "S3" {
		t.Errorf("GetFunction code = %+v %s", got.Code, got.CodeDigest)
	}
	if code, err := e.reg.Code(ctx, got.CodeDigest); err != nil || string(code) != string(newZip) {
		t.Errorf("Code = %d bytes, %v", len(code), err)
	}
	// Qualified with $LATEST, the ARN is qualified.
	q, err := e.reg.GetFunctionConfiguration(testAccount, "life", "$LATEST")
	if err != nil || q.FunctionArn != "arn:aws:lambda:us-east-1:123456789012:function:life:$LATEST" {
		t.Errorf("GetFunctionConfiguration $LATEST = %v, %v", q, err)
	}

	// Delete.
	if err := e.reg.DeleteFunction(ctx, testAccount, "life", ""); err != nil {
		t.Fatal(err)
	}
	_, err = e.reg.GetFunction(testAccount, "life", "")
	wantAWSError(t, err, awserr.ResourceNotFound, "Function not found: arn:aws:lambda:us-east-1:123456789012:function:life")
	err = e.reg.DeleteFunction(ctx, testAccount, "life", "")
	wantAWSError(t, err, awserr.ResourceNotFound, "Function not found: arn:aws:lambda:us-east-1:123456789012:function:life")
	if _, err := e.reg.Resolve(testAccount, "life", ""); !awserr.Is(err, awserr.ResourceNotFound) {
		t.Errorf("Resolve after delete: %v", err)
	}

	// The name is free again.
	again := e.create("life")
	if again.RevisionId == created.RevisionId {
		t.Error("recreated function kept its RevisionId")
	}
}

func TestCreateExisting(t *testing.T) {
	e := newEnv(t)
	e.create("dup")
	_, err := e.reg.CreateFunction(t.Context(), testAccount, createInput(t, "dup"))
	wantAWSError(t, err, awserr.ResourceConflict, "Function already exist: dup")
	// Another account has its own names.
	if _, err := e.reg.CreateFunction(t.Context(), "210987654321", createInput(t, "dup")); err != nil {
		t.Fatalf("same name in another account: %v", err)
	}
	if n := e.reg.AccountSettings(testAccount).AccountUsage.FunctionCount; n != 1 {
		t.Errorf("FunctionCount = %d, want 1", n)
	}
}

func TestCreateConcurrentSameName(t *testing.T) {
	e := newEnv(t)
	const n = 8
	errs := make([]error, n)
	zip := makeZip(t, map[string]string{"index.py": "x"})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = e.reg.CreateFunction(t.Context(), testAccount, inputWithZip("race", zip))
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !awserr.Is(err, awserr.ResourceConflict):
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d creates succeeded, want 1", ok)
	}
}

// TestParallelUpdatesKeepEveryWrite has concurrent writers change different
// parts of one function; optimistic concurrency must keep all of them.
func TestParallelUpdatesKeepEveryWrite(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	e.create("busy")
	const writers = 12
	var wg sync.WaitGroup
	errs := make(chan error, 2*writers)
	for i := range writers {
		wg.Go(func() {
			err := e.reg.TagResource(ctx, testAccount, "arn:aws:lambda:us-east-1:123456789012:function:busy", map[string]string{fmt.Sprintf("k%d", i): "v"})
			if err != nil {
				errs <- err
			}
		})
		wg.Go(func() {
			_, err := e.reg.UpdateFunctionConfiguration(ctx, testAccount, "busy", &UpdateFunctionConfigurationInput{
				FunctionSettings: FunctionSettings{Description: ptr(fmt.Sprintf("d%d", i))},
			})
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	tags, err := e.reg.ListTags(testAccount, "arn:aws:lambda:us-east-1:123456789012:function:busy")
	if err != nil {
		t.Fatal(err)
	}
	if len(tags.Tags) != writers {
		t.Errorf("%d tags survived, want %d: %v", len(tags.Tags), writers, tags.Tags)
	}
}

// TestRevisionPreconditionUnderRace has writers race with the same
// RevisionId: exactly one may win.
func TestRevisionPreconditionUnderRace(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	rev := e.create("cas").RevisionId
	const writers = 8
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			_, errs[i] = e.reg.UpdateFunctionConfiguration(ctx, testAccount, "cas", &UpdateFunctionConfigurationInput{
				FunctionSettings: FunctionSettings{Timeout: ptr(i + 1)},
				RevisionId:       ptr(rev),
			})
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !awserr.Is(err, awserr.PreconditionFailed):
			t.Errorf("unexpected error: %v", err)
		}
	}
	if won != 1 {
		t.Errorf("%d updates with the same RevisionId succeeded, want 1", won)
	}
}

func TestReopenKeepsState(t *testing.T) {
	dir := t.TempDir()
	e := start(t, dir, Config{})
	ctx := t.Context()
	created := e.create("keep")
	if err := e.reg.TagResource(ctx, testAccount, created.FunctionArn, map[string]string{"team": "a"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.reg.PutFunctionConcurrency(ctx, testAccount, "keep", ptr(7)); err != nil {
		t.Fatal(err)
	}
	e.create("gone")
	if err := e.reg.DeleteFunction(ctx, testAccount, "gone", ""); err != nil {
		t.Fatal(err)
	}
	e.close()

	e = start(t, dir, Config{})
	// New has loaded everything: no Run needed for reads.
	v, err := e.reg.Resolve(testAccount, "keep", "")
	if err != nil {
		t.Fatal(err)
	}
	if v.RevisionID != created.RevisionId || v.Function.Tags["team"] != "a" || *v.Function.ReservedConcurrency != 7 {
		t.Errorf("after reopen: %+v tags %v", v, v.Function.Tags)
	}
	if code, err := e.reg.Code(ctx, v.CodeDigest); err != nil || len(code) != int(v.CodeSize) {
		t.Errorf("code after reopen: %d bytes, %v", len(code), err)
	}
	if _, err := e.reg.Resolve(testAccount, "gone", ""); !awserr.Is(err, awserr.ResourceNotFound) {
		t.Errorf("deleted function after reopen: %v", err)
	}
	if got := e.reg.ReservedTotal(testAccount); got != 7 {
		t.Errorf("ReservedTotal = %d, want 7", got)
	}
	// And it can still be changed.
	if _, err := e.reg.UpdateFunctionConfiguration(ctx, testAccount, "keep", &UpdateFunctionConfigurationInput{FunctionSettings: FunctionSettings{Timeout: ptr(9)}}); err != nil {
		t.Fatal(err)
	}
}

func TestResolveSeesChanges(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	var mu sync.Mutex
	var changes []Change
	unregister := e.reg.OnChange(func(c Change) {
		mu.Lock()
		changes = append(changes, c)
		mu.Unlock()
	})
	defer unregister()

	if _, err := e.reg.Resolve(testAccount, "watched", ""); err == nil {
		t.Fatal("Resolve of a missing function succeeded")
	} else {
		wantAWSError(t, err, awserr.ResourceNotFound, "Function not found: arn:aws:lambda:us-east-1:123456789012:function:watched:$LATEST")
	}
	e.create("watched")
	v1, err := e.reg.Resolve(testAccount, "watched", "$LATEST")
	if err != nil {
		t.Fatal(err)
	}
	if v1.Timeout != 3 || v1.Function.Name != "watched" || v1.Function.ARN != "arn:aws:lambda:us-east-1:123456789012:function:watched" {
		t.Errorf("Resolve = %+v", v1)
	}
	if _, err := e.reg.UpdateFunctionConfiguration(ctx, testAccount, "watched", &UpdateFunctionConfigurationInput{FunctionSettings: FunctionSettings{Timeout: ptr(30)}}); err != nil {
		t.Fatal(err)
	}
	v2, err := e.reg.Resolve(testAccount, "watched", "")
	if err != nil {
		t.Fatal(err)
	}
	if v2.Timeout != 30 || v2.RevisionID == v1.RevisionID {
		t.Errorf("Resolve after update: timeout %d revision %s", v2.Timeout, v2.RevisionID)
	}
	if v1.Timeout != 3 {
		t.Error("an update changed an earlier snapshot")
	}
	if _, err := e.reg.Resolve(testAccount, "watched", "1"); !awserr.Is(err, awserr.ResourceNotFound) {
		t.Errorf("Resolve of a version: %v", err)
	}
	if err := e.reg.DeleteFunction(ctx, testAccount, "watched", ""); err != nil {
		t.Fatal(err)
	}

	// Callbacks run on Run's goroutine just after the index changed: the
	// delete has been applied, and its callback is called at once or soon.
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(changes)
		mu.Unlock()
		if n >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(changes) != 3 {
		t.Fatalf("%d changes reported, want 3: %+v", len(changes), changes)
	}
	if changes[0].Old != nil || changes[0].New == nil || changes[1].Old == nil || changes[1].New.Latest.Timeout != 30 || changes[2].New != nil || changes[2].Old == nil {
		t.Errorf("changes = %+v", changes)
	}
}

// TestOtherWriterShowsUp writes through a second registry on the same store,
// as another lambdad node would: the first registry's watcher must apply it.
func TestOtherWriterShowsUp(t *testing.T) {
	e := newEnv(t)
	other, err := New(t.Context(), e.st, Config{Region: testRegion}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	// other has no Run: its writes would wait for their own index. Write
	// straight to the store as another node's registry does.
	fn := &Function{Account: testAccount, Name: "remote", Latest: &Version{
		Version: Latest, PackageType: "Zip", Runtime: "provided.al2023", Role: testRole,
		Timeout: 3, MemorySize: 128, EphemeralStorage: 512, Architecture: "x86_64",
		TracingMode: "PassThrough", SnapStartApplyOn: "None",
		CodeSHA256: store.Sum(nil).Hex(), RevisionID: "r1", LastModified: time.Now(),
	}}
	b, err := encodeFunction(fn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.kv.Put(t.Context(), storeKey(fnKey{testAccount, "remote"}), b); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		v, err := e.reg.Resolve(testAccount, "remote", "")
		if err == nil {
			if v.RevisionID != "r1" {
				t.Errorf("RevisionID = %q", v.RevisionID)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("write by another node never showed up: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWaitForHonoursContext(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	err := e.reg.waitApplied(ctx, e.reg.applied.Load()+1000)
	if !errors.Is(err, ctx.Err()) || ctx.Err() == nil {
		t.Errorf("waitApplied = %v, want the context's error", err)
	}
}

func TestResolveInvoke(t *testing.T) {
	e := newEnv(t)
	e.create("inv")
	tests := []struct {
		fn, q   string
		invoked string
		code    string
		msg     string
	}{
		{fn: "inv", invoked: arnPrefix + "inv"},
		{fn: "inv", q: "$LATEST", invoked: arnPrefix + "inv:$LATEST"},
		{fn: "inv:$LATEST", invoked: arnPrefix + "inv:$LATEST"},
		{fn: arnPrefix + "inv", invoked: arnPrefix + "inv"},
		{fn: "123456789012:function:inv", invoked: arnPrefix + "inv"},
		{fn: "nope", code: awserr.ResourceNotFound, msg: "Function not found: " + arnPrefix + "nope:$LATEST"},
		{fn: "inv", q: "prod", code: awserr.ResourceNotFound, msg: "Function not found: " + arnPrefix + "inv:prod"},
		{fn: "a.b", code: awserr.ResourceNotFound, msg: "Function not found: " + arnPrefix + "a.b:$LATEST"},
		{fn: "inv!", code: awserr.Validation, msg: "1 validation error detected: Value 'inv!' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: " + namespacedPattern},
		{fn: "inv:1", q: "2", code: awserr.InvalidParameterValue, msg: "The derived qualifier from the function name does not match the specified qualifier."},
	}
	for _, tc := range tests {
		t.Run(tc.fn+"/"+tc.q, func(t *testing.T) {
			v, invoked, err := e.reg.ResolveInvoke(testAccount, tc.fn, tc.q)
			if tc.code != "" {
				wantAWSError(t, err, tc.code, tc.msg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if invoked != tc.invoked || v.Function.Name != "inv" {
				t.Errorf("invoked %q (want %q), function %q", invoked, tc.invoked, v.Function.Name)
			}
		})
	}
}

func BenchmarkResolveInvoke(b *testing.B) {
	e := newEnv(b)
	e.create("bench")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := e.reg.ResolveInvoke(testAccount, "bench", ""); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkResolve(b *testing.B) {
	e := newEnv(b)
	e.create("bench")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.reg.Resolve(testAccount, "bench", ""); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
