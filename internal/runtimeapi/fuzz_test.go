package runtimeapi

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func FuzzRoutes(f *testing.F) {
	for _, s := range []string{
		"GET /2018-06-01/runtime/invocation/next HTTP/1.1",
		"POST /2018-06-01/runtime/invocation/8476a536-e9f4-11e8-9739-2dfe598c3fcd/response HTTP/1.1",
		"POST /2018-06-01/runtime/invocation/8476a536-e9f4-11e8-9739-2dfe598c3fcd/error HTTP/1.1",
		"POST /2018-06-01/runtime/init/error HTTP/1.0",
		"GET http://127.0.0.1:9001/2018-06-01/runtime/invocation/next?x=1 HTTP/1.1",
		"POST /2018-06-01/runtime/invocation//response HTTP/1.1",
		"POST /2018-06-01/runtime/invocation/a/b/error HTTP/1.1",
		"POST /2018-06-01/runtime/invocation/response HTTP/1.1",
		"POST /2020-01-01/extension/register HTTP/1.1",
		"PRI * HTTP/2.0",
		"GET  /2018-06-01/runtime/invocation/next HTTP/1.1",
		"get /2018-06-01/runtime/invocation/next HTTP/1.1",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var r request
		r.reset()
		if err := parseRequestLine(line, &r); err != nil {
			return
		}
		switch r.route {
		case routeResponse, routeError:
			if len(r.id) == 0 || bytes.IndexByte(r.id, '/') >= 0 {
				t.Fatalf("route %d with id %q", r.route, r.id)
			}
			suffix := suffixResponse
			if r.route == routeError {
				suffix = suffixError
			}
			if !bytes.Contains(line, []byte(pathInvocation+string(r.id)+suffix)) {
				t.Fatalf("id %q not in %q", r.id, line)
			}
		case routeNext:
			if !bytes.Contains(line, []byte(pathNext)) || len(r.id) != 0 {
				t.Fatalf("next route from %q", line)
			}
		case routeInitError:
			if !bytes.Contains(line, []byte(pathInitError)) {
				t.Fatalf("init error route from %q", line)
			}
		}
	})
}

func FuzzHeaderLine(f *testing.F) {
	for _, s := range []string{
		"Content-Length: 12",
		"content-length:12",
		"Transfer-Encoding: chunked",
		"Transfer-Encoding: gzip, chunked",
		"Lambda-Runtime-Function-Error-Type: Runtime.Unknown",
		"Lambda-Runtime-Function-Response-Mode: streaming",
		"Connection: keep-alive, close",
		"Expect: 100-continue",
		" folded",
		"Bad Name: x",
		"X: \x00",
		"Content-Length: 99999999999999999999",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		name, value, err := parseHeaderLine(line)
		if err != nil {
			return
		}
		if !isToken(name) || !bytes.Equal(value, trimOWS(value)) {
			t.Fatalf("parsed %q into %q %q", line, name, value)
		}
		var r request
		r.reset()
		if err := r.setHeader(name, value); err == nil && r.contentLength < -1 {
			t.Fatalf("content length %d", r.contentLength)
		}
		if n, ok := parseChunkSize(value); ok && n < 0 {
			t.Fatalf("chunk size %d from %q", n, value)
		}
	})
}

// fuzzConn is a net.Conn over a fixed input that reads at most step bytes
// at a time, to cross every buffer boundary.
type fuzzConn struct {
	in        *bytes.Reader
	step      int
	out       bytes.Buffer
	eofOnce   sync.Once
	eof       chan struct{} // closed when the input is used up
	closeOnce sync.Once
	closed    chan struct{} // closed by Close
}

func (c *fuzzConn) Read(p []byte) (int, error) {
	if len(p) > c.step {
		p = p[:c.step]
	}
	n, err := c.in.Read(p)
	if err == io.EOF {
		c.eofOnce.Do(func() { close(c.eof) })
	}
	return n, err
}

