package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"

	"github.com/lambdad/lambdad/internal/daemon"
)

// runServe is `lambdad serve`: flags override LAMBDAD_* variables, which
// override the defaults.
func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, logLevel, logFormat, err := serveConfig(args, getenv, stderr)
	if err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		fmt.Fprintln(stderr, "lambdad serve:", err)
		return 2
	}
	log := newLogger(stderr, logLevel, logFormat)
	slog.SetDefault(log)
	d, err := daemon.New(cfg, log)
	if err != nil {
		fmt.Fprintln(stderr, "lambdad serve:", err)
		return 2
	}
	if err := d.Run(ctx); err != nil {
		log.Error("lambdad failed", "err", err)
		return 1
	}
	return 0
}

func serveConfig(args []string, getenv func(string) string, stderr io.Writer) (daemon.Config, slog.Level, string, error) {
	cfg := daemon.DefaultConfig()
	env := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	env("LAMBDAD_ADDR", &cfg.Addr)
	env("LAMBDAD_DATA_DIR", &cfg.DataDir)
	env("LAMBDAD_REGION", &cfg.Region)
	env("LAMBDAD_ACCOUNT_ID", &cfg.AccountID)
	env("LAMBDAD_ISOLATION", &cfg.Isolation)
	interp := interpreters{}
	if v := getenv("LAMBDAD_RUNTIME_INTERPRETERS"); v != "" {
		if err := interp.Set(v); err != nil {
			return cfg, 0, "", fmt.Errorf("LAMBDAD_RUNTIME_INTERPRETERS: %w", err)
		}
	}
	cfg.RuntimeInterpreters = interp
	keyID, secret := getenv("LAMBDAD_ACCESS_KEY_ID"), getenv("LAMBDAD_SECRET_ACCESS_KEY")
	if keyID != "" || secret != "" {
		if keyID == "" || secret == "" {
			return cfg, 0, "", fmt.Errorf("LAMBDAD_ACCESS_KEY_ID and LAMBDAD_SECRET_ACCESS_KEY must be set together")
		}
		cfg.AccessKeyID, cfg.SecretAccessKey = keyID, secret
	}
	if v := getenv("LAMBDAD_ALLOW_DEV_CREDENTIALS"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return cfg, 0, "", fmt.Errorf("LAMBDAD_ALLOW_DEV_CREDENTIALS: %w", err)
		}
		cfg.AllowDevCredentials = b
	}

	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "`host:port` of the Lambda API (LAMBDAD_ADDR)")
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "`directory` for all state (LAMBDAD_DATA_DIR)")
	fs.StringVar(&cfg.Region, "region", cfg.Region, "region in ARNs and signatures (LAMBDAD_REGION)")
	fs.StringVar(&cfg.AccountID, "account-id", cfg.AccountID, "12-digit account of the configured credentials (LAMBDAD_ACCOUNT_ID)")
	fs.BoolVar(&cfg.AllowDevCredentials, "allow-dev-credentials", cfg.AllowDevCredentials, "serve the public development credentials on a non-loopback address (LAMBDAD_ALLOW_DEV_CREDENTIALS)")
	fs.IntVar(&cfg.ConcurrencyLimit, "concurrency-limit", cfg.ConcurrencyLimit, "account concurrent executions limit")
	fs.DurationVar(&cfg.IdleTimeout, "idle-timeout", cfg.IdleTimeout, "how long an idle execution environment stays warm")
	fs.StringVar(&cfg.Isolation, "isolation", cfg.Isolation, "sandboxing of functions: auto, on or off (LAMBDAD_ISOLATION)")
	fs.Var(interp, "runtime-interpreter", "`RUNTIME=PATH`: interpreter of a managed runtime (python3.12) or language (python, nodejs); repeatable (LAMBDAD_RUNTIME_INTERPRETERS, comma-separated)")
	fs.DurationVar(&cfg.AsyncRetryDelay, "async-retry-delay", cfg.AsyncRetryDelay, "wait before the first retry of a failed asynchronous invocation (twice that before the second)")
	fs.DurationVar(&cfg.AsyncThrottleMin, "async-throttle-min", cfg.AsyncThrottleMin, "first back-off of a throttled asynchronous invocation")
	fs.DurationVar(&cfg.AsyncThrottleMax, "async-throttle-max", cfg.AsyncThrottleMax, "longest back-off of a throttled asynchronous invocation")
	fs.DurationVar(&cfg.AsyncAckWait, "async-ack-wait", cfg.AsyncAckWait, "how long an asynchronous invocation held by a lambdad that died waits before it runs again")
	level := fs.String("log-level", envOr(getenv, "LAMBDAD_LOG_LEVEL", "info"), "debug, info, warn or error (LAMBDAD_LOG_LEVEL)")
	format := fs.String("log-format", envOr(getenv, "LAMBDAD_LOG_FORMAT", "text"), "text or json (LAMBDAD_LOG_FORMAT)")
	if err := fs.Parse(args); err != nil {
		return cfg, 0, "", err
	}
	if fs.NArg() > 0 {
		return cfg, 0, "", fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		return cfg, 0, "", fmt.Errorf("log level: %w", err)
	}
	if *format != "text" && *format != "json" {
		return cfg, 0, "", fmt.Errorf("log format %q is not text or json", *format)
	}
	return cfg, lvl, *format, nil
}

func envOr(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}

func newLogger(w io.Writer, level slog.Level, format string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
