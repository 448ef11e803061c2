package registry

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzGlobMatch checks globMatch against the same pattern compiled as a
// regular expression.
func FuzzGlobMatch(f *testing.F) {
	f.Add("arn:aws:s3:::bucket-*", "arn:aws:s3:::bucket-1")
	f.Add("a*b?c*", "aXXbYcZ")
	f.Add("**?", "")
	f.Add("*a*a*a*a*b", strings.Repeat("a", 64))
	f.Fuzz(func(t *testing.T, pattern, s string) {
		// The reference matches runes, globMatch bytes: compare on ASCII.
		if len(pattern) > 256 || len(s) > 256 || !isASCII(pattern) || !isASCII(s) {
			return
		}
		var re strings.Builder
		re.WriteString(`(?s)^`)
		for _, c := range pattern {
			switch c {
			case '*':
				re.WriteString(`.*`)
			case '?':
				re.WriteString(`.`)
			default:
				re.WriteString(regexp.QuoteMeta(string(c)))
			}
		}
		re.WriteString(`$`)
		want := regexp.MustCompile(re.String()).MatchString(s)
		if got := globMatch(pattern, s); got != want {
			t.Errorf("globMatch(%q, %q) = %v, regexp says %v", pattern, s, got, want)
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// FuzzStatementDocument renders statements of any content: the document is
// valid JSON that shows what the statement holds, and Permits never panics.
func FuzzStatementDocument(f *testing.F) {
	f.Add("s3", "lambda:InvokeFunction", "s3.amazonaws.com", "arn:aws:s3:::b", "", "", "", "", false)
	f.Add("u", "lambda:InvokeFunctionUrl", "*", "", "111122223333", "", "o-1234567890", "NONE", true)
	f.Add("a", "lambda:*", "111122223333", "arn:aws:s3:::<&>", "", "tok", "", "", false)
	f.Add("r", "*", "arn:aws:iam::111122223333:root", "arn:aws:s3:::*", "", "", "", "", false)
	f.Fuzz(func(t *testing.T, sid, action, principal, sourceArn, sourceAccount, token, org, authType string, viaURL bool) {
		s := &Statement{Sid: sid, Action: action, Principal: principal, SourceArn: sourceArn, SourceAccount: sourceAccount,
			EventSourceToken: token, PrincipalOrgID: org, FunctionUrlAuthType: authType, InvokedViaFunctionUrl: viaURL}
		p := &Policy{Statements: []*Statement{s}}
		var doc struct {
			Version   string
			Statement []struct {
				Sid       string
				Action    string
				Condition map[string]map[string]string
			}
		}
		if err := json.Unmarshal(p.document("arn:aws:lambda:us-east-1:111122223333:function:f"), &doc); err != nil {
			t.Fatalf("document is not JSON: %v", err)
		}
		if len(doc.Statement) != 1 {
			t.Fatalf("statements = %d", len(doc.Statement))
		}
		got := doc.Statement[0]
		// encoding/json replaces invalid UTF-8: compare valid input only.
		if utf8.ValidString(sid) && utf8.ValidString(action) && utf8.ValidString(sourceArn) {
			if got.Sid != sid || got.Action != action {
				t.Errorf("Sid, Action = %q, %q; want %q, %q", got.Sid, got.Action, sid, action)
			}
			if sourceArn != "" && got.Condition["ArnLike"]["AWS:SourceArn"] != sourceArn {
				t.Errorf("ArnLike = %v, want %q", got.Condition["ArnLike"], sourceArn)
			}
		}
		if viaURL != (got.Condition["Bool"]["lambda:InvokedViaFunctionUrl"] == "true") {
			t.Errorf("Bool = %v, InvokedViaFunctionUrl %v", got.Condition["Bool"], viaURL)
		}
		fn := &Function{Policies: map[string]*Policy{"": p}}
		fn.Permits("", PolicyRequest{Action: action, Principal: principal, SourceArn: sourceArn, SourceAccount: sourceAccount, EventSourceToken: token, FunctionUrlAuthType: authType})
	})
}
