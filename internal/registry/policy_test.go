package registry

import (
	"testing"
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
