package runtimeapi_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdad/lambdad/internal/runtimeapi"
)

// chunkWriter records what InvokeStream writes and signals each Write. It
// is a runtimeapi.Flusher that records after which Write each Flush came.
type chunkWriter struct {
	mu      sync.Mutex
	chunks  []string
	flushes []int // len(chunks) at each Flush
	wrote   chan struct{}
	err     error         // returned by every Write when set
	gate    chan struct{} // when set, the first Write waits for it to close
}

func newChunkWriter() *chunkWriter { return &chunkWriter{wrote: make(chan struct{}, 1024)} }

var _ runtimeapi.Flusher = (*chunkWriter)(nil)

func (w *chunkWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.chunks = append(w.chunks, string(p))
	first := len(w.chunks) == 1
	w.mu.Unlock()
	w.wrote <- struct{}{}
	if first && w.gate != nil {
		<-w.gate
	}
	if w.err != nil {
		return 0, w.err
	}
	return len(p), nil
}

func (w *chunkWriter) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.flushes = append(w.flushes, len(w.chunks))
	return nil
}

// written returns the chunks written so far and after how many of them
// each Flush came.
func (w *chunkWriter) written() (chunks []string, flushes []int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.chunks), slices.Clone(w.flushes)
}

func (w *chunkWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.chunks, "")
}

// streamInvoke is an InvokeStream running in its own goroutine.
type streamInvoke struct {
	asyncInvoke
	w *chunkWriter
}

func handOutStream(t *testing.T, ctx context.Context, s *runtimeapi.Server, c *rawConn, w *chunkWriter) *streamInvoke {
	t.Helper()
	a := &streamInvoke{asyncInvoke: asyncInvoke{inv: newInvocation(`{}`), done: make(chan struct{})}, w: w}
	go func() {
		defer close(a.done)
		a.r, a.err = s.InvokeStream(ctx, a.inv, w)
	}()
	c.send(getNext)
	if resp, _ := c.response(); resp.StatusCode != 200 {
		t.Fatalf("GET /next: %d", resp.StatusCode)
	}
	return a
}

func TestStreamBodies(t *testing.T) {
	errBody := `{"errorMessage":"reader broke","errorType":"errorString"}`
	b64 := base64.StdEncoding.EncodeToString([]byte(errBody))
	tests := []struct {
		name      string
		request   func(id string) string
		status    int
		answer    string
		streamed  string
		wantBody  string
		wantType  string
		wantError bool
		closed    bool
	}{
		{
			name: "chunked, streaming mode",
			request: func(id string) string {
				return postChunked(responsePath(id), chunked([]string{"hel", "lo"}), "Lambda-Runtime-Function-Response-Mode: streaming")
			},
			status: 202, answer: accepted, streamed: "hello",
		},
		{
			name:    "Content-Length without the mode header",
			request: func(id string) string { return post(responsePath(id), `{"buffered":true}`) },
			status:  202, answer: accepted, streamed: `{"buffered":true}`,
		},
		{
			name:    "empty",
			request: func(id string) string { return post(responsePath(id), "") },
			status:  202, answer: accepted,
		},
		{
			name: "error trailers after bytes",
			request: func(id string) string {
				return postChunked(responsePath(id), chunked([]string{"partial"},
					"Lambda-Runtime-Function-Error-Type: errorString", "Lambda-Runtime-Function-Error-Body: "+b64))
			},
			status: 202, answer: accepted, streamed: "partial", wantBody: errBody, wantType: "errorString", wantError: true,
		},
		{
			name:    "error",
			request: func(id string) string { return post(errorPath(id), `{"errorMessage":"m","errorType":"T"}`) },
			status:  202, answer: accepted, wantBody: `{"errorMessage":"m","errorType":"T"}`, wantType: "T", wantError: true,
		},
		{
			name: "over the stream limit",
			request: func(id string) string {
				return postChunked(responsePath(id), chunked([]string{strings.Repeat("x", 60), strings.Repeat("y", 60)}))
			},
			status: 413, answer: `{"errorMessage":"Exceeded maximum allowed payload size (100 bytes).","errorType":"RequestEntityTooLarge"}`,
			streamed: strings.Repeat("x", 60) + strings.Repeat("y", 40),
			wantBody: `{"errorMessage":"Response payload size exceeded maximum allowed payload size (100 bytes).","errorType":"Function.ResponseSizeTooLarge"}`,
			wantType: "Function.ResponseSizeTooLarge", wantError: true,
		},
		{
			name: "invalid mode",
			request: func(id string) string {
				return post(responsePath(id), "x", "Lambda-Runtime-Function-Response-Mode: buffered")
			},
			status: 400, answer: `{"errorMessage":"Invalid function response mode","errorType":"InvalidFunctionResponseMode"}`,
			wantBody: `{"errorMessage":"Invalid function response mode","errorType":"Runtime.InvalidResponseModeHeader"}`,
			wantType: "Runtime.InvalidResponseModeHeader", wantError: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, addr := newServer(t, runtimeapi.Limits{MaxResponse: 1000, MaxStreamResponse: 100})
			c := dialRaw(t, addr)
			a := handOutStream(t, testContext(t, 10*time.Second), s, c, newChunkWriter())
			c.send(tt.request(a.inv.RequestID))
			c.expect(tt.status, tt.answer)
			r, err := a.wait(t)
			if err != nil {
				t.Fatal(err)
			}
			if got := a.w.String(); got != tt.streamed {
				t.Errorf("streamed %q, want %q", got, tt.streamed)
			}
			if string(r.Body) != tt.wantBody || r.FunctionError != tt.wantError || r.ErrorType != tt.wantType {
				t.Errorf("got body %q error=%v type %q\nwant %q error=%v type %q",
					r.Body, r.FunctionError, r.ErrorType, tt.wantBody, tt.wantError, tt.wantType)
			}
		})
	}
}

