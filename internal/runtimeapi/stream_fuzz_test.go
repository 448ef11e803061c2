package runtimeapi

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// FuzzStreamRequest is FuzzRequest with a streaming invocation pending: the
// body of a /response goes through a stream, whose chunks a stand-in for
// InvokeStream collects. It checks that nothing panics or hangs, that the
// output parses as HTTP/1.1 responses, and that no more than the stream
// limit is ever queued.
func FuzzStreamRequest(f *testing.F) {
	const id = "8476a536-e9f4-11e8-9739-2dfe598c3fcd"
	resp := "/2018-06-01/runtime/invocation/" + id + "/response"
	next := "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n\r\n"
	seeds := []string{
		next + "POST " + resp + " HTTP/1.1\r\nLambda-Runtime-Function-Response-Mode: streaming\r\nTransfer-Encoding: chunked\r\n\r\n" +
			"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n" + next,
		next + "POST " + resp + " HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" +
			"7\r\npartial\r\n0\r\nLambda-Runtime-Function-Error-Type: errorString\r\n" +
			"Lambda-Runtime-Function-Error-Body: eyJlcnJvck1lc3NhZ2UiOiJ4IiwiZXJyb3JUeXBlIjoiZXJyb3JTdHJpbmcifQ==\r\n\r\n",
		next + "POST " + resp + " HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello world",
		next + "POST " + resp + " HTTP/1.1\r\nContent-Length: 300\r\n\r\n" + strings.Repeat("x", 300),
		next + "POST " + resp + " HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
		next + "POST /2018-06-01/runtime/invocation/" + id + "/error HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}",
	}
	for i, s := range seeds {
		f.Add(byte(i*13+1), []byte(s))
	}
	const limit = 200
	f.Fuzz(func(t *testing.T, step byte, input []byte) {
		s := New(Limits{MaxResponse: 1 << 16, MaxStreamResponse: limit}, nil)
		st := newStream(s.done)
		s.invoking, s.gen, s.stream = true, 1, st
		s.pending = &Invocation{RequestID: id, Payload: []byte(`{"k":"v"}`), Deadline: time.Unix(1542409706, 0)}
		fc := &fuzzConn{in: bytes.NewReader(input), step: 1 + int(step)%97,
			eof: make(chan struct{}), closed: make(chan struct{})}
		var got bytes.Buffer
		stopDrain, drained := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(drained)
			for {
				select {
				case <-st.ready:
					st.drain(&got)
				case <-stopDrain:
					return
				}
			}
		}()
		s.startConn(fc)
		select {
		case <-fc.eof:
		case <-fc.closed:
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		close(stopDrain)
		<-drained
		if n := st.filled.Load(); got.Len() > limit || n > limit {
			t.Fatalf("%d bytes queued, %d written, limit %d", n, got.Len(), limit)
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
