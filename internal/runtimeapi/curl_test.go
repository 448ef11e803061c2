package runtimeapi_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lambdad/lambdad/internal/runtimeapi"
)

// curlBootstrap returns the path of testdata/curl/bootstrap, skipping the
// test when curl is missing.
func curlBootstrap(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not found: the curl bootstrap tests need it")
	}
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("sh not found: the curl bootstrap tests need it")
	}
	path, err := filepath.Abs(filepath.Join("testdata", "curl", "bootstrap"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCurlBootstrap(t *testing.T) {
	bin := curlBootstrap(t)
	s, addr := newServer(t, runtimeapi.Limits{})
	startRuntime(t, bin, addr)
	if err := s.WaitInit(testContext(t, 20*time.Second)); err != nil {
		t.Fatalf("wait init: %v", err)
	}
	tests := []struct {
		name      string
		event     string
		wantBody  string
		wantError bool
		wantType  string
	}{
		{name: "round trip", event: `{"n":1}`, wantBody: `echo:{"n":1}`},
		{name: "second round trip", event: `{"n":2}`, wantBody: `echo:{"n":2}`},
		{name: "error", event: `{"fail":true}`, wantError: true, wantType: "Unhandled",
			wantBody: `{"errorMessage":"Error parsing event data.","errorType":"InvalidEventDataException"}`},
		{name: "after an error", event: `{"n":3}`, wantBody: `echo:{"n":3}`},
		{name: "2 MiB upload", event: `"upload"`, wantBody: strings.Repeat("z", 2<<20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := invoke(t, s, newInvocation(tt.event))
			if string(r.Body) != tt.wantBody || r.FunctionError != tt.wantError || r.ErrorType != tt.wantType {
				t.Fatalf("got body %.100q error=%v type %q, want %.100q error=%v type %q",
					r.Body, r.FunctionError, r.ErrorType, tt.wantBody, tt.wantError, tt.wantType)
			}
			r.Release()
		})
	}
}

func TestCurlBootstrapInitError(t *testing.T) {
	bin := curlBootstrap(t)
	s, addr := newServer(t, runtimeapi.Limits{})
	startRuntime(t, bin, addr, "CURL_INIT_FAIL=1")
	err := s.WaitInit(testContext(t, 20*time.Second))
	var ie *runtimeapi.InitError
	if !errors.As(err, &ie) {
		t.Fatalf("wait init: %v, want an *InitError", err)
	}
	want := `{"errorMessage":"Failed to load function.","errorType":"InvalidFunctionException"}`
	if string(ie.Body) != want || ie.ContentType != "application/json" || ie.ErrorType != "Unhandled" {
		t.Errorf("init error %q %q %q, want %q application/json Unhandled", ie.Body, ie.ContentType, ie.ErrorType, want)
	}
	// The first invoke gets the init error.
	if _, err := s.Invoke(testContext(t, 5*time.Second), newInvocation(`{}`)); !errors.As(err, &ie) {
		t.Errorf("invoke after init error: %v, want the *InitError", err)
	}
}
