package furl

import (
	"encoding/base64"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Request is what Event needs of one HTTP request to a function URL.
type Request struct {
	URLID     string // the url-id: requestContext.apiId and domainPrefix
	Domain    string // requestContext.domainName
	AccountID string // requestContext.accountId
	RequestID string // the invocation's request id
	Method    string
	RawPath   string // the path as received, percent-encoding kept; "/" at least
	RawQuery  string // the query as received, without "?"
	Protocol  string // "HTTP/1.1"
	SourceIP  string
	Host      string // the Host header (net/http keeps it out of Header)
	Header    http.Header
	Body      []byte
	Time      time.Time
	// IAM is the signer of an AWS_IAM request; nil for NONE.
	IAM *IAM
}

// IAM is requestContext.authorizer.iam: who signed the request.
type IAM struct {
	AccessKey      string  `json:"accessKey"`
	AccountID      string  `json:"accountId"`
	CallerID       string  `json:"callerId"`
	CognitoID      *string `json:"cognitoIdentity"`
	PrincipalOrgID *string `json:"principalOrgId"`
	UserARN        string  `json:"userArn"`
	UserID         string  `json:"userId"`
}

// event is the payload format 2.0 event, members in AWS's order.
type event struct {
	Version               string            `json:"version"`
	RouteKey              string            `json:"routeKey"`
	RawPath               string            `json:"rawPath"`
	RawQueryString        string            `json:"rawQueryString"`
	Cookies               []string          `json:"cookies,omitempty"`
	Headers               map[string]string `json:"headers"`
	QueryStringParameters map[string]string `json:"queryStringParameters,omitempty"`
	RequestContext        requestContext    `json:"requestContext"`
	Body                  *string           `json:"body,omitempty"`
	IsBase64Encoded       bool              `json:"isBase64Encoded"`

	// body is the body as the event carries it (text, or base64); Body is
	// left nil: appendJSON writes body without copying it to a string.
	body []byte
}

type requestContext struct {
	AccountID    string      `json:"accountId"`
	APIID        string      `json:"apiId"`
	Authorizer   *authorizer `json:"authorizer,omitempty"`
	DomainName   string      `json:"domainName"`
	DomainPrefix string      `json:"domainPrefix"`
	HTTP         httpContext `json:"http"`
	RequestID    string      `json:"requestId"`
	RouteKey     string      `json:"routeKey"`
	Stage        string      `json:"stage"`
	Time         string      `json:"time"`
	TimeEpoch    int64       `json:"timeEpoch"`
}

type authorizer struct {
	IAM *IAM `json:"iam"`
}

type httpContext struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	Protocol  string `json:"protocol"`
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

// timeLayout is requestContext.time: 07/Sep/2021:22:50:22 +0000.
const timeLayout = "02/Jan/2006:15:04:05 -0700"

// Event returns the payload format 2.0 event of r, as JSON.
func Event(r *Request) ([]byte, error) {
	ev := buildEvent(r)
	size := 512 + len(r.RawPath)*2 + len(r.RawQuery)*2 + len(ev.body)
	for _, v := range ev.Headers {
		size += len(v) + 32
	}
	return ev.appendJSON(make([]byte, 0, size)), nil
}

// buildEvent assembles the event of r.
func buildEvent(r *Request) *event {
	ev := &event{
		Version:        "2.0",
		RouteKey:       "$default",
		RawPath:        r.RawPath,
		RawQueryString: r.RawQuery,
		Headers:        make(map[string]string, len(r.Header)+1),
		RequestContext: requestContext{
			AccountID:    r.AccountID,
			APIID:        r.URLID,
			DomainName:   r.Domain,
			DomainPrefix: r.URLID,
			HTTP: httpContext{
				Method:    r.Method,
				Path:      r.RawPath,
				Protocol:  r.Protocol,
				SourceIP:  r.SourceIP,
				UserAgent: r.Header.Get("User-Agent"),
			},
			RequestID: r.RequestID,
			RouteKey:  "$default",
			Stage:     "$default",
			Time:      r.Time.UTC().Format(timeLayout),
			TimeEpoch: r.Time.UnixMilli(),
		},
	}
	if r.IAM != nil {
		ev.RequestContext.Authorizer = &authorizer{IAM: r.IAM}
	}
	if r.Host != "" {
		ev.Headers["host"] = r.Host
	}
	for name, values := range r.Header {
		lower := strings.ToLower(name)
		if lower == "cookie" {
			ev.Cookies = appendCookies(ev.Cookies, values)
			continue
		}
		if prev, ok := ev.Headers[lower]; ok {
			// Two spellings of one name (only possible without canonical
			// keys): join them like repeated lines.
			values = append([]string{prev}, values...)
		}
		ev.Headers[lower] = strings.Join(values, ",")
	}
	if r.RawQuery != "" {
		ev.QueryStringParameters = queryParameters(r.RawQuery)
	}
	if len(r.Body) > 0 {
		if isText(r.Header.Get("Content-Type"), r.Body) {
			ev.body = r.Body
		} else {
			ev.body = base64.StdEncoding.AppendEncode(nil, r.Body)
			ev.IsBase64Encoded = true
		}
	}
	return ev
}

// appendJSON appends ev as JSON, members in AWS's order; what
// encoding/json would write, without reflection.
func (ev *event) appendJSON(b []byte) []byte {
	b = append(b, `{"version":`...)
	b = appendString(b, ev.Version)
	b = append(b, `,"routeKey":`...)
	b = appendString(b, ev.RouteKey)
	b = append(b, `,"rawPath":`...)
	b = appendString(b, ev.RawPath)
	b = append(b, `,"rawQueryString":`...)
	b = appendString(b, ev.RawQueryString)
	if len(ev.Cookies) > 0 {
		b = append(b, `,"cookies":[`...)
		for i, c := range ev.Cookies {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, c)
		}
		b = append(b, ']')
	}
	b = append(b, `,"headers":`...)
	b = appendMap(b, ev.Headers)
	if len(ev.QueryStringParameters) > 0 {
		b = append(b, `,"queryStringParameters":`...)
		b = appendMap(b, ev.QueryStringParameters)
	}
	rc := &ev.RequestContext
	b = append(b, `,"requestContext":{"accountId":`...)
	b = appendString(b, rc.AccountID)
	b = append(b, `,"apiId":`...)
	b = appendString(b, rc.APIID)
	if rc.Authorizer != nil {
		b = append(b, `,"authorizer":{"iam":`...)
		b = rc.Authorizer.IAM.appendJSON(b)
		b = append(b, '}')
	}
	b = append(b, `,"domainName":`...)
	b = appendString(b, rc.DomainName)
	b = append(b, `,"domainPrefix":`...)
	b = appendString(b, rc.DomainPrefix)
	b = append(b, `,"http":{"method":`...)
	b = appendString(b, rc.HTTP.Method)
	b = append(b, `,"path":`...)
	b = appendString(b, rc.HTTP.Path)
	b = append(b, `,"protocol":`...)
	b = appendString(b, rc.HTTP.Protocol)
	b = append(b, `,"sourceIp":`...)
	b = appendString(b, rc.HTTP.SourceIP)
	b = append(b, `,"userAgent":`...)
	b = appendString(b, rc.HTTP.UserAgent)
	b = append(b, `},"requestId":`...)
	b = appendString(b, rc.RequestID)
	b = append(b, `,"routeKey":`...)
	b = appendString(b, rc.RouteKey)
	b = append(b, `,"stage":`...)
	b = appendString(b, rc.Stage)
	b = append(b, `,"time":`...)
	b = appendString(b, rc.Time)
	b = append(b, `,"timeEpoch":`...)
	b = strconv.AppendInt(b, rc.TimeEpoch, 10)
	b = append(b, '}')
	if len(ev.body) > 0 {
		b = append(b, `,"body":`...)
		b = appendString(b, ev.body)
	}
	b = append(b, `,"isBase64Encoded":`...)
	b = strconv.AppendBool(b, ev.IsBase64Encoded)
	return append(b, '}')
}

