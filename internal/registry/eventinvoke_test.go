package registry

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/lambdad/lambdad/internal/awserr"
)

func TestEventInvokeConfigLifecycle(t *testing.T) {
	now := time.Date(2026, 11, 23, 7, 31, 5, 118_000_000, time.UTC)
	e := start(t, t.TempDir(), Config{Now: func() time.Time { return now }})
	e.create("f")
	e.create("dest")
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST"
	const dest = "arn:aws:lambda:us-east-1:123456789012:function:dest"
	ctx := t.Context()

	_, err := e.reg.GetFunctionEventInvokeConfig(testAccount, "f", "")
	wantAWSError(t, err, awserr.ResourceNotFound, "The function "+arn+" doesn't have an EventInvokeConfig")
	_, err = e.reg.UpdateFunctionEventInvokeConfig(ctx, testAccount, "f", "", &EventInvokeConfigInput{MaximumRetryAttempts: ptr(1)})
	wantAWSError(t, err, awserr.ResourceNotFound, "The function "+arn+" doesn't have an EventInvokeConfig")

	out, err := e.reg.PutFunctionEventInvokeConfig(ctx, testAccount, "f", "", &EventInvokeConfigInput{
		MaximumRetryAttempts: ptr(1),
		DestinationConfig:    &DestinationConfig{OnSuccess: &Destination{Destination: ptr(dest)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantJSON(t, out, `{"LastModified":1795419065.118,"FunctionArn":"`+arn+`","MaximumRetryAttempts":1,"DestinationConfig":{"OnSuccess":{"Destination":"`+dest+`"},"OnFailure":{}}}`)

	// Update merges; Put replaces.
	out, err = e.reg.UpdateFunctionEventInvokeConfig(ctx, testAccount, "f", "$LATEST", &EventInvokeConfigInput{MaximumEventAgeInSeconds: ptr(60)})
	if err != nil {
		t.Fatal(err)
	}
	wantJSON(t, out, `{"LastModified":1795419065.118,"FunctionArn":"`+arn+`","MaximumRetryAttempts":1,"MaximumEventAgeInSeconds":60,"DestinationConfig":{"OnSuccess":{"Destination":"`+dest+`"},"OnFailure":{}}}`)
	fn := e.reg.Function(testAccount, "f")
	if c := fn.EventInvokeFor(""); c.Retries() != 1 || c.MaxAge() != time.Minute {
		t.Errorf("EventInvokeFor = %d retries, %v", c.Retries(), c.MaxAge())
	}
	out, err = e.reg.PutFunctionEventInvokeConfig(ctx, testAccount, "arn:aws:lambda:us-east-1:123456789012:function:f", "", &EventInvokeConfigInput{MaximumRetryAttempts: ptr(0)})
	if err != nil {
		t.Fatal(err)
	}
	wantJSON(t, out, `{"LastModified":1795419065.118,"FunctionArn":"`+arn+`","MaximumRetryAttempts":0,"DestinationConfig":{"OnSuccess":{},"OnFailure":{}}}`)

	got, err := e.reg.GetFunctionEventInvokeConfig(testAccount, "f", "")
	if err != nil {
		t.Fatal(err)
	}
	wantJSON(t, got, `{"LastModified":1795419065.118,"FunctionArn":"`+arn+`","MaximumRetryAttempts":0,"DestinationConfig":{"OnSuccess":{},"OnFailure":{}}}`)

	list, err := e.reg.ListFunctionEventInvokeConfigs(testAccount, ListEventInvokeConfigsInput{FunctionName: "f"})
	if err != nil {
		t.Fatal(err)
	}
	wantJSON(t, list, `{"FunctionEventInvokeConfigs":[{"LastModified":1795419065.118,"FunctionArn":"`+arn+`","MaximumRetryAttempts":0,"DestinationConfig":{"OnSuccess":{},"OnFailure":{}}}],"NextMarker":null}`)

	// The config survives a restart.
	e.close()
	e = start(t, e.dir, Config{})
	if c := e.reg.Function(testAccount, "f").EventInvokeFor("$LATEST"); c.Retries() != 0 || c.MaxAge() != 6*time.Hour {
		t.Errorf("after restart: %d retries, %v", c.Retries(), c.MaxAge())
	}

	if err := e.reg.DeleteFunctionEventInvokeConfig(ctx, testAccount, "f", ""); err != nil {
		t.Fatal(err)
	}
	err = e.reg.DeleteFunctionEventInvokeConfig(ctx, testAccount, "f", "")
	wantAWSError(t, err, awserr.ResourceNotFound, "The function "+arn+" doesn't have an EventInvokeConfig")
	if c := e.reg.Function(testAccount, "f").EventInvokeFor(""); c != nil || c.Retries() != 2 {
		t.Errorf("defaults after delete: %+v", c)
	}
	list, err = e.reg.ListFunctionEventInvokeConfigs(testAccount, ListEventInvokeConfigsInput{FunctionName: "f"})
	if err != nil {
		t.Fatal(err)
	}
	wantJSON(t, list, `{"FunctionEventInvokeConfigs":[],"NextMarker":null}`)
}

func TestEventInvokeConfigErrors(t *testing.T) {
	e := newEnv(t)
	e.create("f")
	tests := []struct {
		name, fn, qualifier string
		in                  EventInvokeConfigInput
		code, message       string
	}{
		{"nothing to set", "f", "", EventInvokeConfigInput{}, awserr.InvalidParameterValue,
			"You must specify at least one of error handling or destination setting."},
		{"retries out of range", "f", "", EventInvokeConfigInput{MaximumRetryAttempts: ptr(3)}, awserr.Validation,
			"1 validation error detected: Value '3' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 2"},
		{"age out of range", "f", "", EventInvokeConfigInput{MaximumRetryAttempts: ptr(-1), MaximumEventAgeInSeconds: ptr(59)}, awserr.Validation,
			"2 validation errors detected: Value '-1' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value greater than or equal to 0; Value '59' at 'maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value greater than or equal to 60"},
		{"itself", "f", "", EventInvokeConfigInput{DestinationConfig: &DestinationConfig{OnFailure: &Destination{Destination: ptr("arn:aws:lambda:us-east-1:123456789012:function:f")}}}, awserr.InvalidParameterValue,
			"You can't specify the function as a destination for itself."},
		{"sqs", "f", "", EventInvokeConfigInput{DestinationConfig: &DestinationConfig{OnFailure: &Destination{Destination: ptr("arn:aws:sqs:us-east-1:123456789012:q")}}}, awserr.InvalidParameterValue,
			"lambdad cannot deliver to Amazon SQS destinations (arn:aws:sqs:us-east-1:123456789012:q): only Lambda function destinations are supported."},
		{"sns", "f", "", EventInvokeConfigInput{DestinationConfig: &DestinationConfig{OnSuccess: &Destination{Destination: ptr("arn:aws:sns:us-east-1:123456789012:t")}}}, awserr.InvalidParameterValue,
			"lambdad cannot deliver to Amazon SNS destinations (arn:aws:sns:us-east-1:123456789012:t): only Lambda function destinations are supported."},
		{"bad arn", "f", "", EventInvokeConfigInput{DestinationConfig: &DestinationConfig{OnSuccess: &Destination{Destination: ptr("nope")}}}, awserr.Validation,
			"1 validation error detected: Value 'nope' at 'destinationConfig.onSuccess.destination' failed to satisfy constraint: Member must satisfy regular expression pattern: " + destinationArnPattern.text},
		{"other account", "f", "", EventInvokeConfigInput{DestinationConfig: &DestinationConfig{OnSuccess: &Destination{Destination: ptr("arn:aws:lambda:us-east-1:999999999999:function:g")}}}, awserr.InvalidParameterValue,
			"lambdad cannot deliver to the destination arn:aws:lambda:us-east-1:999999999999:function:g: it is not a function of this region and account."},
		{"unknown function", "nope", "", EventInvokeConfigInput{MaximumRetryAttempts: ptr(1)}, awserr.ResourceNotFound,
			"Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope:$LATEST"},
		{"unknown version", "f", "1", EventInvokeConfigInput{MaximumRetryAttempts: ptr(1)}, awserr.ResourceNotFound,
			"Function not found: arn:aws:lambda:us-east-1:123456789012:function:f:1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.reg.PutFunctionEventInvokeConfig(t.Context(), testAccount, tc.fn, tc.qualifier, &tc.in)
			wantAWSError(t, err, tc.code, tc.message)
		})
	}
}

func TestDeadLetterConfigRefused(t *testing.T) {
	e := newEnv(t)
	in := createInput(t, "f")
	in.DeadLetterConfig = &DeadLetterConfig{TargetArn: ptr("arn:aws:sqs:us-east-1:123456789012:dlq")}
	_, err := e.reg.CreateFunction(t.Context(), testAccount, in)
	wantAWSError(t, err, awserr.InvalidParameterValue, "lambdad cannot deliver to the dead-letter target arn:aws:sqs:us-east-1:123456789012:dlq: Amazon SQS and Amazon SNS are not supported. Use an OnFailure destination (PutFunctionEventInvokeConfig) with a Lambda function instead.")
}

func TestRecursionConfig(t *testing.T) {
	e := newEnv(t)
	e.create("f")
	got, err := e.reg.GetFunctionRecursionConfig(testAccount, "f")
	if err != nil || *got.RecursiveLoop != "Terminate" {
		t.Fatalf("default = %v, %v", got, err)
	}
	if _, err := e.reg.PutFunctionRecursionConfig(t.Context(), testAccount, "f", &RecursionConfig{RecursiveLoop: ptr("Allow")}); err != nil {
		t.Fatal(err)
	}
	if fn := e.reg.Function(testAccount, "f"); fn.Recursion() != "Allow" {
		t.Errorf("Recursion = %s", fn.Recursion())
	}
	_, err = e.reg.PutFunctionRecursionConfig(t.Context(), testAccount, "f", &RecursionConfig{RecursiveLoop: ptr("Sometimes")})
	wantAWSError(t, err, awserr.Validation, "1 validation error detected: Value 'Sometimes' at 'recursiveLoop' failed to satisfy constraint: Member must satisfy enum value set: [Terminate, Allow]")
	_, err = e.reg.GetFunctionRecursionConfig(testAccount, "f:1")
	wantAWSError(t, err, awserr.InvalidParameterValue, "This operation is permitted on Lambda functions only. Aliases and versions do not support this operation. Please specify either a function name or an unqualified function ARN.")
	_, err = e.reg.GetFunctionRecursionConfig(testAccount, "nope")
	wantAWSError(t, err, awserr.ResourceNotFound, "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope")
}

// wantJSON fails unless v encodes as want.
func wantJSON(t *testing.T, v any, want string) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}
