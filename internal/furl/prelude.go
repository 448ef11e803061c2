package furl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
)

// ContentTypeHTTPIntegration is the Content-Type a runtime posts a streamed
// response with when the response starts with a prelude that sets the HTTP
// status, headers and cookies (PROTOCOLS §6.5).
const ContentTypeHTTPIntegration = "application/vnd.awslambda.http-integration-response"

// StreamContentType is the Content-Type of a streamed response that names
// none (PROTOCOLS §6.5, unverified).
const StreamContentType = "application/octet-stream"

// preludeDelimiter separates the prelude from the body.
var preludeDelimiter = make([]byte, 8)

// MaxPrelude bounds the prelude a Splitter buffers.
const MaxPrelude = 1 << 20

// Prelude is the head of a streamed HTTP response.
type Prelude struct {
	StatusCode int
	Header     http.Header // canonical names; always has a Content-Type
	Cookies    []string
}

// ParsePrelude reads a prelude: a JSON object with statusCode (number or
// numeric string; 200 when absent), headers and cookies, as ParseResponse
// reads them. Errors wrap ErrInvalidResponse.
func ParsePrelude(b []byte) (*Prelude, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil || obj == nil {
		return nil, fmt.Errorf("%w: the prelude is not a JSON object", ErrInvalidResponse)
	}
	if raw, ok := obj["statusCode"]; !ok || isNull(raw) {
		obj["statusCode"] = json.RawMessage("200")
	}
	delete(obj, "body")
	delete(obj, "isBase64Encoded")
	// A streamed body without a Content-Type is bytes (unverified).
	resp, err := httpResponse(obj, obj["statusCode"], StreamContentType)
	if err != nil {
		return nil, err
	}
	return &Prelude{StatusCode: resp.StatusCode, Header: resp.Header, Cookies: resp.Cookies}, nil
}

// Splitter finds the end of the prelude in a streamed response that
// arrives in pieces. Feed it the pieces in order until it reports the
// prelude; it buffers at most MaxPrelude bytes.
type Splitter struct {
	buf  []byte
	done bool
}

// Feed adds p to the stream. Once the prelude and its delimiter are
// complete it returns them split: prelude is the JSON text, body the bytes
// of p that follow the delimiter (possibly empty), and done is true; later
// calls must not be made. Until then it returns done false. The prelude is
// malformed — an error wrapping ErrInvalidResponse — when a NUL byte is not
// the start of 8 NUL bytes, or when MaxPrelude bytes pass without a
// delimiter.
func (s *Splitter) Feed(p []byte) (prelude, body []byte, done bool, err error) {
	if s.done {
		return nil, nil, false, fmt.Errorf("furl: Splitter fed after its prelude")
	}
	start := len(s.buf)
	// The delimiter may straddle pieces: look back up to 7 bytes.
	from := max(start-len(preludeDelimiter)+1, 0)
	s.buf = append(s.buf, p...)
	if i := bytes.IndexByte(s.buf[from:], 0); i >= 0 {
		i += from
		if len(s.buf)-i < len(preludeDelimiter) {
			if !allZero(s.buf[i:]) {
				return nil, nil, false, errBadDelimiter
			}
			return s.more()
		}
		if !bytes.Equal(s.buf[i:i+len(preludeDelimiter)], preludeDelimiter) {
			return nil, nil, false, errBadDelimiter
		}
		s.done = true
		end := i + len(preludeDelimiter)
		// The body is what p holds past the delimiter; p was appended at
		// start.
		return s.buf[:i], p[max(end-start, 0):], true, nil
	}
	return s.more()
}

// more reports that the prelude is not complete yet.
func (s *Splitter) more() ([]byte, []byte, bool, error) {
	if len(s.buf) > MaxPrelude {
		return nil, nil, false, fmt.Errorf("%w: no prelude delimiter within %d bytes", ErrInvalidResponse, MaxPrelude)
	}
	return nil, nil, false, nil
}

// Pending returns the bytes fed so far without a complete delimiter (the
// stream ended early), minus any trailing NUL bytes.
func (s *Splitter) Pending() []byte {
	return bytes.TrimRight(s.buf, "\x00")
}

var errBadDelimiter = fmt.Errorf("%w: a NUL byte in the prelude that does not start 8 NUL bytes", ErrInvalidResponse)

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
