// Package daemon wires lambdad together: the store, the registry, the
// execution machinery and the Lambda API, and runs them until its context
// ends.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/lambdad/lambdad/internal/api"
	"github.com/lambdad/lambdad/internal/async"
	"github.com/lambdad/lambdad/internal/logs"
	"github.com/lambdad/lambdad/internal/registry"
	"github.com/lambdad/lambdad/internal/runtimes"
	"github.com/lambdad/lambdad/internal/sandbox"
	"github.com/lambdad/lambdad/internal/scheduler"
	"github.com/lambdad/lambdad/internal/sigv4"
	"github.com/lambdad/lambdad/internal/store"
)

// AddrFile is the name of the file, in the data directory, where a running
// daemon writes the address it listens on (useful with port 0).
const AddrFile = "lambdad.addr"

// AsyncStatsFile is the name of the file, in the data directory, where a
// running daemon keeps the counts of its async queue (async.Stats as JSON).
const AsyncStatsFile = "async-stats.json"

// Daemon is one lambdad process's worth of services.
type Daemon struct {
	cfg Config
	log *slog.Logger
}

// New checks cfg and returns a daemon ready to Run.
func New(cfg Config, log *slog.Logger) (*Daemon, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration: %w", err)
	}
	return &Daemon{cfg: cfg, log: log}, nil
}

