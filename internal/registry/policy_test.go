package registry

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/lambdad/lambdad/internal/awserr"
)

func TestPermits(t *testing.T) {
	const acct = "111122223333"
	urlNone := &Statement{Sid: "url", Action: "lambda:InvokeFunctionUrl", Principal: "*", FunctionUrlAuthType: "NONE"}
	tests := []struct {
		name      string
		stmt      *Statement
		qualifier string
		req       PolicyRequest
		want      bool
	}{
		{"public url", urlNone, "", PolicyRequest{Action: "lambda:InvokeFunctionUrl", Principal: "*", FunctionUrlAuthType: "NONE"}, true},
		{"public url as $LATEST", urlNone, Latest, PolicyRequest{Action: "lambda:InvokeFunctionUrl", Principal: "*", FunctionUrlAuthType: "NONE"}, true},
		{"url auth type differs", urlNone, "", PolicyRequest{Action: "lambda:InvokeFunctionUrl", Principal: "*", FunctionUrlAuthType: "AWS_IAM"}, false},
		{"url grant without URL request", urlNone, "", PolicyRequest{Action: "lambda:InvokeFunctionUrl", Principal: "*"}, false},
		{"other action", urlNone, "", PolicyRequest{Action: "lambda:InvokeFunction", Principal: "*", FunctionUrlAuthType: "NONE"}, false},
		{"other qualifier", urlNone, "prod", PolicyRequest{Action: "lambda:InvokeFunctionUrl", Principal: "*", FunctionUrlAuthType: "NONE"}, false},
		{"lambda:* covers any lambda action", &Statement{Action: "lambda:*", Principal: "*"}, "", PolicyRequest{Action: "lambda:GetFunction", Principal: acct}, true},
		{"* covers any lambda action", &Statement{Action: "*", Principal: "*"}, "", PolicyRequest{Action: "lambda:InvokeFunction", Principal: "*"}, true},
		{"action case-insensitive", &Statement{Action: "lambda:invokefunction", Principal: "*"}, "", PolicyRequest{Action: "lambda:InvokeFunction", Principal: "*"}, true},
		{"account grant, account caller", &Statement{Action: "lambda:InvokeFunction", Principal: acct}, "", PolicyRequest{Action: "lambda:InvokeFunction", Principal: acct}, true},
		{"account grant, role of account", &Statement{Action: "lambda:InvokeFunction", Principal: acct}, "", PolicyRequest{Action: "lambda:InvokeFunction", Principal: "arn:aws:iam::" + acct + ":role/r"}, true},
		{"root ARN grant, account caller", &Statement{Action: "lambda:InvokeFunction", Principal: "arn:aws:iam::" + acct + ":root"}, "", PolicyRequest{Action: "lambda:InvokeFunction", Principal: acct}, true},
		{"account grant, other account", &Statement{Action: "lambda:InvokeFunction", Principal: acct}, "", PolicyRequest{Action: "lambda:InvokeFunction", Principal: "444455556666"}, false},
		{"account grant, anonymous", &Statement{Action: "lambda:InvokeFunction", Principal: acct}, "", PolicyRequest{Action: "lambda:InvokeFunction", Principal: "*"}, false},
		{"role grant, other role", &Statement{Action: "lambda:InvokeFunction", Principal: "arn:aws:iam::" + acct + ":role/a"}, "", PolicyRequest{Action: "lambda:InvokeFunction", Principal: "arn:aws:iam::" + acct + ":role/b"}, false},
		{"role grant, account caller", &Statement{Action: "lambda:InvokeFunction", Principal: "arn:aws:iam::" + acct + ":role/a"}, "", PolicyRequest{Action: "lambda:InvokeFunction", Principal: acct}, false},
		{"service grant", &Statement{Action: "lambda:InvokeFunction", Principal: "s3.amazonaws.com"}, "", PolicyRequest{Action: "lambda:InvokeFunction", Principal: "s3.amazonaws.com"}, true},
		{"service grant, other service", &Statement{Action: "lambda:InvokeFunction", Principal: "s3.amazonaws.com"}, "", PolicyRequest{Action: "lambda:InvokeFunction", Principal: "sns.amazonaws.com"}, false},
		{"source account matches", &Statement{Action: "lambda:InvokeFunction", Principal: "*", SourceAccount: acct}, "", PolicyRequest{Action: "lambda:InvokeFunction", Principal: "*", SourceAccount: acct}, true},
		{"source account missing", &Statement{Action: "lambda:InvokeFunction", Principal: "*", SourceAccount: acct}, "", PolicyRequest{Action: "lambda:InvokeFunction", Principal: "*"}, false},
		{"source arn glob", &Statement{Action: "lambda:InvokeFunction", Principal: "s3.amazonaws.com", SourceArn: "arn:aws:s3:::bucket-*"}, "", PolicyRequest{Action: "lambda:InvokeFunction", Principal: "s3.amazonaws.com", SourceArn: "arn:aws:s3:::bucket-1"}, true},
		{"source arn glob across components", &Statement{Action: "lambda:InvokeFunction", Principal: "*", SourceArn: "arn:aws:execute-api:us-east-1:" + acct + ":api/*/GET/*"}, "", PolicyRequest{Action: "lambda:InvokeFunction", Principal: "*", SourceArn: "arn:aws:execute-api:us-east-1:" + acct + ":api/prod/GET/x/y"}, true},
		{"source arn other", &Statement{Action: "lambda:InvokeFunction", Principal: "s3.amazonaws.com", SourceArn: "arn:aws:s3:::bucket-*"}, "", PolicyRequest{Action: "lambda:InvokeFunction", Principal: "s3.amazonaws.com", SourceArn: "arn:aws:s3:::other"}, false},
		{"source arn missing", &Statement{Action: "lambda:InvokeFunction", Principal: "s3.amazonaws.com", SourceArn: "arn:aws:s3:::b"}, "", PolicyRequest{Action: "lambda:InvokeFunction", Principal: "s3.amazonaws.com"}, false},
		{"event source token", &Statement{Action: "lambda:InvokeFunction", Principal: "*", EventSourceToken: "tok"}, "", PolicyRequest{Action: "lambda:InvokeFunction", Principal: "*", EventSourceToken: "tok"}, true},
		{"event source token missing", &Statement{Action: "lambda:InvokeFunction", Principal: "*", EventSourceToken: "tok"}, "", PolicyRequest{Action: "lambda:InvokeFunction", Principal: "*"}, false},
		{"org never matches", &Statement{Action: "lambda:InvokeFunction", Principal: "*", PrincipalOrgID: "o-1234567890"}, "", PolicyRequest{Action: "lambda:InvokeFunction", Principal: acct}, false},
		{"invoked via url", &Statement{Action: "lambda:InvokeFunction", Principal: "*", InvokedViaFunctionUrl: true}, "", PolicyRequest{Action: "lambda:InvokeFunction", Principal: "*", FunctionUrlAuthType: "NONE"}, true},
		{"invoked via url, direct call", &Statement{Action: "lambda:InvokeFunction", Principal: "*", InvokedViaFunctionUrl: true}, "", PolicyRequest{Action: "lambda:InvokeFunction", Principal: acct}, false},
		{"alias policy", &Statement{Action: "lambda:InvokeFunction", Principal: "*"}, "prod", PolicyRequest{Action: "lambda:InvokeFunction", Principal: "*"}, true},
		{"version policy", &Statement{Action: "lambda:InvokeFunction", Principal: "*"}, "1", PolicyRequest{Action: "lambda:InvokeFunction", Principal: "*"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The statement is granted on the qualifier the request names,
			// except in "other qualifier", where it is granted on the
			// unqualified function.
			grantedOn := tc.qualifier
			if grantedOn == Latest || tc.name == "other qualifier" {
				grantedOn = ""
			}
			fn := &Function{
				Versions: map[string]*Version{"1": {Version: "1"}},
				Aliases:  map[string]*Alias{"prod": {Name: "prod", FunctionVersion: "1"}},
				Policies: map[string]*Policy{grantedOn: {Statements: []*Statement{tc.stmt}}},
			}
			if got := fn.Permits(tc.qualifier, tc.req); got != tc.want {
				t.Errorf("Permits(%q, %+v) = %v, want %v", tc.qualifier, tc.req, got, tc.want)
			}
		})
	}
}

