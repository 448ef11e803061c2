package furl

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Response is the HTTP response a function's answer maps to.
type Response struct {
	StatusCode int
	// Header holds the function's headers under canonical names; it always
	// has a Content-Type. Headers the HTTP server manages itself
	// (Content-Length, Transfer-Encoding, Connection, ...) are left out.
	Header http.Header
	// Cookies become one Set-Cookie header each.
	Cookies []string
	Body    []byte
}

// ErrInvalidResponse wraps every reason ParseResponse and ParsePrelude
// reject an answer for: the client then gets 502 Internal Server Error.
var ErrInvalidResponse = errors.New("invalid function URL response")

// defaultContentType is the Content-Type of responses that name none.
const defaultContentType = "application/json"

// ParseResponse maps the result of a BUFFERED invocation (PROTOCOLS §6.4).
// A JSON object with a statusCode member is an HTTP response: statusCode (a
// number or a numeric string, 200–599), headers (string values; numbers and
// booleans as their JSON text; null skipped), cookies, and body, base64-
// decoded when isBase64Encoded is true. Any other payload is a 200
// application/json response whose body is the payload: a JSON string
// unquoted, other JSON values re-serialised compactly, and bytes that are
// not JSON as they are. An HTTP response that breaks these rules is an
// error wrapping ErrInvalidResponse.
func ParseResponse(payload []byte) (*Response, error) {
	trimmed := bytes.TrimSpace(payload)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(trimmed, &obj); err == nil {
			if sc, ok := obj["statusCode"]; ok && !isNull(sc) {
				return httpResponse(obj, sc, defaultContentType)
			}
		}
	}
	return plainResponse(trimmed, payload), nil
}

// plainResponse is the plain-value rule.
func plainResponse(trimmed, payload []byte) *Response {
	resp := &Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {defaultContentType}}}
	if len(trimmed) > 0 && trimmed[0] == '"' {
		var s string
		if json.Unmarshal(trimmed, &s) == nil {
			resp.Body = []byte(s)
			return resp
		}
	}
	var compact bytes.Buffer
	if json.Compact(&compact, trimmed) == nil {
		resp.Body = compact.Bytes()
		return resp
	}
	resp.Body = payload
	return resp
}

// httpResponse reads an object that has a statusCode; contentType is the
// Content-Type when its headers name none.
func httpResponse(obj map[string]json.RawMessage, rawStatus json.RawMessage, contentType string) (*Response, error) {
	status, err := parseStatus(rawStatus)
	if err != nil {
		return nil, err
	}
	resp := &Response{StatusCode: status, Header: make(http.Header)}
	if raw, ok := obj["headers"]; ok && !isNull(raw) {
		var headers map[string]json.RawMessage
		if err := json.Unmarshal(raw, &headers); err != nil {
			return nil, fmt.Errorf("%w: headers is not an object", ErrInvalidResponse)
		}
		for name, v := range headers {
			value, ok := headerValue(v)
			if !ok {
				continue
			}
			if err := addHeader(resp.Header, name, value); err != nil {
				return nil, err
			}
		}
	}
	if raw, ok := obj["cookies"]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &resp.Cookies); err != nil {
			return nil, fmt.Errorf("%w: cookies is not a list of strings", ErrInvalidResponse)
		}
	}
	var b64 bool
	if raw, ok := obj["isBase64Encoded"]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &b64); err != nil {
			return nil, fmt.Errorf("%w: isBase64Encoded is not a boolean", ErrInvalidResponse)
		}
	}
	if raw, ok := obj["body"]; ok && !isNull(raw) {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			resp.Body = []byte(s)
		} else {
			// A body that is not a string is sent as its JSON text.
			var compact bytes.Buffer
			if err := json.Compact(&compact, raw); err != nil {
				return nil, fmt.Errorf("%w: body: %v", ErrInvalidResponse, err)
			}
			resp.Body = compact.Bytes()
		}
		if b64 {
			decoded, err := base64.StdEncoding.DecodeString(string(resp.Body))
			if err != nil {
				return nil, fmt.Errorf("%w: body is not valid base64: %v", ErrInvalidResponse, err)
			}
			resp.Body = decoded
		}
	}
	if resp.Header.Get("Content-Type") == "" {
		resp.Header.Set("Content-Type", contentType)
	}
	return resp, nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// parseStatus reads statusCode: a number or a numeric string.
func parseStatus(raw json.RawMessage) (int, error) {
	var n json.Number
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return 0, fmt.Errorf("%w: statusCode: %v", ErrInvalidResponse, err)
	}
	switch t := v.(type) {
	case json.Number:
		n = t
	case string:
		n = json.Number(strings.TrimSpace(t))
	default:
		return 0, fmt.Errorf("%w: statusCode is not a number", ErrInvalidResponse)
	}
	status, err := strconv.Atoi(n.String())
	if err != nil {
		f, ferr := n.Float64()
		if ferr != nil || f != float64(int(f)) {
			return 0, fmt.Errorf("%w: statusCode %q is not an integer", ErrInvalidResponse, n.String())
		}
		status = int(f)
	}
	if status < 200 || status > 599 {
		return 0, fmt.Errorf("%w: statusCode %d is out of range", ErrInvalidResponse, status)
	}
	return status, nil
}

// headerValue is the text of one headers member: a string, or the JSON
// text of a number or boolean. ok is false for null, objects and arrays.
func headerValue(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", false
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return "", false
		}
		return s, true
	case 'n', '{', '[':
		return "", false
	default:
		return string(raw), true
	}
}

// managedHeaders are set by the HTTP server, never by the function.
var managedHeaders = map[string]bool{
	"Content-Length":    true,
	"Transfer-Encoding": true,
	"Connection":        true,
	"Keep-Alive":        true,
	"Proxy-Connection":  true,
	"Upgrade":           true,
	"Trailer":           true,
	"Te":                true,
}

// addHeader sets one response header from the function, after checking
// that the name is an HTTP token; control characters in the value are an
// error too, so nothing the function returns can split the response.
func addHeader(h http.Header, name, value string) error {
	if !validHeaderName(name) {
		return fmt.Errorf("%w: header name %q", ErrInvalidResponse, name)
	}
	for i := 0; i < len(value); i++ {
		if c := value[i]; c < ' ' && c != '\t' || c == 0x7f {
			return fmt.Errorf("%w: control character in header %s", ErrInvalidResponse, name)
		}
	}
	key := http.CanonicalHeaderKey(name)
	if managedHeaders[key] {
		return nil
	}
	h[key] = []string{value}
	return nil
}

// validHeaderName reports whether s is an RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}