// Run serves the Lambda API until ctx ends, then shuts down in order: stop
// accepting requests and let those in flight finish, stop the execution
// environments, close the store. It returns the first error that stopped it,
// or nil after a requested shutdown.
func (d *Daemon) Run(ctx context.Context) error {
	cfg := d.cfg
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	dataDir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	if cfg.UsesDevCredentials() {
		d.log.Warn("using the development credentials; set LAMBDAD_ACCESS_KEY_ID and LAMBDAD_SECRET_ACCESS_KEY for anything but local development",
			"access_key_id", cfg.AccessKeyID)
	}

	st, err := store.Open(ctx, store.Config{Dir: filepath.Join(dataDir, "store")}, d.log.With("component", "store"))
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	// The store closes last, after everything that writes to it.
	defer func() {
		if err := st.Close(); err != nil {
			d.log.Error("close store", "err", err)
		}
	}()

	reg, err := registry.New(ctx, st, registry.Config{
		Region:           cfg.Region,
		ConcurrencyLimit: cfg.ConcurrencyLimit,
	}, d.log.With("component", "registry"))
	if err != nil {
		return fmt.Errorf("open registry: %w", err)
	}

	sb, err := sandbox.NewManager(sandbox.Config{
		Isolation:   cfg.Isolation,
		InitExe:     d.initExe(),
		HiddenPaths: []string{dataDir},
		WorkDir:     filepath.Join(dataDir, "sandbox"),
	}, d.log.With("component", "sandbox"))
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	defer func() {
		if err := sb.Close(); err != nil {
			d.log.Warn("close sandbox manager", "err", err)
		}
	}()
	logStore, err := logs.NewStore(filepath.Join(dataDir, "logs"))
	if err != nil {
		return err
	}
	rts, err := runtimes.New(runtimes.Config{
		Dir:               filepath.Join(dataDir, "runtime"),
		Interpreters:      cfg.RuntimeInterpreters,
		Path:              os.Getenv("PATH"),
		OthersMustExecute: sb.Mode() == sandbox.Isolated,
	}, d.log.With("component", "runtimes"))
	if err != nil {
		return fmt.Errorf("runtimes: %w", err)
	}
	sched, err := scheduler.New(scheduler.Config{
		Region:           cfg.Region,
		ConcurrencyLimit: cfg.ConcurrencyLimit,
		ReservedTotal:    reg.ReservedTotal,
		IdleTimeout:      cfg.IdleTimeout,
		CodeDir:          filepath.Join(dataDir, "code"),
		Code:             reg.Code,
		Runtimes:         rts,
	}, sb, logStore, d.log.With("component", "scheduler"))
	if err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}

	// When a function's code or configuration changes, or it is deleted,
	// its environments are retired: idle ones stop now, busy ones when
	// their invocation ends.
	unsubscribe := reg.OnChange(func(c registry.Change) { go retireChanged(sched, c) })
	defer unsubscribe()

	queue, err := async.New(ctx, st.JetStream(), reg, async.Config{
		RetryDelay:  cfg.AsyncRetryDelay,
		ThrottleMin: cfg.AsyncThrottleMin,
		ThrottleMax: cfg.AsyncThrottleMax,
		AckWait:     cfg.AsyncAckWait,
		Workers:     cfg.ConcurrencyLimit,
		StatsFile:   filepath.Join(dataDir, AsyncStatsFile),
	}, d.log.With("component", "async"))
	if err != nil {
		return fmt.Errorf("async queue: %w", err)
	}

	// Listen before the API exists: function URLs name the port.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	apiServer, err := api.New(api.Config{
		URLPort: ln.Addr().(*net.TCPAddr).Port,
		Async:   queue,
		Region:  cfg.Region,
		Credentials: []sigv4.Credentials{{
			AccessKeyID:     cfg.AccessKeyID,
			SecretAccessKey: cfg.SecretAccessKey,
			AccountID:       cfg.AccountID,
		}},
	}, reg, sched, d.log.With("component", "api"))
	if err != nil {
		ln.Close()
		return fmt.Errorf("create api: %w", err)
	}
	addr := ln.Addr().String()
	if err := os.WriteFile(filepath.Join(cfg.DataDir, AddrFile), []byte(addr+"\n"), 0o600); err != nil {
		ln.Close()
		return fmt.Errorf("write address file: %w", err)
	}

	srv := &http.Server{
		Handler:           apiServer,
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(d.log.Handler(), slog.LevelDebug),
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	regDone := make(chan error, 1)
	go func() { regDone <- reg.Run(runCtx) }()
	// The scheduler stops after the API has drained, so in-flight invokes
	// finish first; it has its own context for that reason.
	schedCtx, stopSched := context.WithCancel(context.WithoutCancel(ctx))
	defer stopSched()
	schedDone := make(chan error, 1)
	go func() { schedDone <- sched.Run(schedCtx) }()
	// The async consumer stops with the scheduler, after the API.
	asyncCtx, stopAsync := context.WithCancel(context.WithoutCancel(ctx))
	defer stopAsync()
	asyncDone := make(chan error, 1)
	go func() { asyncDone <- queue.Run(asyncCtx, apiServer) }()
	// The provisioner keeps provisioned environments in step with their
	// configs; it stops before the scheduler.
	provCtx, stopProv := context.WithCancel(context.WithoutCancel(ctx))
	defer stopProv()
	provDone := make(chan error, 1)
	provisioner := api.NewProvisioner(reg, sched, d.log.With("component", "provisioner"))
	go func() { provDone <- provisioner.Run(provCtx) }()
	serveDone := make(chan error, 1)
	go func() { serveDone <- srv.Serve(ln) }()
	d.log.Info("lambdad ready", "addr", addr, "data_dir", dataDir, "sandbox", sb.Mode().String(), "region", cfg.Region, "account", cfg.AccountID)

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-serveDone:
		runErr = fmt.Errorf("serve api: %w", err)
	case err := <-regDone:
		runErr = fmt.Errorf("registry: %w", err)
		regDone <- err
	}

	d.log.Info("lambdad stopping")
	shutdownCtx, stop := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer stop()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		d.log.Warn("api shutdown", "err", err)
	}
	stopProv()
	<-provDone
	// Stop taking async events, then stop the environments (which ends the
	// attempts in progress; their events run again after a restart).
	stopAsync()
	stopSched()
	if err := <-schedDone; err != nil && runErr == nil {
		runErr = fmt.Errorf("scheduler: %w", err)
	}
	if err := <-asyncDone; err != nil && runErr == nil {
		runErr = fmt.Errorf("async: %w", err)
	}
	cancel()
	if err := <-regDone; err != nil && !errors.Is(err, context.Canceled) && runErr == nil {
		runErr = fmt.Errorf("registry: %w", err)
	}
	os.Remove(filepath.Join(cfg.DataDir, AddrFile))
	d.log.Info("lambdad stopped")
	return runErr
}

// retireChanged stops the environments a change of a function made stale
// (see schedulerFunction for what a stale one is):
// all of a deleted function, $LATEST's when it changed, and those of
// deleted versions. Published versions never change.
func retireChanged(sched *scheduler.Scheduler, c registry.Change) {
	switch {
	case c.Old == nil:
	case c.New == nil:
		sched.Retire(c.Account, c.Name)
	default:
		// LastModified, not RevisionId: a permission change renews
		// RevisionId but not what runs.
		if !c.New.Latest.LastModified.Equal(c.Old.Latest.LastModified) {
			sched.RetireVersion(c.Account, c.Name, registry.Latest)
		}
		for n := range c.Old.Versions {
			if c.New.Versions[n] == nil {
				sched.RetireVersion(c.Account, c.Name, n)
			}
		}
	}
}

// initExe is the lambdad-init beside this binary, or "" to have the
// sandbox start lambdad itself as the init of every environment.
func (d *Daemon) initExe() string {
	self, err := os.Executable()
	if err != nil {
		return ""
	}
	exe, err := FindInitExe(self)
	if err != nil {
		d.log.Warn("not using lambdad-init", "err", err)
	}
	return exe
}
