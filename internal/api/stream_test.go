package api

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambdad/lambdad/internal/eventstream"
	"github.com/lambdad/lambdad/internal/registry"
	"github.com/lambdad/lambdad/internal/scheduler"
)

// TestInvokeWithResponseStreamBeforeTheStream checks the answers given
// before a function runs: ordinary JSON errors, and DryRun's 204.
func TestInvokeWithResponseStreamBeforeTheStream(t *testing.T) {
	a := newTestAPI(t, registry.Config{})
	ctx := context.Background()
	if _, err := a.client.CreateFunction(ctx, createInput("f", testZip(t, "x"))); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		in     lambda.InvokeWithResponseStreamInput
		status int
		code   string
		msg    string
	}{
		{"unknown function", lambda.InvokeWithResponseStreamInput{FunctionName: aws.String("nope")},
			404, "ResourceNotFoundException", "Function not found: " + testARN + "nope:$LATEST"},
		{"Event", lambda.InvokeWithResponseStreamInput{FunctionName: aws.String("f"), InvocationType: "Event"},
			400, "ValidationException", "1 validation error detected: Value 'Event' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [RequestResponse, DryRun]"},
		{"bad log type", lambda.InvokeWithResponseStreamInput{FunctionName: aws.String("f"), LogType: "All"},
			400, "ValidationException", "1 validation error detected: Value 'All' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [None, Tail]"},
		{"payload not JSON", lambda.InvokeWithResponseStreamInput{FunctionName: aws.String("f"), Payload: []byte("{")},
			400, "InvalidRequestContentException", "Could not parse request body into json: Could not parse payload into json: Unexpected character: was expecting a JSON value"},
		{"unknown qualifier", lambda.InvokeWithResponseStreamInput{FunctionName: aws.String("f"), Qualifier: aws.String("7")},
			404, "ResourceNotFoundException", "Function not found: " + testARN + "f:7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := a.client.InvokeWithResponseStream(ctx, &tt.in)
			wantAPIError(t, err, tt.status, tt.code, tt.msg)
		})
	}
	t.Run("DryRun", func(t *testing.T) {
		out, err := a.client.InvokeWithResponseStream(ctx, &lambda.InvokeWithResponseStreamInput{
			FunctionName: aws.String("f"), InvocationType: types.ResponseStreamingInvocationTypeDryRun})
		if err != nil {
			t.Fatal(err)
		}
		es := out.GetStream()
		for ev := range es.Events() {
			t.Errorf("event %T", ev)
		}
		es.Close()
		if out.StatusCode != 204 {
			t.Errorf("status %d, want 204", out.StatusCode)
		}
	})
}

// TestEventWriter checks the event stream the handler writes: headers with
// the first event, one PayloadChunk per write, sent by Flush (which
// runtimeapi calls when no more has arrived), one InvokeComplete.
func TestEventWriter(t *testing.T) {
	tests := []struct {
		name     string
		writes   []string
		res      scheduler.Result
		tail     bool
		complete string
	}{
		{"success", []string{"hello ", "world"}, scheduler.Result{}, false, `{}`},
		{"nothing written", nil, scheduler.Result{}, false, `{}`},
		{"tail", []string{"x"}, scheduler.Result{LogTail: []byte("START\n")}, true, `{"LogResult":"U1RBUlQK"}`},
		{"error trailers", []string{"part"}, scheduler.Result{FunctionError: true, ErrorType: "errorString",
			Payload: []byte(`{"errorMessage":"reader broke","errorType":"errorString"}`)}, false,
			`{"ErrorCode":"errorString","ErrorDetails":"reader broke"}`},
		{"error type from the body", nil, scheduler.Result{FunctionError: true,
			Payload: []byte(`{"errorMessage":"m","errorType":"ShellError"}`)}, false,
			`{"ErrorCode":"ShellError","ErrorDetails":"m"}`},
		{"error that is not JSON", nil, scheduler.Result{FunctionError: true, Payload: []byte("oops")}, false,
			`{"ErrorCode":"Unhandled","ErrorDetails":"oops"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			ew := &eventWriter{w: rec, rc: http.NewResponseController(rec), version: "$LATEST", writeDeadline: time.Now().Add(time.Minute)}
			ew.enc = eventstream.NewEncoder(rec)
			if err := ew.Flush(); err != nil || rec.Flushed {
				t.Fatalf("Flush before the first event: %v, flushed %v", err, rec.Flushed)
			}
			for _, w := range tt.writes {
				if _, err := ew.Write([]byte(w)); err != nil {
					t.Fatal(err)
				}
				if rec.Flushed {
					t.Fatal("Write flushed")
				}
				if err := ew.Flush(); err != nil || !rec.Flushed {
					t.Fatalf("Flush: %v, flushed %v", err, rec.Flushed)
				}
				rec.Flushed = false
			}
			if err := ew.complete(&tt.res, tt.tail); err != nil {
				t.Fatal(err)
			}
			if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/vnd.amazon.eventstream" ||
				rec.Header().Get("X-Amz-Executed-Version") != "$LATEST" {
				t.Fatalf("status %d headers %v", rec.Code, rec.Header())
			}
			dec := eventstream.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
			for i, w := range tt.writes {
				m, err := dec.Decode()
				if err != nil || m.GetString(":event-type") != "PayloadChunk" || string(m.Payload) != w {
					t.Fatalf("event %d: %v %+v", i, err, m)
				}
			}
			m, err := dec.Decode()
			if err != nil || m.GetString(":event-type") != "InvokeComplete" || string(m.Payload) != tt.complete {
				t.Fatalf("InvokeComplete: %v %q %s, want %s", err, m.GetString(":event-type"), m.Payload, tt.complete)
			}
			if _, err := dec.Decode(); err == nil {
				t.Error("an event after InvokeComplete")
			}
		})
	}
}
