package e2e

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambdad/lambdad/internal/lambdadtest"
)

// TestAsyncMaxEventAge holds an event back (reserved concurrency 0: every
// delivery is throttled) past MaximumEventAgeInSeconds, 60 s, the model's
// minimum: it goes to the on-failure destination as EventAgeExceeded and the
// function never runs. It takes a minute of real time.
func TestAsyncMaxEventAge(t *testing.T) {
	if testing.Short() {
		t.Skip("takes a minute: MaximumEventAgeInSeconds is at least 60")
	}
	d := lambdadtest.Start(t, lambdadtest.Options{Args: asyncArgs})
	c := d.Client()
	zip := lambdadtest.GoZip(t, goAsyncWorker)
	deploy(t, c, "aging", zip)
	deploy(t, c, "aging-dlq", zip)
	if _, err := c.PutFunctionConcurrency(ctx(t), &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("aging"), ReservedConcurrentExecutions: aws.Int32(0)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutFunctionEventInvokeConfig(ctx(t), &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName:             aws.String("aging"),
		MaximumEventAgeInSeconds: aws.Int32(60),
		DestinationConfig:        &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String(fnARN + "aging-dlq")}},
	}); err != nil {
		t.Fatal(err)
	}
	out, err := c.Invoke(ctx(t), &lambda.InvokeInput{FunctionName: aws.String("aging"), InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"old":true}`)})
	if err != nil || out.StatusCode != 202 {
		t.Fatalf("Event invoke: %v", err)
	}
	// The event expires 60 s after it was accepted; then its record is
	// delivered to a function that has yet to start.
	var recs [][]string
	deadline := time.Now().Add(150 * time.Second)
	for len(recs) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no EventAgeExceeded record 150 s after the event was accepted:\n%s", d.Output())
		}
		time.Sleep(250 * time.Millisecond)
		recs = events(t, d, "aging-dlq")
	}
	rec := record(t, recs[0][1])
	ctxRec, _ := rec["requestContext"].(map[string]any)
	requestID, _ := ctxRec["requestId"].(string)
	wantRecord(t, rec, `{"version":"1.0","requestContext":{"requestId":"`+requestID+`","functionArn":"`+fnARN+`aging:$LATEST","condition":"EventAgeExceeded","approximateInvokeCount":0},"requestPayload":{"old":true}}`)
	if got := events(t, d, "aging"); len(got) != 0 {
		t.Errorf("the function ran although every delivery was throttled: %v", got)
	}
}
