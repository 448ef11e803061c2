package runtimeapi

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"slices"
	"sync"
)

// Response is the runtime's answer to one invocation.
type Response struct {
	// Body holds the bytes posted to /response, or to /error (verbatim,
	// never re-encoded), or the error body lambdad made for a failure it
	// detected (size limit, bad response mode, error trailers).
	Body []byte
	// ContentType is the posted Content-Type; application/octet-stream
	// for a /response without one (as RAPID), application/json for errors
	// without one and for errors made by lambdad.
	ContentType string
	// FunctionError is set when the runtime posted to /error, sent error
	// trailers or exceeded the size limit, or sent an invalid response mode:
	// the caller answers with X-Amz-Function-Error: Unhandled.
	FunctionError bool
	// ErrorType is the Lambda-Runtime-Function-Error-Type header or trailer,
	// else the errorType member of a JSON /error body; informational only.
	ErrorType string

	buf []byte // pooled backing store of Body
}

// maxPooledBuffer is the largest Body buffer Release keeps for reuse.
const maxPooledBuffer = 1 << 20

var responsePool = sync.Pool{New: func() any { return &Response{buf: make([]byte, 0, 1024)} }}

func getResponse() *Response { return responsePool.Get().(*Response) }

// Release gives r and its Body buffer back for reuse by later invocations.
// Calling it is optional (without it r is garbage-collected as usual); after
// it neither r nor r.Body may be used.
func (r *Response) Release() {
	if r == nil || cap(r.buf) > maxPooledBuffer {
		return
	}
	*r = Response{buf: r.buf[:0]}
	responsePool.Put(r)
}

// setError makes r a function error with the given body.
func (r *Response) setError(body []byte, errorType string) {
	r.buf = append(r.buf[:0], body...)
	r.Body = r.buf
	r.ContentType = contentTypeJSON
	r.FunctionError = true
	r.ErrorType = errorType
}

func newErrorResponse(body []byte, errorType string) *Response {
	r := getResponse()
	r.setError(body, errorType)
	return r
}

// A sink consumes the body of a /response or /error as it arrives. Buffered
// invocations use *Response, which collects the body; response streaming
// (PROTOCOLS §1.6) plugs in here with a sink that forwards each read to the
// caller and enforces the streaming limits instead.
type sink interface {
	// consume reads the body from b. It stops and reports tooLarge once the
	// body exceeds limit bytes, leaving the rest unread; err is
	// errTruncatedBody (or an I/O error) when the body breaks off.
	consume(b *body, limit int64) (tooLarge bool, err error)
}

var _ sink = (*Response)(nil)

// consume collects the body into r.Body: with a Content-Length straight into
// a buffer of that size, chunked into a growing pooled buffer.
func (r *Response) consume(b *body, limit int64) (bool, error) {
	if !b.chunked {
		n := b.left
		if n > limit {
			return true, nil
		}
		if int64(cap(r.buf)) < n {
			r.buf = make([]byte, n)
		}
		r.buf = r.buf[:n]
		if _, err := io.ReadFull(b, r.buf); err != nil {
			return false, truncated(err)
		}
		r.Body = r.buf
		return false, nil
	}
	buf := r.buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, max(len(buf), 4096))
		}
		room := buf[len(buf):cap(buf)]
		if rest := limit + 1 - int64(len(buf)); int64(len(room)) > rest {
			room = room[:rest]
		}
		n, err := b.Read(room)
		buf = buf[:len(buf)+n]
		r.buf = buf
		switch {
		case int64(len(buf)) > limit:
			return true, nil
		case err == io.EOF:
			r.Body = buf
			return false, nil
		case err != nil:
			return false, err
		}
	}
}

// complete fills in what r says about itself once its body has been read.
func (c *conn) complete(r *Response, isError bool) {
	r.ContentType = c.req.contentType
	if isError {
		r.FunctionError = true
		r.ErrorType = c.req.errorType
		if r.ContentType == contentTypeErrorCause {
			// RAPID sends errorCause to X-Ray and forwards the rest.
			r.Body = stripErrorCause(r.Body)
			r.ContentType = contentTypeJSON
		}
		if r.ContentType == "" {
			r.ContentType = contentTypeJSON
		}
		if r.ErrorType == "" {
			r.ErrorType = errorTypeOf(r.Body)
		}
		return
	}
	if r.ContentType == "" {
		r.ContentType = contentTypeBytes
	}
	if typ := c.body.trailerType; typ != "" {
		// aws-lambda-go reports a handler reader that failed midway this way,
		// as do streaming runtimes; the bytes sent before are dropped.
		decoded, err := base64.StdEncoding.DecodeString(c.body.trailerBody)
		if err != nil || !jsonValid(decoded) {
			decoded = appendErrorBody(nil, "The runtime reported "+typ+" without a readable "+headerErrorBody+" trailer", typ)
		}
		r.setError(decoded, typ)
	}
}

// stripErrorCause removes the errorCause member from an error body posted
// as application/vnd.aws.lambda.error.cause+json. A body that is not a JSON
// object is returned as is.
func stripErrorCause(b []byte) []byte {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return b
	}
	if _, ok := m["errorCause"]; !ok {
		return b
	}
	delete(m, "errorCause")
	out, err := json.Marshal(m)
	if err != nil {
		return b
	}
	return out
}

// errorTypeOf returns the string errorType member of a JSON error body, or
// "".
func errorTypeOf(b []byte) string {
	var v struct {
		ErrorType string `json:"errorType"`
	}
	if json.Unmarshal(b, &v) != nil {
		return ""
	}
	return v.ErrorType
}

func jsonValid(b []byte) bool { return len(b) > 0 && json.Valid(b) }
