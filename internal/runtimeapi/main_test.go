package runtimeapi_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdad/lambdad/internal/runtimeapi"
)

// echoServerEnv makes the test binary run as the baseline echo server of
// BenchmarkBaselineEcho instead of running tests.
const echoServerEnv = "RUNTIMEAPI_TEST_ECHO_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(echoServerEnv) == "1" {
		runEchoServer()
		return
	}
	code := m.Run()
	for _, dir := range builtDirs {
		os.RemoveAll(dir)
	}
	if code == 0 {
		if err := checkGoroutines(5 * time.Second); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// runEchoServer serves POST / by echoing the body, on 127.0.0.1, and prints
// its address on stdout.
func runEchoServer() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().String())
	_ = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	}))
}

// checkGoroutines fails when goroutines of this package outlive the tests,
// polling until deadline for slow exits.
func checkGoroutines(wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		var leaked []string
		for _, g := range strings.Split(stacks, "\n\n") {
			if strings.Contains(g, "runtimeapi.(*Server)") || strings.Contains(g, "runtimeapi.(*conn)") {
				leaked = append(leaked, g)
			}
		}
		if len(leaked) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("leaked goroutines:\n%s", strings.Join(leaked, "\n\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// builtDirs are temporary directories removed after all tests.
var builtDirs []string

// build runs once per test binary and caches a built program.
type build struct {
	once sync.Once
	path string
	err  error
}

var goFunction build

// goFunctionPath builds testdata/gofunction, an aws-lambda-go v1.55.1
// function, once per test binary, as AWS users build for provided.al2023.
func goFunctionPath(tb testing.TB) string {
	tb.Helper()
	goFunction.once.Do(func() { goFunction.path, goFunction.err = buildGoFunction() })
	if goFunction.err != nil {
		tb.Fatalf("build aws-lambda-go function: %v", goFunction.err)
	}
	return goFunction.path
}

func buildGoFunction() (string, error) {
	src, err := os.ReadFile(filepath.Join("testdata", "gofunction", "main.go"))
	if err != nil {
		return "", err
	}
	// Reuse the checksums of the module's own go.sum, so that the build
	// needs nothing beyond the module cache.
	sums, err := os.ReadFile(filepath.Join("..", "..", "go.sum"))
	if err != nil {
		return "", err
	}
	var gosum bytes.Buffer
	for line := range strings.Lines(string(sums)) {
		if strings.HasPrefix(line, "github.com/aws/aws-lambda-go v1.55.1") {
			gosum.WriteString(line)
		}
	}
	dir, err := os.MkdirTemp("", "runtimeapi-gofunction-")
	if err != nil {
		return "", err
	}
	builtDirs = append(builtDirs, dir)
	files := map[string][]byte{
		"main.go": src,
		"go.mod":  []byte("module gofunction\n\ngo 1.26\n\nrequire github.com/aws/aws-lambda-go v1.55.1\n"),
		"go.sum":  gosum.Bytes(),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return "", err
		}
	}
	out := filepath.Join(dir, "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, b)
	}
	return out, nil
}

// newServer returns a listening Server that is closed when the test ends.
func newServer(tb testing.TB, limits runtimeapi.Limits) (*runtimeapi.Server, string) {
	tb.Helper()
	s := runtimeapi.New(limits, nil)
	addr, err := s.Listen()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	return s, addr
}

// lockedBuffer collects a process's output.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startRuntime starts bin as the runtime of the environment served at addr,
// with the variables Lambda sets for provided.* runtimes. It is killed when
// the test ends, and its output is logged if the test failed.
func startRuntime(tb testing.TB, bin, addr string, env ...string) *exec.Cmd {
	tb.Helper()
	cmd := exec.Command(bin)
	cmd.Dir = filepath.Dir(bin)
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"TMPDIR=" + tb.TempDir(),
		"AWS_LAMBDA_RUNTIME_API=" + addr,
		"_HANDLER=bootstrap",
		"AWS_LAMBDA_FUNCTION_NAME=echo",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/echo",
		"AWS_LAMBDA_LOG_STREAM_NAME=2026/11/23/[$LATEST]0123456789abcdef",
	}, env...)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	// A child that outlives the runtime would keep the output pipe open.
	cmd.WaitDelay = 5 * time.Second
	isolate(cmd)
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start runtime: %v", err)
	}
	tb.Cleanup(func() {
		killGroup(cmd)
		_ = cmd.Wait()
		if tb.Failed() {
			tb.Logf("runtime output:\n%s", out)
		}
	})
	return cmd
}

var requestSeq atomic.Uint64

// newInvocation returns an invocation with a fresh request id and a deadline
// a minute away.
func newInvocation(payload string) *runtimeapi.Invocation {
	n := requestSeq.Add(1)
	return &runtimeapi.Invocation{
		RequestID:   fmt.Sprintf("8476a536-e9f4-11e8-9739-%012x", n),
		Payload:     []byte(payload),
		Deadline:    time.Now().Add(time.Minute),
		FunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:echo",
	}
}

// testContext returns a context that ends before the test's own timeout.
func testContext(tb testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	tb.Cleanup(cancel)
	return ctx
}

// invoke calls Invoke and fails the test on an error.
func invoke(tb testing.TB, s *runtimeapi.Server, inv *runtimeapi.Invocation) *runtimeapi.Response {
	tb.Helper()
	r, err := s.Invoke(testContext(tb, 20*time.Second), inv)
	if err != nil {
		tb.Fatalf("invoke %s: %v", inv.RequestID, err)
	}
	return r
}

// rawConn is a hand-driven HTTP/1.1 client connection to a Server.
type rawConn struct {
	tb testing.TB
	nc net.Conn
	br *bufio.Reader
}

func dialRaw(tb testing.TB, addr string) *rawConn {
	tb.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
	return &rawConn{tb: tb, nc: nc, br: bufio.NewReader(nc)}
}

// send writes raw request bytes.
func (c *rawConn) send(s string) {
	c.tb.Helper()
	if _, err := io.WriteString(c.nc, s); err != nil {
		c.tb.Fatalf("write request: %v", err)
	}
}

// response reads one response and its body.
func (c *rawConn) response() (*http.Response, string) {
	c.tb.Helper()
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		c.tb.Fatalf("read response: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.tb.Fatalf("read response body: %v", err)
	}
	return resp, string(b)
}

// expect reads one response and checks its status and body.
func (c *rawConn) expect(status int, body string) *http.Response {
	c.tb.Helper()
	resp, got := c.response()
	if resp.StatusCode != status || got != body {
		c.tb.Fatalf("got %d %s, want %d %s", resp.StatusCode, got, status, body)
	}
	return resp
}

// closed reports whether the server closed the connection (a reset counts:
// closing with unread request bytes sends one).
func (c *rawConn) closed() bool {
	_, err := c.br.ReadByte()
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout())
}

const accepted = `{"status":"OK"}`

func post(path, body string, headers ...string) string {
	h := ""
	for _, x := range headers {
		h += x + "\r\n"
	}
	return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: x\r\n%sContent-Length: %d\r\n\r\n%s", path, h, len(body), body)
}

const getNext = "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n"

func responsePath(id string) string { return "/2018-06-01/runtime/invocation/" + id + "/response" }
func errorPath(id string) string    { return "/2018-06-01/runtime/invocation/" + id + "/error" }

const initErrorPath = "/2018-06-01/runtime/init/error"

// waitFor polls cond until it holds, failing the test after 10 seconds.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
