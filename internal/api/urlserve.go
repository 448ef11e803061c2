package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/lambdad/lambdad/internal/awserr"
	"github.com/lambdad/lambdad/internal/furl"
	"github.com/lambdad/lambdad/internal/registry"
	"github.com/lambdad/lambdad/internal/scheduler"
)

// Function URLs are served on the API's own listener, in two forms that
// both work on localhost without DNS set-up:
//
//   - Host form: a request whose Host is <url-id>.lambda-url.<region>.<any
//     domain>[:port] — FunctionUrl names .localhost, which clients resolve
//     to the loopback address; a client that does not can connect to the
//     API's address and send that Host header. The path is the URL's path.
//   - Path form: http://<API address>/_lambdad/urls/<url-id>/<path>; the
//     event's rawPath is "/<path>".
//
// These requests are answered before SigV4 authentication of the API (an
// AWS_IAM URL verifies its own signature) and never reach the route table.

// urlPathPrefix starts the path form of function URLs.
const urlPathPrefix = "/_lambdad/urls/"

// urlHostMarker separates the url-id from the region in a URL's host.
const urlHostMarker = ".lambda-url."

// Answers of a function URL that AWS spells out (PROTOCOLS §6.2, §6.4).
const (
	msgURLForbidden   = "Forbidden. For troubleshooting Function URL authorization issues, see: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"
	urlFunctionFailed = "Internal Server Error"
)

// forbidden is the Message of a refused request to a URL that exists.
var forbidden = msgURLForbidden

// urlAddress is where a request to a function URL was sent.
type urlAddress struct {
	id      string // the url-id
	domain  string // requestContext.domainName
	rawPath string // the URL's path, as received
	region  string // the region the host names; the server's for the path form
}

