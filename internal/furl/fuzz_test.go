package furl

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"
)

// FuzzParseResponse checks that any payload maps to a response or to
// ErrInvalidResponse, and that a mapped response is safe to write: a
// status in range, valid header names, no control characters in values.
func FuzzParseResponse(f *testing.F) {
	for _, s := range []string{
		`{"hello": "world"}`, `"hello"`, `3.1`, `["a",1]`, `null`, `plain`,
		`{"statusCode":"418","headers":{"content-type":"text/plain","x":3},"cookies":["a=1"],"body":"x"}`,
		`{"statusCode":200,"body":"AAEC","isBase64Encoded":true}`,
		`{"statusCode":200,"body":{"a":[1,2]}}`, `{"statusCode":null,"body":"x"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		resp, err := ParseResponse(payload)
		if err != nil {
			if !errors.Is(err, ErrInvalidResponse) {
				t.Fatalf("error %v does not wrap ErrInvalidResponse", err)
			}
			return
		}
		checkResponse(t, resp.StatusCode, resp.Header)
	})
}

// FuzzPrelude feeds a stream in two pieces to a Splitter and parses what
// it finds: the split must not depend on where the stream was cut, and a
// parsed prelude must be safe to write.
func FuzzPrelude(f *testing.F) {
	f.Add([]byte(`{"statusCode":200}`+"\x00\x00\x00\x00\x00\x00\x00\x00body"), 3)
	f.Add([]byte(`{"statusCode":201,"headers":{"a":"b"},"cookies":["c=d"]}`+"\x00\x00\x00\x00\x00\x00\x00\x00"), 60)
	f.Add([]byte("{}\x00\x00\x00x"), 2)
	f.Fuzz(func(t *testing.T, stream []byte, cut int) {
		if cut < 0 || cut > len(stream) {
			cut = len(stream) / 2
		}
		whole, wholeBody, wholeDone, wholeErr := new(Splitter).Feed(stream)
		var s Splitter
		prelude, body, done, err := s.Feed(stream[:cut])
		if err == nil && !done {
			prelude, body, done, err = s.Feed(stream[cut:])
		} else if done {
			body = append(append([]byte{}, body...), stream[cut:]...)
		}
		if (err == nil) != (wholeErr == nil) || done != wholeDone {
			t.Fatalf("cut %d: done %v err %v; whole: done %v err %v", cut, done, err, wholeDone, wholeErr)
		}
		if done && (!bytes.Equal(prelude, whole) || !bytes.Equal(body, wholeBody)) {
			t.Fatalf("cut %d: %q %q; whole: %q %q", cut, prelude, body, whole, wholeBody)
		}
		if !done {
			return
		}
		p, err := ParsePrelude(prelude)
		if err != nil {
			if !errors.Is(err, ErrInvalidResponse) {
				t.Fatalf("error %v does not wrap ErrInvalidResponse", err)
			}
			return
		}
		checkResponse(t, p.StatusCode, p.Header)
	})
}

// FuzzEvent checks that any request makes a JSON event.
func FuzzEvent(f *testing.F) {
	f.Add("/a%2Fb", "a=1&a=2&b", "c1=v1; c2=v2", "text/plain", []byte("hi"))
	f.Add("/", "%zz=%", "", "", []byte{0xff, 0})
	f.Add("/\x00\u2028\"\\", "a=\xff", "c=\t", "text/plain; charset=utf-8", []byte("caf\xc3\xa9 \x01\xff"))
	f.Fuzz(func(t *testing.T, path, query, cookie, contentType string, body []byte) {
		r := &Request{RawPath: path, RawQuery: query, Header: http.Header{"Cookie": {cookie}, "Content-Type": {contentType}, "X-" + path: {query, cookie}},
			Body: body, Time: time.Unix(0, 0), Host: contentType, IAM: &IAM{AccessKey: cookie, UserARN: path}}
		b, err := Event(r)
		if err != nil {
			t.Fatal(err)
		}
		var got, want any
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("invalid JSON %q: %v", b, err)
		}
		// The hand-written encoding says what encoding/json would.
		if err := json.Unmarshal(referenceEvent(t, r), &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("event\n%s\nwant the same as\n%s", b, referenceEvent(t, r))
		}
	})
}

// referenceEvent is the event of r as encoding/json writes it.
func referenceEvent(t testing.TB, r *Request) []byte {
	ev := buildEvent(r)
	if ev.body != nil {
		s := string(ev.body)
		ev.Body = &s
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func checkResponse(t *testing.T, status int, h http.Header) {
	t.Helper()
	if status < 200 || status > 599 {
		t.Fatalf("status %d", status)
	}
	if h.Get("Content-Type") == "" {
		t.Fatal("no Content-Type")
	}
	for name, values := range h {
		if !validHeaderName(name) || managedHeaders[name] {
			t.Fatalf("header name %q", name)
		}
		for _, v := range values {
			for i := 0; i < len(v); i++ {
				if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
					t.Fatalf("header %s value %q", name, v)
				}
			}
		}
	}
}
