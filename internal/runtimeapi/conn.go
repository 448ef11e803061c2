package runtimeapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"runtime"
	"time"
)

const (
	// readBufferSize is a conn's read buffer; it grows only to hold one
	// long header line and shrinks back after that request.
	readBufferSize = 16 << 10
	// maxLineBytes bounds one header or trailer line. aws-lambda-go sends
	// Lambda-Runtime-Function-Xray-Error-Cause values up to 1 MiB.
	maxLineBytes = 1<<20 + 64<<10
	// maxHeaderBytes bounds the request line and headers of one request,
	// and separately its trailer section.
	maxHeaderBytes = 2 << 20
	// discardLimit bounds how much of an unwanted body is read to keep the
	// connection usable; beyond it the connection is closed instead.
	discardLimit = 64 << 20
	// inlinePayloadMax: /next payloads up to this size are copied after the
	// headers and sent with one write; larger ones go by writev, uncopied.
	inlinePayloadMax = 16 << 10
	// directReadMin: body reads at least this large bypass the read buffer.
	directReadMin = 4 << 10
)

// aLongTimeAgo is a deadline in the past that makes blocked I/O return.
var aLongTimeAgo = time.Unix(1, 0)

// conn is one HTTP/1.1 connection from the runtime. Its goroutine (serve)
// reads requests one at a time and answers them in order; keep-alive and
// pipelining follow from that. While a GET /next is parked the conn is
// listed in Server.waiters and Invoke writes the answer itself, then sends
// one token on nextTok: the write side belongs to whoever holds the conn,
// and the token hands it back.
type conn struct {
	s  *Server
	nc net.Conn

	buf  []byte // read buffer; buf[r:w] is unread
	r, w int

	wbuf []byte      // response being written
	ebuf []byte      // error body being rendered
	iov  [2][]byte   // head and payload of a large /next answer
	nb   net.Buffers // iov as consumed by writev

	nextTok chan struct{}
	req     request
	body    body

	// direct: body reads at least this large bypass the read buffer
	// (directReadMin, or streamReadBufferSize while bigBuffer's is in use).
	direct int
	big    *[streamReadBufferSize]byte // bigBuffer's buffer, from streamReadPool
	small  []byte                      // the read buffer bigBuffer put aside
}

func newConn(s *Server, nc net.Conn) *conn {
	return &conn{
		s:       s,
		nc:      nc,
		buf:     make([]byte, readBufferSize),
		wbuf:    make([]byte, 0, 512),
		nextTok: make(chan struct{}, 1),
		req:     request{id: make([]byte, 0, 64)},
		direct:  directReadMin,
	}
}

// serve reads and answers requests until the connection ends or must be
// closed.
func (c *conn) serve() {
	defer c.s.dropConn(c)
	for c.serveOne() {
		if len(c.buf) > readBufferSize && c.w-c.r <= readBufferSize {
			// A long header line grew the buffer: give the memory back.
			nb := make([]byte, readBufferSize)
			c.w = copy(nb, c.buf[c.r:c.w])
			c.buf, c.r = nb, 0
		}
	}
}

// serveOne reads and answers one request. It reports whether the connection
// can carry another one.
func (c *conn) serveOne() bool {
	c.req.reset()
	if err := c.readHead(); err != nil {
		var ae apiError
		switch {
		case errors.Is(err, errHeaderTooLong):
			ae = errHeaderTooLarge
		case errors.Is(err, errBadEncoding):
			ae = errUnsupportedTE
		case errors.Is(err, errBadRequestLine), errors.Is(err, errBadHeader), errors.Is(err, errBadLength):
			ae = errMalformed
		default:
			return false // the connection ended or broke
		}
		c.s.log.LogAttrs(context.Background(), slog.LevelDebug, "bad runtime API request", slog.String("error", err.Error()))
		c.writeError(ae, true)
		return false
	}
	c.body.reset(c, &c.req)
	if c.req.expect && c.req.hasBody() {
		if _, err := c.nc.Write(respContinue); err != nil {
			return false
		}
	}
	switch {
	case c.req.route == routeUnknown:
		return c.reject(errNotFound)
	case c.req.method != c.req.route.wantMethod():
		return c.reject(errMethod)
	}
	switch c.req.route {
	case routeNext:
		return c.handleNext()
	case routeInitError:
		return c.handleInitError()
	default:
		return c.handleAnswer()
	}
}

