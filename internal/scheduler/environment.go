package scheduler

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lambdad/lambdad/internal/logs"
	"github.com/lambdad/lambdad/internal/runtimeapi"
	"github.com/lambdad/lambdad/internal/runtimes"
	"github.com/lambdad/lambdad/internal/sandbox"
)

// maxResponse is the buffered response limit: 6 MiB + 100 bytes.
const maxResponse = 6*1024*1024 + 100

// environment is one execution environment: a sandboxed runtime process, the
// Runtime API server it talks to, and the capture of its output. It runs one
// invocation at a time; the scheduler hands it to one caller at a time.
type environment struct {
	id      string
	s       *Scheduler
	fn      *Function
	proc    *sandbox.Process
	rapi    *runtimeapi.Server
	capture *logs.Capture
	stream  *os.File

	initDuration time.Duration
	lastUsed     time.Time // guarded by the pool's mutex while idle

	// Peak memory is read from the kernel at most once per memorySample,
	// so that REPORT lines cost no file reads on the hot path.
	memoryMB int
	memoryAt time.Time

	// Owned by the invoking goroutine; reused to keep the hot path free of
	// allocations.
	inv  runtimeapi.Invocation
	line []byte

	// prov is the pool of a provisioned environment, set once it is
	// initialised; counted and leaving are guarded by that pool's mutex
	// (provisioned.go).
	prov             atomic.Pointer[pool]
	counted, leaving bool

	stopOnce sync.Once
	gone     chan struct{} // closed when the process is reaped and the capture drained
}

// startEnvironment starts an environment for p and waits for its Init
// phase. When Init fails the environment is torn down and the returned
// Result is what the invocation that triggered it answers.
func (s *Scheduler) startEnvironment(ctx context.Context, p *pool, req *Request) (*environment, *Result, error) {
	fn := &p.fn
	started := time.Now()
	codeDir, err := s.extract(ctx, fn.Code)
	if err != nil {
		return nil, nil, err
	}
	optDir, err := s.optDir(ctx, fn.Layers)
	if err != nil {
		return nil, nil, err
	}
	launch, err := s.cfg.Runtimes.Resolve(fn.Runtime, fn.Handler, codeDir, optDir)
	if err != nil {
		var re *runtimes.Error
		if errors.As(err, &re) {
			return nil, platformError(req, re.Type, re.Message), nil
		}
		return nil, nil, err
	}

	e := &environment{id: randomHex(16), s: s, fn: fn, gone: make(chan struct{})}
	streamName := started.UTC().Format("2006/01/02") + "/[" + fn.Version + "]" + e.id
	// The runtime's uid, known before it starts, lets the Runtime API
	// refuse connections from anything else (other environments included).
	ident, err := s.sandbox.NewIdentity()
	if err != nil {
		return nil, nil, err
	}
	e.rapi = runtimeapi.New(runtimeapi.Limits{MaxResponse: maxResponse}, s.log.With("function", fn.Name, "env", e.id))
	e.rapi.Admit(ident.CheckPeer)
	addr, err := e.rapi.Listen()
	if err != nil {
		ident.Release()
		return nil, nil, fmt.Errorf("runtime api: %w", err)
	}
	if e.stream, err = s.logs.Create(fn.Account, fn.Name, streamName); err != nil {
		ident.Release()
		e.rapi.Close()
		return nil, nil, err
	}
	if e.capture, err = logs.NewCapture(e.stream); err != nil {
		ident.Release()
		e.rapi.Close()
		e.stream.Close()
		return nil, nil, err
	}

	taskRoot := "/var/task"
	if s.sandbox.Mode() != sandbox.Isolated {
		taskRoot = codeDir
	}
	spec := sandbox.Spec{
		ID:         e.id,
		CodeDir:    codeDir,
		OptDir:     optDir,
		RuntimeDir: launch.RuntimeDir,
		Command:    launch.Command,
		Env:        optPaths(environ(fn, s.cfg.Region, addr, taskRoot, streamName, initializationType(req), launch), optDir, s.sandbox.Mode() != sandbox.Isolated),
		MemoryMB:   fn.MemoryMB,
		TmpMB:      fn.EphemeralMB,
		PidsMax:    1024,
		Identity:   ident, // Start owns it from here on
		Stdout:     e.capture.Writer(),
		Stderr:     e.capture.Writer(),
	}
	e.proc, err = s.sandbox.Start(ctx, spec)
	e.capture.CloseWriter()
	if err != nil {
		e.rapi.Close()
		e.capture.Close()
		e.stream.Close()
		return nil, nil, fmt.Errorf("start environment: %w", err)
	}
	s.wg.Add(1)
	go e.supervise()

	initCtx, cancel := s.initContext(fn, req)
	err = e.rapi.WaitInit(initCtx)
	cancel()
	e.initDuration = time.Since(started)
	if err == nil {
		return e, nil, nil
	}
	return nil, e.initFailed(req, err), nil
}

