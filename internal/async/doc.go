// Package async runs asynchronous invocations (Invoke with InvocationType
// Event, InvokeAsync): a durable queue in a JetStream work-queue stream,
// retries, maximum event age, destinations and the recursion guard.
//
// An event is one stream message: the payload as the body, everything else
// in headers (see Event). Enqueue returns only after JetStream has stored
// the message, so an accepted event survives a restart or a kill -9: it
// stays in the stream until the consumer acknowledges it, and a message
// whose worker died is redelivered after AckWait.
//
// The life of a message in Run:
//
//	delivered ──not yet due──────────────> NakWithDelay(until due)
//	    │
//	    ├──older than MaximumEventAge────> failure path (EventAgeExceeded), Ack
//	    ├──recursion limit (Terminate)───> failure path (RecursiveInvocationDetected), Ack
//	    ├──function gone─────────────────> dropped, Ack
//	    ▼
//	 scheduler.Invoke ──throttled/system error──> NakWithDelay(exponential 1 s … 5 min)
//	    │
//	    ├──function error, retries left──> republish with Attempts+1 and a due time, Ack
//	    ├──function error, none left─────> failure path (RetriesExhausted), Ack
//	    └──success───────────────────────> success path, Ack
//
// The failure and success paths enqueue the AWS destination record (see
// Record) as an event for the destination function when the function's
// event invoke config names one. Delivery is at least once: a crash between
// a republish or a destination enqueue and the Ack runs that step again.
package async
