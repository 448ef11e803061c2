package api

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambdad/lambdad/internal/registry"
)

// TestEventInvokeConfigThroughSDK drives the event invoke config and
// recursion config operations with aws-sdk-go-v2.
func TestEventInvokeConfigThroughSDK(t *testing.T) {
	now := time.Date(2026, 11, 23, 7, 31, 5, 118_000_000, time.UTC)
	a := newTestAPI(t, registry.Config{Now: func() time.Time { return now }})
	ctx := t.Context()
	for _, name := range []string{"f", "dest"} {
		if _, err := a.client.CreateFunction(ctx, createInput(name, testZip(t, "x"))); err != nil {
			t.Fatal(err)
		}
	}
	dest := testARN + "dest"
	put, err := a.client.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName:         aws.String("f"),
		MaximumRetryAttempts: aws.Int32(1),
		DestinationConfig:    &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String(dest)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if *put.FunctionArn != testARN+"f:$LATEST" || *put.MaximumRetryAttempts != 1 || put.MaximumEventAgeInSeconds != nil ||
		*put.DestinationConfig.OnFailure.Destination != dest || put.DestinationConfig.OnSuccess.Destination != nil || !put.LastModified.Equal(now) {
		t.Errorf("Put = %+v", put)
	}
	upd, err := a.client.UpdateFunctionEventInvokeConfig(ctx, &lambda.UpdateFunctionEventInvokeConfigInput{
		FunctionName: aws.String("f"), Qualifier: aws.String("$LATEST"), MaximumEventAgeInSeconds: aws.Int32(120),
	})
	if err != nil {
		t.Fatal(err)
	}
	if *upd.MaximumRetryAttempts != 1 || *upd.MaximumEventAgeInSeconds != 120 || *upd.DestinationConfig.OnFailure.Destination != dest {
		t.Errorf("Update = %+v", upd)
	}
	got, err := a.client.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("f")})
	if err != nil {
		t.Fatal(err)
	}
	if *got.MaximumEventAgeInSeconds != 120 || *got.FunctionArn != testARN+"f:$LATEST" {
		t.Errorf("Get = %+v", got)
	}
	list, err := a.client.ListFunctionEventInvokeConfigs(ctx, &lambda.ListFunctionEventInvokeConfigsInput{FunctionName: aws.String("f"), MaxItems: aws.Int32(10)})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.FunctionEventInvokeConfigs) != 1 || list.NextMarker != nil {
		t.Errorf("List = %+v", list)
	}
	_, err = a.client.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("f")})
	wantAPIError(t, err, 400, "InvalidParameterValueException", "You must specify at least one of error handling or destination setting.")
	if _, err := a.client.DeleteFunctionEventInvokeConfig(ctx, &lambda.DeleteFunctionEventInvokeConfigInput{FunctionName: aws.String("f")}); err != nil {
		t.Fatal(err)
	}
	_, err = a.client.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("f")})
	wantAPIError(t, err, 404, "ResourceNotFoundException", "The function "+testARN+"f:$LATEST doesn't have an EventInvokeConfig")

	rc, err := a.client.GetFunctionRecursionConfig(ctx, &lambda.GetFunctionRecursionConfigInput{FunctionName: aws.String("f")})
	if err != nil || rc.RecursiveLoop != types.RecursiveLoopTerminate {
		t.Fatalf("GetFunctionRecursionConfig = %+v, %v", rc, err)
	}
	prc, err := a.client.PutFunctionRecursionConfig(ctx, &lambda.PutFunctionRecursionConfigInput{FunctionName: aws.String("f"), RecursiveLoop: types.RecursiveLoopAllow})
	if err != nil || prc.RecursiveLoop != types.RecursiveLoopAllow {
		t.Fatalf("PutFunctionRecursionConfig = %+v, %v", prc, err)
	}
	_, err = a.client.PutFunctionRecursionConfig(ctx, &lambda.PutFunctionRecursionConfigInput{FunctionName: aws.String("f"), RecursiveLoop: "Never"})
	wantAPIError(t, err, 400, "ValidationException", "1 validation error detected: Value 'Never' at 'recursiveLoop' failed to satisfy constraint: Member must satisfy enum value set: [Terminate, Allow]")
}