func (c *fuzzConn) Write(p []byte) (int, error) { return c.out.Write(p) }
func (c *fuzzConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return nil
}

func (c *fuzzConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *fuzzConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *fuzzConn) SetDeadline(time.Time) error      { return nil }
func (c *fuzzConn) SetReadDeadline(time.Time) error  { return nil }
func (c *fuzzConn) SetWriteDeadline(time.Time) error { return nil }

// FuzzRequest feeds arbitrary bytes to a connection of a Server that has an
// invocation pending, and checks that it never panics or hangs and that
// everything it writes parses as HTTP/1.1 responses.
func FuzzRequest(f *testing.F) {
	const id = "8476a536-e9f4-11e8-9739-2dfe598c3fcd"
	resp := "/2018-06-01/runtime/invocation/" + id + "/response"
	seeds := []string{
		"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\nUser-Agent: aws-lambda-go/go1.26\r\n\r\n",
		"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n\r\n" +
			"POST " + resp + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n" +
			"Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\nTransfer-Encoding: chunked\r\n\r\n" +
			"5\r\nhello\r\n0\r\n\r\n" +
			"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n\r\n",
		"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n\r\n" +
			"POST " + resp + " HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" +
			"7\r\npartial\r\n0\r\nLambda-Runtime-Function-Error-Type: errorString\r\n" +
			"Lambda-Runtime-Function-Error-Body: eyJlcnJvck1lc3NhZ2UiOiJ4IiwiZXJyb3JUeXBlIjoiZXJyb3JTdHJpbmcifQ==\r\n\r\n",
		"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n\r\n" +
			"POST /2018-06-01/runtime/invocation/" + id + "/error HTTP/1.1\r\nLambda-Runtime-Function-Error-Type: Unhandled\r\n" +
			"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 17\r\n\r\n{\"errorType\":\"x\"}",
		"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n\r\n" +
			"POST " + resp + " HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc" +
			"POST " + resp + " HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
		"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n\r\n" +
			"POST " + resp + " HTTP/1.1\r\nLambda-Runtime-Function-Response-Mode: bogus\r\nContent-Length: 1\r\n\r\nx",
		"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n\r\n" +
			"POST " + resp + " HTTP/1.1\r\nContent-Length: 70000\r\n\r\n" + strings.Repeat("x", 300),
		"POST /2018-06-01/runtime/init/error HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}",
		"POST /2018-06-01/runtime/init/error HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 9\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
		"GET /nope HTTP/1.1\r\n\r\nGET /2018-06-01/runtime/invocation/next HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
		"\r\n\r\nGET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n\r\nGET /x HTTP/1.1\r\n\r\n",
		"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffff\r\n",
	}
	for i, s := range seeds {
		f.Add(byte(i*13+1), []byte(s))
	}
	f.Fuzz(func(t *testing.T, step byte, input []byte) {
		s := New(Limits{MaxResponse: 1 << 16}, nil)
		s.invoking = true
		s.gen = 1
		s.pending = &Invocation{RequestID: id, Payload: []byte(`{"k":"v"}`), Deadline: time.Unix(1542409706, 0)}
		fc := &fuzzConn{in: bytes.NewReader(input), step: 1 + int(step)%97,
			eof: make(chan struct{}), closed: make(chan struct{})}
		s.startConn(fc)
		// serve ends by itself when the connection must close or the input
		// is used up, except when a request is pipelined behind a parked
		// GET /next: Close ends that.
		select {
		case <-fc.eof:
		case <-fc.closed:
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		select {
		case r := <-s.result:
			if r == nil || r.ContentType == "" {
				t.Fatalf("delivered %+v", r)
			}
		default:
		}
		br := bufio.NewReader(&fc.out)
		for {
			if _, err := br.Peek(1); err == io.EOF {
				break
			}
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("unparseable output %q: %v", fc.out.String(), err)
			}
			if _, err := io.Copy(io.Discard, resp.Body); err != nil {
				t.Fatalf("response body in %q: %v", fc.out.String(), err)
			}
		}
	})
}
