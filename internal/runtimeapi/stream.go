package runtimeapi

import (
	"context"
	"errors"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
)

const (
	// streamRingSize is the buffer a stream's body passes through between
	// the conn that reads it and the InvokeStream that writes it: at most
	// this much is read ahead of a slow caller.
	streamRingSize = 512 << 10
	// streamWriteMax bounds one Write to the caller, so that the conn can
	// read into the other half of the ring meanwhile. With two 128 KiB
	// buffers handed over per read, aws-lambda-go's 32 KiB chunks went out
	// as ~14 KiB writes and the 50 MB e2e benchmark ran at ~220 MB/s; with
	// the ring, streamReadBufferSize (and events not copied by the
	// eventstream Encoder), ~540 MB/s on the 2-vCPU VM.
	streamWriteMax = 256 << 10
	// streamReadBufferSize is the conn's read buffer while it reads a
	// streamed body (bodies: 16 KiB): a chunk that fits is read through it,
	// several chunks a read, rather than straight into the ring, one read a
	// chunk (two, with the 16 KiB buffer). That is 7x fewer reads for
	// aws-lambda-go's 32 KiB chunks, for one more copy.
	streamReadBufferSize = 128 << 10

	errorTypeTruncated = "Runtime.TruncatedResponse"
)

// errStreamAbandoned is returned by stream.consume when the InvokeStream
// it feeds has returned.
var errStreamAbandoned = errors.New("streaming invocation abandoned")

