package runtimeapi

import (
	"context"
	"errors"
	"io"
	"runtime"
	"sync"
)

const (
	// streamBuffers is how many buffers a stream cycles between the conn
	// that reads the body and the InvokeStream that writes it: one being
	// filled while another is written.
	streamBuffers = 2
	// streamBufferSize bounds one read, hence one Write to the caller.
	// 64 KiB gave ~150 MB/s end to end for a 1 MiB response through
	// InvokeWithResponseStream, 128-256 KiB ~170-200 MB/s.
	streamBufferSize = 128 << 10

	errorTypeTruncated = "Runtime.TruncatedResponse"
)

// errStreamAbandoned is returned by stream.consume when the InvokeStream
// it feeds has returned.
var errStreamAbandoned = errors.New("streaming invocation abandoned")

// stream carries the body of one streamed response from the conn goroutine
// that reads it to the InvokeStream goroutine that writes it to the caller.
// Buffers go round: free → filled by the conn → data → written by
// InvokeStream → free. Both channels can hold every buffer, so sends never
// block; the conn waits only for a free buffer, which is how a slow caller
// slows the runtime down.
type stream struct {
	data chan []byte   // filled buffers, in body order
	free chan []byte   // empty buffers
	stop chan struct{} // closed when InvokeStream returns early (Server.abort)
	done chan struct{} // the Server's: closed by Close

	sent     int64 // body bytes queued so far; conn goroutine only
	writeErr error // the caller's Write failed; InvokeStream goroutine only

	// contentType is the Content-Type the runtime posted the body with,
	// set by the conn goroutine before it queues the first buffer.
	contentType string
	// told is set once w has been given contentType (InvokeStream
	// goroutine only).
	told bool
}

// ContentTypeReceiver is implemented by a writer passed to InvokeStream that
// needs the Content-Type of the streamed response before its first byte
// (a function URL reads an HTTP prelude from
// application/vnd.awslambda.http-integration-response bodies).
// SetContentType is called once, just before the first Write.
type ContentTypeReceiver interface {
	SetContentType(contentType string)
}

// streamBufferPool recycles the buffers of streams that ended normally.
var streamBufferPool = sync.Pool{New: func() any { return new([streamBufferSize]byte) }}

func newStream(done chan struct{}) *stream {
	st := &stream{
		data: make(chan []byte, streamBuffers),
		free: make(chan []byte, streamBuffers),
		stop: make(chan struct{}),
		done: done,
	}
	for range streamBuffers {
		st.free <- streamBufferPool.Get().(*[streamBufferSize]byte)[:]
	}
	return st
}

// recycle returns the buffers of a stream whose conn is done with them.
func (st *stream) recycle() {
	for {
		select {
		case p := <-st.free:
			streamBufferPool.Put((*[streamBufferSize]byte)(p[:streamBufferSize]))
		default:
			return
		}
	}
}

var _ sink = (*stream)(nil)

// consume queues the body on st.data as it arrives, in reads of at most
// streamBufferSize bytes. Past limit bytes it queues only up to the limit
// and reports tooLarge. It returns errStreamAbandoned when the InvokeStream
// has returned, ErrClosed after Close, and errTruncatedBody (or an I/O
// error) when the body breaks off.
func (st *stream) consume(b *body, limit int64) (tooLarge bool, err error) {
	for {
		var buf []byte
		select {
		case buf = <-st.free:
		case <-st.stop:
			return false, errStreamAbandoned
		case <-st.done:
			return false, ErrClosed
		}
		room := buf[:cap(buf)]
		if rest := limit + 1 - st.sent; int64(len(room)) > rest {
			room = room[:rest]
		}
		n, err := b.Read(room)
		if st.sent += int64(n); st.sent > limit {
			n -= int(st.sent - limit)
			st.sent, tooLarge = limit, true
		}
		if n > 0 {
			st.data <- room[:n]
		} else {
			st.free <- buf
		}
		switch {
		case tooLarge:
			return true, nil
		case err == io.EOF:
			return false, nil
		case err != nil:
			return false, err
		}
	}
}

// write writes one queued buffer to w, unless an earlier write failed, and
// recycles it.
func (st *stream) write(w io.Writer, p []byte) {
	if !st.told {
		st.told = true
		if r, ok := w.(ContentTypeReceiver); ok {
			r.SetContentType(st.contentType)
		}
	}
	if st.writeErr == nil {
		_, st.writeErr = w.Write(p)
	}
	st.free <- p[:cap(p)]
}

// drain writes whatever is queued.
func (st *stream) drain(w io.Writer) {
	for {
		select {
		case p := <-st.data:
			st.write(w, p)
		default:
			return
		}
	}
}

// InvokeStream is Invoke for a streaming invocation (PROTOCOLS §1.6): the
// body the runtime posts to /response — chunked or not, with or without
// Lambda-Runtime-Function-Response-Mode: streaming, as RAPID streams
// whatever arrives for a streaming invoke — is written to w as it arrives,
// one Write per read of at most 128 KiB, from the goroutine that called
// InvokeStream. Writes are not retried and never overlap; a slow w slows
// the runtime down. After a failed Write the rest of the body is read and
// dropped.
//
// The returned *Response has an empty Body on success (every byte went to
// w). It is a function error when the runtime posted to /error (Body is
// the error, nothing was written to w), sent error trailers after its body
// (Body is the decoded error), exceeded Limits.MaxStreamResponse
// (Function.ResponseSizeTooLarge, after the bytes up to the limit), broke
// off its body after some bytes (Runtime.TruncatedResponse), or sent an
// invalid response mode. Errors and ctx handling are Invoke's; when ctx
// ends InvokeStream returns at once, but not during a Write to w.
func (s *Server) InvokeStream(ctx context.Context, inv *Invocation, w io.Writer) (*Response, error) {
	st := newStream(s.done)
	if err := s.begin(ctx, inv, st); err != nil {
		st.recycle()
		return nil, err
	}
	r, err := s.wait(ctx, inv, st, w)
	if err == nil {
		// The conn delivered r after its last use of the buffers. After an
		// early return it may still hold one: leave them to the collector.
		st.recycle()
	}
	return r, err
}

// handleStream serves the POST /response of a streaming invocation.
func (c *conn) handleStream(gen uint64, st *stream) bool {
	s := c.s
	limit := s.limits.MaxStreamResponse
	// Sent before any buffer, so InvokeStream sees it with the first.
	st.contentType = c.req.contentType
	tooLarge, err := st.consume(&c.body, limit)
	switch {
	case errors.Is(err, errStreamAbandoned), errors.Is(err, ErrClosed):
		c.writeError(errInvalidRequestID, true)
		return false
	case err != nil && st.sent == 0:
		// Nothing reached the caller: the runtime may still answer on
		// another connection, as for a buffered response.
		s.unclaim(gen)
		c.writeError(errTruncated, true)
		return false
	case err != nil:
		s.deliver(gen, newErrorResponse(appendErrorBody(nil,
			"The runtime's response stream broke off before its end", errorTypeTruncated), errorTypeTruncated))
		c.writeError(errTruncated, true)
		return false
	case tooLarge:
		s.deliver(gen, newErrorResponse(s.streamSizeErrorBody, errorTypeTooLarge))
		return c.reject(errTooLarge(limit))
	}
	r := getResponse()
	c.complete(r, false)
	if !s.deliver(gen, r) {
		return c.writeError(errInvalidRequestID, c.req.close)
	}
	runtime.Gosched() // as in handleAnswer
	if _, err := c.nc.Write(respAccepted); err != nil {
		return false
	}
	return !c.req.close
}
