package runtimeapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// DefaultMaxResponse is the buffered response limit of AWS Lambda:
// 6 MiB + 100 bytes.
const DefaultMaxResponse = 6291556

// DefaultMaxStreamResponse is the streamed response limit of AWS Lambda
// since July 2025: 200 MiB (PROTOCOLS §1.6).
const DefaultMaxStreamResponse = 200 << 20

// maxConns bounds the connections one runtime may hold open at once.
const maxConns = 64

// Limits bounds what a runtime may send.
type Limits struct {
	// MaxResponse is the largest body accepted on /response, /error and
	// /runtime/init/error; 0 means DefaultMaxResponse.
	MaxResponse int64
	// MaxStreamResponse is the largest body streamed by InvokeStream;
	// 0 means DefaultMaxStreamResponse.
	MaxStreamResponse int64
}

// Invocation is one event handed to the runtime.
type Invocation struct {
	RequestID       string    // Lambda-Runtime-Aws-Request-Id; required
	Payload         []byte    // the /next body, not copied: see Invoke
	ContentType     string    // default application/json
	Deadline        time.Time // Lambda-Runtime-Deadline-Ms (epoch ms); required
	FunctionARN     string    // Lambda-Runtime-Invoked-Function-Arn
	TraceID         string    // Lambda-Runtime-Trace-Id, omitted when empty
	ClientContext   string    // decoded JSON for Lambda-Runtime-Client-Context, omitted when empty
	CognitoIdentity string    // JSON for Lambda-Runtime-Cognito-Identity, omitted when empty
}

// InitError is what the runtime posted to /runtime/init/error. It is served
// as the answer to the first invocation (PROTOCOLS §1.5).
type InitError struct {
	Body []byte
	// ContentType to serve Body with: application/json when Body is valid
	// JSON, else application/octet-stream (as RAPID does; the content type
	// a curl bootstrap posts is rarely meaningful).
	ContentType string
	ErrorType   string // the Lambda-Runtime-Function-Error-Type header
}

func (e *InitError) Error() string {
	if e.ErrorType == "" {
		return "runtime init error"
	}
	return "runtime init error: " + e.ErrorType
}

var (
	// ErrClosed is returned by Listen, WaitInit and Invoke once Close has
	// been called.
	ErrClosed = errors.New("runtime API server closed")
	// ErrUndelivered is returned by Invoke when the server closed before any
	// GET /next took the invocation: the runtime never saw it, so it may be
	// run elsewhere. It wraps ErrClosed.
	ErrUndelivered = fmt.Errorf("%w before the runtime took the invocation", ErrClosed)
	// ErrInvokeInProgress is returned by Invoke when another Invoke has not
	// returned yet: an environment runs one invocation at a time.
	ErrInvokeInProgress = errors.New("another invocation is in progress")
	// ErrInvalidInvocation is wrapped by Invoke's error when an Invocation
	// cannot be sent (missing request id or deadline, control characters in
	// a header value).
	ErrInvalidInvocation = errors.New("invalid invocation")
)

// phase is the runtime's lifecycle phase as the server sees it.
type phase uint8

const (
	phaseInit       phase = iota // started, no GET /next yet
	phaseReady                   // the first GET /next has arrived
	phaseInitFailed              // /runtime/init/error was posted during init
)

// dispatch is an invocation on its way to a GET /next.
type dispatch struct {
	inv      *Invocation
	gen      uint64
	deadline time.Time // write deadline: the Invoke ctx's deadline
}

