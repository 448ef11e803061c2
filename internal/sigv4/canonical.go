package sigv4

import (
	"bytes"
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
)

const upperHex = "0123456789ABCDEF"

// rawPath is the request path exactly as it came on the wire, still
// percent-encoded. net/http keeps it in RequestURI; the decoded URL.Path
// would lose the difference between "%3A" and ":".
func rawPath(r *http.Request) string {
	uri := r.RequestURI
	if uri == "" || uri == "*" {
		if r.URL == nil {
			return "/"
		}
		return r.URL.EscapedPath() // a request built in-process, never sent
	}
	if uri[0] != '/' {
		// absolute-form: scheme://authority/path?query
		_, rest, ok := strings.Cut(uri, "://")
		if !ok {
			return "/"
		}
		slash := strings.IndexByte(rest, '/')
		if slash < 0 {
			return "/"
		}
		uri = rest[slash:]
	}
	if q := strings.IndexByte(uri, '?'); q >= 0 {
		uri = uri[:q]
	}
	return uri
}

// rawQuery is the query string as received.
func rawQuery(r *http.Request) string {
	if r.URL == nil {
		return ""
	}
	return r.URL.RawQuery
}

// normalizePath removes empty, "." and ".." segments from a raw path the way
// botocore and the JS SDK do before signing. It returns p itself when there is
// nothing to remove, which is the case for every path aws-sdk-go-v2 sends.
func normalizePath(p string) string {
	if !needsNormalizing(p) {
		return p
	}
	var kept []string
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(kept) > 0 {
				kept = kept[:len(kept)-1]
			}
		default:
			kept = append(kept, seg)
		}
	}
	var b strings.Builder
	if strings.HasPrefix(p, "/") {
		b.WriteByte('/')
	}
	b.WriteString(strings.Join(kept, "/"))
	if len(kept) > 0 && strings.HasSuffix(p, "/") {
		b.WriteByte('/')
	}
	return b.String()
}

// needsNormalizing reports whether p has an empty, "." or ".." segment other
// than the empty ones before a leading and after a trailing slash.
func needsNormalizing(p string) bool {
	for i, start := 0, 0; i <= len(p); i++ {
		if i < len(p) && p[i] != '/' {
			continue
		}
		seg := p[start:i]
		inner := start > 0 && i < len(p)
		if seg == "." || seg == ".." || (seg == "" && inner) {
			return true
		}
		start = i + 1
	}
	return false
}

// appendCanonicalURI appends the canonical URI of a raw path: every byte
// outside A-Z a-z 0-9 - . _ ~ / is percent-encoded, so an already encoded
// "%3A" becomes "%253A" (the non-S3 rule). An empty path is "/".
func appendCanonicalURI(dst []byte, path string) []byte {
	if path == "" {
		return append(dst, '/')
	}
	for i := 0; i < len(path); i++ {
		dst = appendEncoded(dst, path[i], true)
	}
	return dst
}

// appendEncoded appends c, percent-encoded unless it is unreserved (or a
// slash, when keepSlash).
func appendEncoded(dst []byte, c byte, keepSlash bool) []byte {
	if unreserved(c) || (keepSlash && c == '/') {
		return append(dst, c)
	}
	return append(dst, '%', upperHex[c>>4], upperHex[c&15])
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// queryParam locates one encoded parameter inside the scratch area of
// appendCanonicalQuery: name is buf[start:eq], value buf[eq:end].
type queryParam struct{ start, eq, end int }

// appendCanonicalQuery appends the canonical query string of a raw query:
// every name and value decoded ("+" is a space, as in Go's url package) and
// re-encoded with the unreserved set, sorted by name then value, joined with
// "&". A parameter without "=" has an empty value. With skipSignature the
// X-Amz-Signature parameter of a presigned request is left out.
//
// The specification, botocore and the JS SDK sort the encoded names and
// values; aws-sdk-go-v2 sorts the decoded ones, which differs for some
// repeated or non-ASCII parameters. decodedOrder selects Go's order.
func appendCanonicalQuery(dst []byte, query string, skipSignature, decodedOrder bool) []byte {
	if query == "" {
		return dst
	}
	// Encode every parameter after dst's end, sort their positions, append
	// them in order after that, then move the result down to where it belongs.
	base := len(dst)
	var stack [16]queryParam
	params := stack[:0]
	for rest := query; rest != ""; {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		if pair == "" {
			continue
		}
		name, value, _ := strings.Cut(pair, "=")
		start := len(dst)
		dst = appendReencoded(dst, name)
		if skipSignature && string(dst[start:]) == querySignature {
			dst = dst[:start]
			continue
		}
		eq := len(dst)
		dst = appendReencoded(dst, value)
		params = append(params, queryParam{start, eq, len(dst)})
	}
	compare := bytes.Compare
	if decodedOrder {
		compare = compareDecoded
	}
	slices.SortFunc(params, func(a, b queryParam) int {
		if c := compare(dst[a.start:a.eq], dst[b.start:b.eq]); c != 0 {
			return c
		}
		return compare(dst[a.eq:a.end], dst[b.eq:b.end])
	})
	sorted := len(dst)
	for i, p := range params {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = append(dst, dst[p.start:p.eq]...)
		dst = append(dst, '=')
		dst = append(dst, dst[p.eq:p.end]...)
	}
	n := copy(dst[base:], dst[sorted:])
	return dst[:base+n]
}

// appendReencoded percent-decodes s and appends it encoded canonically. A "%"
// not followed by two hex digits stands for itself.
func appendReencoded(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '+':
			c = ' '
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			c = unhex(s[i+1])<<4 | unhex(s[i+2])
			i += 2
		}
		dst = appendEncoded(dst, c, false)
	}
	return dst
}

