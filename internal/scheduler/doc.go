// Package scheduler runs invocations on execution environments.
//
// It keeps one pool of environments per function version and revision (a
// change of code or configuration makes a new pool and retires the old one),
// reuses warm environments last-in first-out, starts new ones while the
// account's and the function's concurrency allow it, and throttles beyond
// that with AWS's TooManyRequestsException. Idle environments are reaped
// after Config.IdleTimeout.
//
// An environment is one sandboxed runtime process, its Runtime API server and
// its log capture:
//
//	starting --init ok--> idle <--> busy --timeout/crash/retire--> dead
//	    \--init error/exit--> dead
//
// An environment that timed out, crashed or broke the protocol is never
// reused. Lock order: Scheduler.mu before pool.mu.
package scheduler
