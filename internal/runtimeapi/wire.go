package runtimeapi

import (
	"net/http"
	"strconv"
	"unicode/utf8"
)

// Wire names of the Runtime API 2018-06-01 (PROTOCOLS §1).
const (
	pathNext          = "/2018-06-01/runtime/invocation/next"
	pathInvocation    = "/2018-06-01/runtime/invocation/"
	pathInitError     = "/2018-06-01/runtime/init/error"
	suffixResponse    = "/response"
	suffixError       = "/error"
	headerRequestID   = "Lambda-Runtime-Aws-Request-Id"
	headerDeadline    = "Lambda-Runtime-Deadline-Ms"
	headerFunctionARN = "Lambda-Runtime-Invoked-Function-Arn"
	headerTraceID     = "Lambda-Runtime-Trace-Id"
	headerClientCtx   = "Lambda-Runtime-Client-Context"
	headerCognito     = "Lambda-Runtime-Cognito-Identity"
	headerErrorType   = "Lambda-Runtime-Function-Error-Type"
	headerErrorBody   = "Lambda-Runtime-Function-Error-Body"
	headerMode        = "Lambda-Runtime-Function-Response-Mode"
	modeStreaming     = "streaming"

	contentTypeJSON       = "application/json"
	contentTypeBytes      = "application/octet-stream"
	contentTypeErrorCause = "application/vnd.aws.lambda.error.cause+json"

	errorTypeTooLarge    = "Function.ResponseSizeTooLarge"
	errorTypeInvalidMode = "Runtime.InvalidResponseModeHeader"
)

// Canned answers that are the same for every runtime.
var (
	respAccepted = []byte("HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"status\":\"OK\"}")
	respContinue = []byte("HTTP/1.1 100 Continue\r\n\r\n")
)

// apiError is an error answer to the runtime: a status and the RAPID error
// body {"errorMessage","errorType"} (RIE rendering/render_error.go).
type apiError struct {
	status  int
	typ     string
	message string
}

var (
	errInvalidRequestID = apiError{http.StatusBadRequest, "InvalidRequestID", "Invalid request ID"}
	errInvalidMode      = apiError{http.StatusBadRequest, "InvalidFunctionResponseMode", "Invalid function response mode"}
	errTruncated        = apiError{http.StatusBadRequest, "TruncatedHTTPRequest", "HTTP request detected as truncated"}
	errMalformed        = apiError{http.StatusBadRequest, "InvalidRequestFormat", "Malformed HTTP request"}
	errHeaderTooLarge   = apiError{http.StatusRequestHeaderFieldsTooLarge, "RequestHeaderFieldsTooLarge", "Request header fields too large"}
	errUnsupportedTE    = apiError{http.StatusNotImplemented, "UnsupportedTransferEncoding", "Unsupported transfer encoding"}
	errNotFound         = apiError{http.StatusNotFound, "NotFound", "Resource not found"}
	errMethod           = apiError{http.StatusMethodNotAllowed, "MethodNotAllowed", "Method not allowed"}
	errTooManyConns     = apiError{http.StatusServiceUnavailable, "TooManyConnections", "Too many connections to the Runtime API"}
)

// errStateTransition is the 403 RAPID answers when a call is not allowed in
// the runtime's current state.
func errStateTransition(from, to string) apiError {
	return apiError{http.StatusForbidden, "InvalidStateTransition",
		"State transition from " + from + " to " + to + " failed for runtime. Error: State transition is not allowed"}
}

func errTooLarge(limit int64) apiError {
	return apiError{http.StatusRequestEntityTooLarge, "RequestEntityTooLarge",
		"Exceeded maximum allowed payload size (" + strconv.FormatInt(limit, 10) + " bytes)."}
}

// State names used in InvalidStateTransition messages (RIE core/states.go).
const (
	stateStarted      = "Started"
	stateInitError    = "InitError"
	stateReady        = "Ready"
	stateRunning      = "Running"
	stateResponseSent = "RuntimeResponseSentState"
	toResponse        = "InvocationResponse"
	toErrorResponse   = "InvocationErrorResponse"
)

