package api

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/lambdad/lambdad/internal/awserr"
	"github.com/lambdad/lambdad/internal/eventstream"
	"github.com/lambdad/lambdad/internal/scheduler"
)

// Wire names of InvokeWithResponseStream (PROTOCOLS §4.2).
const (
	contentTypeEventStream = "application/vnd.amazon.eventstream"
	eventPayloadChunk      = "PayloadChunk"
	eventInvokeComplete    = "InvokeComplete"
)

// streamWriteSlack is how long past the function's timeout (plus the Init
// phase) a client may take to read the stream before writes to it fail; it
// keeps a client that stopped reading from holding an environment forever.
const streamWriteSlack = 15 * time.Second

// invokeWithResponseStream serves InvokeWithResponseStream: RequestResponse
// and DryRun. Errors found before the function runs (validation, unknown
// function, throttling) are ordinary JSON errors; once the function runs
// the answer is 200 with an event stream of PayloadChunk events, written
// and flushed as the function produces them, and one InvokeComplete that
// carries a function error, if any, and the log tail. The status line goes
// out with the first event.
func invokeWithResponseStream(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	h := r.Header
	invocationType := h.Get("X-Amz-Invocation-Type")
	switch invocationType {
	case "", "RequestResponse", "DryRun":
	default:
		return awserr.Validationf(invocationType, "invocationType", "Member must satisfy enum value set: [RequestResponse, DryRun]")
	}
	req, fn, err := s.syncRequest(r, c)
	if err != nil {
		return err
	}
	if invocationType == "DryRun" {
		return writeEmpty(w, http.StatusNoContent)
	}
	ew := &eventWriter{w: w, rc: http.NewResponseController(w), version: fn.Version,
		writeDeadline: time.Now().Add(time.Duration(fn.TimeoutSec)*time.Second + 10*time.Second + streamWriteSlack)}
	ew.enc = eventstream.NewEncoder(w)
	res, err := s.sched.InvokeStream(r.Context(), fn, req, ew)
	if err != nil {
		if !ew.started {
			return err
		}
		// Not expected: the scheduler fails only before the function runs.
		s.log.Error("streaming invoke failed after the stream started", "request_id", c.RequestID, "err", err)
		res = &scheduler.Result{FunctionError: true, ErrorType: awserr.Service, Payload: []byte("An internal error occurred in lambdad.")}
	}
	if err := ew.complete(res, req.Tail); err != nil {
		s.log.Debug("write invoke stream", "request_id", c.RequestID, "err", err)
	}
	return nil
}

// syncRequest validates what Invoke and InvokeWithResponseStream share —
// LogType, FunctionName and Qualifier, payload, client context, recursion
// (the lineage in the trace header) — and returns the scheduler's request
// and function.
func (s *Server) syncRequest(r *http.Request, c *call) (*scheduler.Request, *scheduler.Function, error) {
	h := r.Header
	logType := h.Get("X-Amz-Log-Type")
	if logType != "" && logType != "None" && logType != "Tail" {
		return nil, nil, awserr.Validationf(logType, "logType", "Member must satisfy enum value set: [None, Tail]")
	}
	fn, invokedARN, err := s.resolveForInvoke(c.Account, r.PathValue("FunctionName"), r.URL.Query().Get("Qualifier"))
	if err != nil {
		return nil, nil, err
	}
	if len(c.Body) > 0 && !json.Valid(c.Body) {
		return nil, nil, awserr.New(awserr.InvalidRequestContent, "Could not parse request body into json: Could not parse payload into json: Unexpected character: was expecting a JSON value")
	}
	clientContext, err := decodeClientContext(h.Get("X-Amz-Client-Context"))
	if err != nil {
		return nil, nil, err
	}
	payload := c.Body
	if len(payload) == 0 {
		payload = emptyEvent
	}
	trace, err := s.runtimeTrace(c.Account, fn.Name, h.Get("X-Amzn-Trace-Id"))
	if err != nil {
		return nil, nil, err
	}
	req := &scheduler.Request{
		RequestID:     c.RequestID,
		Payload:       payload,
		ContentType:   h.Get("Content-Type"),
		InvokedARN:    invokedARN,
		TraceID:       trace,
		ClientContext: clientContext,
		Tail:          logType == "Tail",
	}
	if req.ContentType == "" || req.ContentType == "application/octet-stream" {
		req.ContentType = "application/json"
	}
	return req, fn, nil
}

// eventWriter turns the function's streamed output into PayloadChunk
// events, one per Write. It is a runtimeapi.Flusher: InvokeStream flushes
// it whenever it has written all the function has sent so far. It is used
// by one goroutine at a time (the scheduler writes from the handler's
// goroutine).
type eventWriter struct {
	w             http.ResponseWriter
	rc            *http.ResponseController
	enc           *eventstream.Encoder
	version       string
	writeDeadline time.Time
	started       bool
}

// start sends the status line and headers.
func (ew *eventWriter) start() {
	ew.started = true
	h := ew.w.Header()
	h["Content-Type"] = []string{contentTypeEventStream}
	h["X-Amz-Executed-Version"] = []string{ew.version}
	// A client that stops reading must not hold the environment forever.
	_ = ew.rc.SetWriteDeadline(ew.writeDeadline)
	ew.w.WriteHeader(http.StatusOK)
}

// Write sends p as one PayloadChunk event.
func (ew *eventWriter) Write(p []byte) (int, error) {
	if !ew.started {
		ew.start()
	}
	if err := ew.enc.Event(eventPayloadChunk, "application/octet-stream", p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// The scheduler's writer is an io.Writer; runtimeapi finds Flush on it.
var _ interface{ Flush() error } = (*eventWriter)(nil)

// Flush sends the events written so far.
func (ew *eventWriter) Flush() error {
	if !ew.started {
		return nil
	}
	return ew.rc.Flush()
}

// invokeComplete is the payload of the InvokeComplete event. It is never
// empty: aws-sdk-go-v2 fails on an empty one (PROTOCOLS §4.2).
type invokeComplete struct {
	ErrorCode    string `json:"ErrorCode,omitempty"`
	ErrorDetails string `json:"ErrorDetails,omitempty"`
	LogResult    string `json:"LogResult,omitempty"`
}

// complete sends the InvokeComplete event for res.
func (ew *eventWriter) complete(res *scheduler.Result, tail bool) error {
	if !ew.started {
		ew.start()
	}
	var ic invokeComplete
	if res.FunctionError {
		ic.ErrorCode, ic.ErrorDetails = streamError(res)
	}
	if tail {
		ic.LogResult = base64.StdEncoding.EncodeToString(res.LogTail)
	}
	payload, err := json.Marshal(ic)
	if err != nil {
		return err
	}
	if err := ew.enc.Event(eventInvokeComplete, "application/json", payload); err != nil {
		return err
	}
	if err := ew.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}

// streamError is the ErrorCode and ErrorDetails of a function error: the
// error type (the runtime's, the errorType of its error body, or
// "Unhandled" when neither names one) and the error message (the body's
// errorMessage, else the whole body). What AWS puts there exactly is
// unverified (PROTOCOLS §4.2).
func streamError(res *scheduler.Result) (code, details string) {
	var body struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}
	isJSON := json.Unmarshal(res.Payload, &body) == nil
	code = res.ErrorType
	if code == "" {
		code = body.ErrorType
	}
	if code == "" {
		code = "Unhandled"
	}
	details = string(res.Payload)
	if isJSON && body.ErrorMessage != "" {
		details = body.ErrorMessage
	}
	return code, details
}
