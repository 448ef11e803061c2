package runtimeapi

import (
	"bytes"
	"errors"
	"io"
)

// errTruncatedBody is returned by body.Read when the connection ends or the
// chunked framing breaks before the body is complete.
var errTruncatedBody = errors.New("request body truncated or malformed")

// body reads one request body off a conn: Content-Length or chunked
// framing, with the trailer section of a chunked body recorded in
// trailerType and trailerBody. It is an io.Reader so that a sink can pull
// from it at its own pace; the buffering sink and, later, a streaming one
// share it.
type body struct {
	c       *conn
	chunked bool
	left    int64 // bytes left in the body (Content-Length) or in the current chunk
	inChunk bool  // chunked: inside a chunk's data
	done    bool  // the body (and its trailers) has been read completely
	err     error // sticky

	trailerType string // Lambda-Runtime-Function-Error-Type trailer
	trailerBody string // Lambda-Runtime-Function-Error-Body trailer (base64)
}

func (b *body) reset(c *conn, r *request) {
	*b = body{c: c, chunked: r.chunked}
	if !r.chunked {
		b.left = max(r.contentLength, 0)
		b.done = b.left == 0
	}
}

// Read implements io.Reader. Reads of body bytes that are not yet buffered
// and are large go straight from the socket into p.
func (b *body) Read(p []byte) (int, error) {
	if err := b.ready(); err != nil {
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.c.read(p)
	b.consumed(int64(n), err)
	if n > 0 {
		return n, nil
	}
	if b.err == nil && b.done {
		return 0, io.EOF
	}
	return 0, b.err
}

// discard reads and drops the rest of the body, giving up after limit
// bytes. It reports whether the body ended cleanly within that bound, that
// is whether the connection can carry another request.
func (b *body) discard(limit int64) bool {
	if !b.chunked && b.left > limit {
		return false
	}
	for limit >= 0 {
		if err := b.ready(); err != nil {
			return err == io.EOF
		}
		n, err := b.c.skip(b.left)
		b.consumed(n, err)
		limit -= n
	}
	return false
}

// ready positions b on body bytes. It returns io.EOF at the end of the body
// and the sticky error after a failure.
func (b *body) ready() error {
	if b.err != nil {
		return b.err
	}
	if b.done {
		return io.EOF
	}
	if b.chunked && !b.inChunk {
		if err := b.nextChunk(); err != nil {
			b.err = err
			return err
		}
		if b.done {
			return io.EOF
		}
	}
	return nil
}

// consumed accounts for n body bytes read and the error that came with them.
func (b *body) consumed(n int64, err error) {
	b.left -= n
	if b.left == 0 {
		if err == io.EOF {
			// The connection ended right after these bytes: that matters only
			// if the framing wants more.
			err = nil
			if b.chunked {
				err = io.EOF
			}
		}
		if !b.chunked {
			b.done = true
		} else {
			b.inChunk = false
			if err == nil {
				err = b.chunkEnd()
			}
		}
	}
	if err != nil && b.err == nil {
		b.err = truncated(err)
	}
}

// nextChunk reads a chunk-size line, or the last chunk and the trailer
// section after it.
func (b *body) nextChunk() error {
	line, err := b.c.line()
	if err != nil {
		return truncated(err)
	}
	size, ok := parseChunkSize(line)
	if !ok {
		return errTruncatedBody
	}
	if size > 0 {
		b.left, b.inChunk = size, true
		return nil
	}
	budget := maxHeaderBytes
	for {
		line, err := b.c.line()
		if err != nil {
			return truncated(err)
		}
		if budget -= len(line) + 2; budget < 0 {
			return errTruncatedBody
		}
		if len(line) == 0 {
			b.done = true
			return nil
		}
		name, value, err := parseHeaderLine(line)
		if err != nil {
			return errTruncatedBody
		}
		switch {
		case bytes.EqualFold(name, []byte(headerErrorType)):
			b.trailerType = string(value)
		case bytes.EqualFold(name, []byte(headerErrorBody)):
			b.trailerBody = string(value)
		}
	}
}

// chunkEnd consumes the CRLF after a chunk's data.
func (b *body) chunkEnd() error {
	line, err := b.c.line()
	if err != nil {
		return err
	}
	if len(line) != 0 {
		return errTruncatedBody
	}
	return nil
}

// truncated maps the end of the connection in mid-body to errTruncatedBody.
func truncated(err error) error {
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return errTruncatedBody
	}
	return err
}