// functionURLRequest reports whether r is addressed to a function URL.
func (s *Server) functionURLRequest(r *http.Request) (urlAddress, bool) {
	path, _, _ := strings.Cut(r.RequestURI, "?")
	if !strings.HasPrefix(path, "/") {
		path = r.URL.EscapedPath() // absolute-form request target
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if id, rest, ok := strings.Cut(host, urlHostMarker); ok && id != "" && !strings.Contains(id, ".") {
		region, _, _ := strings.Cut(rest, ".")
		return urlAddress{id: strings.ToLower(id), domain: strings.ToLower(host), rawPath: path, region: region}, true
	}
	if rest, ok := strings.CutPrefix(path, urlPathPrefix); ok {
		id, sub, _ := strings.Cut(rest, "/")
		return urlAddress{
			id:      strings.ToLower(id),
			domain:  strings.ToLower(id) + urlHostMarker + s.cfg.Region + ".localhost",
			rawPath: "/" + sub,
			region:  s.cfg.Region,
		}, true
	}
	return urlAddress{}, false
}

// serveFunctionURL answers one request to a function URL: CORS preflight,
// auth, the payload format 2.0 event, the invocation (buffered or
// streamed) and the mapped response.
func (s *Server) serveFunctionURL(w http.ResponseWriter, r *http.Request, a urlAddress) {
	requestID := uuid.NewString()
	now := s.cfg.Now()
	h := w.Header()
	h.Set("X-Amzn-Requestid", requestID)
	h.Set("Date", now.UTC().Format(http.TimeFormat))

	target, ok := s.reg.LookupURL(a.id)
	if !ok || a.region != s.cfg.Region {
		writeURLDenied(w, nil)
		return
	}
	cfg := target.Config
	cors := corsOf(cfg.Cors)
	if cors != nil && furl.IsPreflight(r.Method, r.Header) {
		cors.Preflight(r.Header, h)
		w.WriteHeader(http.StatusOK)
		return
	}

	if r.ContentLength > maxInvokeBody {
		writeError(w, s.log, requestID, urlTooLarge())
		return
	}
	body, err := readBody(r, maxInvokeBody)
	if err != nil {
		writeError(w, s.log, requestID, err)
		return
	}
	if len(body) > maxInvokeBody {
		writeError(w, s.log, requestID, urlTooLarge())
		return
	}

	fn := target.Function
	req := &furl.Request{
		URLID:     a.id,
		Domain:    a.domain,
		AccountID: "anonymous",
		RequestID: requestID,
		Method:    r.Method,
		RawPath:   a.rawPath,
		RawQuery:  r.URL.RawQuery,
		Protocol:  r.Proto,
		SourceIP:  sourceIP(r),
		Host:      r.Host,
		Body:      body,
		Time:      now,
	}
	switch cfg.AuthType {
	case registry.AuthIAM:
		res, err := s.verifier.Verify(r, body, now)
		if err == nil && res.Region != s.cfg.Region {
			err = fmt.Errorf("signed for region %s", res.Region)
		}
		if err != nil {
			s.log.Debug("function URL signature refused", "url_id", a.id, "err", err)
			writeURLDenied(w, &forbidden)
			return
		}
		signer := res.Credentials.AccountID
		if signer != fn.Account && !urlPermitted(fn, target.Qualifier, signer, registry.AuthIAM) {
			writeURLDenied(w, &forbidden)
			return
		}
		req.AccountID = fn.Account
		req.IAM = &furl.IAM{
			AccessKey: res.Credentials.AccessKeyID,
			AccountID: signer,
			CallerID:  signer,
			UserARN:   "arn:aws:iam::" + signer + ":root",
			UserID:    signer,
		}
	default:
		if !urlPermitted(fn, target.Qualifier, "*", registry.AuthNone) {
			writeURLDenied(w, &forbidden)
			return
		}
	}

	trace := traceID(r.Header.Get("X-Amzn-Trace-Id"))
	req.Header = eventHeaders(r, trace)
	event, err := furl.Event(req)
	if err != nil {
		writeError(w, s.log, requestID, err)
		return
	}
	if len(event) > maxInvokeBody {
		writeError(w, s.log, requestID, urlTooLarge())
		return
	}
	if s.sched == nil {
		writeError(w, s.log, requestID, errors.New("function URL served without a scheduler"))
		return
	}
	v, err := s.reg.Resolve(fn.Account, fn.Name, target.Qualifier)
	if err != nil {
		// The alias went away since the lookup.
		writeURLDenied(w, &forbidden)
		return
	}
	sreq := &scheduler.Request{
		RequestID:   requestID,
		Payload:     event,
		ContentType: "application/json",
		InvokedARN:  target.InvokedARN(),
		TraceID:     trace,
	}
	h.Set("X-Amzn-Trace-Id", trace)
	sfn := s.fns.get(v)
	if cfg.Mode() == registry.InvokeStream {
		s.streamFunctionURL(w, r, sfn, sreq, cors)
		return
	}
	res, err := s.sched.Invoke(r.Context(), sfn, sreq)
	if err != nil {
		writeError(w, s.log, requestID, err) // throttled: 429
		return
	}
	if res.FunctionError {
		writeFunctionFailed(w)
		return
	}
	resp, err := furl.ParseResponse(res.Payload)
	if err != nil {
		s.log.Debug("function URL response refused", "request_id", requestID, "err", err)
		writeFunctionFailed(w)
		return
	}
	setResponseHeaders(h, resp.Header, resp.Cookies)
	if cors != nil {
		cors.Apply(r.Header, h)
	}
	if resp.StatusCode == http.StatusNoContent || resp.StatusCode == http.StatusNotModified {
		resp.Body = nil // a body is not allowed with these
	} else {
		h.Set("Content-Length", strconv.Itoa(len(resp.Body)))
	}
	w.WriteHeader(resp.StatusCode)
	if _, err := w.Write(resp.Body); err != nil {
		s.log.Debug("write function URL response", "request_id", requestID, "err", err)
	}
}

// urlStream writes a RESPONSE_STREAM invocation to the HTTP client: the
// prelude's status and headers (or 200 application/octet-stream when the
// runtime posts no application/vnd.awslambda.http-integration-response),
// then the body as it arrives, flushed per write. It is used by one
// goroutine at a time.
type urlStream struct {
	w        http.ResponseWriter
	rc       *http.ResponseController
	reqHdr   http.Header
	cors     *furl.CORS
	deadline time.Time

	prelude  bool // the body starts with a prelude
	splitter furl.Splitter
	split    bool  // the prelude has been read
	started  bool  // the status line has been written
	failed   error // the prelude was malformed
}

var _ interface {
	Write([]byte) (int, error)
	SetContentType(string)
	Flush() error
} = (*urlStream)(nil)

// SetContentType learns how the runtime posted the body.
func (u *urlStream) SetContentType(ct string) {
	mt, _, _ := mime.ParseMediaType(ct)
	u.prelude = mt == furl.ContentTypeHTTPIntegration
}

// start writes the status line and headers.
func (u *urlStream) start(status int, header http.Header, cookies []string) {
	u.started = true
	h := u.w.Header()
	setResponseHeaders(h, header, cookies)
	if u.cors != nil {
		u.cors.Apply(u.reqHdr, h)
	}
	// A client that stops reading must not hold the environment forever.
	_ = u.rc.SetWriteDeadline(u.deadline)
	u.w.WriteHeader(status)
}

// Write passes on one piece of the function's output.
func (u *urlStream) Write(p []byte) (int, error) {
	n := len(p)
	if u.failed != nil {
		return 0, u.failed
	}
	if u.prelude && !u.split {
		prelude, body, done, err := u.splitter.Feed(p)
		if err != nil {
			u.failed = err
			return 0, err
		}
		if !done {
			return n, nil
		}
		u.split = true
		pr, err := furl.ParsePrelude(prelude)
		if err != nil {
			u.failed = err
			return 0, err
		}
		u.start(pr.StatusCode, pr.Header, pr.Cookies)
		p = body
	}
	if !u.started {
		u.start(http.StatusOK, http.Header{"Content-Type": {furl.StreamContentType}}, nil)
	}
	if len(p) > 0 {
		if _, err := u.w.Write(p); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// Flush sends what was written so far; runtimeapi calls it whenever the
// function has sent nothing more. Before the status line it does nothing
// (flushing would send a 200 for a prelude not yet read).
func (u *urlStream) Flush() error {
	if !u.started {
		return nil
	}
	return u.rc.Flush()
}

// finish ends a stream whose invocation returned res: a function error
// before any byte is a 502; after bytes the connection is cut, as the
// status cannot change any more. A prelude the body never got past is
// read as it is.
func (u *urlStream) finish(res *scheduler.Result) {
	switch {
	case res.FunctionError && !u.started, u.failed != nil && !u.started:
		writeFunctionFailed(u.w)
	case res.FunctionError || u.failed != nil:
		// Cut the chunked response short: the client sees it break off.
		panic(http.ErrAbortHandler)
	case !u.started && u.prelude && !u.split && len(u.splitter.Pending()) > 0:
		pr, err := furl.ParsePrelude(u.splitter.Pending())
		if err != nil {
			writeFunctionFailed(u.w)
			return
		}
		u.start(pr.StatusCode, pr.Header, pr.Cookies)
	case !u.started:
		u.start(http.StatusOK, http.Header{"Content-Type": {furl.StreamContentType}}, nil)
	}
}

// streamFunctionURL runs a RESPONSE_STREAM invocation.
func (s *Server) streamFunctionURL(w http.ResponseWriter, r *http.Request, fn *scheduler.Function, req *scheduler.Request, cors *furl.CORS) {
	u := &urlStream{
		w: w, rc: http.NewResponseController(w), reqHdr: r.Header, cors: cors,
		deadline: time.Now().Add(time.Duration(fn.TimeoutSec)*time.Second + 10*time.Second + streamWriteSlack),
	}
	res, err := s.sched.InvokeStream(r.Context(), fn, req, u)
	if err != nil {
		if !u.started {
			writeError(w, s.log, req.RequestID, err)
			return
		}
		s.log.Error("streaming function URL failed after the stream started", "request_id", req.RequestID, "err", err)
		res = &scheduler.Result{FunctionError: true}
	}
	u.finish(res)
}

// setResponseHeaders copies the function's headers to h, one Set-Cookie
// per cookie; lambdad's own X-Amzn-Requestid and Date stay.
func setResponseHeaders(h, fnHeader http.Header, cookies []string) {
	for name, values := range fnHeader {
		switch name {
		case "X-Amzn-Requestid", "Date":
			continue
		}
		h[name] = values
	}
	for _, c := range cookies {
		h.Add("Set-Cookie", c)
	}
}

// eventHeaders are the request headers the function sees: the client's,
// with the forwarding headers Lambda adds.
func eventHeaders(r *http.Request, trace string) http.Header {
	h := r.Header.Clone()
	if h == nil {
		h = make(http.Header)
	}
	ip := sourceIP(r)
	if prior := h.Get("X-Forwarded-For"); prior != "" {
		ip = prior + ", " + ip
	}
	h.Set("X-Forwarded-For", ip)
	h.Set("X-Forwarded-Proto", "http")
	if addr, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if _, port, err := net.SplitHostPort(addr.String()); err == nil {
			h.Set("X-Forwarded-Port", port)
		}
	}
	h.Set("X-Amzn-Trace-Id", trace)
	return h
}

// sourceIP is the address of the client's end of the connection.
func sourceIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// corsOf converts a stored Cors config; nil when there is none.
func corsOf(c *registry.Cors) *furl.CORS {
	if c == nil {
		return nil
	}
	out := &furl.CORS{
		AllowHeaders:  c.AllowHeaders,
		AllowMethods:  c.AllowMethods,
		AllowOrigins:  c.AllowOrigins,
		ExposeHeaders: c.ExposeHeaders,
	}
	if c.AllowCredentials != nil {
		out.AllowCredentials = *c.AllowCredentials
	}
	if c.MaxAge != nil {
		out.MaxAge = *c.MaxAge
	}
	return out
}

// writeURLDenied answers 403 AccessDeniedException with {"Message":msg}:
// msg is nil (JSON null) for a URL that does not exist, as on AWS.
func writeURLDenied(w http.ResponseWriter, msg *string) {
	b, _ := json.Marshal(struct {
		Message *string `json:"Message"`
	}{msg})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-ErrorType", awserr.AccessDenied)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusForbidden)
	_, _ = w.Write(b)
}

// writeFunctionFailed is AWS's answer when the function failed (an error,
// a timeout, a crash) or returned what cannot be an HTTP response: 502 with
// the body "Internal Server Error" (PROTOCOLS §6.4; the Content-Type is
// unverified).
func writeFunctionFailed(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(urlFunctionFailed)))
	w.WriteHeader(http.StatusBadGateway)
	_, _ = w.Write([]byte(urlFunctionFailed))
}

// urlTooLarge is the answer to a request body over the Invoke limit
// (unverified for function URLs).
func urlTooLarge() error {
	return awserr.New(awserr.RequestEntityTooLarge, "Request must be smaller than %d bytes for the InvokeFunction operation", maxInvokeBody)
}

// urlPermitted reports whether fn's resource policy for qualifier lets
// principal call its function URL of authType. As on AWS for URLs created
// since October 2025, that takes two grants: lambda:InvokeFunctionUrl
// (whose FunctionUrlAuthType condition must match) and lambda:InvokeFunction
// (which a lambda:InvokedViaFunctionUrl condition may limit to URL calls).
func urlPermitted(fn *registry.Function, qualifier, principal, authType string) bool {
	req := registry.PolicyRequest{Action: "lambda:InvokeFunctionUrl", Principal: principal, FunctionUrlAuthType: authType}
	if !fn.Permits(qualifier, req) {
		return false
	}
	req.Action = "lambda:InvokeFunction"
	return fn.Permits(qualifier, req)
}
