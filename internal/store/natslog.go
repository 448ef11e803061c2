package store

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/nats-io/nats-server/v2/server"
)

// natsLogger routes the embedded server's log to slog. Routine notices, debug
// and trace lines go to Debug so that a normal start prints nothing; warnings
// and errors keep their level because an operator must act on them (a full
// disk, a damaged block file). Fatal lines are logged as errors and remembered:
// the server calls Fatalf when it cannot start JetStream, and Open reports it
// instead of exiting the process as the server's own logger would.
type natsLogger struct {
	log *slog.Logger

	mu    sync.Mutex
	fatal string // first Fatalf message
}

var _ server.Logger = (*natsLogger)(nil)

func newNATSLogger(log *slog.Logger) *natsLogger {
	return &natsLogger{log: log.With("component", "nats")}
}

func (l *natsLogger) logf(level slog.Level, format string, v []any) {
	if !l.log.Enabled(context.Background(), level) {
		return
	}
	l.log.Log(context.Background(), level, fmt.Sprintf(format, v...))
}

func (l *natsLogger) Noticef(format string, v ...any) { l.logf(slog.LevelDebug, format, v) }
func (l *natsLogger) Debugf(format string, v ...any)  { l.logf(slog.LevelDebug, format, v) }
func (l *natsLogger) Tracef(format string, v ...any)  { l.logf(slog.LevelDebug, format, v) }
func (l *natsLogger) Warnf(format string, v ...any)   { l.logf(slog.LevelWarn, format, v) }
func (l *natsLogger) Errorf(format string, v ...any)  { l.logf(slog.LevelError, format, v) }

func (l *natsLogger) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	l.mu.Lock()
	if l.fatal == "" {
		l.fatal = msg
	}
	l.mu.Unlock()
	l.log.Error(msg)
}

// fatalMessage returns the first fatal message the server logged, or "".
func (l *natsLogger) fatalMessage() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.fatal
}