// appendResponse appends a complete response with a JSON body.
func appendResponse(dst []byte, status int, body []byte, close bool) []byte {
	dst = append(dst, "HTTP/1.1 "...)
	dst = strconv.AppendInt(dst, int64(status), 10)
	dst = append(dst, ' ')
	dst = append(dst, http.StatusText(status)...)
	dst = append(dst, "\r\nContent-Type: application/json\r\nContent-Length: "...)
	dst = strconv.AppendInt(dst, int64(len(body)), 10)
	if close {
		dst = append(dst, "\r\nConnection: close"...)
	}
	dst = append(dst, "\r\n\r\n"...)
	return append(dst, body...)
}

// appendErrorBody appends {"errorMessage":message,"errorType":typ}.
func appendErrorBody(dst []byte, message, typ string) []byte {
	dst = append(dst, `{"errorMessage":`...)
	dst = appendJSONString(dst, message)
	dst = append(dst, `,"errorType":`...)
	dst = appendJSONString(dst, typ)
	return append(dst, '}')
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD
// so that the result is always valid JSON.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, `\ufffd`...)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}

// appendNextHead appends the status line and headers of a GET /next answer
// carrying inv; the payload follows it on the wire.
func appendNextHead(dst []byte, inv *Invocation) []byte {
	dst = append(dst, "HTTP/1.1 200 OK\r\nContent-Type: "...)
	if inv.ContentType == "" {
		dst = append(dst, contentTypeJSON...)
	} else {
		dst = append(dst, inv.ContentType...)
	}
	dst = append(dst, "\r\n"+headerRequestID+": "...)
	dst = append(dst, inv.RequestID...)
	dst = append(dst, "\r\n"+headerDeadline+": "...)
	dst = strconv.AppendInt(dst, inv.Deadline.UnixMilli(), 10)
	if inv.FunctionARN != "" {
		dst = append(dst, "\r\n"+headerFunctionARN+": "...)
		dst = append(dst, inv.FunctionARN...)
	}
	if inv.TraceID != "" {
		dst = append(dst, "\r\n"+headerTraceID+": "...)
		dst = append(dst, inv.TraceID...)
	}
	if inv.ClientContext != "" {
		dst = append(dst, "\r\n"+headerClientCtx+": "...)
		dst = appendJSONHeaderValue(dst, inv.ClientContext)
	}
	if inv.CognitoIdentity != "" {
		dst = append(dst, "\r\n"+headerCognito+": "...)
		dst = appendJSONHeaderValue(dst, inv.CognitoIdentity)
	}
	dst = append(dst, "\r\nContent-Length: "...)
	dst = strconv.AppendInt(dst, int64(len(inv.Payload)), 10)
	return append(dst, "\r\n\r\n"...)
}

// appendJSONHeaderValue appends JSON text as one header value. Control
// characters cannot appear in a header; in valid JSON they can only be
// whitespace between tokens (inside strings they must be escaped), so
// replacing them with spaces keeps the document's meaning.
func appendJSONHeaderValue(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			c = ' '
		}
		dst = append(dst, c)
	}
	return dst
}

// validHeaderValue reports whether s can be sent as a header value as is.
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// internContentType returns common content types without allocating.
func internContentType(v []byte) string {
	switch string(v) {
	case contentTypeJSON:
		return contentTypeJSON
	case contentTypeBytes:
		return contentTypeBytes
	case "application/x-www-form-urlencoded":
		return "application/x-www-form-urlencoded"
	case "text/plain":
		return "text/plain"
	case "text/plain; charset=utf-8":
		return "text/plain; charset=utf-8"
	case "application/vnd.awslambda.http-integration-response":
		return "application/vnd.awslambda.http-integration-response"
	case contentTypeErrorCause:
		return contentTypeErrorCause
	}
	return string(v)
}
