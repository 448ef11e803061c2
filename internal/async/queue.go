package async

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/lambdad/lambdad/internal/awserr"
	"github.com/lambdad/lambdad/internal/registry"
	"github.com/lambdad/lambdad/internal/scheduler"
)

// Stream and consumer of the queue.
const (
	streamName    = "LAMBDAD_ASYNC"
	subjectPrefix = "lambdad.async."
	consumerName  = "lambdad-async"
)

// Config configures a Queue. Zero durations take AWS's values.
type Config struct {
	// RetryDelay is the wait before the first retry of a function error;
	// the second waits twice as long (AWS: about 1 and 2 minutes).
	RetryDelay time.Duration
	// ThrottleMin and ThrottleMax bound the exponential back-off of an
	// event whose attempt was throttled or failed in lambdad (AWS: 1 s to
	// 5 min).
	ThrottleMin, ThrottleMax time.Duration
	// AckWait is how long a delivered event stays invisible to other
	// workers without a sign of life; a worker that died (kill -9) loses
	// its events to redelivery after it. Running attempts renew it.
	AckWait time.Duration
	// Workers bounds the attempts running at once; 0 means 1000.
	Workers int
	// StatsFile, when set, is where Run keeps the queue's counts (JSON) for
	// `lambdad async-stats`; StatsInterval is how often (default 1 s).
	StatsFile     string
	StatsInterval time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Resolver is what a Queue needs of the registry.
type Resolver interface {
	Resolve(account, name, qualifier string) (*registry.Version, error)
}

var _ Resolver = (*registry.Registry)(nil)

// Invoker runs one attempt of an event on a function version. The API
// server implements it over the scheduler.
type Invoker interface {
	InvokeVersion(ctx context.Context, v *registry.Version, req *scheduler.Request) (*scheduler.Result, error)
}

// Queue is the durable queue of asynchronous invocations and the consumer
// that runs them. Enqueue is safe for concurrent use; Run runs the events.
type Queue struct {
	cfg    Config
	log    *slog.Logger
	js     jetstream.JetStream
	stream jetstream.Stream
	reg    Resolver

	// Counters since start (see Stats).
	accepted, inFlight, retried, throttled, succeeded, failed, dropped, recursive atomic.Int64
}

// New creates the queue's stream in js, or opens it.
func New(ctx context.Context, js jetstream.JetStream, reg Resolver, cfg Config, log *slog.Logger) (*Queue, error) {
	if cfg.RetryDelay <= 0 {
		cfg.RetryDelay = time.Minute
	}
	if cfg.ThrottleMin <= 0 {
		cfg.ThrottleMin = time.Second
	}
	if cfg.ThrottleMax <= 0 {
		cfg.ThrottleMax = 5 * time.Minute
	}
	if cfg.AckWait <= 0 {
		cfg.AckWait = 30 * time.Second
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 1000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.StatsInterval <= 0 {
		cfg.StatsInterval = time.Second
	}
	st, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        streamName,
		Description: "lambdad asynchronous invocations",
		Subjects:    []string{subjectPrefix + ">"},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    1,
		Duplicates:  2 * time.Minute,
	})
	if err != nil {
		return nil, fmt.Errorf("open async stream: %w", err)
	}
	return &Queue{cfg: cfg, log: log, js: js, stream: st, reg: reg}, nil
}

// Enqueue stores e durably. It returns once JetStream has acknowledged the
// message: from then on the event survives a restart. e.Enqueued is set
// when zero.
func (q *Queue) Enqueue(ctx context.Context, e *Event) error {
	if e.Enqueued.IsZero() {
		e.Enqueued = q.cfg.Now()
	}
	msg := &nats.Msg{
		Subject: subjectPrefix + e.Account + "." + e.Function,
		Header:  e.header(),
		Data:    e.Payload,
	}
	if _, err := q.js.PublishMsg(ctx, msg); err != nil {
		return fmt.Errorf("enqueue event %s: %w", e.RequestID, err)
	}
	return nil
}

// Accept is Enqueue for an event a client submitted; it counts it.
func (q *Queue) Accept(ctx context.Context, e *Event) error {
	if err := q.Enqueue(ctx, e); err != nil {
		return err
	}
	q.accepted.Add(1)
	return nil
}

