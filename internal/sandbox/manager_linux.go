package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// probeTimeout bounds the test environment NewManager starts.
const probeTimeout = 5 * time.Second

// capSysAdmin is the bit of CAP_SYS_ADMIN in a capability set.
const capSysAdmin = 21

// system is the isolation machinery of a Manager.
type system struct {
	root   string     // mount point of every environment's new root (in its own namespace)
	empty  string     // an empty directory, the probe's code
	cgroup *cgroupSet // where limits go
	// initArgv starts an init: InitExe, or SelfExe and InitCommand.
	initArgv []string
	// spawner starts inits from a thread with a small descriptor table;
	// nil where that thread could not start.
	spawner *spawner

	// The warm pool: inits started ahead of need, so that a Start does not
	// wait for a Go program to start (several milliseconds for lambdad).
	// A token in refill asks for one more; Start returns the token of the
	// init it took once it is done, so that refilling, which is heavy, does
	// not compete with the start that needs it.
	warm   chan *initProc // ready inits
	refill chan struct{}  // tokens: inits to start
	ready  atomic.Int32   // inits in warm
	stop   chan struct{}  // closed by shutdown
	wg     sync.WaitGroup // the goroutine filling warm
	once   sync.Once      // for shutdown
}

// refillDelay is how long after a Start the pool replaces the init it took.
const refillDelay = 10 * time.Millisecond

func (s *system) limitAttrs() []any { return s.cgroup.limitAttrs() }

// takeWarm returns a warm init, or nil if none is ready. The caller calls
// replaced once its start is over.
func (s *system) takeWarm() *initProc {
	select {
	case w := <-s.warm:
		s.ready.Add(-1)
		return w
	default:
		return nil
	}
}

// replaced asks, a little later, for an init to replace one taken.
func (s *system) replaced() {
	time.AfterFunc(refillDelay, func() {
		select {
		case s.refill <- struct{}{}:
		default: // cannot happen: there are as many tokens as places
		}
	})
}

// keepWarm keeps up to n inits ready until shutdown.
func (m *Manager) keepWarm(n int) {
	s := m.sys
	s.warm = make(chan *initProc, n)
	s.refill = make(chan struct{}, n)
	for range n {
		s.refill <- struct{}{}
	}
	s.stop = make(chan struct{})
	s.wg.Go(func() {
		backoff := time.Second
		for {
			select {
			case <-s.stop:
				return
			case <-s.refill:
			}
			w, err := m.warmInit()
			if err != nil {
				m.log.Warn("start warm sandbox init", "err", err, "retry_in", backoff)
				s.refill <- struct{}{} // the token taken above: there is room
				select {
				case <-s.stop:
					return
				case <-time.After(backoff):
					backoff = min(2*backoff, time.Minute)
					continue
				}
			}
			backoff = time.Second
			s.ready.Add(1)
			s.warm <- w // never blocks: a token stood for this place
		}
	})
}

// shutdown stops the warm pool and ends the inits in it.
func (s *system) shutdown() {
	if s.stop == nil {
		return
	}
	s.once.Do(func() {
		close(s.stop)
		s.wg.Wait()
		for {
			select {
			case w := <-s.warm:
				s.ready.Add(-1)
				w.discard()
			default:
				return
			}
		}
	})
}

func (s *system) close() error {
	s.shutdown()
	if s.spawner != nil {
		s.spawner.close()
	}
	return s.cgroup.close()
}

// setup chooses the mode. It returns an error only when isolation is on
// and impossible.
func (m *Manager) setup() (Mode, string, error) {
	if m.cfg.Isolation == IsolationOff {
		return Unisolated, "isolation off", nil
	}
	reason, err := m.setupIsolation()
	switch {
	case err == nil:
		return Isolated, reason, nil
	case m.cfg.Isolation == IsolationOn:
		return 0, "", fmt.Errorf("sandbox isolation on: %w", err)
	}
	return Unisolated, err.Error(), nil
}

