package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/lambdad/lambdad/internal/async"
	"github.com/lambdad/lambdad/internal/awserr"
	"github.com/lambdad/lambdad/internal/registry"
	"github.com/lambdad/lambdad/internal/scheduler"
)

// Payload limits of asynchronous invocation.
const (
	maxEventPayload       = 1 << 20   // Invoke with InvocationType Event
	maxInvokeAsyncPayload = 256 << 10 // InvokeAsync
)

// eventQueue is what the API needs of the async queue; *async.Queue has it.
type eventQueue interface {
	// Accept stores an event durably before it returns.
	Accept(ctx context.Context, e *async.Event) error
}

var _ eventQueue = (*async.Queue)(nil)

// invokeEvent serves Invoke with InvocationType Event: 202 with no body once
// the event is durably queued.
func invokeEvent(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.enqueueEvent(r, c, maxEventPayload); err != nil {
		return err
	}
	return writeEmpty(w, http.StatusAccepted)
}

// invokeAsync serves the deprecated InvokeAsync: an Event invoke of at most
// 256 KB, answered 202 {"Status":202}.
func invokeAsync(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.enqueueEvent(r, c, maxInvokeAsyncPayload); err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, struct{ Status int }{http.StatusAccepted})
}

// enqueueEvent validates an asynchronous invocation and queues it.
func (s *Server) enqueueEvent(r *http.Request, c *call, limit int) error {
	if s.async == nil {
		return awserr.New(awserr.InvalidParameterValue, "Asynchronous invocation is not enabled on this lambdad.")
	}
	if len(c.Body) > limit {
		return awserr.New(awserr.RequestEntityTooLarge, "%d byte payload is too large for the Event invocation type (limit %d bytes)", len(c.Body), limit)
	}
	v, invokedARN, err := s.reg.ResolveInvoke(c.Account, r.PathValue("FunctionName"), r.URL.Query().Get("Qualifier"))
	if err != nil {
		return err
	}
	if len(c.Body) > 0 && !json.Valid(c.Body) {
		return awserr.New(awserr.InvalidRequestContent, "Could not parse request body into json: Could not parse payload into json: Unexpected character: was expecting a JSON value")
	}
	payload := c.Body
	if len(payload) == 0 {
		payload = emptyEvent
	}
	// The invoked ARN is qualified exactly when the caller named a
	// qualifier, in the name or the parameter.
	qualifier := strings.TrimPrefix(strings.TrimPrefix(invokedARN, v.Function.ARN), ":")
	return s.async.Accept(r.Context(), &async.Event{
		RequestID: c.RequestID,
		Account:   c.Account,
		Function:  v.Function.Name,
		Qualifier: qualifier,
		Payload:   payload,
		TraceID:   traceID(r.Header.Get("X-Amzn-Trace-Id")),
	})
}

// InvokeVersion runs req on version v through the scheduler: the async
// queue's way to run an attempt, with the same mapping of versions to
// scheduler functions as synchronous invokes.
func (s *Server) InvokeVersion(ctx context.Context, v *registry.Version, req *scheduler.Request) (*scheduler.Result, error) {
	return s.sched.Invoke(ctx, s.fns.get(v), req)
}

var _ async.Invoker = (*Server)(nil)

// runtimeTrace returns the trace header the runtime of a synchronous invoke
// receives: the caller's (or a new root) with lambdad's lineage counter
// advanced. A caller whose chain has reached async.MaxChain invocations is
// refused with RecursiveInvocationException unless the function allows
// recursive loops.
func (s *Server) runtimeTrace(account, name, header string) (string, error) {
	if header == "" {
		return traceID("") + ";Lineage=lambdad:1", nil
	}
	n := async.Lineage(header)
	if n >= async.MaxChain {
		if fn := s.reg.Function(account, name); fn == nil || fn.Recursion() != registry.RecursiveLoopAllow {
			s.log.Warn("stopping a recursive loop", "function", name, "chain", n)
			return "", awserr.New(awserr.RecursiveInvocation, "Lambda has detected your function being invoked in a recursive loop with other AWS resources and stopped your function's invocation.")
		}
	}
	return async.WithLineage(header, n+1), nil
}
