package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrLocked is returned by Open when another Store, in this process or
// another, holds the data directory.
var ErrLocked = errors.New("data directory is in use by another lambdad")

const (
	lockFileName = "lambdad.lock"

	// maxPayload bounds one NATS message. Objects are split into chunks well
	// below it; the headroom serves other users of the connection, such as
	// 6 MB invoke payloads in the async queue. 8 MiB is the largest size the
	// server accepts without warning.
	maxPayload = 8 << 20

	// maxMemory bounds JetStream memory storage. lambdad keeps everything on
	// file storage; this only caps memory streams created by mistake.
	maxMemory = 64 << 20

	// replicas is the JetStream replication factor of every bucket. Cluster
	// mode will raise it to 3.
	replicas = 1

	// defaultReadyTimeout bounds the wait for the server and the connection
	// when ctx has no deadline.
	defaultReadyTimeout = 30 * time.Second
)

// Config says where the store keeps its data and whether it exposes NATS.
type Config struct {
	// Dir is the data directory, created if missing. JetStream files go under
	// Dir/jetstream; Dir/lambdad.lock guards against a second daemon.
	Dir string
	// ListenAddr is an optional "host:port" on which NATS clients may connect
	// (port 0 picks a free port). Empty opens no port: lambdad itself always
	// connects in-process.
	ListenAddr string
	// SyncAlways makes JetStream fsync every write, so acknowledged writes
	// survive a power loss or kernel crash too, not only a crash of lambdad.
	// It costs an fsync per message (a 50 MB zip is 50 of them), which is why
	// it is off by default; see the package documentation.
	SyncAlways bool
}

// Store is an open connection to JetStream, backed by the embedded server it
// started. It is safe for concurrent use.
type Store struct {
	log  *slog.Logger
	srv  *server.Server
	nc   *nats.Conn
	js   jetstream.JetStream
	lock *os.File

	closed    chan struct{} // closed by the connection's ClosedHandler
	closeOnce sync.Once
	closeErr  error

	locksMu sync.Mutex
	locks   map[string]*digestLocks // by blob bucket
}

// Open locks cfg.Dir, starts the embedded NATS server with JetStream on it,
// waits until the server is ready and connects to it in-process.
//
// Open returns ErrLocked if another Store holds cfg.Dir. It blocks while the
// server recovers its streams from disk, which is not interruptible; ctx (or
// 30 seconds when ctx has no deadline) bounds the wait for readiness and for
// the connection afterwards.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*Store, error) {
	if cfg.Dir == "" {
		return nil, errors.New("open store: no data directory")
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open store: create data directory: %w", err)
	}
	lock, err := lockDir(filepath.Join(dir, lockFileName))
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	s, err := start(ctx, dir, cfg, log)
	if err != nil {
		unlockDir(lock)
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	s.lock = lock
	return s, nil
}

// start runs the server and connects to it; on error nothing is left running.
func start(ctx context.Context, dir string, cfg Config, log *slog.Logger) (*Store, error) {
	opts := &server.Options{
		ServerName: "lambdad",
		DontListen: true,
		JetStream:  true,
		// The server appends "jetstream" to StoreDir.
		StoreDir:           dir,
		JetStreamMaxMemory: maxMemory,
		MaxPayload:         maxPayload,
		SyncAlways:         cfg.SyncAlways,
		// lambdad owns the process signals.
		NoSigs: true,
	}
	if cfg.ListenAddr != "" {
		host, port, err := parseListenAddr(cfg.ListenAddr)
		if err != nil {
			return nil, err
		}
		opts.DontListen, opts.Host, opts.Port = false, host, port
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("configure nats server: %w", err)
	}
	nlog := newNATSLogger(log)
	srv.SetLoggerV2(nlog, log.Enabled(ctx, slog.LevelDebug), false, false)

	// Start recovers JetStream synchronously; if that fails it logs a fatal
	// line and returns early.
	srv.Start()
	fail := func(err error) (*Store, error) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, err
	}
	if msg := nlog.fatalMessage(); msg != "" {
		return fail(fmt.Errorf("start nats server: %s", msg))
	}
	wait := defaultReadyTimeout
	if deadline, ok := ctx.Deadline(); ok {
		wait = time.Until(deadline)
	}
	if !srv.ReadyForConnections(wait) {
		return fail(fmt.Errorf("start nats server: not ready after %s", wait))
	}
	if !srv.JetStreamEnabled() {
		return fail(errors.New("start nats server: jetstream is not enabled"))
	}
	if err := ctx.Err(); err != nil {
		return fail(fmt.Errorf("start nats server: %w", err))
	}

	closed := make(chan struct{})
	nc, err := nats.Connect("",
		nats.InProcessServer(srv),
		nats.Name("lambdad"),
		nats.Timeout(wait),
		// In-process, a lost connection means the server is gone.
		nats.NoReconnect(),
		nats.ClosedHandler(func(*nats.Conn) { close(closed) }),
	)
	if err != nil {
		return fail(fmt.Errorf("connect to nats server: %w", err))
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return fail(fmt.Errorf("open jetstream: %w", err))
	}
	if cfg.ListenAddr != "" {
		log.Info("store opened", "dir", dir, "listen", srv.ClientURL())
	} else {
		log.Info("store opened", "dir", dir, "listen", "in-process only")
	}
	return &Store{log: log, srv: srv, nc: nc, js: js, closed: closed}, nil
}

// parseListenAddr splits "host:port" into the server's Host and Port options.
func parseListenAddr(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("nats listen address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("nats listen address %q: bad port", addr)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	return host, port, nil
}

// JetStream is the client API the rest of lambdad uses.
func (s *Store) JetStream() jetstream.JetStream { return s.js }

// ClientURL is the nats:// URL clients can dial when Config.ListenAddr was
// set; it names an address nobody listens on otherwise.
func (s *Store) ClientURL() string { return s.srv.ClientURL() }

// KeyValue creates the KV bucket, or opens it if it exists, with file storage
// and one revision per key. Bucket names are letters, digits, '-' and '_'.
func (s *Store) KeyValue(ctx context.Context, bucket string) (jetstream.KeyValue, error) {
	kv, err := s.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:   bucket,
		History:  1,
		Storage:  jetstream.FileStorage,
		Replicas: replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("open kv bucket %s: %w", bucket, err)
	}
	return kv, nil
}

// Close drains the connection (pending publishes are flushed, subscriptions
// finish their in-flight messages), shuts the server down, waits for it to
// stop and releases the data directory. Close is idempotent; later calls
// return the first call's result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

func (s *Store) close() error {
	var errs []error
	if err := s.nc.Drain(); err != nil {
		errs = append(errs, fmt.Errorf("drain nats connection: %w", err))
		s.nc.Close()
	}
	// Drain is asynchronous and bounded by the connection's drain timeout;
	// the ClosedHandler fires when it is done.
	<-s.closed
	s.srv.Shutdown()
	s.srv.WaitForShutdown()
	if err := unlockDir(s.lock); err != nil {
		errs = append(errs, fmt.Errorf("release data directory lock: %w", err))
	}
	s.log.Info("store closed")
	if len(errs) > 0 {
		return fmt.Errorf("close store: %w", errors.Join(errs...))
	}
	return nil
}