// setupIsolation checks privileges, prepares cgroups and the shared
// directories, and starts a probe environment.
func (m *Manager) setupIsolation() (string, error) {
	if os.Getenv(initEnv) != "" {
		// We are a SelfExe that did not dispatch InitSubcommand and went on
		// to start a sandbox of its own: stop the recursion here.
		return "", fmt.Errorf("%s does not run %v: it must dispatch %q to sandbox.InitMain", m.cfg.SelfExe, m.cfg.InitCommand, InitSubcommand)
	}
	if err := checkPrivileges(); err != nil {
		return "", err
	}
	s := &system{root: filepath.Join(m.workDir, "root"), empty: filepath.Join(m.workDir, "empty")}
	if err := os.MkdirAll(s.root, 0o700); err != nil {
		return "", fmt.Errorf("create sandbox root: %w", err)
	}
	if err := os.MkdirAll(s.empty, 0o755); err != nil {
		return "", fmt.Errorf("create sandbox root: %w", err)
	}
	s.cgroup = detectCgroups(m.cfg.CgroupRoot)
	m.sys = s
	var err error
	if m.cfg.InitExe != "" {
		if err = m.useInit([]string{m.cfg.InitExe}); err != nil {
			m.log.Warn("sandbox init binary failed its test: lambdad starts itself as the init", "init", m.cfg.InitExe, "err", err)
		}
	}
	if m.cfg.InitExe == "" || err != nil {
		err = m.useInit(append([]string{m.cfg.SelfExe}, m.cfg.InitCommand...))
	}
	if err != nil {
		_ = s.close()
		m.sys = nil
		return "", err
	}
	if m.cfg.WarmInits > 0 {
		m.keepWarm(m.cfg.WarmInits)
	}
	return "root: mount, PID, IPC and UTS namespaces, a uid per environment; network shared; init " +
		strings.Join(append([]string{filepath.Base(s.initArgv[0])}, s.initArgv[1:]...), " "), nil
}

// useInit makes argv the command of every init, after a probe environment
// started with it works.
func (m *Manager) useInit(argv []string) error {
	if fi, err := os.Stat(argv[0]); err != nil || !fi.Mode().IsRegular() {
		return fmt.Errorf("sandbox init binary: %w", errors.Join(err, errors.New("not a regular file")))
	}
	s := m.sys
	s.initArgv = argv
	if !m.cfg.noSpawner {
		sp, err := startSpawner(argv, initEnvironment)
		if err != nil {
			m.log.Warn("sandbox spawner: inits start from lambdad's own descriptor table", "err", err)
		}
		s.spawner = sp
	}
	if err := m.probe(); err != nil {
		if s.spawner != nil {
			s.spawner.close()
			s.spawner = nil
		}
		return fmt.Errorf("test sandbox: %w", err)
	}
	return nil
}

// checkPrivileges fails unless lambdad is root with CAP_SYS_ADMIN.
func checkPrivileges() error {
	if os.Geteuid() != 0 {
		return errors.New("not running as root")
	}
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return fmt.Errorf("read capabilities: %w", err)
	}
	caps, err := strconv.ParseUint(parseStatus(data)["CapEff"], 16, 64)
	if err != nil {
		return fmt.Errorf("read capabilities: %w", err)
	}
	if caps&(1<<capSysAdmin) == 0 {
		return errors.New("root without CAP_SYS_ADMIN")
	}
	return nil
}

// probe starts an environment that sets everything up but, instead of
// executing a runtime, reports ready and is killed.
func (m *Manager) probe() error {
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	var stderr tailBuffer
	spec := Spec{
		ID:       "probe-" + randomID(),
		CodeDir:  m.sys.empty,
		Command:  []string{"/probe"},
		TmpMB:    1,
		PidsMax:  64,
		MemoryMB: 64,
		Stderr:   &stderr,
	}
	p, err := m.startIsolated(ctx, spec, true)
	if err != nil {
		return errors.Join(err, stderr.err())
	}
	_ = p.Kill()
	return nil
}

func randomID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// tailBuffer keeps the last bytes written to it, for error messages.
type tailBuffer struct {
	b []byte
}

const tailSize = 2048

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > tailSize {
		t.b = t.b[len(t.b)-tailSize:]
	}
	return len(p), nil
}

// err returns the output as an error, or nil when there is none.
func (t *tailBuffer) err() error {
	s := strings.TrimSpace(string(t.b))
	if s == "" {
		return nil
	}
	return fmt.Errorf("init output: %s", s)
}