// readHead reads the request line and headers into c.req.
func (c *conn) readHead() error {
	budget := maxHeaderBytes
	for blank := 0; ; blank++ {
		// RFC 9112 §2.2: ignore empty lines before a request line.
		line, err := c.line()
		if err != nil {
			return err
		}
		budget -= len(line) + 2
		if len(line) > 0 {
			if err := parseRequestLine(line, &c.req); err != nil {
				return err
			}
			break
		}
		if blank == 3 {
			return errBadRequestLine
		}
	}
	for {
		line, err := c.line()
		if err != nil {
			return err
		}
		if budget -= len(line) + 2; budget < 0 {
			return errHeaderTooLong
		}
		if len(line) == 0 {
			c.req.finish()
			return nil
		}
		name, value, err := parseHeaderLine(line)
		if err != nil {
			return err
		}
		if err := c.req.setHeader(name, value); err != nil {
			return err
		}
	}
}

// handleNext answers GET /next: at once when an invocation is pending,
// otherwise by parking the conn until Invoke writes to it.
func (c *conn) handleNext() bool {
	if !c.body.discard(discardLimit) {
		return false
	}
	d, from := c.s.next(c)
	switch {
	case from != "":
		return c.writeError(errStateTransition(from, stateReady), c.req.close)
	case d.inv != nil:
		// No ctx here: the write deadline (the Invoke's) bounds these writes.
		if err := c.writeNext(context.Background(), d); err != nil {
			if other := c.s.redeliver(d); other != nil {
				c.s.send(context.Background(), other, d)
			}
			return false
		}
		return !c.req.close
	}
	return c.park()
}

// park waits, with c listed in Server.waiters, until Invoke has written an
// invocation to c. Meanwhile it reads ahead, to notice a runtime that closes
// the connection; a pipelined request is answered only after the
// invocation, as HTTP/1.1 ordering requires.
func (c *conn) park() bool {
	var err error
	if c.r == c.w {
		err = c.fill(len(c.buf))
	}
	if err != nil && c.s.unpark(c) {
		return false // nobody will write to c
	}
	select {
	case <-c.nextTok:
	case <-c.s.done:
		return false
	}
	return err == nil && !c.req.close
}

// writeNext writes the answer to a GET /next carrying d.inv. The deadline
// of d bounds the write; the end of ctx also aborts the write of a large
// payload that the runtime does not read (the connection may then be
// unusable, which is fine: the caller kills the environment).
func (c *conn) writeNext(ctx context.Context, d dispatch) error {
	c.wbuf = appendNextHead(c.wbuf[:0], d.inv)
	p := d.inv.Payload
	if !d.deadline.IsZero() {
		_ = c.nc.SetWriteDeadline(d.deadline)
	}
	var err error
	if len(p) <= inlinePayloadMax {
		c.wbuf = append(c.wbuf, p...)
		_, err = c.nc.Write(c.wbuf)
		if !d.deadline.IsZero() {
			_ = c.nc.SetWriteDeadline(time.Time{})
		}
		return err
	}
	stop := func() bool { return true }
	if ctx.Done() != nil {
		stop = context.AfterFunc(ctx, func() { _ = c.nc.SetWriteDeadline(aLongTimeAgo) })
	}
	c.iov = [2][]byte{c.wbuf, p}
	c.nb = c.iov[:]
	_, err = c.nb.WriteTo(c.nc)
	c.iov = [2][]byte{}
	stop()
	_ = c.nc.SetWriteDeadline(time.Time{})
	return err
}

// handleAnswer serves POST /invocation/{id}/response and /error.
func (c *conn) handleAnswer() bool {
	s := c.s
	isError := c.req.route == routeError
	gen, st, reject, ok := s.claim(c.req.id, isError)
	if !ok {
		return c.reject(reject)
	}
	if !isError && c.req.mode == modeInvalid {
		s.deliver(gen, newErrorResponse(s.invalidModeBody, errorTypeInvalidMode))
		return c.reject(errInvalidMode)
	}
	if st != nil && !isError {
		return c.handleStream(gen, st)
	}
	r := getResponse()
	tooLarge, err := r.consume(&c.body, s.limits.MaxResponse)
	switch {
	case err != nil:
		// The runtime may still answer on another connection.
		r.Release()
		s.unclaim(gen)
		c.writeError(errTruncated, true)
		return false
	case tooLarge:
		r.setError(s.sizeErrorBody, errorTypeTooLarge)
		s.deliver(gen, r)
		return c.reject(errTooLarge(s.limits.MaxResponse))
	}
	c.complete(r, isError)
	if !s.deliver(gen, r) {
		// Invoke gave up on this invocation in the meantime.
		return c.writeError(errInvalidRequestID, c.req.close)
	}
	// Let the Invoke goroutine, just made runnable on this P, run before the
	// 202 write: otherwise it waits for that syscall, or for an idle P to
	// wake up and steal it, which costs tens of µs on a 2-vCPU VM.
	runtime.Gosched()
	if _, err := c.nc.Write(respAccepted); err != nil {
		return false
	}
	return !c.req.close
}