// supervise waits for the runtime process to end, then closes the Runtime
// API (which ends a waiting Invoke or WaitInit) and drains the log pipe.
func (e *environment) supervise() {
	defer e.s.wg.Done()
	captureDone := make(chan struct{})
	go func() {
		defer close(captureDone)
		if err := e.capture.Run(); err != nil {
			e.s.log.Debug("log capture ended", "env", e.id, "err", err)
		}
	}()
	<-e.proc.Done()
	e.rapi.Close()
	defer func() {
		if p := e.prov.Load(); p != nil {
			p.provisionedGone(e)
		}
	}()
	select {
	case <-captureDone:
	case <-time.After(time.Second):
		// A process that left the sandbox's process group still holds the
		// pipe; stop reading it.
		e.capture.Close()
		<-captureDone
	}
	close(e.gone)
}

// stop ends the environment: SIGTERM, grace, SIGKILL (at once when grace is
// zero). It waits until the process is gone and its output drained, then
// releases the log stream. Safe to call more than once.
func (e *environment) stop(grace time.Duration) {
	e.stopOnce.Do(func() {
		if grace > 0 {
			_ = e.proc.Stop(grace)
		} else {
			_ = e.proc.Kill()
		}
		<-e.gone
		e.capture.Close()
		e.stream.Close()
	})
	<-e.gone
}

// outcome says what an invocation left of its environment.
type outcome int

const (
	healthy     outcome = iota // it may run another invocation
	broken                     // timed out, crashed: stop it
	undelivered                // it died before its runtime took the event: stop it, run the event elsewhere
)

// invoke runs one invocation. When retry is set and the environment turns
// out to have died before its runtime took the event, invoke returns
// undelivered and no result; otherwise that is reported as a crash.
func (e *environment) invoke(req *Request, fresh, retry bool) (res *Result, out outcome) {
	fn := e.fn
	start := time.Now()
	timeout := time.Duration(fn.TimeoutSec) * time.Second
	deadline := start.Add(timeout)

	e.line = logs.AppendStart(e.line[:0], req.RequestID, fn.Version)
	e.capture.Begin(e.line)

	e.inv = runtimeapi.Invocation{
		RequestID:     req.RequestID,
		Payload:       req.Payload,
		ContentType:   req.ContentType,
		Deadline:      deadline,
		FunctionARN:   req.InvokedARN,
		TraceID:       req.TraceID,
		ClientContext: req.ClientContext,
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	var resp *runtimeapi.Response
	var err error
	if req.stream != nil {
		resp, err = e.rapi.InvokeStream(ctx, &e.inv, req.stream)
	} else {
		resp, err = e.rapi.Invoke(ctx, &e.inv)
	}
	cancel()
	duration := time.Since(start)

	report := logs.Report{RequestID: req.RequestID, Duration: duration, MemorySizeMB: fn.MemoryMB}
	if fresh {
		report.InitDuration = e.initDuration
	}
	e.line = e.line[:0]
	switch {
	case err == nil:
		res = &Result{Payload: resp.Body, ContentType: resp.ContentType, FunctionError: resp.FunctionError, ErrorType: resp.ErrorType}
	case retry && errors.Is(err, runtimeapi.ErrUndelivered):
		return nil, undelivered
	case errors.Is(err, context.DeadlineExceeded):
		// Kill now, but keep the stream open for the END and REPORT lines;
		// the caller stops (and releases) the environment.
		_ = e.proc.Kill()
		<-e.gone
		out = broken
		report.Status = "timeout"
		e.line = logs.AppendTimeout(e.line, time.Now(), req.RequestID, timeout)
		res = platformError(req, "Sandbox.Timedout", fmt.Sprintf("Task timed out after %.2f seconds", timeout.Seconds()))
	default:
		// The Runtime API closed: the runtime exited or broke down.
		<-e.gone
		out = broken
		report.Status = "error"
		errType, msg := exitError(e.proc.Exit())
		res = platformError(req, errType, msg)
	}
	report.MaxMemoryMB = e.maxMemoryMB(out != healthy)
	e.line = logs.AppendEnd(e.line, req.RequestID)
	e.line = logs.AppendReport(e.line, report)
	res.LogTail = e.capture.End(e.line, req.Tail)
	return res, out
}

// memorySample is how often an environment's peak memory is re-read.
const memorySample = time.Second

// maxMemoryMB is the environment's peak memory, re-read when the last
// reading is older than memorySample or when now is set.
func (e *environment) maxMemoryMB(now bool) int {
	if t := time.Now(); now || t.Sub(e.memoryAt) >= memorySample {
		e.memoryMB, e.memoryAt = e.proc.MaxMemoryUsedMB(), t
	}
	return e.memoryMB
}

// initFailed tears the environment down after a failed Init and builds the
// answer of the invocation that triggered it.
func (e *environment) initFailed(req *Request, err error) *Result {
	var res *Result
	var ie *runtimeapi.InitError
	switch {
	case errors.As(err, &ie):
		// The runtime reported its own init error: pass it through.
		res = &Result{Payload: ie.Body, ContentType: "application/json", FunctionError: true, ErrorType: ie.ErrorType}
	case errors.Is(err, context.DeadlineExceeded):
		res = platformError(req, "Sandbox.Timedout", fmt.Sprintf("Task timed out after %.2f seconds", e.s.cfg.InitTimeout.Seconds()))
	default:
		<-e.gone
		errType, msg := exitError(e.proc.Exit())
		res = platformError(req, errType, msg)
	}
	e.line = e.line[:0]
	if !req.provisioned { // no invocation to report for a provisioned one
		e.line = logs.AppendStart(e.line, req.RequestID, e.fn.Version)
		e.line = logs.AppendEnd(e.line, req.RequestID)
		e.line = logs.AppendReport(e.line, logs.Report{
			RequestID: req.RequestID, Duration: e.initDuration, MemorySizeMB: e.fn.MemoryMB,
			MaxMemoryMB: e.proc.MaxMemoryUsedMB(), InitDuration: e.initDuration, Status: "error",
		})
	}
	// The tail holds the runtime's init output, then the platform lines.
	res.LogTail = e.capture.End(e.line, req.Tail)
	e.stop(0)
	return res
}

// exitError is how AWS reports a runtime that exited during Init or an
// invocation.
func exitError(st sandbox.ExitStatus) (errType, msg string) {
	if st.OOMKilled {
		return "Runtime.OutOfMemory", "Runtime exited with error: signal: killed"
	}
	if st.Code == 0 && st.Signal == "" {
		return "Runtime.ExitError", "Runtime exited without providing a reason"
	}
	return "Runtime.ExitError", "Runtime exited with error: " + st.Error()
}

// platformError is a function error raised by the platform on the
// function's behalf, in the shape AWS uses:
// {"errorType":"…","errorMessage":"RequestId: <id> Error: …"}.
func platformError(req *Request, errType, msg string) *Result {
	body, _ := json.Marshal(struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}{errType, "RequestId: " + req.RequestID + " Error: " + msg})
	return &Result{Payload: body, ContentType: "application/json", FunctionError: true, ErrorType: errType}
}