// Server is the Runtime API of one execution environment. See the package
// documentation for its protocol and its state machine.
type Server struct {
	limits              Limits
	log                 *slog.Logger
	admit               func(syscall.Conn) error // set before Listen; nil admits everyone
	refusedOnce         atomic.Bool              // a refusal was logged at Warn
	sizeErrorBody       []byte
	streamSizeErrorBody []byte
	invalidModeBody     []byte

	done       chan struct{}  // closed by Close
	initDone   chan struct{}  // closed when the Init phase ends, either way
	initFailed chan struct{}  // closed when /runtime/init/error is accepted
	result     chan *Response // the answer to the invocation in flight; capacity 1
	wg         sync.WaitGroup // the accept loop and every conn

	mu          sync.Mutex
	ln          net.Listener
	conns       map[*conn]struct{}
	closed      bool
	phase       phase
	initPosting bool // a /runtime/init/error body is being read
	initErr     *InitError
	waiters     []*conn   // conns with a parked GET /next, most recent last
	invoking    bool      // an Invoke is waiting for its answer
	gen         uint64    // counts Invoke calls; an answer is delivered only to its own
	deadline    time.Time // the write deadline of generation gen
	pending     *Invocation
	stream      *stream // the InvokeStream in flight, nil for Invoke
	reqID       string  // the invocation the runtime holds, "" when none
	answered    bool    // reqID has been answered (or an answer is being read)
}

// New returns a Server that enforces limits and logs to log (nil: nowhere).
// It serves nothing until Listen.
func New(limits Limits, log *slog.Logger) *Server {
	if limits.MaxResponse <= 0 {
		limits.MaxResponse = DefaultMaxResponse
	}
	if limits.MaxStreamResponse <= 0 {
		limits.MaxStreamResponse = DefaultMaxStreamResponse
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{
		limits: limits,
		log:    log,
		sizeErrorBody: appendErrorBody(nil, fmt.Sprintf(
			"Response payload size exceeded maximum allowed payload size (%d bytes).", limits.MaxResponse), errorTypeTooLarge),
		streamSizeErrorBody: appendErrorBody(nil, fmt.Sprintf(
			"Response payload size exceeded maximum allowed payload size (%d bytes).", limits.MaxStreamResponse), errorTypeTooLarge),
		invalidModeBody: appendErrorBody(nil, "Invalid function response mode", errorTypeInvalidMode),
		done:            make(chan struct{}),
		initDone:        make(chan struct{}),
		initFailed:      make(chan struct{}),
		result:          make(chan *Response, 1),
		conns:           make(map[*conn]struct{}),
	}
}

// Admit makes the server refuse every connection for which check returns an
// error, such as one from a process outside the environment: it is closed
// unread, before it counts against the connection limit. check gets the
// accepted *net.TCPConn (as a syscall.Conn, so that a checker can ask the
// socket itself without package net) and runs once per connection, in the
// accept loop. Call Admit before Listen.
func (s *Server) Admit(check func(syscall.Conn) error) { s.admit = check }

// Listen binds 127.0.0.1 on an ephemeral port and starts serving on it. It
// returns the address to give the runtime as AWS_LAMBDA_RUNTIME_API
// ("127.0.0.1:port"). Call it once, before the runtime starts.
func (s *Server) Listen() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("listen for the runtime API: %w", err)
	}
	s.mu.Lock()
	switch {
	case s.closed:
		err = ErrClosed
	case s.ln != nil:
		err = errors.New("runtime API server is already listening")
	}
	if err != nil {
		s.mu.Unlock()
		ln.Close()
		return "", err
	}
	s.ln = ln
	s.wg.Add(1)
	s.mu.Unlock()
	go s.accept(ln)
	addr := ln.Addr().String()
	s.log.LogAttrs(context.Background(), slog.LevelDebug, "runtime API listening", slog.String("addr", addr))
	return addr, nil
}

// Close stops serving: it closes the listener and every connection, makes
// blocked WaitInit and Invoke calls return ErrClosed, and waits for the
// Server's goroutines to exit. Later calls do nothing.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	ln := s.ln
	for c := range s.conns {
		c.nc.Close()
	}
	s.waiters = nil
	s.mu.Unlock()
	var err error
	if ln != nil {
		if err = ln.Close(); err != nil {
			err = fmt.Errorf("close runtime API listener: %w", err)
		}
	}
	s.wg.Wait()
	return err
}

