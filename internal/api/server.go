package api

import (
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/lambdad/lambdad/internal/awserr"
	"github.com/lambdad/lambdad/internal/registry"
	"github.com/lambdad/lambdad/internal/scheduler"
	"github.com/lambdad/lambdad/internal/sigv4"
)

// Config is what the API needs from the daemon's configuration.
type Config struct {
	// Region is the one region this lambdad serves, as in every ARN.
	Region string
	// Credentials are the key pairs accepted for SigV4, each mapped to an account.
	Credentials []sigv4.Credentials
	// CodeURLTTL is how long a GetFunction Code.Location stays valid.
	CodeURLTTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Async is the queue of asynchronous invocations; nil refuses them.
	Async eventQueue
	// URLPort is the port function URLs name (the API listener's); 0 means
	// the port each request came to.
	URLPort int
}

// Server is the Lambda REST API. It is an http.Handler.
type Server struct {
	cfg      Config
	log      *slog.Logger
	reg      *registry.Registry
	sched    *scheduler.Scheduler
	async    eventQueue
	fns      schedFunctions
	verifier *sigv4.Verifier
	mux      *http.ServeMux
	// codeKey signs code download URLs; it is random per process, so URLs
	// die with the process that issued them, as AWS's expire.
	codeKey [32]byte
}

var _ http.Handler = (*Server)(nil)

// New returns the API server of the functions in reg, run by sched. With a
// nil sched it serves the control plane only.
func New(cfg Config, reg *registry.Registry, sched *scheduler.Scheduler, log *slog.Logger) (*Server, error) {
	if cfg.Region == "" {
		return nil, fmt.Errorf("api: no region")
	}
	if cfg.CodeURLTTL == 0 {
		cfg.CodeURLTTL = 10 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	keys := make(map[string]sigv4.Credentials, len(cfg.Credentials))
	for _, c := range cfg.Credentials {
		keys[c.AccessKeyID] = c
	}
	s := &Server{
		cfg:   cfg,
		log:   log,
		reg:   reg,
		sched: sched,
		async: cfg.Async,
		verifier: sigv4.NewVerifier("lambda", func(id string) (sigv4.Credentials, bool) {
			c, ok := keys[id]
			return c, ok
		}, 5*time.Minute),
		mux: http.NewServeMux(),
	}
	if _, err := rand.Read(s.codeKey[:]); err != nil {
		return nil, fmt.Errorf("api: code url key: %w", err)
	}
	for _, rt := range routes {
		s.mux.Handle(rt.method+" "+rt.pattern, s.serve(rt))
	}
	s.mux.HandleFunc("GET "+codePath+"{digest}", s.downloadCode)
	s.mux.HandleFunc("/", s.unknownRoute)
	return s, nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Function URLs authenticate on their own terms (urlserve.go).
	if a, ok := s.functionURLRequest(r); ok {
		s.serveFunctionURL(w, r, a)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// call is one authenticated API call.
type call struct {
	Op        string // the AWS operation name
	Account   string // the signer's account
	Region    string
	RequestID string
	Body      []byte // the whole request body, read and size-checked
}

// handler serves one operation. A returned error is rendered by writeError.
type handler func(s *Server, w http.ResponseWriter, r *http.Request, c *call) error

// serve wraps one route: request id and Date headers, body limits, SigV4,
// then the handler, and error rendering.
func (s *Server) serve(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{Op: rt.op, Region: s.cfg.Region, RequestID: uuid.NewString()}
		h := w.Header()
		h.Set("X-Amzn-Requestid", c.RequestID)
		h.Set("Date", s.cfg.Now().UTC().Format(http.TimeFormat))
		if err := s.authenticate(r, c, rt); err != nil {
			writeError(w, s.log, c.RequestID, err)
			return
		}
		if err := rt.h(s, w, r, c); err != nil {
			writeError(w, s.log, c.RequestID, err)
		}
	})
}

// authenticate reads the body within the route's limit and verifies the
// request's signature over it.
func (s *Server) authenticate(r *http.Request, c *call, rt route) error {
	limit := rt.maxBody
	if limit == 0 {
		limit = defaultMaxBody
	}
	if r.ContentLength > limit {
		return rt.tooLarge(limit)
	}
	body, err := readBody(r, limit)
	if err != nil {
		return err
	}
	if int64(len(body)) > limit {
		return rt.tooLarge(limit)
	}
	res, err := s.verifier.Verify(r, body, s.cfg.Now())
	if err != nil {
		return err
	}
	c.Account = res.Credentials.AccountID
	c.Body = body
	return nil
}

// readBody reads at most limit+1 bytes of the request body, into a buffer of
// the declared length when there is one.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil || r.ContentLength == 0 {
		return nil, nil
	}
	if r.ContentLength > 0 {
		buf := make([]byte, r.ContentLength)
		if _, err := io.ReadFull(r.Body, buf); err != nil {
			return nil, awserr.New(awserr.InvalidRequestContent, "Could not read request body: %s", err.Error())
		}
		return buf, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, awserr.New(awserr.InvalidRequestContent, "Could not read request body: %s", err.Error())
	}
	return body, nil
}

// unknownRoute answers paths and methods the Lambda API does not have.
func (s *Server) unknownRoute(w http.ResponseWriter, r *http.Request) {
	id := uuid.NewString()
	w.Header().Set("X-Amzn-Requestid", id)
	writeError(w, s.log, id, awserr.New(awserr.UnknownOperation, "Unknown operation %s %s", r.Method, r.URL.EscapedPath()))
}

// queryInt reads an optional integer query parameter; ok is false when absent.
func queryInt(r *http.Request, name, member string, min, max int) (n int, ok bool, err error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, false, nil
	}
	n, convErr := strconv.Atoi(v)
	if convErr != nil {
		return 0, false, awserr.New(awserr.InvalidParameterValue, "Invalid value for %s: %s", name, v)
	}
	if n < min {
		return 0, false, awserr.Validationf(v, member, fmt.Sprintf("Member must have value greater than or equal to %d", min))
	}
	if n > max {
		return 0, false, awserr.Validationf(v, member, fmt.Sprintf("Member must have value less than or equal to %d", max))
	}
	return n, true, nil
}
