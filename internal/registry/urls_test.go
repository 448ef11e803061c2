package registry

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lambdad/lambdad/internal/awserr"
)

func TestURLConfigLifecycle(t *testing.T) {
	now := time.Date(2026, 11, 23, 7, 31, 5, 118_456_789, time.UTC)
	e := start(t, t.TempDir(), Config{Now: func() time.Time { return now }})
	e.create("f")
	ctx := t.Context()
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:f"
	const created = "2026-11-23T07:31:05.118456Z"

	_, err := e.reg.GetFunctionURLConfig(testAccount, "f", "")
	wantAWSError(t, err, awserr.ResourceNotFound, "The resource you requested does not exist.")
	_, err = e.reg.UpdateFunctionURLConfig(ctx, testAccount, "f", "", &URLConfigInput{AuthType: ptr("AWS_IAM")})
	wantAWSError(t, err, awserr.ResourceNotFound, "The resource you requested does not exist.")

	out, err := e.reg.CreateFunctionURLConfig(ctx, testAccount, "f", "", &URLConfigInput{AuthType: ptr("NONE")})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[a-z0-9]{32}$`).MatchString(out.URLID) {
		t.Errorf("url-id %q", out.URLID)
	}
	id := out.URLID
	wantJSON(t, out, `{"FunctionUrl":"","FunctionArn":"`+arn+`","AuthType":"NONE","CreationTime":"`+created+`"}`)

	_, err = e.reg.CreateFunctionURLConfig(ctx, testAccount, "f", "", &URLConfigInput{AuthType: ptr("NONE")})
	wantAWSError(t, err, awserr.ResourceConflict, "Failed to create function url config for [functionArn = "+arn+"]. Error message:  FunctionUrlConfig exists for this Lambda function")

	got, err := e.reg.GetFunctionURLConfig(testAccount, arn, "")
	if err != nil {
		t.Fatal(err)
	}
	wantJSON(t, got, `{"FunctionUrl":"","FunctionArn":"`+arn+`","AuthType":"NONE","CreationTime":"`+created+`","LastModifiedTime":"`+created+`","InvokeMode":"BUFFERED"}`)

	now = now.Add(time.Second)
	cors := &Cors{AllowOrigins: []string{"*"}, MaxAge: ptr(60)}
	out, err = e.reg.UpdateFunctionURLConfig(ctx, testAccount, "f", "", &URLConfigInput{AuthType: ptr("AWS_IAM"), Cors: cors})
	if err != nil {
		t.Fatal(err)
	}
	wantJSON(t, out, `{"FunctionUrl":"","FunctionArn":"`+arn+`","AuthType":"AWS_IAM","Cors":{"AllowOrigins":["*"],"MaxAge":60},"CreationTime":"`+created+`","LastModifiedTime":"2026-11-23T07:31:06.118456Z"}`)
	out, err = e.reg.UpdateFunctionURLConfig(ctx, testAccount, "f", "", &URLConfigInput{InvokeMode: ptr("RESPONSE_STREAM")})
	if err != nil {
		t.Fatal(err)
	}
	if out.InvokeMode != "RESPONSE_STREAM" || out.AuthType != "AWS_IAM" || out.Cors == nil || out.URLID != id {
		t.Errorf("update kept %+v", out)
	}

	target, ok := e.reg.LookupURL(id)
	if !ok || target.Qualifier != "" || target.Config.Mode() != InvokeStream || target.InvokedARN() != arn {
		t.Fatalf("LookupURL = %+v, %v", target, ok)
	}
	if _, ok := e.reg.LookupURL(strings.Repeat("a", 32)); ok {
		t.Error("LookupURL found an unknown id")
	}

	if err := e.reg.DeleteFunctionURLConfig(ctx, testAccount, "f", ""); err != nil {
		t.Fatal(err)
	}
	err = e.reg.DeleteFunctionURLConfig(ctx, testAccount, "f", "")
	wantAWSError(t, err, awserr.ResourceNotFound, "The resource you requested does not exist.")
	if _, ok := e.reg.LookupURL(id); ok {
		t.Error("LookupURL found a deleted URL")
	}
	out, err = e.reg.CreateFunctionURLConfig(ctx, testAccount, "f", "", &URLConfigInput{AuthType: ptr("NONE"), InvokeMode: ptr("BUFFERED")})
	if err != nil {
		t.Fatal(err)
	}
	if out.URLID == id || out.InvokeMode != "BUFFERED" {
		t.Errorf("re-created URL: id %q (old %q), mode %q", out.URLID, id, out.InvokeMode)
	}
}

func TestURLConfigErrors(t *testing.T) {
	e := newEnv(t)
	e.create("f")
	ctx := t.Context()
	qualifierErr := func(q string) string {
		return "1 validation error detected: Value '" + q + "' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: ((?!^\\d+$)^[0-9a-zA-Z-_]+$)"
	}
	none := &URLConfigInput{AuthType: ptr("NONE")}
	tests := []struct {
		name, fn, qualifier string
		in                  *URLConfigInput
		code, msg           string
		getMsg              string // Get's message when it differs
	}{
		{name: "no function", fn: "nope", in: none, code: awserr.ResourceNotFound, msg: "Function does not exist", getMsg: "The resource you requested does not exist."},
		{name: "no function ARN", fn: "arn:aws:lambda:us-east-1:123456789012:function:nope", in: none, code: awserr.ResourceNotFound, msg: "Function does not exist", getMsg: "The resource you requested does not exist."},
		{name: "version qualifier", fn: "f", qualifier: "1", in: none, code: awserr.Validation, msg: qualifierErr("1")},
		{name: "version qualifier of no function", fn: "nope", qualifier: "2", in: none, code: awserr.Validation, msg: qualifierErr("2")},
		{name: "$LATEST", fn: "f", qualifier: "$LATEST", in: none, code: awserr.Validation, msg: qualifierErr("$LATEST")},
		{name: "$LATEST in the name", fn: "f:$LATEST", in: none, code: awserr.Validation, msg: qualifierErr("$LATEST")},
		{name: "no alias", fn: "f", qualifier: "v1", in: none, code: awserr.ResourceNotFound, msg: "Function does not exist", getMsg: "The resource you requested does not exist."},
		{name: "qualifier mismatch", fn: "f:a-doesnotmatch", qualifier: "a", in: none, code: awserr.InvalidParameterValue, msg: "The derived qualifier from the function name does not match the specified qualifier."},
		{name: "other region", fn: "arn:aws:lambda:eu-west-1:123456789012:function:f", in: none, code: awserr.ResourceNotFound, msg: "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')"},
		{name: "no auth type", fn: "f", in: &URLConfigInput{}, code: awserr.Validation, msg: "1 validation error detected: Value null at 'authType' failed to satisfy constraint: Member must not be null"},
		{name: "bad auth type", fn: "f", in: &URLConfigInput{AuthType: ptr("X")}, code: awserr.Validation, msg: "1 validation error detected: Value 'X' at 'authType' failed to satisfy constraint: Member must satisfy enum value set: [AWS_IAM, NONE]"},
		{name: "bad invoke mode", fn: "f", in: &URLConfigInput{AuthType: ptr("NONE"), InvokeMode: ptr("UNKNOWN")}, code: awserr.Validation, msg: "1 validation error detected: Value 'UNKNOWN' at 'invokeMode' failed to satisfy constraint: Member must satisfy enum value set: [RESPONSE_STREAM, BUFFERED]"},
		{name: "cors limits", fn: "f", in: &URLConfigInput{AuthType: ptr("NONE"), Cors: &Cors{
			AllowMethods: []string{"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTION"}, AllowOrigins: []string{""}, MaxAge: ptr(86401)}},
			code: awserr.Validation, msg: "3 validation errors detected: Value '[GET, POST, PUT, DELETE, PATCH, HEAD, OPTION]' at 'cors.allowMethods' failed to satisfy constraint: Member must have length less than or equal to 6; " +
				"Value '' at 'cors.allowOrigins.1.member' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
				"Value '86401' at 'cors.maxAge' failed to satisfy constraint: Member must have value less than or equal to 86400"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.reg.CreateFunctionURLConfig(ctx, testAccount, tt.fn, tt.qualifier, tt.in)
			wantAWSError(t, err, tt.code, tt.msg)
			if tt.in.AuthType == nil || *tt.in.AuthType != "NONE" || tt.in.Cors != nil || tt.in.InvokeMode != nil {
				return // body errors are Create's and Update's only
			}
			getMsg := tt.msg
			if tt.getMsg != "" {
				getMsg = tt.getMsg
			}
			_, err = e.reg.GetFunctionURLConfig(testAccount, tt.fn, tt.qualifier)
			wantAWSError(t, err, tt.code, getMsg)
			err = e.reg.DeleteFunctionURLConfig(ctx, testAccount, tt.fn, tt.qualifier)
			wantAWSError(t, err, tt.code, getMsg)
			_, err = e.reg.UpdateFunctionURLConfig(ctx, testAccount, tt.fn, tt.qualifier, tt.in)
			wantAWSError(t, err, tt.code, tt.msg)
		})
	}
	_, err := e.reg.ListFunctionURLConfigs(testAccount, ListURLConfigsInput{FunctionName: "nope"})
	wantAWSError(t, err, awserr.ResourceNotFound, "Function does not exist")
}

func TestURLConfigAliases(t *testing.T) {
	e := newEnv(t)
	e.create("f")
	ctx := t.Context()
	for _, a := range []string{"b", "a"} {
		if _, err := e.reg.CreateAlias(ctx, testAccount, "f", &AliasInput{Name: ptr(a), FunctionVersion: ptr("$LATEST")}); err != nil {
			t.Fatal(err)
		}
	}
	ids := map[string]string{}
	for _, q := range []string{"", "a", "b"} {
		fn := "f"
		if q != "" {
			fn = "f:" + q // the qualifier in the name, as the SDKs allow
		}
		out, err := e.reg.CreateFunctionURLConfig(ctx, testAccount, fn, "", &URLConfigInput{AuthType: ptr("NONE")})
		if err != nil {
			t.Fatal(err)
		}
		want := "arn:aws:lambda:us-east-1:123456789012:function:f"
		if q != "" {
			want += ":" + q
		}
		if out.FunctionArn != want {
			t.Errorf("FunctionArn = %q, want %q", out.FunctionArn, want)
		}
		ids[q] = out.URLID
	}
	list, err := e.reg.ListFunctionURLConfigs(testAccount, ListURLConfigsInput{FunctionName: "f"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.FunctionUrlConfigs) != 3 || list.NextMarker != nil {
		t.Fatalf("list = %d configs, marker %v", len(list.FunctionUrlConfigs), list.NextMarker)
	}
	// Paging one at a time visits each once, unqualified first.
	var seen []string
	marker := ""
	for range 4 {
		page, err := e.reg.ListFunctionURLConfigs(testAccount, ListURLConfigsInput{FunctionName: "f", MaxItems: 1, Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page.FunctionUrlConfigs {
			seen = append(seen, c.URLID)
		}
		if page.NextMarker == nil {
			break
		}
		marker = *page.NextMarker
	}
	if strings.Join(seen, ",") != ids[""]+","+ids["a"]+","+ids["b"] {
		t.Errorf("paged %v, want %v", seen, ids)
	}
	_, err = e.reg.ListFunctionURLConfigs(testAccount, ListURLConfigsInput{FunctionName: "f:a"})
	if e, ok := awserr.As(err); !ok || e.Code != awserr.InvalidParameterValue {
		t.Errorf("qualified list: %v", err)
	}

	// Deleting the function URL leaves the aliases' URLs.
	if err := e.reg.DeleteFunctionURLConfig(ctx, testAccount, "f", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.reg.GetFunctionURLConfig(testAccount, "f", "a"); err != nil {
		t.Fatal(err)
	}
	// Deleting an alias deletes its URL, also from the url-id index.
	if target, ok := e.reg.LookupURL(ids["a"]); !ok || target.Qualifier != "a" || target.InvokedARN() != "arn:aws:lambda:us-east-1:123456789012:function:f:a" {
		t.Fatalf("LookupURL(a) = %+v, %v", target, ok)
	}
	if err := e.reg.DeleteAlias(ctx, testAccount, "f", "a"); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.reg.LookupURL(ids["a"]); ok {
		t.Error("the deleted alias's URL is still served")
	}
	_, err = e.reg.GetFunctionURLConfig(testAccount, "f", "a")
	wantAWSError(t, err, awserr.ResourceNotFound, "The resource you requested does not exist.")
	if _, err := e.reg.CreateAlias(ctx, testAccount, "f", &AliasInput{Name: ptr("a"), FunctionVersion: ptr("$LATEST")}); err != nil {
		t.Fatal(err)
	}
	_, err = e.reg.GetFunctionURLConfig(testAccount, "f", "a")
	wantAWSError(t, err, awserr.ResourceNotFound, "The resource you requested does not exist.")

	// Deleting the function deletes the rest.
	if err := e.reg.DeleteFunction(ctx, testAccount, "f", ""); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.reg.LookupURL(ids["b"]); ok {
		t.Error("a deleted function's URL is still served")
	}
}
