package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync"

	"github.com/lambdad/lambdad/internal/awserr"
)

// writeError renders err as the Lambda REST API does: the error code in the
// X-Amzn-ErrorType header, a JSON body shaped as the model spells it, and the
// code's status. Anything that is not an *awserr.Error is an internal fault: it
// is logged here with its detail and the client sees a ServiceException.
func writeError(w http.ResponseWriter, log *slog.Logger, requestID string, err error) {
	e, ok := awserr.As(err)
	if !ok {
		log.Error("internal error", "request_id", requestID, "err", err)
		e = awserr.New(awserr.Service, "An internal error occurred in lambdad. Request ID: %s", requestID)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-ErrorType", e.Code)
	if e.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	w.WriteHeader(e.HTTPStatus())
	_ = json.NewEncoder(w).Encode(e.Body())
}

// jsonAppender is a response that encodes itself faster than
// encoding/json would.
type jsonAppender interface {
	AppendJSON([]byte) []byte
}

// appendBuffers recycles the bodies of jsonAppender responses (a page of
// ListFunctions is tens of KB), to spare the garbage collector.
var appendBuffers = sync.Pool{New: func() any { return new([]byte) }}

// writeJSON writes v as the JSON body of a response with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	var b []byte
	if a, ok := v.(jsonAppender); ok {
		buf := appendBuffers.Get().(*[]byte)
		b = a.AppendJSON((*buf)[:0])
		defer func() {
			*buf = b
			appendBuffers.Put(buf)
		}()
	} else {
		var err error
		if b, err = json.Marshal(v); err != nil {
			return err
		}
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, err := w.Write(b)
	return err
}

// writeEmpty answers with a status and no body (204s of delete operations).
func writeEmpty(w http.ResponseWriter, status int) error {
	w.WriteHeader(status)
	return nil
}

// decodeJSON decodes a request body into v. Unknown members are ignored, as
// AWS ignores them; a body that is not JSON, or does not fit v's shape, is an
// InvalidRequestContentException. An empty body decodes as {}.
func decodeJSON(body []byte, v any) error {
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return awserr.New(awserr.InvalidRequestContent, "Could not parse request body into json: Could not deserialize field '%s': expected %s", typeErr.Field, typeErr.Type)
		}
		return awserr.New(awserr.InvalidRequestContent, "Could not parse request body into json: %s", err.Error())
	}
	return nil
}