// Run pulls events and runs them through inv until ctx ends. When ctx ends
// it stops taking events, cancels the waits of the attempts in progress and
// returns once their goroutines have exited; an attempt cut short is not
// acknowledged, so its event runs again after a restart.
func (q *Queue) Run(ctx context.Context, inv Invoker) error {
	cons, err := q.stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:    consumerName,
		AckPolicy:  jetstream.AckExplicitPolicy,
		AckWait:    q.cfg.AckWait,
		MaxDeliver: -1,
		// Events waiting out a back-off (NakWithDelay) count as pending
		// acks; a bound here would let a throttled function's backlog stop
		// every other function's events. Run's semaphore bounds the
		// attempts instead.
		MaxAckPending: -1,
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("create async consumer: %w", err)
	}
	reported := make(chan struct{})
	go func() {
		defer close(reported)
		q.report(ctx, q.cfg.StatsFile, q.cfg.StatsInterval)
	}()
	var wg sync.WaitGroup
	sem := make(chan struct{}, q.cfg.Workers)
	for ctx.Err() == nil {
		// Workers are free before events are pulled, so that no event
		// waits in a client-side buffer while its AckWait runs out (it
		// would then be delivered twice).
		n := q.acquire(ctx, sem)
		if n == 0 {
			break
		}
		fetchCtx, cancel := context.WithTimeout(ctx, fetchWait)
		batch, err := cons.Fetch(n, jetstream.FetchContext(fetchCtx))
		if err != nil {
			cancel()
			release(sem, n)
			if ctx.Err() == nil {
				q.log.Warn("pull async events", "err", err)
				sleep(ctx, fetchWait)
			}
			continue
		}
		for msg := range batch.Messages() {
			n--
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				q.handle(ctx, inv, msg)
			}()
		}
		cancel()
		release(sem, n)
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			q.log.Debug("pull async events", "err", err)
		}
	}
	wg.Wait()
	<-reported
	return nil
}

// fetchWait bounds one pull: how long Run waits for events before it looks
// at its context again.
const fetchWait = time.Second

// maxFetch bounds the events pulled at once.
const maxFetch = 64

// acquire takes one worker slot of sem, waiting for it, then as many more
// as are free (at most maxFetch in all), and returns how many it took; 0
// when ctx ended.
func (q *Queue) acquire(ctx context.Context, sem chan struct{}) int {
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		return 0
	}
	n := 1
	for n < maxFetch {
		select {
		case sem <- struct{}{}:
			n++
		default:
			return n
		}
	}
	return n
}

