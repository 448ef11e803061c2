// Package awserr is the one error type of the Lambda REST API: an error code
// (the x-amzn-ErrorType header), a message, and the HTTP status and body shape
// that AWS uses for that code.
//
// Statuses and message casing of modelled exceptions come from the AWS model
// (status_gen.go, written by go generate); the codes AWS sends that the model
// lacks (ValidationException, RequestEntityTooLargeException, the
// authentication errors) are listed in unmodelled.
package awserr

//go:generate go run ./gen -out status_gen.go

import (
	"errors"
	"fmt"
	"net/http"
)

// Error codes used by lambdad. Codes not listed here are still accepted by New
// when the model has them.
const (
	ResourceNotFound           = "ResourceNotFoundException"
	ResourceConflict           = "ResourceConflictException"
	InvalidParameterValue      = "InvalidParameterValueException"
	InvalidRequestContent      = "InvalidRequestContentException"
	Validation                 = "ValidationException"
	RequestEntityTooLarge      = "RequestEntityTooLargeException"
	PreconditionFailed         = "PreconditionFailedException"
	TooManyRequests            = "TooManyRequestsException"
	Service                    = "ServiceException"
	UnsupportedMediaType       = "UnsupportedMediaTypeException"
	RecursiveInvocation        = "RecursiveInvocationException"
	AccessDenied               = "AccessDeniedException"
	InvalidSignature           = "InvalidSignatureException"
	UnrecognizedClient         = "UnrecognizedClientException"
	MissingAuthenticationToken = "MissingAuthenticationTokenException"
	IncompleteSignature        = "IncompleteSignatureException"
	UnknownOperation           = "UnknownOperationException"
	ProvisionedConfigMissing   = "ProvisionedConcurrencyConfigNotFoundException"
)

// kind is what AWS does with one error code on the wire.
type kind struct {
	status     int
	client     bool   // body Type "User" rather than "Service"
	messageKey string // "message" or "Message", as the model spells the member
	noType     bool   // body carries no Type member
}

// unmodelled are codes real Lambda returns that the model does not list.
var unmodelled = map[string]kind{
	Validation:                 {status: 400, client: true, messageKey: "message", noType: true},
	RequestEntityTooLarge:      {status: 413, client: true, messageKey: "message"},
	AccessDenied:               {status: 403, client: true, messageKey: "Message", noType: true},
	InvalidSignature:           {status: 403, client: true, messageKey: "message", noType: true},
	UnrecognizedClient:         {status: 403, client: true, messageKey: "message", noType: true},
	MissingAuthenticationToken: {status: 403, client: true, messageKey: "message", noType: true},
	IncompleteSignature:        {status: 403, client: true, messageKey: "message", noType: true},
	UnknownOperation:           {status: 404, client: true, messageKey: "message", noType: true},
}

func lookup(code string) kind {
	if k, ok := modelled[code]; ok {
		return k
	}
	if k, ok := unmodelled[code]; ok {
		return k
	}
	return kind{status: http.StatusInternalServerError, messageKey: "Message"}
}

// Error is an AWS API error. Handlers return it; api renders it.
type Error struct {
	Code    string // the x-amzn-ErrorType value
	Message string
	// Reason is the TooManyRequestsException reason; empty otherwise.
	Reason string
	// RetryAfter, in seconds, becomes a Retry-After header when positive.
	RetryAfter int
	// Status overrides the status of Code when non-zero (function URLs use
	// statuses of their own).
	Status int
}

// New returns an error with the given code and a formatted message.
func New(code, format string, args ...any) *Error {
	if len(args) == 0 {
		return &Error{Code: code, Message: format}
	}
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// HTTPStatus is the status AWS answers with for this error.
func (e *Error) HTTPStatus() int {
	if e.Status != 0 {
		return e.Status
	}
	return lookup(e.Code).status
}

// Body is the JSON object AWS sends for this error: Type (User or Service,
// when AWS sends one), the message under the member name the model uses, and
// Reason for throttles. __type repeats the code so a client that lost the
// header still finds it.
func (e *Error) Body() map[string]any {
	k := lookup(e.Code)
	body := map[string]any{k.messageKey: e.Message, "__type": e.Code}
	if !k.noType {
		if k.client {
			body["Type"] = "User"
		} else {
			body["Type"] = "Service"
		}
	}
	if e.Reason != "" {
		body["Reason"] = e.Reason
	}
	return body
}

// As returns the *Error in err's chain, if there is one.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Is reports whether err carries an AWS error with the given code.
func Is(err error, code string) bool {
	e, ok := As(err)
	return ok && e.Code == code
}

// Validationf returns the ValidationException AWS sends for a request member
// that violates a model constraint: "1 validation error detected: Value 'v'
// at 'member' failed to satisfy constraint: <constraint>".
func Validationf(value, member, constraint string) *Error {
	return New(Validation, "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, member, constraint)
}
