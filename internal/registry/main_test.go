package registry

import (
	"github.com/lambdad/lambdad/internal/lambdadtest"

	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/lambdad/lambdad/internal/awserr"
	"github.com/lambdad/lambdad/internal/store"
)

const (
	testAccount = "123456789012"
	testRegion  = "us-east-1"
	testRole    = "arn:aws:iam::123456789012:role/lambda-role"
)

func TestMain(m *testing.M) {
	os.Exit(lambdadtest.MainWithLeakCheck(m, "github.com/nats-io/", "registry.(*Registry).Run"))
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// env is a registry running on a real embedded store in a directory.
type env struct {
	t     testing.TB
	dir   string
	st    *store.Store
	reg   *Registry
	stop  context.CancelFunc
	done  chan error
	close func()
}

// start opens a store on dir and runs a registry on it until the test ends
// (or env.close).
func start(t testing.TB, dir string, cfg Config) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := store.Open(ctx, store.Config{Dir: dir}, testLogger(t))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	if cfg.Region == "" {
		cfg.Region = testRegion
	}
	reg, err := New(ctx, st, cfg, testLogger(t))
	if err != nil {
		st.Close()
		t.Fatalf("New: %v", err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	e := &env{t: t, dir: dir, st: st, reg: reg, stop: stop, done: make(chan error, 1)}
	go func() { e.done <- reg.Run(runCtx) }()
	closed := false
	e.close = func() {
		if closed {
			return
		}
		closed = true
		stop()
		if err := <-e.done; err != nil {
			t.Errorf("Run: %v", err)
		}
		if err := st.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	}
	t.Cleanup(e.close)
	return e
}

func newEnv(t testing.TB) *env { return start(t, t.TempDir(), Config{}) }

// makeZip returns a deployment package with the given files.
func makeZip(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for name, content := range files {
		f, err := w.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func ptr[T any](v T) *T { return &v }

// createInput is a valid CreateFunction request for name.
func createInput(t testing.TB, name string) *CreateFunctionInput {
	return inputWithZip(name, makeZip(t, map[string]string{"index.py": "def handler(e, c):\n    return e\n"}))
}

// inputWithZip is a valid CreateFunction request for name with code zip.
func inputWithZip(name string, zip []byte) *CreateFunctionInput {
	return &CreateFunctionInput{
		FunctionName: ptr(name),
		FunctionSettings: FunctionSettings{
			Role:    ptr(testRole),
			Runtime: ptr("python3.12"),
			Handler: ptr("index.handler"),
		},
		Code: &FunctionCode{ZipFile: zip},
	}
}

// create creates function name or fails the test.
func (e *env) create(name string) *FunctionConfiguration {
	e.t.Helper()
	out, err := e.reg.CreateFunction(e.t.Context(), testAccount, createInput(e.t, name))
	if err != nil {
		e.t.Fatalf("CreateFunction %s: %v", name, err)
	}
	return out
}

// wantAWSError fails unless err is an AWS error with code and message.
func wantAWSError(t testing.TB, err error, code, message string) {
	t.Helper()
	e, ok := awserr.As(err)
	if !ok {
		t.Fatalf("error = %v, want %s %q", err, code, message)
	}
	if e.Code != code || e.Message != message {
		t.Fatalf("error = %s %q,\nwant    %s %q", e.Code, e.Message, code, message)
	}
}

// decodeCreate decodes a CreateFunction body as the API does.
func decodeCreate(body string) (*CreateFunctionInput, error) {
	in := new(CreateFunctionInput)
	err := json.Unmarshal([]byte(body), in)
	return in, err
}