// stream carries the body of one streamed response from the conn goroutine
// that reads it to the InvokeStream goroutine that writes it to the caller,
// through a ring buffer. The conn reads into the free part of the ring,
// after the bytes it queued before, and moves filled on; InvokeStream
// writes the queued part and moves released on. Each side takes whatever
// the other has left it, so while the caller's Write is under way the
// conn's reads pile up and go out in one Write, yet a byte that arrives
// while InvokeStream waits is written at once. The conn waits only when
// the ring is full, which is how a slow caller slows the runtime down.
type stream struct {
	ring []byte // streamRingSize bytes

	// filled counts the bytes queued in ring and released those written
	// to the caller, since the body began: ring[released:filled] (modulo
	// its length) is queued, the rest is free. Only the conn moves filled
	// and only InvokeStream moves released; the atomics order the ring's
	// bytes between them.
	filled, released atomic.Int64

	ready chan struct{} // 1 slot: the conn queued bytes
	space chan struct{} // 1 slot: InvokeStream released bytes
	stop  chan struct{} // closed when InvokeStream returns early (Server.abort)
	done  chan struct{} // the Server's: closed by Close

	writeErr error // the caller's Write or Flush failed; InvokeStream goroutine only
	dirty    bool  // written to w since its last Flush; InvokeStream goroutine only

	// contentType is the Content-Type the runtime posted the body with,
	// set by the conn goroutine before it queues the first byte.
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

// A Flusher is a writer passed to InvokeStream that may hold back what it
// is given (an http.ResponseWriter). InvokeStream calls Flush after a Write
// when no more of the body has arrived, so the bytes reach the caller as
// the runtime sends them while a burst costs one Flush.
type Flusher interface {
	Flush() error
}

// streamRingPool recycles the rings of streams that ended normally.
var streamRingPool = sync.Pool{New: func() any { return new([streamRingSize]byte) }}

func newStream(done chan struct{}) *stream {
	return &stream{
		ring:  streamRingPool.Get().(*[streamRingSize]byte)[:],
		ready: make(chan struct{}, 1),
		space: make(chan struct{}, 1),
		stop:  make(chan struct{}),
		done:  done,
	}
}

// recycle returns the ring of a stream whose conn is done with it.
func (st *stream) recycle() {
	streamRingPool.Put((*[streamRingSize]byte)(st.ring))
	st.ring = nil
}

var _ sink = (*stream)(nil)

// room returns the free part of the ring from the next byte to fill up to
// the ring's end, waiting for InvokeStream to release bytes while there is
// none. It returns errStreamAbandoned when the InvokeStream has returned
// and ErrClosed after Close.
func (st *stream) room() ([]byte, error) {
	for {
		select {
		case <-st.stop:
			return nil, errStreamAbandoned
		case <-st.done:
			return nil, ErrClosed
		default:
		}
		filled := st.filled.Load()
		if free := int64(len(st.ring)) - (filled - st.released.Load()); free > 0 {
			at := int(filled % int64(len(st.ring)))
			return st.ring[at:min(at+int(free), len(st.ring))], nil
		}
		select {
		case <-st.space:
		case <-st.stop:
			return nil, errStreamAbandoned
		case <-st.done:
			return nil, ErrClosed
		}
	}
}

// queue hands the next n bytes of the ring, just filled, to InvokeStream.
func (st *stream) queue(n int) {
	st.filled.Add(int64(n))
	select {
	case st.ready <- struct{}{}:
	default: // InvokeStream has a wake-up coming or is writing
	}
}

// consume queues the body as it arrives. Past limit bytes it queues only
// up to the limit and reports tooLarge. It returns errStreamAbandoned when
// the InvokeStream has returned, ErrClosed after Close, and
// errTruncatedBody (or an I/O error) when the body breaks off.
func (st *stream) consume(b *body, limit int64) (tooLarge bool, err error) {
	for {
		room, err := st.room()
		if err != nil {
			return false, err
		}
		sent := st.filled.Load() // body bytes queued so far: only the conn moves it
		if rest := limit + 1 - sent; int64(len(room)) > rest {
			room = room[:rest]
		}
		n, err := b.Read(room)
		if over := sent + int64(n) - limit; over > 0 {
			n -= int(over)
			tooLarge = true
		}
		if n > 0 {
			st.queue(n)
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

// writeNext writes the oldest queued bytes to w, up to the ring's end and
// streamWriteMax, unless an earlier write failed, and releases them. It
// reports whether more bytes are queued; when none are it flushes w.
func (st *stream) writeNext(w io.Writer) (more bool) {
	released := st.released.Load()
	queued := st.filled.Load() - released
	if queued > 0 {
		at := int(released % int64(len(st.ring)))
		p := st.ring[at : at+int(min(queued, int64(len(st.ring)-at), streamWriteMax))]
		st.write(w, p)
		released = st.released.Add(int64(len(p)))
		select {
		case st.space <- struct{}{}:
		default: // the conn has a wake-up coming or is reading
		}
		// More may have arrived during the Write.
		if st.filled.Load() > released {
			return true
		}
	}
	if st.dirty {
		st.dirty = false
		if f, ok := w.(Flusher); ok && st.writeErr == nil {
			st.writeErr = f.Flush()
		}
	}
	return false
}

// write writes p to w unless an earlier write failed.
func (st *stream) write(w io.Writer, p []byte) {
	if !st.told {
		st.told = true
		if r, ok := w.(ContentTypeReceiver); ok {
			r.SetContentType(st.contentType)
		}
	}
	if st.writeErr == nil {
		_, st.writeErr = w.Write(p)
		st.dirty = true
	}
}

// drain writes whatever is queued.
func (st *stream) drain(w io.Writer) {
	for st.writeNext(w) {
	}
}

// InvokeStream is Invoke for a streaming invocation (PROTOCOLS §1.6): the
// body the runtime posts to /response — chunked or not, with or without
// Lambda-Runtime-Function-Response-Mode: streaming, as RAPID streams
// whatever arrives for a streaming invoke — is written to w as it arrives,
// from the goroutine that called InvokeStream: what arrived while w was
// busy goes out in one Write of up to 256 KiB, and a Flusher is flushed
// whenever no more has arrived. Writes are not retried and never overlap;
// a slow w slows the runtime down (at most 512 KiB is read ahead of it).
// After a failed Write or Flush the rest of the body is read and dropped.
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
		// The conn delivered r after its last use of the ring. After an
		// early return it may still be reading into it: leave it to the
		// collector.
		st.recycle()
	}
	return r, err
}

// handleStream serves the POST /response of a streaming invocation.
func (c *conn) handleStream(gen uint64, st *stream) bool {
	s := c.s
	limit := s.limits.MaxStreamResponse
	// Set before any byte is queued, so InvokeStream sees it with the first.
	st.contentType = c.req.contentType
	c.bigBuffer()
	tooLarge, err := st.consume(&c.body, limit)
	c.smallBuffer()
	switch {
	case errors.Is(err, errStreamAbandoned), errors.Is(err, ErrClosed):
		c.writeError(errInvalidRequestID, true)
		return false
	case err != nil && st.filled.Load() == 0:
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

// streamReadPool recycles the read buffers of streamed bodies.
var streamReadPool = sync.Pool{New: func() any { return new([streamReadBufferSize]byte) }}

// bigBuffer gives the conn a streamReadBufferSize read buffer for a
// streamed body, with reads under that size going through it.
func (c *conn) bigBuffer() {
	if len(c.buf) >= streamReadBufferSize {
		return
	}
	c.big = streamReadPool.Get().(*[streamReadBufferSize]byte)
	c.small = c.buf
	c.w = copy(c.big[:], c.buf[c.r:c.w])
	c.r = 0
	c.buf = c.big[:]
	c.direct = streamReadBufferSize
}

// smallBuffer undoes bigBuffer. When what is left unread does not fit the
// small buffer (a pipelined request), or a long trailer line grew the
// buffer, the conn keeps its buffer until serve shrinks it.
func (c *conn) smallBuffer() {
	c.direct = directReadMin
	big, small := c.big, c.small
	c.big, c.small = nil, nil
	if big == nil || &c.buf[0] != &big[0] || c.w-c.r > len(small) {
		return
	}
	c.w = copy(small, c.buf[c.r:c.w])
	c.r = 0
	c.buf = small
	streamReadPool.Put(big)
}
