package runtimeapi

import (
	"bytes"
	"errors"
)

// route is what a request path asks for.
type route uint8

const (
	routeUnknown   route = iota
	routeNext            // GET  /runtime/invocation/next
	routeResponse        // POST /runtime/invocation/{id}/response
	routeError           // POST /runtime/invocation/{id}/error
	routeInitError       // POST /runtime/init/error
)

// wantMethod is the only method each route accepts.
func (r route) wantMethod() string {
	if r == routeNext {
		return "GET"
	}
	return "POST"
}

// responseMode is the value of Lambda-Runtime-Function-Response-Mode.
type responseMode uint8

const (
	modeBuffered responseMode = iota // header absent
	modeStream                       // "streaming", the only legal value
	modeInvalid                      // anything else
)

// request is the part of one HTTP request the server acts on. A conn reuses
// one request for every request it reads; nothing in it points into the
// read buffer.
type request struct {
	method        string // interned for GET and POST
	route         route
	id            []byte // {AwsRequestId} of routeResponse and routeError
	http10        bool
	contentLength int64 // -1 when absent
	chunked       bool
	expect        bool // Expect: 100-continue
	close         bool // the connection ends after this request
	keepAlive     bool // "Connection: keep-alive" (matters for HTTP/1.0)
	contentType   string
	errorType     string // Lambda-Runtime-Function-Error-Type header
	mode          responseMode
}

func (r *request) reset() {
	id := r.id[:0]
	*r = request{id: id, contentLength: -1}
}

// hasBody reports whether a body follows the headers.
func (r *request) hasBody() bool { return r.chunked || r.contentLength > 0 }

// Request framing errors. A conn answers them with 400 (or the status named)
// and closes, because it can no longer find the next request.
var (
	errBadRequestLine = errors.New("malformed request line")
	errBadHeader      = errors.New("malformed header line")
	errBadLength      = errors.New("invalid Content-Length")
	errBadEncoding    = errors.New("unsupported Transfer-Encoding")
	errHeaderTooLong  = errors.New("request header too large")
)

// parseRequestLine parses "METHOD SP target SP HTTP/1.x" into r.
func parseRequestLine(line []byte, r *request) error {
	sp := bytes.IndexByte(line, ' ')
	if sp <= 0 {
		return errBadRequestLine
	}
	method, rest := line[:sp], line[sp+1:]
	sp = bytes.IndexByte(rest, ' ')
	if sp <= 0 {
		return errBadRequestLine
	}
	target, version := rest[:sp], rest[sp+1:]
	switch string(version) {
	case "HTTP/1.1":
	case "HTTP/1.0":
		r.http10 = true
	default:
		return errBadRequestLine
	}
	switch string(method) {
	case "GET":
		r.method = "GET"
	case "POST":
		r.method = "POST"
	default:
		if !isToken(method) {
			return errBadRequestLine
		}
		r.method = string(method)
	}
	var id []byte
	r.route, id = parseRoute(target)
	r.id = append(r.id[:0], id...)
	return nil
}

// parseRoute maps a request target to a route and, for the invocation routes,
// the request id in it. The query string is ignored, and an absolute-form
// target (http://host/path) is reduced to its path.
func parseRoute(target []byte) (route, []byte) {
	if i := bytes.IndexByte(target, '?'); i >= 0 {
		target = target[:i]
	}
	if len(target) > 0 && target[0] != '/' {
		i := bytes.Index(target, []byte("://"))
		if i < 0 {
			return routeUnknown, nil
		}
		target = target[i+3:]
		j := bytes.IndexByte(target, '/')
		if j < 0 {
			return routeUnknown, nil
		}
		target = target[j:]
	}
	switch string(target) {
	case pathNext:
		return routeNext, nil
	case pathInitError:
		return routeInitError, nil
	}
	rest, ok := bytes.CutPrefix(target, []byte(pathInvocation))
	if !ok {
		return routeUnknown, nil
	}
	rt := routeResponse
	id, ok := bytes.CutSuffix(rest, []byte(suffixResponse))
	if !ok {
		rt = routeError
		if id, ok = bytes.CutSuffix(rest, []byte(suffixError)); !ok {
			return routeUnknown, nil
		}
	}
	if len(id) == 0 || bytes.IndexByte(id, '/') >= 0 {
		return routeUnknown, nil
	}
	return rt, id
}

