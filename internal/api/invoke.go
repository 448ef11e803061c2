package api

import (
	"encoding/base64"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/lambdad/lambdad/internal/awserr"
)

// maxClientContext is the limit of X-Amz-Client-Context, in base64 bytes.
const maxClientContext = 3583

var emptyEvent = []byte("{}")

// invoke serves Invoke: RequestResponse and DryRun. The invoke hot path:
// resolve the version in memory, hand the payload to the scheduler, write
// the result bytes back.
func invoke(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	h := r.Header
	invocationType := h.Get("X-Amz-Invocation-Type")
	switch invocationType {
	case "", "RequestResponse", "DryRun":
	case "Event":
		return invokeEvent(s, w, r, c)
	default:
		return awserr.Validationf(invocationType, "invocationType", "Member must satisfy enum value set: [Event, RequestResponse, DryRun]")
	}
	req, fn, err := s.syncRequest(r, c)
	if err != nil {
		return err
	}
	if invocationType == "DryRun" {
		return writeEmpty(w, http.StatusNoContent)
	}
	res, err := s.sched.Invoke(r.Context(), fn, req)
	if err != nil {
		return err
	}
	out := w.Header()
	out["X-Amz-Executed-Version"] = []string{fn.Version}
	if res.FunctionError {
		out["X-Amz-Function-Error"] = []string{"Unhandled"}
	}
	if req.Tail {
		out["X-Amz-Log-Result"] = []string{base64.StdEncoding.EncodeToString(res.LogTail)}
	}
	out["Content-Type"] = []string{"application/json"}
	out["Content-Length"] = []string{strconv.Itoa(len(res.Payload))}
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(res.Payload)
	if err != nil {
		s.log.Debug("write invoke response", "request_id", c.RequestID, "err", err)
	}
	return nil
}

// decodeClientContext checks X-Amz-Client-Context (base64 of a JSON object,
// at most 3,583 bytes) and returns the decoded JSON the runtime receives.
func decodeClientContext(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	if len(v) > maxClientContext {
		return "", awserr.Validationf(v, "clientContext", "Member must have length less than or equal to 3583")
	}
	raw, err := base64.StdEncoding.DecodeString(v)
	if err != nil || !json.Valid(raw) {
		return "", awserr.New(awserr.InvalidRequestContent, "Client context must be a valid Base64-encoded JSON object.")
	}
	return string(raw), nil
}

// traceID is the X-Ray trace header the runtime receives: the caller's
// X-Amzn-Trace-Id when it sent one, else a new root, as Lambda starts a
// trace for every invocation.
func traceID(header string) string {
	if header != "" {
		return header
	}
	b := make([]byte, 0, 72)
	b = append(b, "Root=1-"...)
	b = appendHex(b, uint64(time.Now().Unix()), 8)
	b = append(b, '-')
	b = appendHex(b, rand.Uint64()>>32, 8)
	b = appendHex(b, rand.Uint64(), 16)
	b = append(b, ";Parent="...)
	b = appendHex(b, rand.Uint64(), 16)
	b = append(b, ";Sampled=0"...)
	return string(b)
}

// appendHex appends the low digits hex digits of v, zero-padded.
func appendHex(b []byte, v uint64, digits int) []byte {
	const hexDigits = "0123456789abcdef"
	for i := digits - 1; i >= 0; i-- {
		b = append(b, hexDigits[(v>>(4*uint(i)))&0xf])
	}
	return b
}
