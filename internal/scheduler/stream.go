package scheduler

import (
	"context"
	"io"
)

// InvokeStream is Invoke for a streaming invocation (InvokeWithResponseStream,
// PROTOCOLS §1.6): the function's response body is written to w as the
// runtime sends it, from the calling goroutine, and the Result's Payload
// holds only an error body. It shares Invoke's pools, concurrency
// accounting, timeouts and logs; an error return (throttled, daemon
// closing) means nothing was written to w. A function error after bytes
// were written (error trailers, timeout, crash, size limit) is reported in
// the Result; those bytes stay written.
func (s *Scheduler) InvokeStream(ctx context.Context, fn *Function, req *Request, w io.Writer) (*Result, error) {
	r := *req
	r.stream = w
	return s.Invoke(ctx, fn, &r)
}