// WaitInit blocks until the Init phase ends. It returns nil when the
// runtime's first GET /next arrives, an *InitError when the runtime posted
// /runtime/init/error, context.Cause(ctx) when ctx ends first, and
// ErrClosed when Close is called before the Init phase ended.
func (s *Server) WaitInit(ctx context.Context) error {
	select {
	case <-s.initDone:
	default:
		select {
		case <-s.initDone:
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-s.done:
			return ErrClosed
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.initErr != nil {
		return s.initErr
	}
	return nil
}

// Invoke hands inv to the runtime's parked GET /next (or to the next one
// to arrive) and waits for the runtime's /response or /error, or for a
// failure detected on its way (size limit, bad response mode, error
// trailers), all of which come back as a *Response; Release it when done.
//
// When ctx ends first Invoke returns context.Cause(ctx) at once; the
// invocation is abandoned and later answers for it get 400
// InvalidRequestID (the caller is expected to kill the environment).
// Writing the event to a runtime that does not read it is bounded by ctx's
// deadline (and, for payloads over 16 KiB written by Invoke itself, by ctx's
// end). inv is not retained after a normal return; after an early one a
// connection may still be writing inv.Payload until that deadline or until
// Close, so leave it unmodified until then. Invoke returns the *InitError after an init error, ErrClosed
// after Close (ErrUndelivered, which wraps it, when no GET /next had taken
// the invocation), ErrInvokeInProgress when called while another Invoke is
// running, and an error wrapping ErrInvalidInvocation for an unusable inv.
func (s *Server) Invoke(ctx context.Context, inv *Invocation) (*Response, error) {
	if err := s.begin(ctx, inv, nil); err != nil {
		return nil, err
	}
	return s.wait(ctx, inv, nil, nil)
}

// begin checks inv and hands it to a parked GET /next or leaves it pending,
// with st as the stream of an InvokeStream (nil for Invoke).
func (s *Server) begin(ctx context.Context, inv *Invocation, st *stream) error {
	if err := checkInvocation(inv); err != nil {
		return err
	}
	deadline, _ := ctx.Deadline()
	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		return ErrUndelivered
	case s.initErr != nil:
		err := s.initErr
		s.mu.Unlock()
		return err
	case s.invoking:
		s.mu.Unlock()
		return ErrInvokeInProgress
	}
	s.invoking = true
	s.gen++
	s.deadline = deadline
	s.stream = st
	d := dispatch{inv: inv, gen: s.gen, deadline: deadline}
	c := s.popWaiter()
	if c != nil {
		s.hand(inv)
	} else {
		s.pending = inv
	}
	s.mu.Unlock()
	if c != nil {
		s.send(ctx, c, d)
	}
	return nil
}

// alwaysReady is a closed channel: a receive from it never blocks.
var alwaysReady = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// wait waits for the answer to inv. For an InvokeStream (st set) it writes
// the streamed body to w meanwhile; after a failed Write it keeps reading
// the body but drops it.
func (s *Server) wait(ctx context.Context, inv *Invocation, st *stream, w io.Writer) (*Response, error) {
	var ready <-chan struct{} // nil, which never delivers, for Invoke
	if st != nil {
		ready = st.ready
	}
	for {
		select {
		case <-ready:
			// One Write per round, so that ctx is heeded between Writes.
			ready = st.ready
			if st.writeNext(w) {
				ready = alwaysReady
			}
		case r := <-s.result:
			if st != nil {
				// The conn queued every chunk before delivering r.
				st.drain(w)
			}
			s.mu.Lock()
			s.invoking = false
			s.stream = nil
			s.mu.Unlock()
			return r, nil
		case <-ctx.Done():
			s.abort()
			return nil, context.Cause(ctx)
		case <-s.initFailed:
			s.abort()
			s.mu.Lock()
			defer s.mu.Unlock()
			return nil, s.initErr
		case <-s.done:
			s.mu.Lock()
			undelivered := s.pending == inv
			s.mu.Unlock()
			s.abort()
			if undelivered {
				return nil, ErrUndelivered
			}
			return nil, ErrClosed
		}
	}
}

// checkInvocation rejects what cannot be put on the wire.
func checkInvocation(inv *Invocation) error {
	switch {
	case inv == nil:
		return fmt.Errorf("%w: nil", ErrInvalidInvocation)
	case inv.RequestID == "":
		return fmt.Errorf("%w: empty request id", ErrInvalidInvocation)
	case inv.Deadline.IsZero():
		return fmt.Errorf("%w %s: no deadline", ErrInvalidInvocation, inv.RequestID)
	case !validHeaderValue(inv.RequestID) || !validHeaderValue(inv.FunctionARN) ||
		!validHeaderValue(inv.TraceID) || !validHeaderValue(inv.ContentType):
		return fmt.Errorf("%w %q: control characters in a header value", ErrInvalidInvocation, inv.RequestID)
	}
	return nil
}

// send writes d to the popped waiter c, hands c back to its goroutine, and
// on a failed write passes d on to another waiter or leaves it pending.
func (s *Server) send(ctx context.Context, c *conn, d dispatch) {
	for c != nil {
		err := c.writeNext(ctx, d)
		c.nextTok <- struct{}{}
		if err == nil {
			return
		}
		c = s.redeliver(d)
	}
}

// redeliver takes back d after its write failed. It returns another parked
// conn to write it to, or nil after making d pending again (or when d's
// Invoke has gone).
func (s *Server) redeliver(d dispatch) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.invoking || s.gen != d.gen || s.reqID != d.inv.RequestID || s.answered {
		return nil
	}
	if c := s.popWaiter(); c != nil {
		return c
	}
	s.reqID = ""
	s.pending = d.inv
	return nil
}

