package sigv4

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/lambdad/lambdad/internal/awserr"
)

// Wire names of the signature fields.
const (
	algorithm      = "AWS4-HMAC-SHA256"
	terminator     = "aws4_request"
	amzDateLayout  = "20060102T150405Z"
	unsignedBody   = "UNSIGNED-PAYLOAD"
	streamingBody  = "STREAMING-"
	maxPresignLife = 7 * 24 * time.Hour // X-Amz-Expires limit: 604800 seconds

	headerAuthorization = "Authorization"
	headerAmzDate       = "X-Amz-Date"
	headerDate          = "Date"
	headerContentSHA256 = "X-Amz-Content-Sha256"

	queryAlgorithm     = "X-Amz-Algorithm"
	queryCredential    = "X-Amz-Credential"
	queryDate          = "X-Amz-Date"
	queryExpires       = "X-Amz-Expires"
	querySignedHeaders = "X-Amz-SignedHeaders"
	querySignature     = "X-Amz-Signature"
)

// authorization is what a request says about its signature, from the
// Authorization header or from the presigned query parameters. The strings are
// substrings of the request; nothing here has been checked against the
// request yet.
type authorization struct {
	header string // the Authorization header as received; empty when presigned

	accessKeyID string
	scopeDate   string // YYYYMMDD
	region      string
	service     string
	terminator  string

	signedHeaders string // names joined with ";", as the client listed them
	signature     string // lower-case hex, as the client sent it

	amzDate string    // the request time exactly as it enters the string to sign
	time    time.Time // amzDate parsed

	presigned bool
	expires   time.Duration // X-Amz-Expires; presigned only
}

// scope is the credential scope exactly as the client wrote it.
func (a *authorization) appendScope(dst []byte) []byte {
	dst = append(dst, a.scopeDate...)
	dst = append(dst, '/')
	dst = append(dst, a.region...)
	dst = append(dst, '/')
	dst = append(dst, a.service...)
	dst = append(dst, '/')
	return append(dst, a.terminator...)
}

// parseAuthorizationHeader parses
//
//	AWS4-HMAC-SHA256 Credential=AKID/20261123/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=<hex>
//
// tolerantly: the parameters may come in any order, separated by commas,
// spaces or both; unknown parameters are ignored. It fills the credential,
// signed-header and signature fields of a and reports a malformed header as
// IncompleteSignatureException with the messages AWS uses.
func parseAuthorizationHeader(header string, a *authorization) *awserr.Error {
	a.header = header
	alg, params, _ := strings.Cut(strings.TrimSpace(header), " ")
	if alg != algorithm && strings.HasPrefix(alg, "AWS4-") {
		return awserr.New(awserr.IncompleteSignature, "Unsupported AWS 'algorithm': '%s'. Only '%s' is supported.", alg, algorithm)
	}
	var credential string
	var haveCredential, haveSignedHeaders, haveSignature bool
	if alg == algorithm {
		for rest := params; rest != ""; {
			part := rest
			rest = ""
			if i := indexSeparator(part); i >= 0 {
				part, rest = part[:i], part[i+1:]
			}
			if part == "" {
				continue
			}
			key, value, ok := strings.Cut(part, "=")
			if !ok {
				return awserr.New(awserr.IncompleteSignature, "'%s' not a valid key=value pair (missing equal-sign) in Authorization header: '%s'.", part, header)
			}
			switch key {
			case "Credential":
				credential, haveCredential = value, true
			case "SignedHeaders":
				a.signedHeaders, haveSignedHeaders = value, true
			case "Signature":
				a.signature, haveSignature = value, true
			}
		}
	}
	if !haveCredential || !haveSignedHeaders || !haveSignature {
		var msg strings.Builder
		if !haveCredential {
			msg.WriteString("Authorization header requires 'Credential' parameter. ")
		}
		if !haveSignature {
			msg.WriteString("Authorization header requires 'Signature' parameter. ")
		}
		if !haveSignedHeaders {
			msg.WriteString("Authorization header requires 'SignedHeaders' parameter. ")
		}
		msg.WriteString("Authorization=")
		msg.WriteString(header)
		return awserr.New(awserr.IncompleteSignature, "%s", msg.String())
	}
	return parseCredential(credential, a)
}

// indexSeparator returns the index of the first comma, space or tab in s, or
// -1.
func indexSeparator(s string) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', ' ', '\t':
			return i
		}
	}
	return -1
}

// parseCredential splits "AKID/date/region/service/aws4_request" into a.
func parseCredential(credential string, a *authorization) *awserr.Error {
	var parts [5]string
	rest := credential
	for i := range parts {
		var ok bool
		parts[i], rest, ok = strings.Cut(rest, "/")
		if (ok != (i < len(parts)-1)) || parts[i] == "" {
			return awserr.New(awserr.IncompleteSignature, "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'.", credential)
		}
	}
	a.accessKeyID, a.scopeDate, a.region, a.service, a.terminator = parts[0], parts[1], parts[2], parts[3], parts[4]
	return nil
}

// parsePresignedQuery fills a from the X-Amz-* query parameters of a
// presigned request.
func parsePresignedQuery(rawQuery string, a *authorization) *awserr.Error {
	q, _ := url.ParseQuery(rawQuery) // undecodable pairs are dropped; what remains is checked below
	a.presigned = true
	var missing []string
	get := func(name string) string {
		v := q[name]
		if len(v) == 0 || v[0] == "" {
			missing = append(missing, "'"+name+"'")
			return ""
		}
		return v[0]
	}
	alg := get(queryAlgorithm)
	credential := get(queryCredential)
	a.signature = get(querySignature)
	a.amzDate = get(queryDate)
	a.signedHeaders = get(querySignedHeaders)
	expires := get(queryExpires)
	if len(missing) > 0 {
		return awserr.New(awserr.IncompleteSignature, "AWS query-string parameters must include %s. Re-examine the query-string parameters.", strings.Join(missing, ", "))
	}
	if alg != algorithm {
		return awserr.New(awserr.IncompleteSignature, "Unsupported AWS 'algorithm': '%s'. Only '%s' is supported.", alg, algorithm)
	}
	seconds, err := strconv.ParseInt(expires, 10, 64)
	if err != nil || seconds < 0 || seconds > int64(maxPresignLife/time.Second) {
		return awserr.New(awserr.IncompleteSignature, "X-Amz-Expires must be a whole number of seconds from 0 to %d, got '%s'.", int64(maxPresignLife/time.Second), expires)
	}
	a.expires = time.Duration(seconds) * time.Second
	if err := parseAmzDate(a); err != nil {
		return err
	}
	return parseCredential(credential, a)
}

// parseAmzDate parses a.amzDate, which must be in ISO-8601 basic format.
func parseAmzDate(a *authorization) *awserr.Error {
	t, err := time.Parse(amzDateLayout, a.amzDate)
	if err != nil || len(a.amzDate) != len(amzDateLayout) {
		return awserr.New(awserr.IncompleteSignature, "X-Amz-Date must be in the ISO-8601 basic format YYYYMMDD'T'HHMMSS'Z', got '%s'.", a.amzDate)
	}
	a.time = t
	return nil
}

// forEachName calls fn for each name of a ";"-separated header list, until
// fn returns false.
func forEachName(list string, fn func(name string) bool) {
	for rest := list; ; {
		name, more, ok := strings.Cut(rest, ";")
		if !fn(name) || !ok {
			return
		}
		rest = more
	}
}