func TestPermitsDeletedQualifier(t *testing.T) {
	all := &Policy{Statements: []*Statement{{Sid: "a", Action: "lambda:*", Principal: "*"}}}
	fn := &Function{Policies: map[string]*Policy{"": all, "1": all, "prod": all}}
	req := PolicyRequest{Action: "lambda:InvokeFunction", Principal: "*"}
	if !fn.Permits("", req) {
		t.Error("unqualified: not permitted")
	}
	for _, q := range []string{"1", "prod", "2"} {
		if fn.Permits(q, req) {
			t.Errorf("%s: permitted although the version or alias does not exist", q)
		}
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"*", "", true},
		{"*", "abc", true},
		{"a*c", "abc", true},
		{"a*c", "abcd", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"*b*", "abc", true},
		{"a*b*c", "aXbYbZc", true},
		{"a*b*c", "aXbYbZ", false},
		{"abc", "abd", false},
		{"**", "x", true},
	}
	for _, tc := range tests {
		if got := globMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

var updateGolden = flag.Bool("update", false, "rewrite golden files")

// TestPolicyDocument renders one statement of each shape AWS's recordings
// show (LocalStack's AWS-validated snapshots of TestLambdaPermissions) and
// compares the document byte for byte, member order included.
func TestPolicyDocument(t *testing.T) {
	const acct = "111111111111"
	p := &Policy{Statements: []*Statement{
		{Sid: "s3", Action: "lambda:InvokeFunction", Principal: "s3.amazonaws.com", SourceArn: "arn:aws:s3:::test-bucket"},
		{Sid: "wildcard", Action: "lambda:InvokeFunction", Principal: "*", SourceAccount: acct},
		{Sid: "account-id", Action: "lambda:InvokeFunction", Principal: acct},
		{Sid: "user-arn", Action: "lambda:InvokeFunction", Principal: "arn:aws:iam::" + acct + ":user/u", SourceAccount: acct},
		{Sid: "urlPermission", Action: "lambda:InvokeFunctionUrl", Principal: "*", SourceArn: "arn:aws:s3:::test-bucket", SourceAccount: acct, PrincipalOrgID: "o-1234567890", FunctionUrlAuthType: "NONE"},
		{Sid: "alexaSkill", Action: "lambda:InvokeFunction", Principal: "*", EventSourceToken: "amzn1.ask.skill.xxxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"},
		{Sid: "viaUrl", Action: "lambda:InvokeFunction", Principal: "*", InvokedViaFunctionUrl: true},
	}}
	got := p.document("arn:aws:lambda:us-east-1:" + acct + ":function:f:prod")
	golden := filepath.Join("testdata", "policy", "document.json")
	if *updateGolden {
		if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(got)+"\n" != string(want) {
		t.Errorf("document =\n%s\nwant\n%s", got, want)
	}
}

// addPermission is a valid AddPermission request.
func addPermission(sid string) *AddPermissionInput {
	return &AddPermissionInput{StatementId: ptr(sid), Action: ptr("lambda:InvokeFunction"), Principal: ptr("s3.amazonaws.com")}
}

func TestAddPermissionValidation(t *testing.T) {
	e := newEnv(t)
	e.create("fn")
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:"
	tests := []struct {
		name          string
		function, q   string
		in            *AddPermissionInput
		code, message string
	}{
		{"statement id pattern", "fn", "", &AddPermissionInput{StatementId: ptr("example.com"), Action: ptr("lambda:InvokeFunction"), Principal: ptr("s3.amazonaws.com")},
			awserr.Validation, "1 validation error detected: Value 'example.com' at 'statementId' failed to satisfy constraint: Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)"},
		{"statement id length", "fn", "", addPermission(strings.Repeat("a", 101)),
			awserr.Validation, "1 validation error detected: Value '" + strings.Repeat("a", 101) + "' at 'statementId' failed to satisfy constraint: Member must have length less than or equal to 100"},
		{"required members", "fn", "", &AddPermissionInput{},
			awserr.Validation, "3 validation errors detected: Value null at 'statementId' failed to satisfy constraint: Member must not be null; Value null at 'action' failed to satisfy constraint: Member must not be null; Value null at 'principal' failed to satisfy constraint: Member must not be null"},
		{"action pattern", "fn", "", &AddPermissionInput{StatementId: ptr("a"), Action: ptr("s3:GetObject"), Principal: ptr("*")},
			awserr.Validation, "1 validation error detected: Value 's3:GetObject' at 'action' failed to satisfy constraint: Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])"},
		{"principal pattern", "fn", "", &AddPermissionInput{StatementId: ptr("a"), Action: ptr("lambda:*"), Principal: ptr("a b")},
			awserr.Validation, "1 validation error detected: Value 'a b' at 'principal' failed to satisfy constraint: Member must satisfy regular expression pattern: [^\\s]+"},
		{"source account", "fn", "", &AddPermissionInput{StatementId: ptr("a"), Action: ptr("lambda:*"), Principal: ptr("*"), SourceAccount: ptr("12345")},
			awserr.Validation, "1 validation error detected: Value '12345' at 'sourceAccount' failed to satisfy constraint: Member must satisfy regular expression pattern: \\d{12}"},
		{"source arn", "fn", "", &AddPermissionInput{StatementId: ptr("a"), Action: ptr("lambda:*"), Principal: ptr("*"), SourceArn: ptr("bucket")},
			awserr.Validation, "1 validation error detected: Value 'bucket' at 'sourceArn' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:([a-z]{2}(-gov)?-[a-z]+-\\d{1})?:(\\d{12})?:(.*)"},
		{"org id", "fn", "", &AddPermissionInput{StatementId: ptr("a"), Action: ptr("lambda:*"), Principal: ptr("*"), PrincipalOrgID: ptr("o-short")},
			awserr.Validation, "1 validation error detected: Value 'o-short' at 'principalOrgID' failed to satisfy constraint: Member must have length greater than or equal to 12"},
		{"auth type", "fn", "", &AddPermissionInput{StatementId: ptr("a"), Action: ptr("lambda:*"), Principal: ptr("*"), FunctionUrlAuthType: ptr("OPEN")},
			awserr.Validation, "1 validation error detected: Value 'OPEN' at 'functionUrlAuthType' failed to satisfy constraint: Member must satisfy enum value set: [NONE, AWS_IAM]"},
		{"qualifier pattern", "fn", "invalid-qualifier-with-?-char", addPermission("a"),
			awserr.Validation, "1 validation error detected: Value 'invalid-qualifier-with-?-char' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: \\$(LATEST(\\.PUBLISHED)?)|[a-zA-Z0-9-_$]+"},
		{"qualifier mismatch", "fn:alias-not-42", "42", addPermission("a"),
			awserr.InvalidParameterValue, "The derived qualifier from the function name does not match the specified qualifier."},
		{"$LATEST", "fn:$LATEST", "$LATEST", addPermission("a"),
			awserr.InvalidParameterValue, "We currently do not support adding policies for $LATEST."},
		{"auth type on another action", "fn", "", &AddPermissionInput{StatementId: ptr("a"), Action: ptr("lambda:InvokeFunction"), Principal: ptr("*"), FunctionUrlAuthType: ptr("NONE")},
			awserr.InvalidParameterValue, "FunctionUrlAuthType is only supported for lambda:InvokeFunctionUrl action"},
		{"invalid principal", "fn", "", &AddPermissionInput{StatementId: ptr("a"), Action: ptr("lambda:InvokeFunction"), Principal: ptr("invalid.nonaws.com")},
			awserr.InvalidParameterValue, "The provided principal was invalid. Please check the principal and try again."},
		{"no function", "doesnotexist", "", addPermission("a"),
			awserr.ResourceNotFound, "Function not found: " + arn + "doesnotexist"},
		{"no alias", "fn:alias-doesnotexist", "", addPermission("a"),
			awserr.ResourceNotFound, "Cannot find alias arn: " + arn + "fn:alias-doesnotexist"},
		{"no version", "fn", "42", addPermission("a"),
			awserr.ResourceNotFound, "Function not found: " + arn + "fn:42"},
		{"qualifier with $", "fn", "valid-with-$-but-doesnotexist", addPermission("a"),
			awserr.ResourceNotFound, "Function not found: " + arn + "fn:valid-with-$-but-doesnotexist"},
		{"policy too large", "fn", "", &AddPermissionInput{StatementId: ptr("a"), Action: ptr("lambda:InvokeFunction"), Principal: ptr("s3.amazonaws.com"), SourceArn: ptr("arn:aws:s3:::" + strings.Repeat("b", 20480))},
			"PolicyLengthExceededException", "The final policy size (20759) is bigger than the limit (20480)."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.reg.AddPermission(t.Context(), testAccount, tc.function, tc.q, tc.in)
			wantAWSError(t, err, tc.code, tc.message)
		})
	}
	if fn := e.reg.Function(testAccount, "fn"); fn.Policies != nil {
		t.Errorf("failed requests left policies %v", fn.Policies)
	}
}

func TestPermissionLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	created := e.create("fn")
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:fn"

	_, err := e.reg.GetPolicy(testAccount, "fn", "")
	wantAWSError(t, err, awserr.ResourceNotFound, "The resource you requested does not exist.")
	err = e.reg.RemovePermission(ctx, testAccount, "fn", "s3", "", "")
	wantAWSError(t, err, awserr.ResourceNotFound, "No policy is associated with the given resource.")
	err = e.reg.RemovePermission(ctx, testAccount, "doesnotexist", "s3", "", "")
	wantAWSError(t, err, awserr.ResourceNotFound, "No policy found for: arn:aws:lambda:us-east-1:123456789012:function:doesnotexist")
	_, err = e.reg.GetPolicy(testAccount, "doesnotexist", "")
	wantAWSError(t, err, awserr.ResourceNotFound, "The resource you requested does not exist.")

	_, err = e.reg.AddPermission(ctx, testAccount, "fn", "", &AddPermissionInput{StatementId: ptr("s3"), Action: ptr("lambda:InvokeFunction"), Principal: ptr("s3.amazonaws.com"), RevisionId: ptr("wrong")})
	wantAWSError(t, err, awserr.PreconditionFailed, "The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve the latest Revision Id")

	out, err := e.reg.AddPermission(ctx, testAccount, "fn", "", &AddPermissionInput{
		StatementId: ptr("s3"), Action: ptr("lambda:InvokeFunction"), Principal: ptr("s3.amazonaws.com"),
		SourceArn: ptr("arn:aws:s3:::test-bucket"), RevisionId: ptr(created.RevisionId),
	})
	if err != nil {
		t.Fatal(err)
	}
	wantStatement := `{"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"` + arn + `","Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::test-bucket"}}}`
	if out.Statement != wantStatement {
		t.Errorf("Statement = %s\nwant        %s", out.Statement, wantStatement)
	}
	if _, err := e.reg.AddPermission(ctx, testAccount, "fn", "", &AddPermissionInput{StatementId: ptr("sqs"), Action: ptr("lambda:InvokeFunction"), Principal: ptr("sqs.amazonaws.com")}); err != nil {
		t.Fatal(err)
	}
	_, err = e.reg.AddPermission(ctx, testAccount, "fn", "", addPermission("s3"))
	wantAWSError(t, err, awserr.ResourceConflict, "The statement id (s3) provided already exists. Please provide a new statement id, or remove the existing statement.")

	got, err := e.reg.GetPolicy(testAccount, "fn", "")
	if err != nil {
		t.Fatal(err)
	}
	wantPolicy := `{"Version":"2012-10-17","Id":"default","Statement":[` + wantStatement +
		`,{"Sid":"sqs","Effect":"Allow","Principal":{"Service":"sqs.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"` + arn + `"}]}`
	if got.Policy != wantPolicy {
		t.Errorf("Policy = %s\nwant     %s", got.Policy, wantPolicy)
	}
	// The policy's RevisionId is the function's, which each change renews.
	cfg, err := e.reg.GetFunctionConfiguration(testAccount, "fn", "")
	if err != nil {
		t.Fatal(err)
	}
	if got.RevisionId != cfg.RevisionId || got.RevisionId == created.RevisionId {
		t.Errorf("policy RevisionId %s, function's %s, at creation %s", got.RevisionId, cfg.RevisionId, created.RevisionId)
	}
	// $LATEST names the unqualified function's policy.
	if latest, err := e.reg.GetPolicy(testAccount, "fn", Latest); err != nil || latest.Policy != wantPolicy {
		t.Errorf("GetPolicy $LATEST = %+v, %v", latest, err)
	}

	err = e.reg.RemovePermission(ctx, testAccount, "fn", "non-existent", "", "")
	wantAWSError(t, err, awserr.ResourceNotFound, "Statement non-existent is not found in resource policy.")
	err = e.reg.RemovePermission(ctx, testAccount, "fn", "sqs", "", "wrong")
	wantAWSError(t, err, awserr.PreconditionFailed, "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
	err = e.reg.RemovePermission(ctx, testAccount, "fn", "bad/id", "", "")
	wantAWSError(t, err, awserr.Validation, "1 validation error detected: Value 'bad/id' at 'statementId' failed to satisfy constraint: Member must satisfy regular expression pattern: ([a-zA-Z0-9-_.]+)")
	if err := e.reg.RemovePermission(ctx, testAccount, "fn", "sqs", "", got.RevisionId); err != nil {
		t.Fatal(err)
	}
	after, err := e.reg.GetPolicy(testAccount, "fn", "")
	if err != nil {
		t.Fatal(err)
	}
	if after.Policy != `{"Version":"2012-10-17","Id":"default","Statement":[`+wantStatement+`]}` || after.RevisionId == got.RevisionId {
		t.Errorf("after removing sqs: %+v", after)
	}
	if err := e.reg.RemovePermission(ctx, testAccount, "fn", "s3", "", after.RevisionId); err != nil {
		t.Fatal(err)
	}
	_, err = e.reg.GetPolicy(testAccount, "fn", "")
	wantAWSError(t, err, awserr.ResourceNotFound, "The resource you requested does not exist.")
	if fn := e.reg.Function(testAccount, "fn"); fn.Policies != nil {
		t.Errorf("empty policy kept: %v", fn.Policies)
	}
}

// TestPermissionQualifiers checks that versions and aliases have policies of
// their own, with their own RevisionIds, as in AWS's recording of
// test_lambda_permission_fn_versioning.
func TestPermissionQualifiers(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	e.create("fn")
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:fn"
	if _, err := e.reg.AddPermission(ctx, testAccount, "fn", "", addPermission("s3")); err != nil {
		t.Fatal(err)
	}
	v1, err := e.reg.PublishVersion(ctx, testAccount, "fn", &PublishVersionInput{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.reg.GetPolicy(testAccount, "fn", "1")
	wantAWSError(t, err, awserr.ResourceNotFound, "The resource you requested does not exist.")
	// A permission changes neither code nor configuration: publishing
	// again returns version 1.
	if _, err := e.reg.AddPermission(ctx, testAccount, "fn", "", addPermission("sqs")); err != nil {
		t.Fatal(err)
	}
	if again, err := e.reg.PublishVersion(ctx, testAccount, "fn", &PublishVersionInput{}); err != nil || again.Version != "1" {
		t.Fatalf("PublishVersion after AddPermission = %+v, %v; want version 1", again, err)
	}
	_, err = e.reg.GetPolicy(testAccount, "fn", "77")
	wantAWSError(t, err, awserr.ResourceNotFound, "The resource you requested does not exist.")

	// The same statement ID on version 1, named in the function name.
	out, err := e.reg.AddPermission(ctx, testAccount, "fn:1", "1", addPermission("s3"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.Statement, `"Resource":"`+arn+`:1"`) {
		t.Errorf("version statement = %s", out.Statement)
	}
	pv, err := e.reg.GetPolicy(testAccount, "fn", "1")
	if err != nil {
		t.Fatal(err)
	}
	cfg1, err := e.reg.GetFunctionConfiguration(testAccount, "fn", "1")
	if err != nil {
		t.Fatal(err)
	}
	if pv.RevisionId != cfg1.RevisionId || pv.RevisionId == v1.RevisionId {
		t.Errorf("version policy RevisionId %s, version's %s, at publishing %s", pv.RevisionId, cfg1.RevisionId, v1.RevisionId)
	}

	alias, err := e.reg.CreateAlias(ctx, testAccount, "fn", &AliasInput{Name: ptr("live"), FunctionVersion: ptr("1")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.reg.AddPermission(ctx, testAccount, "fn", "live", &AddPermissionInput{StatementId: ptr("s3"), Action: ptr("lambda:InvokeFunction"), Principal: ptr("*"), RevisionId: ptr("wrong")})
	wantAWSError(t, err, awserr.PreconditionFailed, "The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve the latest Revision Id")
	if _, err := e.reg.AddPermission(ctx, testAccount, "fn:live", "live", &AddPermissionInput{StatementId: ptr("s3"), Action: ptr("lambda:InvokeFunction"), Principal: ptr("*"), RevisionId: ptr(alias.RevisionId)}); err != nil {
		t.Fatal(err)
	}
	pa, err := e.reg.GetPolicy(testAccount, "fn:live", "")
	if err != nil {
		t.Fatal(err)
	}
	ga, err := e.reg.GetAlias(testAccount, "fn", "live")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(pa.Policy, `"Resource":"`+arn+`:live"`) || pa.RevisionId != ga.RevisionId || pa.RevisionId == alias.RevisionId {
		t.Errorf("alias policy %+v, alias RevisionId %s (created %s)", pa, ga.RevisionId, alias.RevisionId)
	}

	// Each grant covers its own ARN only.
	fn := e.reg.Function(testAccount, "fn")
	anyone := PolicyRequest{Action: "lambda:InvokeFunction", Principal: "*"}
	if !fn.Permits("live", anyone) || fn.Permits("1", anyone) || fn.Permits("", anyone) {
		t.Errorf("Permits live/1/unqualified = %v/%v/%v, want true/false/false", fn.Permits("live", anyone), fn.Permits("1", anyone), fn.Permits("", anyone))
	}

	err = e.reg.RemovePermission(ctx, testAccount, "fn", "s3", "nope", "")
	wantAWSError(t, err, awserr.ResourceNotFound, "Cannot find alias arn: "+arn+":nope")
	err = e.reg.RemovePermission(ctx, testAccount, "fn", "s3", "9", "")
	wantAWSError(t, err, awserr.ResourceNotFound, "Function not found: "+arn+":9")

	// A deleted alias takes its policy with it.
	if err := e.reg.DeleteAlias(ctx, testAccount, "fn", "live"); err != nil {
		t.Fatal(err)
	}
	_, err = e.reg.GetPolicy(testAccount, "fn", "live")
	wantAWSError(t, err, awserr.ResourceNotFound, "The resource you requested does not exist.")
	if e.reg.Function(testAccount, "fn").Permits("live", anyone) {
		t.Error("deleted alias still permits")
	}
}

func TestDropPolicy(t *testing.T) {
	p := &Policy{Statements: []*Statement{{Sid: "a", Action: "lambda:*", Principal: "*"}}}
	orig := map[string]*Policy{"": p, "live": p}
	fn := &Function{Policies: orig}
	fn.dropPolicy("live")
	if len(fn.Policies) != 1 || fn.Policies[""] != p || len(orig) != 2 {
		t.Errorf("after dropPolicy(live): %v (original %v)", fn.Policies, orig)
	}
	fn.dropPolicy("")
	if fn.Policies != nil {
		t.Errorf("after dropping the last policy: %v", fn.Policies)
	}
}

func BenchmarkPermits(b *testing.B) {
	fn := &Function{Policies: map[string]*Policy{"": {Statements: []*Statement{
		{Sid: "s3", Action: "lambda:InvokeFunction", Principal: "s3.amazonaws.com", SourceArn: "arn:aws:s3:::bucket-*"},
		{Sid: "url", Action: "lambda:InvokeFunctionUrl", Principal: "*", FunctionUrlAuthType: "NONE"},
		{Sid: "via", Action: "lambda:*", Principal: "*", InvokedViaFunctionUrl: true},
	}}}}
	req := PolicyRequest{Action: "lambda:InvokeFunction", Principal: "*", FunctionUrlAuthType: "NONE"}
	b.ReportAllocs()
	for b.Loop() {
		if !fn.Permits("", req) {
			b.Fatal("not permitted")
		}
	}
}

// TestPermissionsConcurrentAndDurable adds statements from several
// goroutines at once (none may be lost), then restarts the registry on the
// same store: the policy is still there.
func TestPermissionsConcurrentAndDurable(t *testing.T) {
	e := newEnv(t)
	e.create("fn")
	const n = 8
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, err := e.reg.AddPermission(context.Background(), testAccount, "fn", "", addPermission(fmt.Sprintf("sid-%d", i)))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	before, err := e.reg.GetPolicy(testAccount, "fn", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(before.Policy, `"Sid":"sid-`); got != n {
		t.Fatalf("policy has %d statements, want %d: %s", got, n, before.Policy)
	}
	e.close()
	e = start(t, e.dir, Config{})
	after, err := e.reg.GetPolicy(testAccount, "fn", "")
	if err != nil {
		t.Fatal(err)
	}
	if *after != *before {
		t.Errorf("after restart: %+v\nbefore: %+v", after, before)
	}
}