// release gives back n worker slots.
func release(sem chan struct{}, n int) {
	for range n {
		<-sem
	}
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// handle runs one delivery of an event to its end: an ack, a delayed nak,
// or nothing when ctx ended (the event is then redelivered later).
func (q *Queue) handle(ctx context.Context, inv Invoker, msg jetstream.Msg) {
	e, err := decodeEvent(msg.Headers(), msg.Data())
	if err != nil {
		q.log.Error("dropping unreadable async event", "subject", msg.Subject(), "err", err)
		q.dropped.Add(1)
		q.settle(msg.Term())
		return
	}
	log := q.log.With("request_id", e.RequestID, "function", e.Function)
	now := q.cfg.Now()
	if wait := e.Due.Sub(now); wait > 0 {
		q.settle(msg.NakWithDelay(wait))
		return
	}
	v, err := q.reg.Resolve(e.Account, e.Function, e.Qualifier)
	if err != nil {
		log.Warn("dropping async event: its function no longer exists", "err", err)
		q.dropped.Add(1)
		q.settle(msg.Ack())
		return
	}
	fn := v.Function
	cfg := fn.EventInvokeFor(e.Qualifier)
	arn := qualifiedARN(fn.ARN, e.Qualifier)
	maxAge := cfg.MaxAge()
	if now.Sub(e.Enqueued) > maxAge {
		q.finish(ctx, log, msg, e, fn, ConditionEventAgeExceeded, e.Attempts, nil, e.TraceID)
		return
	}
	if Recursive(e.TraceID, fn.Recursion()) {
		log.Warn("stopping a recursive loop", "chain", Lineage(e.TraceID))
		q.recursive.Add(1)
		// The record starts a chain of its own, or the guard would stop
		// its delivery too.
		q.finish(ctx, log, msg, e, fn, ConditionRecursion, e.Attempts, nil, WithLineage(e.TraceID, 0))
		return
	}

	req := &scheduler.Request{
		RequestID:   e.RequestID,
		Payload:     e.Payload,
		ContentType: "application/json",
		InvokedARN:  fn.ARN,
		// This attempt is one more invocation of the event's chain.
		TraceID: WithLineage(e.TraceID, Lineage(e.TraceID)+1),
	}
	if e.Qualifier != "" {
		req.InvokedARN = arn
	}
	q.inFlight.Add(1)
	stopKeepAlive := q.keepAlive(msg)
	res, err := inv.InvokeVersion(ctx, v, req)
	stopKeepAlive()
	q.inFlight.Add(-1)
	now = q.cfg.Now()

	if err != nil {
		if ctx.Err() != nil {
			return // shutting down: redelivered after a restart
		}
		// Throttled, or lambdad could not run it: back off and retry
		// until the event is too old, never counting an attempt.
		delay := q.throttleDelay(msg)
		if now.Add(delay).Sub(e.Enqueued) > maxAge {
			q.finish(ctx, log, msg, e, fn, ConditionEventAgeExceeded, e.Attempts, nil, e.TraceID)
			return
		}
		if ae, ok := awserr.As(err); ok && ae.Code == awserr.TooManyRequests {
			q.throttled.Add(1)
			log.Debug("async event throttled", "reason", ae.Reason, "retry_in", delay)
		} else {
			log.Warn("async event not run", "err", err, "retry_in", delay)
		}
		q.retried.Add(1)
		q.settle(msg.NakWithDelay(delay))
		return
	}
	out := &outcome{payload: res.Payload, functionError: res.FunctionError, executedVersion: v.Version}
	attempts := e.Attempts + 1
	if !res.FunctionError {
		q.finish(ctx, log, msg, e, fn, ConditionSuccess, attempts, out, req.TraceID)
		return
	}
	if ctx.Err() != nil {
		return // the error may be the shutdown's doing; run it again later
	}
	if attempts > cfg.Retries() {
		q.finish(ctx, log, msg, e, fn, ConditionRetriesExhausted, attempts, out, req.TraceID)
		return
	}
	due := now.Add(q.retryDelay(attempts))
	if due.Sub(e.Enqueued) > maxAge {
		q.finish(ctx, log, msg, e, fn, ConditionEventAgeExceeded, attempts, out, req.TraceID)
		return
	}
	next := *e
	next.Attempts = attempts
	next.Due = due
	if err := q.Enqueue(ctx, &next); err != nil {
		log.Warn("requeue async event", "err", err)
		q.settle(msg.NakWithDelay(q.cfg.ThrottleMin))
		return
	}
	log.Debug("async event failed, retrying", "attempt", attempts, "due", due)
	q.retried.Add(1)
	q.settle(msg.Ack())
}

// finish ends an event: it delivers the record to the destination of the
// condition, if the function has one, then acknowledges the message. trace
// is the trace header the record's event carries on (the lineage of the
// last attempt).
func (q *Queue) finish(ctx context.Context, log *slog.Logger, msg jetstream.Msg, e *Event, fn *registry.Function, condition string, invokeCount int, out *outcome, trace string) {
	onSuccess, onFailure := fn.EventInvokeFor(e.Qualifier).Destinations()
	dest := onFailure
	if condition == ConditionSuccess {
		q.succeeded.Add(1)
		dest = onSuccess
	} else {
		q.failed.Add(1)
		log.Info("async event failed", "condition", condition, "attempts", invokeCount, "destination", dest)
	}
	if dest == "" {
		if condition != ConditionSuccess {
			q.dropped.Add(1)
		}
		q.settle(msg.Ack())
		return
	}
	if err := q.deliver(ctx, e, qualifiedARN(fn.ARN, e.Qualifier), dest, condition, invokeCount, out, trace); err != nil {
		log.Warn("deliver destination record", "destination", dest, "err", err)
		// The event runs again: delivery is at least once.
		q.settle(msg.NakWithDelay(q.cfg.ThrottleMin))
		return
	}
	q.settle(msg.Ack())
}

// deliver enqueues the destination record of e as an event of the
// destination function dest.
func (q *Queue) deliver(ctx context.Context, e *Event, functionARN, dest, condition string, invokeCount int, out *outcome, trace string) error {
	ref, err := registry.ParseFunctionName(dest, true)
	if err != nil {
		return fmt.Errorf("destination %s: %w", dest, err)
	}
	rec := newRecord(q.cfg.Now(), e, functionARN, condition, invokeCount, out)
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode destination record: %w", err)
	}
	return q.Enqueue(ctx, &Event{
		RequestID: uuid.NewString(),
		Account:   e.Account,
		Function:  ref.Name,
		Qualifier: ref.Qualifier,
		Payload:   b,
		TraceID:   trace,
	})
}

