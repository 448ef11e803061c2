package e2e

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lambdad/lambdad/internal/lambdadtest"
)

// TestPermissions drives AddPermission, GetPolicy and RemovePermission with
// aws-sdk-go-v2 on a function, a version and an alias, and checks the
// documents and errors against AWS's (LocalStack's AWS-validated snapshots
// of TestLambdaPermissions).
func TestPermissions(t *testing.T) {
	d := lambdadtest.Start(t, lambdadtest.Options{})
	c := d.Client()
	created, err := c.CreateFunction(ctx(t), createInput("pf", lambdadtest.ScriptZip(t, echoScript)))
	if err != nil {
		t.Fatal(err)
	}
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:pf"

	// No policy yet.
	_, err = c.GetPolicy(ctx(t), &lambda.GetPolicyInput{FunctionName: aws.String("pf")})
	wantAPIError(t, err, "ResourceNotFoundException", "The resource you requested does not exist.")
	_, err = c.RemovePermission(ctx(t), &lambda.RemovePermissionInput{FunctionName: aws.String("pf"), StatementId: aws.String("s3")})
	wantAPIError(t, err, "ResourceNotFoundException", "No policy is associated with the given resource.")

	// A stale RevisionId, then the current one.
	_, err = c.AddPermission(ctx(t), &lambda.AddPermissionInput{
		FunctionName: aws.String("pf"), StatementId: aws.String("s3"), Action: aws.String("lambda:InvokeFunction"),
		Principal: aws.String("s3.amazonaws.com"), RevisionId: aws.String("wrong"),
	})
	wantAPIError(t, err, "PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve the latest Revision Id")
	added, err := c.AddPermission(ctx(t), &lambda.AddPermissionInput{
		FunctionName: aws.String("pf"), StatementId: aws.String("s3"), Action: aws.String("lambda:InvokeFunction"),
		Principal: aws.String("s3.amazonaws.com"), SourceArn: aws.String("arn:aws:s3:::test-bucket"), RevisionId: created.RevisionId,
	})
	if err != nil {
		t.Fatal(err)
	}
	s3Statement := `{"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"` + arn + `","Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::test-bucket"}}}`
	if got := aws.ToString(added.Statement); got != s3Statement {
		t.Errorf("Statement = %s\nwant        %s", got, s3Statement)
	}
	url, err := c.AddPermission(ctx(t), &lambda.AddPermissionInput{
		FunctionName: aws.String(arn), StatementId: aws.String("url"), Action: aws.String("lambda:InvokeFunctionUrl"),
		Principal: aws.String("*"), FunctionUrlAuthType: "NONE",
	})
	if err != nil {
		t.Fatal(err)
	}
	urlStatement := `{"Sid":"url","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunctionUrl","Resource":"` + arn + `","Condition":{"StringEquals":{"lambda:FunctionUrlAuthType":"NONE"}}}`
	if got := aws.ToString(url.Statement); got != urlStatement {
		t.Errorf("Statement = %s\nwant        %s", got, urlStatement)
	}
	acct, err := c.AddPermission(ctx(t), &lambda.AddPermissionInput{
		FunctionName: aws.String("pf"), StatementId: aws.String("account"), Action: aws.String("lambda:GetFunction"),
		Principal: aws.String("111122223333"),
	})
	if err != nil {
		t.Fatal(err)
	}
	var stmt struct{ Principal map[string]string }
	if err := json.Unmarshal([]byte(aws.ToString(acct.Statement)), &stmt); err != nil || stmt.Principal["AWS"] != "arn:aws:iam::111122223333:root" {
		t.Errorf("account principal = %v (%v)", stmt.Principal, err)
	}

	_, err = c.AddPermission(ctx(t), &lambda.AddPermissionInput{
		FunctionName: aws.String("pf"), StatementId: aws.String("s3"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("sns.amazonaws.com"),
	})
	wantAPIError(t, err, "ResourceConflictException", "The statement id (s3) provided already exists. Please provide a new statement id, or remove the existing statement.")
	_, err = c.AddPermission(ctx(t), &lambda.AddPermissionInput{
		FunctionName: aws.String("pf"), StatementId: aws.String("bad"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("invalid.nonaws.com"),
	})
	wantAPIError(t, err, "InvalidParameterValueException", "The provided principal was invalid. Please check the principal and try again.")
	_, err = c.AddPermission(ctx(t), &lambda.AddPermissionInput{
		FunctionName: aws.String("pf"), StatementId: aws.String("example.com"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("s3.amazonaws.com"),
	})
	wantAPIError(t, err, "ValidationException", "1 validation error detected: Value 'example.com' at 'statementId' failed to satisfy constraint: Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)")
	_, err = c.AddPermission(ctx(t), &lambda.AddPermissionInput{
		FunctionName: aws.String("pf"), Qualifier: aws.String("$LATEST"), StatementId: aws.String("l"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*"),
	})
	wantAPIError(t, err, "InvalidParameterValueException", "We currently do not support adding policies for $LATEST.")
	_, err = c.AddPermission(ctx(t), &lambda.AddPermissionInput{
		FunctionName: aws.String("pf"), Qualifier: aws.String("42"), StatementId: aws.String("v"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*"),
	})
	wantAPIError(t, err, "ResourceNotFoundException", "Function not found: "+arn+":42")

	pol, err := c.GetPolicy(ctx(t), &lambda.GetPolicyInput{FunctionName: aws.String("pf")})
	if err != nil {
		t.Fatal(err)
	}
	wantPolicy := `{"Version":"2012-10-17","Id":"default","Statement":[` + s3Statement + `,` + urlStatement + `,` + aws.ToString(acct.Statement) + `]}`
	if got := aws.ToString(pol.Policy); got != wantPolicy {
		t.Errorf("Policy = %s\nwant     %s", got, wantPolicy)
	}
	fn, err := c.GetFunction(ctx(t), &lambda.GetFunctionInput{FunctionName: aws.String("pf")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(pol.RevisionId) != aws.ToString(fn.Configuration.RevisionId) {
		t.Errorf("policy RevisionId %s, function's %s", aws.ToString(pol.RevisionId), aws.ToString(fn.Configuration.RevisionId))
	}

	_, err = c.RemovePermission(ctx(t), &lambda.RemovePermissionInput{FunctionName: aws.String("pf"), StatementId: aws.String("non-existent")})
	wantAPIError(t, err, "ResourceNotFoundException", "Statement non-existent is not found in resource policy.")
	_, err = c.RemovePermission(ctx(t), &lambda.RemovePermissionInput{FunctionName: aws.String("pf"), StatementId: aws.String("url"), RevisionId: aws.String("wrong")})
	wantAPIError(t, err, "PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
	for _, sid := range []string{"url", "account"} {
		if _, err := c.RemovePermission(ctx(t), &lambda.RemovePermissionInput{FunctionName: aws.String("pf"), StatementId: aws.String(sid), RevisionId: pol.RevisionId}); err != nil {
			t.Fatalf("remove %s: %v", sid, err)
		}
		// Each removal renews the RevisionId.
		if pol, err = c.GetPolicy(ctx(t), &lambda.GetPolicyInput{FunctionName: aws.String("pf")}); err != nil {
			t.Fatal(err)
		}
	}
	if got := aws.ToString(pol.Policy); got != `{"Version":"2012-10-17","Id":"default","Statement":[`+s3Statement+`]}` {
		t.Errorf("Policy after removals = %s", got)
	}

	// Versions and aliases have policies of their own.
	v1, err := c.PublishVersion(ctx(t), &lambda.PublishVersionInput{FunctionName: aws.String("pf")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetPolicy(ctx(t), &lambda.GetPolicyInput{FunctionName: aws.String("pf"), Qualifier: v1.Version})
	wantAPIError(t, err, "ResourceNotFoundException", "The resource you requested does not exist.")
	if _, err := c.AddPermission(ctx(t), &lambda.AddPermissionInput{
		FunctionName: aws.String("pf:" + aws.ToString(v1.Version)), Qualifier: v1.Version, StatementId: aws.String("s3"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("s3.amazonaws.com"),
	}); err != nil {
		t.Fatal(err)
	}
	alias, err := c.CreateAlias(ctx(t), &lambda.CreateAliasInput{FunctionName: aws.String("pf"), Name: aws.String("live"), FunctionVersion: v1.Version})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddPermission(ctx(t), &lambda.AddPermissionInput{
		FunctionName: aws.String("pf"), Qualifier: aws.String("live"), StatementId: aws.String("s3"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("s3.amazonaws.com"), RevisionId: alias.RevisionId,
	}); err != nil {
		t.Fatal(err)
	}
	for q, resource := range map[string]string{"1": arn + ":1", "live": arn + ":live"} {
		p, err := c.GetPolicy(ctx(t), &lambda.GetPolicyInput{FunctionName: aws.String("pf"), Qualifier: aws.String(q)})
		if err != nil {
			t.Fatal(err)
		}
		want := `{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"` + resource + `"}]}`
		if got := aws.ToString(p.Policy); got != want {
			t.Errorf("policy of %s = %s\nwant %s", q, got, want)
		}
	}
	got, err := c.GetAlias(ctx(t), &lambda.GetAliasInput{FunctionName: aws.String("pf"), Name: aws.String("live")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.RevisionId) == aws.ToString(alias.RevisionId) {
		t.Error("AddPermission on the alias kept its RevisionId")
	}
	_, err = c.RemovePermission(ctx(t), &lambda.RemovePermissionInput{FunctionName: aws.String("pf"), StatementId: aws.String("s3"), Qualifier: aws.String("alias-doesnotexist")})
	wantAPIError(t, err, "ResourceNotFoundException", "Cannot find alias arn: "+arn+":alias-doesnotexist")
	if _, err := c.RemovePermission(ctx(t), &lambda.RemovePermissionInput{FunctionName: aws.String("pf"), StatementId: aws.String("s3"), Qualifier: aws.String("live")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetPolicy(ctx(t), &lambda.GetPolicyInput{FunctionName: aws.String("pf"), Qualifier: aws.String("live")})
	wantAPIError(t, err, "ResourceNotFoundException", "The resource you requested does not exist.")

	// The status codes of the model: 201 and 204.
	if status, _ := signedRaw(t, d, http.MethodPost, "/2015-03-31/functions/pf/policy", `{"StatementId":"raw","Action":"lambda:InvokeFunction","Principal":"*"}`); status != http.StatusCreated {
		t.Errorf("AddPermission status = %d, want 201", status)
	}
	if status, _ := signedRaw(t, d, http.MethodDelete, "/2015-03-31/functions/pf/policy/raw", ""); status != http.StatusNoContent {
		t.Errorf("RemovePermission status = %d, want 204", status)
	}

	// The policy goes with its function.
	if _, err := c.DeleteFunction(ctx(t), &lambda.DeleteFunctionInput{FunctionName: aws.String("pf")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.RemovePermission(ctx(t), &lambda.RemovePermissionInput{FunctionName: aws.String("pf"), StatementId: aws.String("s3")})
	wantAPIError(t, err, "ResourceNotFoundException", "No policy found for: "+arn)
}
