package registry

import (
	"fmt"
	"maps"
	"testing"

	"github.com/lambdad/lambdad/internal/awserr"
)

func TestTags(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	arn := e.create("tagged").FunctionArn
	rev := e.reg.Function(testAccount, "tagged").Latest.RevisionID

	steps := []struct {
		name string
		do   func() error
		want map[string]string
	}{
		{"tag one", func() error { return e.reg.TagResource(ctx, testAccount, arn, map[string]string{"A": "tag-a"}) }, map[string]string{"A": "tag-a"}},
		{"tag more", func() error {
			return e.reg.TagResource(ctx, testAccount, arn, map[string]string{"B": "tag-b", "C": "tag-c"})
		}, map[string]string{"A": "tag-a", "B": "tag-b", "C": "tag-c"}},
		{"overwrite", func() error {
			return e.reg.TagResource(ctx, testAccount, arn, map[string]string{"C": "tag-c-newsuffix", "D": "tag-d"})
		}, map[string]string{"A": "tag-a", "B": "tag-b", "C": "tag-c-newsuffix", "D": "tag-d"}},
		{"untag", func() error { return e.reg.UntagResource(ctx, testAccount, arn, []string{"A", "B", "C"}) }, map[string]string{"D": "tag-d"}},
		{"untag missing", func() error { return e.reg.UntagResource(ctx, testAccount, arn, []string{"nope"}) }, map[string]string{"D": "tag-d"}},
		{"untag rest", func() error { return e.reg.UntagResource(ctx, testAccount, arn, []string{"D", "E"}) }, map[string]string{}},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		got, err := e.reg.ListTags(testAccount, arn)
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(got.Tags, s.want) || got.Tags == nil {
			t.Errorf("%s: tags %v, want %v", s.name, got.Tags, s.want)
		}
	}
	if e.reg.Function(testAccount, "tagged").Latest.RevisionID != rev {
		t.Error("tagging changed the RevisionId")
	}

	fifty := map[string]string{}
	for i := range 50 {
		fifty[fmt.Sprint(i, "_key")] = "v"
	}
	if err := e.reg.TagResource(ctx, testAccount, arn, fifty); err != nil {
		t.Fatalf("50 tags: %v", err)
	}
	got, err := e.reg.GetFunction(testAccount, "tagged", "")
	if err != nil || len(got.Tags) != 50 {
		t.Errorf("GetFunction tags: %d, %v", len(got.Tags), err)
	}

	errs := []struct {
		name      string
		err       error
		code, msg string
	}{
		{"51st tag", e.reg.TagResource(ctx, testAccount, arn, map[string]string{"one-more": "v"}), awserr.InvalidParameterValue, "Number of tags exceeds resource tag limit."},
		{"no tags", e.reg.TagResource(ctx, testAccount, arn, map[string]string{}), awserr.InvalidParameterValue, "An error occurred and the request cannot be processed."},
		{"no tag keys", e.reg.UntagResource(ctx, testAccount, arn, nil), awserr.Validation, "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null"},
		{"missing function", e.reg.TagResource(ctx, testAccount, arnPrefix+"doesnotexist", map[string]string{"a": "b"}), awserr.ResourceNotFound, "Function not found: " + arnPrefix + "doesnotexist"},
		{"list missing function", func() error { _, err := e.reg.ListTags(testAccount, arnPrefix+"doesnotexist"); return err }(), awserr.ResourceNotFound, "Function not found: " + arnPrefix + "doesnotexist"},
		{"qualified", e.reg.TagResource(ctx, testAccount, arn+":$LATEST", map[string]string{"a": "b"}), awserr.InvalidParameterValue, "Tags on function aliases and versions are not supported. Please specify a function ARN."},
		{"invalid ARN", e.reg.TagResource(ctx, testAccount, "arn:aws:something", map[string]string{"a": "b"}), awserr.Validation,
			`1 validation error detected: Value 'arn:aws:something' at 'resource' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*):lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:(function:[a-zA-Z0-9-_]+(:(\$LATEST|[a-zA-Z0-9-_]+))?|code-signing-config:csc-[a-z0-9]{17}|event-source-mapping:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|capacity-provider:[a-zA-Z0-9-_]+)`},
		{"other account", e.reg.TagResource(ctx, testAccount, "arn:aws:lambda:us-east-1:111111111111:function:tagged", map[string]string{"a": "b"}), awserr.AccessDenied, ""},
		{"long key", e.reg.TagResource(ctx, "210987654321", "arn:aws:lambda:us-east-1:210987654321:function:x", map[string]string{string(make([]byte, 129)): "v"}), awserr.InvalidParameterValue,
			fmt.Sprintf("Tag key %q must be 1 to 128 characters long.", string(make([]byte, 129)))},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) { wantAWSError(t, tc.err, tc.code, tc.msg) })
	}
}