// parseHeaderLine splits "Name: value" and trims the value's surrounding
// spaces and tabs. It rejects a missing colon, an empty or non-token name
// (which also rejects obsolete line folding) and control characters in the
// value.
func parseHeaderLine(line []byte) (name, value []byte, err error) {
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 || !isToken(line[:colon]) {
		return nil, nil, errBadHeader
	}
	name, value = line[:colon], trimOWS(line[colon+1:])
	for _, c := range value {
		if (c < 0x20 && c != '\t') || c == 0x7f {
			return nil, nil, errBadHeader
		}
	}
	return name, value, nil
}

// setHeader records the headers the server acts on and ignores the rest.
func (r *request) setHeader(name, value []byte) error {
	switch len(name) {
	case len("Expect"):
		if bytes.EqualFold(name, []byte("Expect")) && bytes.EqualFold(value, []byte("100-continue")) {
			r.expect = true
		}
	case len("Connection"):
		if bytes.EqualFold(name, []byte("Connection")) {
			forEachToken(value, func(tok []byte) {
				switch {
				case bytes.EqualFold(tok, []byte("close")):
					r.close = true
				case bytes.EqualFold(tok, []byte("keep-alive")):
					r.keepAlive = true
				}
			})
		}
	case len("Content-Type"):
		if bytes.EqualFold(name, []byte("Content-Type")) {
			r.contentType = internContentType(value)
		}
	case len("Content-Length"):
		if bytes.EqualFold(name, []byte("Content-Length")) {
			n, ok := parseDecimal(value)
			if !ok || (r.contentLength >= 0 && r.contentLength != n) {
				return errBadLength
			}
			r.contentLength = n
		}
	case len("Transfer-Encoding"):
		if bytes.EqualFold(name, []byte("Transfer-Encoding")) {
			// Only "chunked" is supported, and it must be the only coding.
			if !bytes.EqualFold(value, []byte("chunked")) || r.chunked {
				return errBadEncoding
			}
			r.chunked = true
		}
	case len(headerErrorType):
		if bytes.EqualFold(name, []byte(headerErrorType)) {
			r.errorType = string(value)
		}
	case len(headerMode):
		if bytes.EqualFold(name, []byte(headerMode)) {
			switch string(value) {
			case modeStreaming:
				r.mode = modeStream
			default:
				r.mode = modeInvalid
			}
		}
	}
	return nil
}

// finish applies the rules that depend on several headers.
func (r *request) finish() {
	if r.chunked && r.contentLength >= 0 {
		// RFC 9112 §6.3: Transfer-Encoding overrides Content-Length, and
		// such a message may be an attempt at request smuggling: serve it,
		// then close.
		r.contentLength = -1
		r.close = true
	}
	if r.http10 && !r.keepAlive {
		r.close = true
	}
	if r.http10 {
		r.expect = false
	}
}

// parseDecimal parses a non-negative decimal of at most 18 digits.
func parseDecimal(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// parseChunkSize parses a chunk-size line: hex digits, then optional
// extensions after ';' (ignored).
func parseChunkSize(line []byte) (int64, bool) {
	if i := bytes.IndexByte(line, ';'); i >= 0 {
		line = line[:i]
	}
	line = trimOWS(line)
	if len(line) == 0 || len(line) > 15 {
		return 0, false
	}
	var n int64
	for _, c := range line {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		n = n<<4 | int64(d)
	}
	return n, true
}

func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// forEachToken calls f with each element of a comma-separated list.
func forEachToken(v []byte, f func([]byte)) {
	for len(v) > 0 {
		tok := v
		if i := bytes.IndexByte(v, ','); i >= 0 {
			tok, v = v[:i], v[i+1:]
		} else {
			v = nil
		}
		if tok = trimOWS(tok); len(tok) > 0 {
			f(tok)
		}
	}
}

// isToken reports whether b is a non-empty RFC 9110 token.
func isToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c <= ' ' || c >= 0x7f {
			return false
		}
		switch c {
		case '(', ')', '<', '>', '@', ',', ';', ':', '\\', '"', '/', '[', ']', '?', '=', '{', '}':
			return false
		}
	}
	return true
}
