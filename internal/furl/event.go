package furl

import (
	"encoding/base64"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
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
	ev := event{
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
		var body string
		if isText(r.Header.Get("Content-Type"), r.Body) {
			body = string(r.Body)
		} else {
			body = base64.StdEncoding.EncodeToString(r.Body)
			ev.IsBase64Encoded = true
		}
		ev.Body = &body
	}
	return json.Marshal(&ev)
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
