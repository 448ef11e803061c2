package sigv4

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/lambdad/lambdad/internal/awserr"
)

// Credentials is one configured key pair and the 12-digit account it maps to.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	AccountID       string
}

// Result is what a verified request proves.
type Result struct {
	Credentials Credentials // of the signer, as lookup returned them
	Region      string      // the region of the credential scope
	Date        time.Time   // the signing time
}

// Verifier checks SigV4 signatures made for one service name. It is safe for
// concurrent use.
type Verifier struct {
	service string
	lookup  func(accessKeyID string) (Credentials, bool)
	maxSkew time.Duration

	keys    keyCache
	buffers sync.Pool // of *buffers
}

// buffers is the working space of one verification.
type buffers struct {
	canonical    []byte
	stringToSign []byte
	mac          []byte
	bodyHash     [2 * sha256.Size]byte // hex
}

// NewVerifier returns a Verifier for signatures scoped to service ("lambda").
// lookup returns the credentials of an access key id and whether it is
// known; it is called once per verified request, from the caller's
// goroutine, and must be safe for concurrent use. maxSkew is how far the
// signing time of a header-signed request may be from the server's clock
// (5 minutes for Lambda); zero or less means 5 minutes.
func NewVerifier(service string, lookup func(accessKeyID string) (Credentials, bool), maxSkew time.Duration) *Verifier {
	if maxSkew <= 0 {
		maxSkew = 5 * time.Minute
	}
	v := &Verifier{service: service, lookup: lookup, maxSkew: maxSkew}
	v.buffers.New = func() any {
		return &buffers{
			canonical:    make([]byte, 0, 1024),
			stringToSign: make([]byte, 0, 256),
			mac:          make([]byte, 0, 256),
		}
	}
	return v
}

// Verify checks the signature of r, signed either in its Authorization header
// or in presigned query parameters. body is the complete request body as
// received (the caller has read it; it may be empty); Verify does not read
// r.Body. now is the server's clock.
//
// On success it returns the signer's credentials, the region of the signing
// scope and the signing time. Any region-shaped scope region ([a-z0-9-]+) is
// accepted; deciding whether it is served is the caller's business. A
// signature is accepted over the normalised or the literal path, and over
// repeated query parameters sorted by encoded (specification) or decoded
// (aws-sdk-go-v2) value, because real clients differ there.
//
// Otherwise it returns an *awserr.Error, always with a 403 status:
//
//   - MissingAuthenticationTokenException: neither an Authorization header nor
//     presigned query parameters.
//   - IncompleteSignatureException: a malformed Authorization header,
//     credential or presigned query; no usable X-Amz-Date (or Date); host or
//     the date header not among the signed headers; a streaming payload.
//   - InvalidSignatureException: a credential scope whose date differs from the
//     request's, or whose service, region or terminator is wrong; a signing
//     time outside the clock-skew window or a presigned request past its
//     X-Amz-Expires; an x-amz-content-sha256 that is not the body's hash; a
//     signature that does not match.
//   - UnrecognizedClientException: an access key lookup does not know.
func (v *Verifier) Verify(r *http.Request, body []byte, now time.Time) (Result, error) {
	res, err := v.verify(r, body, now)
	if err != nil {
		return Result{}, err
	}
	return res, nil
}

func (v *Verifier) verify(r *http.Request, body []byte, now time.Time) (Result, *awserr.Error) {
	var a authorization
	query := rawQuery(r)
	dateHeader := ""
	if h := r.Header[headerAuthorization]; len(h) > 0 && strings.TrimSpace(h[0]) != "" {
		if err := parseAuthorizationHeader(h[0], &a); err != nil {
			return Result{}, err
		}
		var err *awserr.Error
		if dateHeader, err = requestDate(r, &a); err != nil {
			return Result{}, err
		}
	} else if isPresigned(query) {
		if err := parsePresignedQuery(query, &a); err != nil {
			return Result{}, err
		}
	} else {
		return Result{}, awserr.New(awserr.MissingAuthenticationToken, msgMissingToken)
	}
	if err := v.checkScope(&a); err != nil {
		return Result{}, err
	}
	if err := checkSignedHeaders(a.signedHeaders, dateHeader); err != nil {
		return Result{}, err
	}
	if err := v.checkTime(&a, now); err != nil {
		return Result{}, err
	}
	creds, ok := v.lookup(a.accessKeyID)
	if !ok {
		return Result{}, awserr.New(awserr.UnrecognizedClient, msgUnrecognized)
	}

	buf := v.buffers.Get().(*buffers)
	defer v.buffers.Put(buf)
	payloads, n, err := payloadHashes(r, &a, body, buf)
	if err != nil {
		return Result{}, err
	}
	key := v.keys.get(creds.SecretAccessKey, a.scopeDate, a.region, a.service)
	// Clients that normalise the path (botocore, JS) sign the normalised
	// form; one that does not signs the path as sent. Clients sort repeated
	// query parameters in one of two ways. Accept any of these.
	raw := rawPath(r)
	paths := [2]string{normalizePath(raw), raw}
	np := 1
	if paths[0] != raw {
		np = 2
	}
	orders := queryOrders(query)
	for _, path := range paths[:np] {
		for _, payload := range payloads[:n] {
			for order := range orders {
				sig := v.signature(r, &a, path, query, order == 1, payload, key, buf)
				if equalSignature(&sig, a.signature) {
					return Result{Credentials: creds, Region: a.region, Date: a.time}, nil
				}
			}
		}
	}
	return Result{}, awserr.New(awserr.InvalidSignature, msgMismatch)
}