// TestStreamArrivesAsSent checks that a chunk reaches the writer, and is
// flushed, before the runtime sends the next one.
func TestStreamArrivesAsSent(t *testing.T) {
	s, addr := newServer(t, runtimeapi.Limits{})
	c := dialRaw(t, addr)
	a := handOutStream(t, testContext(t, 10*time.Second), s, c, newChunkWriter())
	c.send(postChunked(responsePath(a.inv.RequestID), "", "Lambda-Runtime-Function-Response-Mode: streaming"))
	for i, chunk := range []string{"first", "second", "third"} {
		c.send(chunked([]string{chunk})[:len(chunk)+len(";ext=1\r\n\r\n")+1])
		select {
		case <-a.w.wrote:
		case <-time.After(10 * time.Second):
			t.Fatalf("chunk %q not written", chunk)
		}
		waitFor(t, "a flush after "+chunk, func() bool {
			chunks, flushes := a.w.written()
			if chunks[len(chunks)-1] != chunk {
				t.Fatalf("wrote %q, want %q", chunks[len(chunks)-1], chunk)
			}
			return len(flushes) == i+1 && flushes[i] == i+1
		})
	}
	if !a.running() {
		t.Fatal("InvokeStream returned before the body ended")
	}
	c.send("0\r\n\r\n")
	c.expect(202, accepted)
	if r, err := a.wait(t); err != nil || r.FunctionError || len(r.Body) != 0 {
		t.Fatalf("got %+v, %v", r, err)
	}
}

// TestStreamCoalesces checks that what arrives while a Write is under way
// goes out in one Write, flushed once.
func TestStreamCoalesces(t *testing.T) {
	s, addr := newServer(t, runtimeapi.Limits{})
	c := dialRaw(t, addr)
	w := newChunkWriter()
	w.gate = make(chan struct{})
	a := handOutStream(t, testContext(t, 10*time.Second), s, c, w)
	c.send(postChunked(responsePath(a.inv.RequestID), "5\r\nfirst\r\n"))
	<-w.wrote // the first Write waits for the gate
	c.send(chunked([]string{"se", "co", "nd"}))
	// The body has been read (and the answer delivered) when the runtime
	// gets its 202.
	c.expect(202, accepted)
	close(w.gate)
	if r, err := a.wait(t); err != nil || r.FunctionError {
		t.Fatalf("got %+v, %v", r, err)
	}
	chunks, flushes := w.written()
	if want := []string{"first", "second"}; !slices.Equal(chunks, want) {
		t.Errorf("wrote %q, want %q", chunks, want)
	}
	if want := []int{2}; !slices.Equal(flushes, want) {
		t.Errorf("flushed after writes %v, want %v", flushes, want)
	}
}

// TestStreamPipelined checks that a request pipelined after a streamed
// body of many small chunks (read through the conn's larger buffer while it
// streams) is served: one that fits the conn's usual buffer, and one with a
// 20 KiB header that does not.
func TestStreamPipelined(t *testing.T) {
	for _, pad := range []int{0, 20 << 10} {
		t.Run(fmt.Sprintf("pad=%d", pad), func(t *testing.T) {
			s, addr := newServer(t, runtimeapi.Limits{})
			c := dialRaw(t, addr)
			a := handOutStream(t, testContext(t, 10*time.Second), s, c, newChunkWriter())
			chunks := make([]string, 3000)
			for i := range chunks {
				chunks[i] = fmt.Sprintf("%099d\n", i)
			}
			next := getNext
			if pad > 0 {
				next = strings.Replace(getNext, "\r\n\r\n", "\r\nX-Pad: "+strings.Repeat("p", pad)+"\r\n\r\n", 1)
			}
			c.send(postChunked(responsePath(a.inv.RequestID), chunked(chunks)) + next)
			c.expect(202, accepted)
			if r, err := a.wait(t); err != nil || r.FunctionError {
				t.Fatalf("got %+v, %v", r, err)
			}
			if got, want := a.w.String(), strings.Join(chunks, ""); got != want {
				t.Fatalf("streamed %d bytes, want %d", len(got), len(want))
			}
			waitFor(t, "the pipelined GET /next to park", func() bool { return s.ParkedPolls() == 1 })
		})
	}
}