// abort forgets the invocation of an Invoke that is returning early.
func (s *Server) abort() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.invoking = false
	s.pending = nil
	s.reqID, s.answered = "", false
	if s.stream != nil {
		close(s.stream.stop)
		s.stream = nil
	}
	select {
	case r := <-s.result:
		r.Release()
	default:
	}
}

// hand records that the runtime holds inv. s.mu is held.
func (s *Server) hand(inv *Invocation) {
	s.pending = nil
	s.reqID, s.answered = inv.RequestID, false
}

// popWaiter removes and returns the most recently parked conn. s.mu is held.
func (s *Server) popWaiter() *conn {
	n := len(s.waiters)
	if n == 0 {
		return nil
	}
	c := s.waiters[n-1]
	s.waiters[n-1] = nil
	s.waiters = s.waiters[:n-1]
	return c
}

// next is a GET /next from c. It ends the Init phase and completes an
// answered invocation. It returns the pending invocation for c to write, or
// parks c (zero dispatch; after Close it parks nothing and c's read-ahead
// fails), or names the state that forbids the call.
func (s *Server) next(c *conn) (d dispatch, from string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		// Hand nothing out: an Invoke still pending returns ErrUndelivered.
		return dispatch{}, ""
	}
	switch s.phase {
	case phaseInitFailed:
		return dispatch{}, stateInitError
	case phaseInit:
		s.phase = phaseReady
		close(s.initDone)
	}
	if s.answered {
		s.reqID, s.answered = "", false
	}
	if inv := s.pending; inv != nil {
		s.hand(inv)
		return dispatch{inv: inv, gen: s.gen, deadline: s.deadline}, ""
	}
	s.waiters = append(s.waiters, c)
	return dispatch{}, ""
}

// unpark removes c from the waiters. It reports false when Invoke already
// took c, in which case c's token will follow.
func (s *Server) unpark(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, w := range s.waiters {
		if w == c {
			s.waiters = append(s.waiters[:i], s.waiters[i+1:]...)
			return true
		}
	}
	return s.closed
}

