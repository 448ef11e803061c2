package runtimeapi_test

import (
	"testing"
	"time"

	"github.com/lambdad/lambdad/internal/runtimeapi"
)

// typedWriter is a chunkWriter that records the Content-Type it is told.
type typedWriter struct {
	*chunkWriter
	types []string
	// before is how many bytes had been written when it was told.
	before int
}

func (w *typedWriter) SetContentType(ct string) {
	w.types = append(w.types, ct)
	w.before = len(w.String())
}

var _ runtimeapi.ContentTypeReceiver = (*typedWriter)(nil)

func TestStreamContentType(t *testing.T) {
	const ct = "application/vnd.awslambda.http-integration-response"
	s, addr := newServer(t, runtimeapi.Limits{})
	c := dialRaw(t, addr)
	w := &typedWriter{chunkWriter: newChunkWriter()}
	a := &streamInvoke{asyncInvoke: asyncInvoke{inv: newInvocation(`{}`), done: make(chan struct{})}, w: w.chunkWriter}
	go func() {
		defer close(a.done)
		a.r, a.err = s.InvokeStream(testContext(t, 10*time.Second), a.inv, w)
	}()
	c.send(getNext)
	if resp, _ := c.response(); resp.StatusCode != 200 {
		t.Fatalf("GET /next: %d", resp.StatusCode)
	}
	c.send(postChunked(responsePath(a.inv.RequestID), chunked([]string{"pre", "lude"}), "Content-Type: "+ct))
	c.expect(202, accepted)
	if _, err := a.wait(t); err != nil {
		t.Fatal(err)
	}
	if len(w.types) != 1 || w.types[0] != ct || w.before != 0 || w.String() != "prelude" {
		t.Fatalf("told %q after %d bytes; streamed %q", w.types, w.before, w.String())
	}
}