// appendJSON appends the iam member of an authorizer.
func (a *IAM) appendJSON(b []byte) []byte {
	if a == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"accessKey":`...)
	b = appendString(b, a.AccessKey)
	b = append(b, `,"accountId":`...)
	b = appendString(b, a.AccountID)
	b = append(b, `,"callerId":`...)
	b = appendString(b, a.CallerID)
	b = append(b, `,"cognitoIdentity":`...)
	b = appendOptional(b, a.CognitoID)
	b = append(b, `,"principalOrgId":`...)
	b = appendOptional(b, a.PrincipalOrgID)
	b = append(b, `,"userArn":`...)
	b = appendString(b, a.UserARN)
	b = append(b, `,"userId":`...)
	b = appendString(b, a.UserID)
	return append(b, '}')
}

func appendOptional(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendString(b, *s)
}

// appendMap appends a string map as a JSON object, keys sorted.
func appendMap(b []byte, m map[string]string) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = appendString(b, m[k])
	}
	return append(b, '}')
}

// appendString appends s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced by U+FFFD, as encoding/json
// does (without its HTML escaping, which JSON does not need).
func appendString[S string | []byte](b []byte, s S) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendCookies splits Cookie header lines into their "name=value" pairs.
func appendCookies(dst, lines []string) []string {
	for _, line := range lines {
		for c := range strings.SplitSeq(line, ";") {
			if c = strings.TrimSpace(c); c != "" {
				dst = append(dst, c)
			}
		}
	}
	return dst
}

// queryParameters decodes a query string; a key given more than once gets
// its values joined with ",". Pairs that do not decode are kept as sent.
func queryParameters(raw string) map[string]string {
	params := make(map[string]string)
	for pair := range strings.SplitSeq(raw, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k = unescapeQuery(k)
		v = unescapeQuery(v)
		if prev, ok := params[k]; ok {
			v = prev + "," + v
		}
		params[k] = v
	}
	return params
}

func unescapeQuery(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// isText reports whether a body of this content type reaches the function
// as text: UTF-8 of a text/*, JSON, XML or JavaScript type. Everything else
// (no content type, form data, images, octet-stream, invalid UTF-8) is
// base64-encoded, as API Gateway's payload format 2.0 does; Lambda's exact
// rule is unverified (PROTOCOLS §6.3).
func isText(contentType string, body []byte) bool {
	if contentType == "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	text := strings.HasPrefix(mt, "text/") ||
		mt == "application/json" || mt == "application/xml" ||
		mt == "application/javascript" || mt == "application/x-javascript" ||
		strings.HasSuffix(mt, "+json") || strings.HasSuffix(mt, "+xml")
	return text && utf8.Valid(body)
}