// claim reserves the right to answer invocation id, and returns the
// stream of an InvokeStream (nil for Invoke). It fails with 400
// InvalidRequestID for an id that is not the one the runtime holds, and
// with 403 InvalidStateTransition when that invocation has been answered.
func (s *Server) claim(id []byte, isError bool) (gen uint64, st *stream, reject apiError, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.reqID == "" || string(id) != s.reqID:
		return 0, nil, errInvalidRequestID, false
	case s.answered:
		to := toResponse
		if isError {
			to = toErrorResponse
		}
		return 0, nil, errStateTransition(stateResponseSent, to), false
	}
	s.answered = true
	return s.gen, s.stream, apiError{}, true
}

// unclaim releases a claim whose body broke off.
func (s *Server) unclaim(gen uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen == gen && s.reqID != "" {
		s.answered = false
	}
}

// deliver hands r to the Invoke call of generation gen. It reports false,
// having released r, when that call has returned.
func (s *Server) deliver(gen uint64, r *Response) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.invoking || s.gen != gen {
		r.Release()
		return false
	}
	s.result <- r // never blocks: one claim per generation
	return true
}

// beginInitError reserves the right to post the init error, or names the
// state that forbids it.
func (s *Server) beginInitError() (from string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.phase == phaseInit && !s.initPosting {
		s.initPosting = true
		return "", true
	}
	switch {
	case s.phase == phaseInitFailed || s.initPosting:
		return stateInitError, false
	case s.phase == phaseInit:
		return stateStarted, false
	case s.answered:
		return stateResponseSent, false
	case s.reqID != "":
		return stateRunning, false
	}
	return stateReady, false
}

// endInitError records e (nil: the post broke off) and ends the Init phase.
func (s *Server) endInitError(e *InitError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.initPosting = false
	if e == nil || s.phase != phaseInit {
		return
	}
	s.phase = phaseInitFailed
	s.initErr = e
	close(s.initFailed)
	close(s.initDone)
}

// accept runs the accept loop until the listener is closed.
func (s *Server) accept(ln net.Listener) {
	defer s.wg.Done()
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			select {
			case <-s.done:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: retry with backoff, as
			// net/http does.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.LogAttrs(context.Background(), slog.LevelWarn, "runtime API accept", slog.String("error", err.Error()))
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-s.done:
				t.Stop()
				return
			}
			continue
		}
		backoff = 0
		if s.admit != nil {
			sc, _ := nc.(syscall.Conn) // a *net.TCPConn
			if err := s.admit(sc); err != nil {
				s.refuse(nc, err)
				continue
			}
		}
		s.startConn(nc)
	}
}

// refuse closes a connection Admit's check turned down. The first refusal
// is logged at Warn (a function probing other environments is worth an
// operator's look), the rest at Debug, so that a loop of attempts cannot
// flood the log.
func (s *Server) refuse(nc net.Conn, err error) {
	level := slog.LevelDebug
	if !s.refusedOnce.Swap(true) {
		level = slog.LevelWarn
	}
	s.log.LogAttrs(context.Background(), level, "runtime API connection refused",
		slog.String("peer", nc.RemoteAddr().String()), slog.String("error", err.Error()))
	nc.Close()
}

func (s *Server) startConn(nc net.Conn) {
	s.mu.Lock()
	if s.closed || len(s.conns) >= maxConns {
		closed := s.closed
		s.mu.Unlock()
		if !closed {
			c := newConn(s, nc)
			c.writeError(errTooManyConns, true)
		}
		nc.Close()
		return
	}
	c := newConn(s, nc)
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	go c.serve()
}

// dropConn forgets c once its goroutine is done with it.
func (s *Server) dropConn(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	c.nc.Close()
	s.wg.Done()
}