// requestDate reads the signing time from X-Amz-Date or, failing that, from
// Date, and returns the name of the header it used.
func requestDate(r *http.Request, a *authorization) (string, *awserr.Error) {
	if v := r.Header[headerAmzDate]; len(v) > 0 {
		a.amzDate = v[0]
		return "x-amz-date", parseAmzDate(a)
	}
	if v := r.Header[headerDate]; len(v) > 0 {
		t, err := time.Parse(amzDateLayout, v[0])
		if err != nil {
			if t, err = http.ParseTime(v[0]); err != nil {
				return "", awserr.New(awserr.IncompleteSignature, "Date must be an HTTP date or in the ISO-8601 basic format YYYYMMDD'T'HHMMSS'Z', got '%s'.", v[0])
			}
		}
		a.time = t.UTC()
		a.amzDate = a.time.Format(amzDateLayout)
		return "date", nil
	}
	return "", awserr.New(awserr.IncompleteSignature, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=%s", a.header)
}

// isPresigned reports whether a raw query carries presigned-request
// parameters.
func isPresigned(query string) bool {
	if !strings.Contains(query, "X-Amz-") {
		return false
	}
	for rest := query; rest != ""; {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		name, _, _ := strings.Cut(pair, "=")
		switch name {
		case queryAlgorithm, queryCredential, querySignature:
			return true
		}
	}
	return false
}

// checkScope checks the credential scope against the request date and the
// verifier's service. Real Lambda answers these with
// InvalidSignatureException and the messages below.
func (v *Verifier) checkScope(a *authorization) *awserr.Error {
	if a.scopeDate != a.amzDate[:8] {
		return awserr.New(awserr.InvalidSignature, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", a.scopeDate, a.amzDate[:8], a.amzDate)
	}
	if !validRegion(a.region) {
		return awserr.New(awserr.InvalidSignature, "Credential should be scoped to a valid region, not '%s'. ", a.region)
	}
	if a.service != v.service {
		return awserr.New(awserr.InvalidSignature, "Credential should be scoped to correct service: '%s'. ", v.service)
	}
	if a.terminator != terminator {
		return awserr.New(awserr.InvalidSignature, "Credential should be scoped with a valid terminator: '%s', not '%s'. ", terminator, a.terminator)
	}
	return nil
}

// validRegion accepts any region-shaped name: lambdad serves whatever region
// its clients are configured for.
func validRegion(region string) bool {
	for i := 0; i < len(region); i++ {
		c := region[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return region != ""
}

// checkSignedHeaders requires a well-formed list that includes host and, for
// a header-signed request, the header the date came from.
func checkSignedHeaders(list, dateHeader string) *awserr.Error {
	var empty, host, date bool
	forEachName(list, func(name string) bool {
		empty = empty || name == ""
		host = host || strings.EqualFold(name, "host")
		date = date || (dateHeader != "" && strings.EqualFold(name, dateHeader))
		return true
	})
	switch {
	case empty:
		return awserr.New(awserr.IncompleteSignature, "SignedHeaders must be a list of header names separated by ';', got '%s'.", list)
	case !host:
		return awserr.New(awserr.IncompleteSignature, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	case dateHeader == "x-amz-date" && !date:
		return awserr.New(awserr.IncompleteSignature, "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.")
	case dateHeader == "date" && !date:
		return awserr.New(awserr.IncompleteSignature, "'Date' must be a 'SignedHeader' in the AWS Authorization.")
	}
	return nil
}

// checkTime applies the clock-skew window to a header-signed request, and
// X-Amz-Expires (plus the window's future side) to a presigned one.
func (v *Verifier) checkTime(a *authorization, now time.Time) *awserr.Error {
	if a.time.After(now.Add(v.maxSkew)) {
		return errTooNew(a.time, now, v.maxSkew)
	}
	if a.presigned {
		if now.After(a.time.Add(a.expires)) {
			return awserr.New(awserr.InvalidSignature, msgExpired)
		}
		return nil
	}
	if a.time.Before(now.Add(-v.maxSkew)) {
		return errTooOld(a.time, now, v.maxSkew)
	}
	return nil
}

// payload is one payload hash a signature may have been computed with: a
// literal value, or the hex SHA-256 of the body kept in buffers.bodyHash.
type payload struct {
	literal string
	body    bool
}

// payloadHashes returns the payload hashes to try, in order. A signed
// x-amz-content-sha256 header is used as sent, after checking that a hex
// value is the body's hash; otherwise the body hash is used, and for a
// presigned request also UNSIGNED-PAYLOAD.
func payloadHashes(r *http.Request, a *authorization, body []byte, buf *buffers) ([2]payload, int, *awserr.Error) {
	var out [2]payload
	hashBody := func() {
		sum := sha256.Sum256(body)
		hex.Encode(buf.bodyHash[:], sum[:])
	}
	if v := r.Header[headerContentSHA256]; len(v) > 0 {
		declared := v[0]
		switch {
		case strings.HasPrefix(declared, streamingBody):
			return out, 0, awserr.New(awserr.IncompleteSignature, "x-amz-content-sha256 '%s' is not supported: streaming payloads are an S3 feature.", declared)
		case declared == unsignedBody:
		default:
			hashBody()
			if !equalFoldHex(declared, &buf.bodyHash) {
				return out, 0, awserr.New(awserr.InvalidSignature, msgContentSHA256)
			}
		}
		if signsHeader(a.signedHeaders, "x-amz-content-sha256") {
			out[0] = payload{literal: declared}
			return out, 1, nil
		}
	}
	hashBody()
	out[0] = payload{body: true}
	if a.presigned {
		out[1] = payload{literal: unsignedBody}
		return out, 2, nil
	}
	return out, 1, nil
}

// equalFoldHex reports whether s is the hex string h in either case.
func equalFoldHex(s string, h *[2 * sha256.Size]byte) bool {
	if len(s) != len(h) {
		return false
	}
	for i := range h {
		c := s[i]
		if 'A' <= c && c <= 'F' {
			c += 'a' - 'A'
		}
		if c != h[i] {
			return false
		}
	}
	return true
}

func signsHeader(list, name string) bool {
	found := false
	forEachName(list, func(n string) bool {
		found = strings.EqualFold(n, name)
		return !found
	})
	return found
}

// signature computes the hex signature of r for one candidate path, query
// order and payload hash.
func (v *Verifier) signature(r *http.Request, a *authorization, path, query string, decodedOrder bool, p payload, key *signingKey, buf *buffers) [2 * sha256.Size]byte {
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	c := append(buf.canonical[:0], method...)
	c = append(c, '\n')
	c = appendCanonicalURI(c, path)
	c = append(c, '\n')
	c = appendCanonicalQuery(c, query, a.presigned, decodedOrder)
	c = append(c, '\n')
	c = appendCanonicalHeaders(c, r, a.signedHeaders)
	c = append(c, '\n')
	c = append(c, a.signedHeaders...)
	c = append(c, '\n')
	if p.body {
		c = append(c, buf.bodyHash[:]...)
	} else {
		c = append(c, p.literal...)
	}
	buf.canonical = c
	requestHash := sha256.Sum256(c)

	s := append(buf.stringToSign[:0], algorithm...)
	s = append(s, '\n')
	s = append(s, a.amzDate...)
	s = append(s, '\n')
	s = a.appendScope(s)
	s = append(s, '\n')
	s = hex.AppendEncode(s, requestHash[:])
	buf.stringToSign = s

	var mac [sha256.Size]byte
	mac, buf.mac = key.mac(buf.mac, s)
	var sig [2 * sha256.Size]byte
	hex.Encode(sig[:], mac[:])
	return sig
}

// equalSignature compares in constant time.
func equalSignature(computed *[2 * sha256.Size]byte, given string) bool {
	var g [2 * sha256.Size]byte
	if len(given) != len(g) {
		return false
	}
	copy(g[:], given)
	return subtle.ConstantTimeCompare(computed[:], g[:]) == 1
}