// compareDecoded compares two canonically encoded strings by their decoded
// bytes.
func compareDecoded(a, b []byte) int {
	for len(a) > 0 && len(b) > 0 {
		ca, na := decodedByte(a)
		cb, nb := decodedByte(b)
		if ca != cb {
			return int(ca) - int(cb)
		}
		a, b = a[na:], b[nb:]
	}
	return len(a) - len(b)
}

// decodedByte returns the first byte s encodes and how many bytes encode it.
func decodedByte(s []byte) (byte, int) {
	if s[0] == '%' && len(s) >= 3 {
		return unhex(s[1])<<4 | unhex(s[2]), 3
	}
	return s[0], 1
}

// queryOrders is how many parameter orders appendCanonicalQuery may need to
// try for a raw query: one unless it has several parameters.
func queryOrders(query string) int {
	if strings.IndexByte(query, '&') < 0 {
		return 1
	}
	return 2
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	default:
		return c - 'a' + 10
	}
}

// appendCanonicalHeaders appends "name:value\n" for each name of the
// ";"-separated signedHeaders list, in the order given. Values are trimmed and
// runs of spaces collapsed; several header lines with one name are joined
// with ",". host comes from r.Host (net/http removes it from r.Header),
// content-length from the header or r.ContentLength, transfer-encoding from
// r.TransferEncoding. A signed header the request lacks has an empty value.
func appendCanonicalHeaders(dst []byte, r *http.Request, signedHeaders string) []byte {
	forEachName(signedHeaders, func(name string) bool {
		dst = append(dst, name...)
		dst = append(dst, ':')
		switch {
		case strings.EqualFold(name, "host"):
			host := r.Host
			if host == "" && r.URL != nil {
				host = r.URL.Host
			}
			dst = appendTrimmed(dst, host)
		case strings.EqualFold(name, "transfer-encoding"):
			for i, v := range r.TransferEncoding {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = appendTrimmed(dst, v)
			}
		default:
			values := headerValues(r.Header, name)
			if values == nil && strings.EqualFold(name, "content-length") && r.ContentLength >= 0 {
				dst = strconv.AppendInt(dst, r.ContentLength, 10)
				break
			}
			for i, v := range values {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = appendTrimmed(dst, v)
			}
		}
		dst = append(dst, '\n')
		return true
	})
	return dst
}

// headerValues returns h's values for a header name in any case, without
// allocating for names of ordinary length.
func headerValues(h http.Header, name string) []string {
	var buf [128]byte
	if len(name) > len(buf) {
		return h[textproto.CanonicalMIMEHeaderKey(name)]
	}
	key := buf[:len(name)]
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !tokenByte(c) {
			return h[name] // net/http keeps such keys as they came
		}
		if upper && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		} else if !upper && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		key[i] = c
		upper = c == '-'
	}
	if v, ok := h[string(key)]; ok {
		return v
	}
	return h[name] // a header map filled directly, not through Set
}

// tokenByte reports whether c may appear in an HTTP header name (RFC 9110
// token), the condition for net/http to canonicalise the name.
func tokenByte(c byte) bool {
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '^', '`', '|':
		return true
	}
	return unreserved(c)
}

// appendTrimmed appends v without leading and trailing white space and with
// each run of spaces collapsed to one.
func appendTrimmed(dst []byte, v string) []byte {
	v = strings.TrimSpace(v)
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' && i > 0 && v[i-1] == ' ' {
			continue
		}
		dst = append(dst, v[i])
	}
	return dst
}