// environ is the environment of a runtime process: AWS's variables, then the
// function's own (which may override TZ, LANG, PATH and LD_LIBRARY_PATH).
func environ(fn *Function, region, runtimeAPI, taskRoot, stream, initType string, launch runtimes.Launch) []string {
	platform := [][2]string{
		{"AWS_LAMBDA_FUNCTION_NAME", fn.Name},
		{"AWS_LAMBDA_FUNCTION_VERSION", fn.Version},
		{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", strconv.Itoa(fn.MemoryMB)},
		{"AWS_LAMBDA_LOG_GROUP_NAME", logs.GroupName(fn.Name)},
		{"AWS_LAMBDA_LOG_STREAM_NAME", stream},
		{"AWS_LAMBDA_INITIALIZATION_TYPE", initType},
		{"AWS_LAMBDA_RUNTIME_API", runtimeAPI},
		{"AWS_REGION", region},
		{"AWS_DEFAULT_REGION", region},
		{"_HANDLER", fn.Handler},
		{"LAMBDA_TASK_ROOT", taskRoot},
		{"LAMBDA_RUNTIME_DIR", "/var/runtime"},
		{"TZ", ":UTC"},
		{"LANG", "en_US.UTF-8"},
		{"PATH", "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin"},
		{"LD_LIBRARY_PATH", "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib"},
	}
	if launch.ExecutionEnv != "" {
		platform = append(platform, [2]string{"AWS_EXECUTION_ENV", launch.ExecutionEnv})
	}
	for _, kv := range launch.Env {
		k, v, _ := strings.Cut(kv, "=")
		platform = append(platform, [2]string{k, v})
	}
	env := make([]string, 0, len(platform)+len(fn.Environment))
	for _, kv := range platform {
		if _, overridden := fn.Environment[kv[0]]; overridden {
			continue
		}
		env = append(env, kv[0]+"="+kv[1])
	}
	for k, v := range fn.Environment {
		env = append(env, k+"="+v)
	}
	return env
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