// handleInitError serves POST /runtime/init/error.
func (c *conn) handleInitError() bool {
	s := c.s
	if from, ok := s.beginInitError(); !ok {
		return c.reject(errStateTransition(from, stateInitError))
	}
	r := getResponse()
	defer r.Release()
	limit := s.limits.MaxResponse
	tooLarge, err := r.consume(&c.body, limit)
	if err != nil {
		s.endInitError(nil)
		c.writeError(errTruncated, true)
		return false
	}
	e := &InitError{ErrorType: c.req.errorType}
	if tooLarge {
		e.Body = append([]byte(nil), s.sizeErrorBody...)
	} else {
		e.Body = append([]byte(nil), r.Body...)
	}
	e.ContentType = contentTypeBytes
	if jsonValid(e.Body) {
		e.ContentType = contentTypeJSON
	}
	s.endInitError(e)
	if tooLarge {
		return c.reject(errTooLarge(limit))
	}
	if _, err := c.nc.Write(respAccepted); err != nil {
		return false
	}
	return !c.req.close
}

// reject drops the request body and answers with ae. It reports whether the
// connection can carry another request.
func (c *conn) reject(ae apiError) bool {
	if ae.status != 413 {
		c.s.log.LogAttrs(context.Background(), slog.LevelDebug, "runtime API request rejected",
			slog.String("method", c.req.method), slog.Int("status", ae.status), slog.String("errorType", ae.typ))
	}
	clean := c.body.discard(discardLimit)
	return c.writeError(ae, !clean || c.req.close)
}

// writeError answers with ae and reports whether the connection can carry
// another request.
func (c *conn) writeError(ae apiError, close bool) bool {
	c.ebuf = appendErrorBody(c.ebuf[:0], ae.message, ae.typ)
	c.wbuf = appendResponse(c.wbuf[:0], ae.status, c.ebuf, close)
	if _, err := c.nc.Write(c.wbuf); err != nil {
		return false
	}
	return !close
}

// line returns the next line without its line ending (CRLF or a bare LF).
// The slice is valid until the next read. A line longer than maxLineBytes
// is errHeaderTooLong.
func (c *conn) line() ([]byte, error) {
	seen := 0
	for {
		if i := bytes.IndexByte(c.buf[c.r+seen:c.w], '\n'); i >= 0 {
			end := c.r + seen + i
			line := c.buf[c.r:end]
			c.r = end + 1
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line = line[:n-1]
			}
			return line, nil
		}
		seen = c.w - c.r
		if err := c.fill(maxLineBytes); err != nil {
			return nil, err
		}
	}
}

// fill reads more bytes into the buffer, first making room by moving the
// unread bytes to the front and then, up to limit, by growing it.
func (c *conn) fill(limit int) error {
	if c.r == c.w {
		c.r, c.w = 0, 0
	}
	if c.w == len(c.buf) {
		switch {
		case c.r > 0:
			c.w = copy(c.buf, c.buf[c.r:c.w])
			c.r = 0
		case len(c.buf) < limit:
			nb := make([]byte, min(2*len(c.buf), limit))
			copy(nb, c.buf[:c.w])
			c.buf = nb
		default:
			return errHeaderTooLong
		}
	}
	for {
		n, err := c.nc.Read(c.buf[c.w:])
		c.w += n
		if n > 0 {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// read reads body bytes into p: buffered ones first, then straight from the
// socket when p is large.
func (c *conn) read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if c.r == c.w {
		if len(p) >= c.direct {
			return c.nc.Read(p)
		}
		if err := c.fill(len(c.buf)); err != nil {
			return 0, err
		}
	}
	n := copy(p, c.buf[c.r:c.w])
	c.r += n
	return n, nil
}

// skip drops up to n body bytes, reading more when none are buffered.
func (c *conn) skip(n int64) (int64, error) {
	if c.r == c.w {
		if err := c.fill(len(c.buf)); err != nil {
			return 0, err
		}
	}
	k := min(int64(c.w-c.r), n)
	c.r += int(k)
	return k, nil
}

var _ io.Reader = (*body)(nil)
