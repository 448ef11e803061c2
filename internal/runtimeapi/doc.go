// Package runtimeapi serves the Lambda Runtime API 2018-06-01 to the
// runtime of one execution environment (PROTOCOLS §1).
//
// A Server listens on 127.0.0.1:<ephemeral port>; Listen is called before the
// runtime starts and its address becomes AWS_LAMBDA_RUNTIME_API. The
// scheduler drives it with WaitInit and Invoke, one invocation at a time, and
// Close ends it.
//
// Loopback is shared by everything on the host, so the port alone would let
// any local process fetch and answer the environment's invocations. Admit
// installs a check run once per accepted connection (the scheduler uses
// sandbox.Identity.CheckPeer: the peer's socket must belong to the
// environment's uid); a refused connection is closed unread and never
// counts against the connection limit.
//
// # Routes
//
//	GET  /2018-06-01/runtime/invocation/next          long poll, no timeout; 200 + event and Lambda-Runtime-* headers
//	POST /2018-06-01/runtime/invocation/{id}/response 202 {"status":"OK"}
//	POST /2018-06-01/runtime/invocation/{id}/error    202 {"status":"OK"}
//	POST /2018-06-01/runtime/init/error               202 {"status":"OK"}, only during Init
//
// Failures use RAPID's bodies {"errorMessage","errorType"}: 400
// InvalidRequestID (an id that is not the invocation the runtime holds, or
// one already completed by the next GET /next), 403 InvalidStateTransition
// (a second answer for the same id, whose first answer wins; init/error
// after Init; GET /next after an init error), 413 RequestEntityTooLarge
// (body over Limits.MaxResponse; the caller gets the
// Function.ResponseSizeTooLarge error), 400 InvalidFunctionResponseMode (a
// Lambda-Runtime-Function-Response-Mode other than "streaming"; the caller
// gets Runtime.InvalidResponseModeHeader), 400 TruncatedHTTPRequest (a body
// that breaks off; the invocation can still be answered), 404 for unknown
// routes, 405 for a known route with the wrong method.
//
// The Extensions API (/2020-01-01) is not served (404). aws-lambda-go v1.55.1
// calls it only with lambda.WithEnableSIGTERM, and then logs a warning and
// carries on; a plain lambda.Start never does.
//
// # Lifecycle
//
//	         first GET /next                    Invoke: event written to the parked GET /next
//	Started ─────────────────► Ready ───────────────────────────────────────► Running
//	   │                         ▲                                               │
//	   │ POST /init/error        │ GET /next (completes the invocation;          │ POST /response, /error,
//	   ▼                         │ its id is stale from then on)                 │ error trailers, size or
//	InitError                    └────────────── ResponseSent ◄──────────────────┘ mode error
//	(WaitInit and Invoke
//	return the *InitError)
//
// An Invoke whose ctx ends returns at once; its invocation is forgotten and
// later answers for it get 400 (the caller kills the environment). A GET
// /next while the runtime holds an unanswered invocation parks, as in RAPID,
// and that invocation can still be answered.
//
// # HTTP
//
// The server speaks the HTTP/1.1 subset runtimes use, on the raw TCP
// connection: keep-alive, pipelining (answers go out in request order),
// Content-Length and chunked bodies with trailers, Expect: 100-continue
// (answered with 100 before any body is read), HTTP/1.0 (closed after the
// answer unless keep-alive), absolute-form targets and query strings. A
// framing error is answered with 400 (431 for oversized headers, 501 for a
// transfer coding other than chunked) and the connection is closed. Bounds:
// 1 MiB + 64 KiB per header line (aws-lambda-go sends X-Ray error causes up
// to 1 MiB in a header), 2 MiB of headers or trailers, 64 connections, and
// 64 MiB read from an unwanted body before the connection is closed instead.
// aws-lambda-go posts every answer chunked with declared trailers
// Lambda-Runtime-Function-Error-Type and -Error-Body; a non-empty type
// trailer makes the answer a function error whose body is the base64-decoded
// error body (or one built from the type when that is not base64 JSON).
//
// # Response streaming
//
// The caller decides whether an invocation streams, as on AWS (PROTOCOLS
// §1.6): Invoke buffers every answer, Lambda-Runtime-Function-Response-Mode:
// streaming included (6 MiB limit), while InvokeStream forwards whatever
// arrives on /response — chunked or not, with or without the mode header —
// to its io.Writer as it arrives (Limits.MaxStreamResponse, 200 MiB). The
// conn goroutine reads the body into a pooled 512 KiB ring (stream.go) and
// the InvokeStream goroutine writes whatever has arrived to the caller in
// one Write, flushing it when nothing more has: bursts coalesce while the
// caller is busy, and a byte that arrives while it is idle goes out at once.
// The conn waits when the ring is full, so a slow caller slows the
// runtime's writes down. Error
// trailers after streamed bytes, a body over the limit (413 to the runtime)
// and a body that breaks off after some bytes (Runtime.TruncatedResponse)
// end the stream as a function error; a /error is never streamed.
//
// # Hot path
//
// Nothing is allocated per warm invoke (BenchmarkInvoke: 0 allocs/op) and no
// goroutine is started: each connection has one goroutine that reads its
// requests. A GET /next with nothing pending parks its conn in
// Server.waiters, and that goroutine reads ahead (to notice a runtime that
// hangs up). Invoke takes the parked conn under Server.mu and writes the
// event itself — the header block and a payload up to 16 KiB in one write,
// larger payloads by writev without copying — then hands the conn's write
// side back with a token on a 1-slot channel. The conn goroutine parses the
// runtime's answer into a pooled *Response (a Content-Length body straight
// into a buffer of that size, a chunked one into a growing pooled buffer),
// sends it on a 1-slot channel to the waiting Invoke, yields its P so that
// Invoke runs before the 202 is written (saves ~25 µs of wake-up on a
// 2-vCPU VM), then writes 202. Response.Release returns the buffer to the
// pool. Only Debug is logged, and only off the hot path. There is one mutex,
// Server.mu; conns hold no lock of their own.
//
// # Measurements
//
// On the 2-vCPU development VM (Go 1.26.8, amd64, load average ~3 from other
// work), against the aws-lambda-go v1.55.1 echo function built by the tests,
// 100-byte event, benchstat over 6 interleaved runs of 5000 iterations:
//
//	BenchmarkBaselineEcho  241 µs/op ±20%  59 allocs/op  net/http client → net/http echo server in another process, keep-alive
//	BenchmarkInvoke        456 µs/op ±21%   0 allocs/op  this package (hand-rolled HTTP/1.1), closed loop
//	net/http variant       643 µs/op ±25%  56 allocs/op  a throw-away net/http version of this server (handler parks on GET /next)
//
// Invoke/baseline = 1.9. The closed loop of BenchmarkInvoke contains two
// cross-process round trips (event → /response, then 202 → the runtime's
// next GET /next) against the baseline's one, and aws-lambda-go sends each
// answer as three writes (headers, chunk, trailers), so this is close to
// the floor of the protocol. The hand-rolled server is ~30% faster than the
// net/http one and allocation-free, hence the choice. Most of the remaining
// CPU is loopback syscalls: each write runs the peer's receive path and
// wake-up inline (~20 µs here). BenchmarkInvokeParallel (8 environments,
// 8 goroutines) gives the throughput of this half of the hot path:
// 250-340 µs/op, i.e. 3,000-4,000 invokes/s on the two shared cores, runtime
// processes included.
package runtimeapi