// keepAlive renews msg's AckWait while an attempt runs; the returned func
// stops it and returns after its goroutine has exited.
func (q *Queue) keepAlive(msg jetstream.Msg) (stop func()) {
	done := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(q.cfg.AckWait / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if err := msg.InProgress(); err != nil {
					q.log.Debug("renew async event", "err", err)
				}
			}
		}
	}()
	return func() {
		close(done)
		<-exited
	}
}

// throttleDelay is the exponential back-off of msg's redelivery:
// ThrottleMin doubled per delivery, at most ThrottleMax.
func (q *Queue) throttleDelay(msg jetstream.Msg) time.Duration {
	n := uint64(1)
	if md, err := msg.Metadata(); err == nil {
		n = md.NumDelivered
	}
	d := q.cfg.ThrottleMin
	for i := uint64(1); i < n && d < q.cfg.ThrottleMax; i++ {
		d *= 2
	}
	return min(d, q.cfg.ThrottleMax)
}

// retryDelay is the wait before retry number attempt (1 or 2) of a
// function error.
func (q *Queue) retryDelay(attempt int) time.Duration {
	return time.Duration(attempt) * q.cfg.RetryDelay
}

// settle logs the failure of an ack or nak: the message is then
// redelivered after AckWait, which at-least-once delivery allows.
func (q *Queue) settle(err error) {
	if err != nil {
		q.log.Debug("settle async event", "err", err)
	}
}

// qualifiedARN is the function ARN with the qualifier an event names,
// $LATEST when it names none: the functionArn of a destination record.
func qualifiedARN(arn, qualifier string) string {
	if qualifier == "" {
		qualifier = registry.Latest
	}
	return arn + ":" + qualifier
}

// Stats are the queue's counts.
type Stats struct {
	// Queued is the number of events in the stream: waiting, due for a
	// retry, or running.
	Queued uint64 `json:"queued"`
	// InFlight is the number of attempts running now.
	InFlight int64 `json:"inFlight"`
	// Accepted counts the events clients submitted since start.
	Accepted int64 `json:"accepted"`
	// Retried counts retries: of function errors and of throttles.
	Retried int64 `json:"retried"`
	// Throttled counts attempts refused by concurrency limits.
	Throttled int64 `json:"throttled"`
	// Succeeded and Failed count finished events; Dropped those that
	// failed with no destination to record them, or could not be run.
	Succeeded int64 `json:"succeeded"`
	Failed    int64 `json:"failed"`
	Dropped   int64 `json:"dropped"`
	// Recursive counts events stopped by the recursion guard.
	Recursive int64 `json:"recursive"`
}

// Stats returns the queue's counts; Queued is read from the stream.
func (q *Queue) Stats(ctx context.Context) (Stats, error) {
	s := Stats{
		InFlight:  q.inFlight.Load(),
		Accepted:  q.accepted.Load(),
		Retried:   q.retried.Load(),
		Throttled: q.throttled.Load(),
		Succeeded: q.succeeded.Load(),
		Failed:    q.failed.Load(),
		Dropped:   q.dropped.Load(),
		Recursive: q.recursive.Load(),
	}
	info, err := q.stream.Info(ctx)
	if err != nil {
		return s, fmt.Errorf("read async stream: %w", err)
	}
	s.Queued = info.State.Msgs
	return s, nil
}

// report writes the queue's counts to path (JSON, replaced atomically)
// every interval while they change, and logs them, until ctx ends.
func (q *Queue) report(ctx context.Context, path string, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var last Stats
	first := true
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s, err := q.Stats(ctx)
		if err != nil {
			if ctx.Err() == nil {
				q.log.Debug("async stats", "err", err)
			}
			continue
		}
		if !first && s == last {
			continue
		}
		first = false
		last = s
		q.log.Info("async events", "queued", s.Queued, "in_flight", s.InFlight, "accepted", s.Accepted,
			"retried", s.Retried, "throttled", s.Throttled, "succeeded", s.Succeeded, "failed", s.Failed, "dropped", s.Dropped, "recursive", s.Recursive)
		if path == "" {
			continue
		}
		b, _ := json.Marshal(s)
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
			q.log.Debug("write async stats", "err", err)
			continue
		}
		if err := os.Rename(tmp, path); err != nil {
			q.log.Debug("write async stats", "err", err)
		}
	}
}