func TestConcurrency(t *testing.T) {
	e := start(t, t.TempDir(), Config{ConcurrencyLimit: 150})
	ctx := t.Context()
	e.create("a")
	e.create("b")

	c, err := e.reg.GetFunctionConcurrency(testAccount, "a")
	if err != nil || c.ReservedConcurrentExecutions != nil {
		t.Fatalf("before any reservation: %+v, %v", c, err)
	}
	if c, err := e.reg.PutFunctionConcurrency(ctx, testAccount, "a", ptr(30)); err != nil || *c.ReservedConcurrentExecutions != 30 {
		t.Fatalf("put 30: %+v, %v", c, err)
	}
	// a's own reservation does not count against its new value.
	if _, err := e.reg.PutFunctionConcurrency(ctx, testAccount, "a", ptr(50)); err != nil {
		t.Fatalf("put 50: %v", err)
	}
	_, err = e.reg.PutFunctionConcurrency(ctx, testAccount, "b", ptr(1))
	wantAWSError(t, err, awserr.InvalidParameterValue, "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100].")
	if _, err := e.reg.PutFunctionConcurrency(ctx, testAccount, "b", ptr(0)); err != nil {
		t.Fatalf("put 0: %v", err)
	}
	settings := e.reg.AccountSettings(testAccount)
	if settings.AccountLimit.ConcurrentExecutions != 150 || settings.AccountLimit.UnreservedConcurrentExecutions != 100 || e.reg.ReservedTotal(testAccount) != 50 {
		t.Errorf("settings %+v, reserved total %d", settings.AccountLimit, e.reg.ReservedTotal(testAccount))
	}
	got, err := e.reg.GetFunction(testAccount, "a", "")
	if err != nil || got.Concurrency == nil || *got.Concurrency.ReservedConcurrentExecutions != 50 {
		t.Errorf("GetFunction concurrency %+v, %v", got.Concurrency, err)
	}
	if err := e.reg.DeleteFunctionConcurrency(ctx, testAccount, "a"); err != nil {
		t.Fatal(err)
	}
	if c, err := e.reg.GetFunctionConcurrency(testAccount, "a"); err != nil || c.ReservedConcurrentExecutions != nil {
		t.Errorf("after delete: %+v, %v", c, err)
	}
	// Deleting a function releases its reservation.
	if err := e.reg.DeleteFunction(ctx, testAccount, "b", ""); err != nil {
		t.Fatal(err)
	}
	if n := e.reg.ReservedTotal(testAccount); n != 0 {
		t.Errorf("reserved total after deletes = %d", n)
	}

	errs := []struct {
		name      string
		err       error
		code, msg string
	}{
		{"missing function", func() error {
			_, err := e.reg.PutFunctionConcurrency(ctx, testAccount, "doesnotexist", ptr(1))
			return err
		}(),
			awserr.ResourceNotFound, "Function not found: " + arnPrefix + "doesnotexist:$LATEST"},
		{"qualified", func() error {
			_, err := e.reg.PutFunctionConcurrency(ctx, testAccount, arnPrefix+"a:$LATEST", ptr(0))
			return err
		}(),
			awserr.InvalidParameterValue, "This operation is permitted on Lambda functions only. Aliases and versions do not support this operation. Please specify either a function name or an unqualified function ARN."},
		{"negative", func() error { _, err := e.reg.PutFunctionConcurrency(ctx, testAccount, "a", ptr(-1)); return err }(),
			awserr.Validation, "1 validation error detected: Value '-1' at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 0"},
		{"null", func() error { _, err := e.reg.PutFunctionConcurrency(ctx, testAccount, "a", nil); return err }(),
			awserr.Validation, "1 validation error detected: Value null at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must not be null"},
		{"get missing", func() error { _, err := e.reg.GetFunctionConcurrency(testAccount, "doesnotexist"); return err }(),
			awserr.ResourceNotFound, "Function not found: " + arnPrefix + "doesnotexist"},
		{"delete missing", e.reg.DeleteFunctionConcurrency(ctx, testAccount, "doesnotexist"),
			awserr.ResourceNotFound, "Function not found: " + arnPrefix + "doesnotexist"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) { wantAWSError(t, tc.err, tc.code, tc.msg) })
	}
}

func TestAccountSettings(t *testing.T) {
	e := newEnv(t)
	s := e.reg.AccountSettings(testAccount)
	want := AccountSettings{
		AccountLimit: AccountLimit{TotalCodeSize: 80530636800, CodeSizeUnzipped: 262144000, CodeSizeZipped: 52428800, ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: 1000},
	}
	if *s != want {
		t.Errorf("empty account: %+v", s)
	}
	a := e.create("a")
	b := e.create("b")
	s = e.reg.AccountSettings(testAccount)
	if s.AccountUsage.FunctionCount != 2 || s.AccountUsage.TotalCodeSize != a.CodeSize+b.CodeSize {
		t.Errorf("usage %+v", s.AccountUsage)
	}
}
