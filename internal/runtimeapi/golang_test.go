package runtimeapi_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lambdad/lambdad/internal/runtimeapi"
)

// startGoFunction starts the aws-lambda-go test function on a new Server and
// waits for its Init phase to end.
func startGoFunction(t *testing.T, env ...string) *runtimeapi.Server {
	t.Helper()
	bin := goFunctionPath(t)
	s, addr := newServer(t, runtimeapi.Limits{})
	startRuntime(t, bin, addr, env...)
	if err := s.WaitInit(testContext(t, 20*time.Second)); err != nil {
		t.Fatalf("wait init: %v", err)
	}
	return s
}

func TestGoRuntimeEcho(t *testing.T) {
	s := startGoFunction(t)
	payloads := []string{
		`{"hello":"world","n":[1, 2, 3]}`,
		`"` + strings.Repeat("a", 40<<10) + `"`, // beyond the inline write size
		`{}`,
	}
	for i, p := range payloads {
		r := invoke(t, s, newInvocation(p))
		if r.FunctionError || string(r.Body) != p {
			t.Fatalf("invoke %d: got error=%v body %.80q, want %.80q", i, r.FunctionError, r.Body, p)
		}
		if r.ContentType != "application/octet-stream" {
			t.Errorf("content type %q, want application/octet-stream (aws-lambda-go's for raw bytes)", r.ContentType)
		}
		r.Release()
	}
}

func TestGoRuntimeErrors(t *testing.T) {
	tests := []struct {
		name      string
		event     string
		env       []string
		wantType  string
		wantBody  string // exact, when set
		wantInMsg string
	}{
		{name: "handler error", event: `"error"`, wantType: "BoomError",
			wantBody: `{"errorMessage":"boom","errorType":"BoomError"}`},
		{name: "panic", event: `"panic"`, wantType: "string", wantInMsg: "kaboom"},
		{name: "response too large", event: `"big"`, wantType: "Function.ResponseSizeTooLarge",
			wantBody: `{"errorMessage":"Response payload size exceeded maximum allowed payload size (6291556 bytes).","errorType":"Function.ResponseSizeTooLarge"}`},
		{name: "reader error in trailers", event: `"x"`, env: []string{"GOFUNCTION_MODE=reader"}, wantType: "errorString",
			wantBody: `{"errorMessage":"reader broke","errorType":"errorString"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startGoFunction(t, tt.env...)
			r := invoke(t, s, newInvocation(tt.event))
			if !r.FunctionError || r.ContentType != "application/json" {
				t.Fatalf("got error=%v content type %q body %.200s, want a JSON function error", r.FunctionError, r.ContentType, r.Body)
			}
			var e struct {
				ErrorMessage string `json:"errorMessage"`
				ErrorType    string `json:"errorType"`
			}
			if err := json.Unmarshal(r.Body, &e); err != nil {
				t.Fatalf("error body %.200s: %v", r.Body, err)
			}
			if e.ErrorType != tt.wantType || r.ErrorType != tt.wantType {
				t.Errorf("errorType %q, Response.ErrorType %q, want %q", e.ErrorType, r.ErrorType, tt.wantType)
			}
			if tt.wantBody != "" && string(r.Body) != tt.wantBody {
				t.Errorf("body %s, want %s", r.Body, tt.wantBody)
			}
			if !strings.Contains(e.ErrorMessage, tt.wantInMsg) {
				t.Errorf("errorMessage %q, want it to contain %q", e.ErrorMessage, tt.wantInMsg)
			}
		})
	}
}

func TestGoRuntimeErrorBodyVerbatim(t *testing.T) {
	// aws-lambda-go's panic body carries a stack trace of objects; it must
	// reach the caller as posted, member order and all.
	s := startGoFunction(t)
	r := invoke(t, s, newInvocation(`"panic"`))
	if !bytes.HasPrefix(r.Body, []byte(`{"errorMessage":"kaboom","errorType":"string","stackTrace":[{"path":`)) {
		t.Fatalf("body %.300s is not aws-lambda-go's panic body", r.Body)
	}
}

func TestGoRuntimeContext(t *testing.T) {
	s := startGoFunction(t)
	inv := newInvocation(`"context"`)
	inv.Deadline = time.UnixMilli(time.Now().Add(90 * time.Second).UnixMilli())
	inv.FunctionARN = "arn:aws:lambda:us-east-1:123456789012:function:echo:prod"
	inv.TraceID = "Root=1-6741a2b0-0b3c5d7e9f1a2b3c4d5e6f70;Parent=1a2b3c4d5e6f7081;Sampled=1"
	// A newline between JSON tokens cannot go into a header; it is sent as
	// a space.
	inv.ClientContext = `{"client":{"installation_id":"inst-1","app_title":"app"},` + "\n" + `"custom":{"k":"v"},"env":{"e":"1"}}`
	inv.CognitoIdentity = `{"cognitoIdentityId":"id-1","cognitoIdentityPoolId":"pool-1"}`
	r := invoke(t, s, inv)
	if r.FunctionError {
		t.Fatalf("function error: %s", r.Body)
	}
	var got struct {
		RequestID     string `json:"requestId"`
		FunctionARN   string `json:"functionArn"`
		DeadlineMs    int64  `json:"deadlineMs"`
		TraceID       string `json:"traceId"`
		FunctionName  string `json:"functionName"`
		ClientContext struct {
			Client struct {
				InstallationID string `json:"installation_id"`
				AppTitle       string `json:"app_title"`
			} `json:"Client"`
			Env    map[string]string `json:"env"`
			Custom map[string]string `json:"custom"`
		} `json:"clientContext"`
		Identity struct {
			CognitoIdentityID     string
			CognitoIdentityPoolID string
		} `json:"identity"`
	}
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatalf("%s: %v", r.Body, err)
	}
	checks := []struct{ name, got, want string }{
		{"request id", got.RequestID, inv.RequestID},
		{"function ARN", got.FunctionARN, inv.FunctionARN},
		{"trace id", got.TraceID, inv.TraceID},
		{"function name", got.FunctionName, "echo"},
		{"installation id", got.ClientContext.Client.InstallationID, "inst-1"},
		{"app title", got.ClientContext.Client.AppTitle, "app"},
		{"custom", got.ClientContext.Custom["k"], "v"},
		{"env", got.ClientContext.Env["e"], "1"},
		{"cognito identity", got.Identity.CognitoIdentityID, "id-1"},
		{"cognito pool", got.Identity.CognitoIdentityPoolID, "pool-1"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q (body %s)", c.name, c.got, c.want, r.Body)
		}
	}
	if got.DeadlineMs != inv.Deadline.UnixMilli() {
		t.Errorf("deadline %d, want %d", got.DeadlineMs, inv.Deadline.UnixMilli())
	}
}
