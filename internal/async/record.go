package async

import (
	"encoding/json"
	"time"
)

// Conditions of a destination record.
const (
	ConditionSuccess          = "Success"
	ConditionRetriesExhausted = "RetriesExhausted"
	ConditionEventAgeExceeded = "EventAgeExceeded"
	// ConditionRecursion is the condition of an event stopped by the
	// recursion guard. AWS's value for it is unverified; lambdad uses the
	// name of its RecursiveInvocationsDropped metric's cause.
	ConditionRecursion = "RecursiveInvocationDetected"
)

// Record is AWS's destination record (the payload an OnSuccess or OnFailure
// destination receives).
type Record struct {
	Version         string           `json:"version"`
	Timestamp       string           `json:"timestamp"`
	RequestContext  RequestContext   `json:"requestContext"`
	RequestPayload  json.RawMessage  `json:"requestPayload"`
	ResponseContext *ResponseContext `json:"responseContext,omitempty"`
	ResponsePayload json.RawMessage  `json:"responsePayload,omitempty"`
}

// RequestContext is a Record's requestContext.
type RequestContext struct {
	RequestID              string `json:"requestId"`
	FunctionArn            string `json:"functionArn"`
	Condition              string `json:"condition"`
	ApproximateInvokeCount int    `json:"approximateInvokeCount"`
}

// ResponseContext is a Record's responseContext.
type ResponseContext struct {
	StatusCode      int    `json:"statusCode"`
	ExecutedVersion string `json:"executedVersion"`
	FunctionError   string `json:"functionError,omitempty"`
}

// recordTimeLayout is the record's timestamp: UTC, milliseconds, Z.
const recordTimeLayout = "2006-01-02T15:04:05.000Z"

// jsonValue is b as a JSON value: b itself when it is JSON, else a JSON
// string of it, null when empty.
func jsonValue(b []byte) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage("null")
	}
	if json.Valid(b) {
		return json.RawMessage(b)
	}
	s, _ := json.Marshal(string(b))
	return s
}

// newRecord builds the record of event e of the function with qualified ARN
// functionARN. res is nil when the function never ran the event's last
// attempt (age exceeded, recursion): the record then has no response.
func newRecord(now time.Time, e *Event, functionARN, condition string, invokeCount int, res *outcome) *Record {
	r := &Record{
		Version:   "1.0",
		Timestamp: now.UTC().Format(recordTimeLayout),
		RequestContext: RequestContext{
			RequestID:              e.RequestID,
			FunctionArn:            functionARN,
			Condition:              condition,
			ApproximateInvokeCount: invokeCount,
		},
		RequestPayload: jsonValue(e.Payload),
	}
	if res != nil {
		r.ResponseContext = &ResponseContext{StatusCode: 200, ExecutedVersion: res.executedVersion}
		if res.functionError {
			r.ResponseContext.FunctionError = "Unhandled"
		}
		r.ResponsePayload = jsonValue(res.payload)
	}
	return r
}

// outcome is what an attempt returned.
type outcome struct {
	payload         []byte
	functionError   bool
	executedVersion string
}
