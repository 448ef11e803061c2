package async

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
)

// Headers of an event message.
const (
	hdrRequestID = "Lambdad-Request-Id"
	hdrAccount   = "Lambdad-Account"
	hdrFunction  = "Lambdad-Function"
	hdrQualifier = "Lambdad-Qualifier"
	hdrEnqueued  = "Lambdad-Enqueued" // unix milliseconds
	hdrDue       = "Lambdad-Due"      // unix milliseconds; absent: at once
	hdrAttempts  = "Lambdad-Attempts" // function-error attempts made so far
	hdrTrace     = "Lambdad-Trace-Id" // X-Ray trace header, lineage included
	hdrMsgID     = nats.MsgIdHdr      // de-duplicates a publish retried by the client
)

// Event is one asynchronous invocation waiting in the queue.
type Event struct {
	// RequestID is the invocation's request id, the same on every attempt.
	RequestID string
	Account   string
	// Function is the function name; Qualifier is "" or "$LATEST" (later a
	// version or alias).
	Function  string
	Qualifier string
	// Payload is the event, as the caller sent it.
	Payload []byte
	// Enqueued is when the caller's event was accepted; retries keep it.
	Enqueued time.Time
	// Due is when the next attempt may start; zero means at once.
	Due time.Time
	// Attempts is how many times the function has run the event and failed.
	Attempts int
	// TraceID is the trace header handed to the runtime (with lambdad's
	// lineage counter).
	TraceID string
}

// errMalformed is returned by decodeEvent for a message that is not an
// event this version of lambdad wrote.
var errMalformed = errors.New("malformed event message")

// header returns the message headers of e.
func (e *Event) header() nats.Header {
	h := nats.Header{
		hdrRequestID: {e.RequestID},
		hdrAccount:   {e.Account},
		hdrFunction:  {e.Function},
		hdrEnqueued:  {strconv.FormatInt(e.Enqueued.UnixMilli(), 10)},
		hdrAttempts:  {strconv.Itoa(e.Attempts)},
		hdrMsgID:     {e.RequestID + "/" + strconv.Itoa(e.Attempts)},
	}
	if e.Qualifier != "" {
		h[hdrQualifier] = []string{e.Qualifier}
	}
	if !e.Due.IsZero() {
		h[hdrDue] = []string{strconv.FormatInt(e.Due.UnixMilli(), 10)}
	}
	if e.TraceID != "" {
		h[hdrTrace] = []string{e.TraceID}
	}
	return h
}

// decodeEvent reads an event from a message's headers and body. The
// payload aliases data.
func decodeEvent(h nats.Header, data []byte) (*Event, error) {
	e := &Event{
		RequestID: h.Get(hdrRequestID),
		Account:   h.Get(hdrAccount),
		Function:  h.Get(hdrFunction),
		Qualifier: h.Get(hdrQualifier),
		TraceID:   h.Get(hdrTrace),
		Payload:   data,
	}
	if e.RequestID == "" || e.Account == "" || e.Function == "" {
		return nil, fmt.Errorf("%w: missing request id, account or function", errMalformed)
	}
	ms, err := strconv.ParseInt(h.Get(hdrEnqueued), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%w: enqueue time: %v", errMalformed, err)
	}
	e.Enqueued = time.UnixMilli(ms)
	if v := h.Get(hdrDue); v != "" {
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: due time: %v", errMalformed, err)
		}
		e.Due = time.UnixMilli(ms)
	}
	n, err := strconv.Atoi(h.Get(hdrAttempts))
	if err != nil || n < 0 {
		return nil, fmt.Errorf("%w: attempts %q", errMalformed, h.Get(hdrAttempts))
	}
	e.Attempts = n
	return e, nil
}