func TestStreamTruncated(t *testing.T) {
	t.Run("after bytes", func(t *testing.T) {
		s, addr := newServer(t, runtimeapi.Limits{})
		c := dialRaw(t, addr)
		a := handOutStream(t, testContext(t, 10*time.Second), s, c, newChunkWriter())
		c.send(postChunked(responsePath(a.inv.RequestID), "5\r\nhello\r\n"))
		<-a.w.wrote
		c.nc.Close()
		r, err := a.wait(t)
		if err != nil {
			t.Fatal(err)
		}
		if r.ErrorType != "Runtime.TruncatedResponse" || !r.FunctionError || a.w.String() != "hello" {
			t.Fatalf("got %q type %q, streamed %q", r.Body, r.ErrorType, a.w.String())
		}
	})
	t.Run("before any byte", func(t *testing.T) {
		s, addr := newServer(t, runtimeapi.Limits{})
		c := dialRaw(t, addr)
		a := handOutStream(t, testContext(t, 10*time.Second), s, c, newChunkWriter())
		c.send(postChunked(responsePath(a.inv.RequestID), "5\r\n"))
		c.nc.Close()
		// The runtime may answer again on another connection.
		c2 := dialRaw(t, addr)
		waitFor(t, "the broken post to be released", func() bool {
			c2.send(post(responsePath(a.inv.RequestID), "retry"))
			resp, _ := c2.response()
			return resp.StatusCode == 202
		})
		if r, err := a.wait(t); err != nil || r.FunctionError || a.w.String() != "retry" {
			t.Fatalf("got %+v, %v, streamed %q", r, err, a.w.String())
		}
	})
}

// TestStreamContextEnds checks that InvokeStream returns when its ctx ends
// mid-stream and that the conn stops feeding it.
func TestStreamContextEnds(t *testing.T) {
	s, addr := newServer(t, runtimeapi.Limits{})
	c := dialRaw(t, addr)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := handOutStream(t, ctx, s, c, newChunkWriter())
	c.send(postChunked(responsePath(a.inv.RequestID), "5\r\nhello\r\n"))
	<-a.w.wrote
	cancel()
	if _, err := a.wait(t); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	// More body: the conn finds the invocation gone and closes, maybe
	// before it is all sent (a reset).
	_, _ = io.WriteString(c.nc, chunked([]string{strings.Repeat("z", 1<<20)}))
	waitFor(t, "the connection to close", func() bool { return s.Conns() == 0 })
}

// TestStreamWriteError checks that a failing writer does not stop the
// runtime's answer from being read.
func TestStreamWriteError(t *testing.T) {
	s, addr := newServer(t, runtimeapi.Limits{})
	c := dialRaw(t, addr)
	w := newChunkWriter()
	w.err = errors.New("client gone")
	a := handOutStream(t, testContext(t, 10*time.Second), s, c, w)
	big := strings.Repeat("q", 300<<10)
	c.send(postChunked(responsePath(a.inv.RequestID), chunked([]string{big, big})))
	c.expect(202, accepted)
	if r, err := a.wait(t); err != nil || r.FunctionError {
		t.Fatalf("got %+v, %v", r, err)
	}
	if len(w.chunks) != 1 {
		t.Errorf("%d writes after the first failed one", len(w.chunks)-1)
	}
}

// TestGoRuntimeStream streams aws-lambda-go's answers: a plain result and
// an io.Reader that fails midway (error trailers).
func TestGoRuntimeStream(t *testing.T) {
	t.Run("echo", func(t *testing.T) {
		s := startGoFunction(t)
		payload := `"` + strings.Repeat("s", 200<<10) + `"`
		w := newChunkWriter()
		r, err := s.InvokeStream(testContext(t, 20*time.Second), newInvocation(payload), w)
		if err != nil || r.FunctionError || w.String() != payload {
			t.Fatalf("got %+v, %v, streamed %d bytes", r, err, len(w.String()))
		}
	})
	t.Run("reader error", func(t *testing.T) {
		s := startGoFunction(t, "GOFUNCTION_MODE=reader")
		w := newChunkWriter()
		r, err := s.InvokeStream(testContext(t, 20*time.Second), newInvocation(`{}`), w)
		if err != nil {
			t.Fatal(err)
		}
		if w.String() != "partial" || r.ErrorType != "errorString" ||
			string(r.Body) != `{"errorMessage":"reader broke","errorType":"errorString"}` {
			t.Fatalf("streamed %q, got %q type %q", w.String(), r.Body, r.ErrorType)
		}
	})
}
