package scheduler

import (
	"io"

	"github.com/lambdad/lambdad/internal/store"
)

// Function is what the scheduler needs to run one function version. Two
// Functions with the same Key and Revision must be identical.
type Function struct {
	Account string
	Name    string
	Version string // "$LATEST" or a number
	ARN     string // unqualified function ARN
	// Revision changes whenever code or configuration changes.
	Revision string

	Runtime string
	Handler string
	Code    store.Digest
	// Layers are the digests of the function's layer zips, in order: they
	// are merged at /opt.
	Layers      []store.Digest
	MemoryMB    int
	TimeoutSec  int
	EphemeralMB int
	Environment map[string]string
	// Reserved is the function's reserved concurrency, or -1 when it has
	// none.
	Reserved int
}

// Request is one synchronous invocation.
type Request struct {
	RequestID     string
	Payload       []byte
	ContentType   string
	InvokedARN    string // the ARN as the caller named it (qualifier included)
	TraceID       string
	ClientContext string // decoded JSON
	Tail          bool   // LogType Tail

	stream      io.Writer // set by InvokeStream
	provisioned bool      // starts a provisioned environment (no invocation)
}

// Result is the outcome of an invocation that reached the function.
type Result struct {
	Payload     []byte
	ContentType string
	// FunctionError is set when the function (or the platform on its behalf:
	// timeout, crash) failed; X-Amz-Function-Error is then "Unhandled".
	FunctionError bool
	// ErrorType names a function error when it is known: the runtime's
	// Lambda-Runtime-Function-Error-Type, the errorType of its error body,
	// or the platform's (Sandbox.Timedout, Runtime.ExitError, …).
	ErrorType string
	LogTail   []byte // set when the request asked for Tail
}
