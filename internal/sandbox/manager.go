package sandbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// Mode is how a Manager runs environments.
type Mode int

const (
	// Unisolated runs the runtime as a plain child process of lambdad.
	Unisolated Mode = iota
	// Isolated runs the runtime in its own namespaces and cgroups.
	Isolated
)

func (m Mode) String() string {
	switch m {
	case Unisolated:
		return "unisolated"
	case Isolated:
		return "isolated"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Values of Config.Isolation.
const (
	// IsolationAuto isolates when lambdad runs as root on Linux and a test
	// sandbox starts, and runs unisolated otherwise.
	IsolationAuto = "auto"
	// IsolationOn isolates or makes NewManager fail.
	IsolationOn = "on"
	// IsolationOff never isolates.
	IsolationOff = "off"
)

// InitSubcommand is the subcommand of the lambdad binary that runs InitMain.
const InitSubcommand = "sandbox-init"

// Defaults of Config and Spec.
const (
	DefaultCgroupRoot = "lambdad"
	// DefaultUID and DefaultGID start the range of ids isolated runtimes
	// run as, in the part of the id space that systemd leaves unused
	// (1879048192 to 2147483647), far from host users and from the ranges
	// container managers hand out.
	DefaultUID = 0x70000000
	DefaultGID = 0x70000000
	// DefaultIDs is how many environments can run at once, each with a uid
	// of its own.
	DefaultIDs       = 1 << 16
	DefaultPidsMax   = 1024
	DefaultTmpMB     = 512
	DefaultWarmInits = 2
	// maxOpenFiles is RLIMIT_NOFILE of every runtime, as on AWS.
	maxOpenFiles = 1024
)

// ErrClosed is returned by Start once Close has been called.
var ErrClosed = errors.New("sandbox manager closed")

// InitExeName is the file name of the small init binary, cmd/lambdad-init.
const InitExeName = "lambdad-init"

// Config configures a Manager. The zero value of every field means its
// default.
type Config struct {
	// Isolation is IsolationAuto (the default), IsolationOn or IsolationOff.
	Isolation string
	// SelfExe is the binary that runs InitMain when given InitCommand
	// (os.Executable() by default). Isolated mode re-executes it for every
	// environment, so a test binary used here must dispatch InitSubcommand
	// in its TestMain, or every Start runs its tests instead.
	SelfExe string
	// InitCommand is the argument list that makes SelfExe run InitMain
	// ({InitSubcommand} by default).
	InitCommand []string
	// InitExe, when set, is a small binary that runs InitMain when started
	// without arguments (cmd/lambdad-init, named InitExeName). Isolated mode
	// starts it instead of SelfExe, which is a large program that takes
	// several milliseconds of CPU to start, unless it fails the start-up
	// test; then SelfExe serves.
	InitExe string
	// CgroupRoot names the cgroup that holds the environments' cgroups (in a
	// cgroup named after lambdad's pid): a relative name is created under
	// lambdad's own cgroup in each hierarchy, an absolute one under the
	// hierarchy's root. Default "lambdad".
	CgroupRoot string
	// HiddenPaths are host paths an isolated runtime must not see, such as
	// lambdad's data directory. WorkDir is always hidden.
	HiddenPaths []string
	// WorkDir holds the Manager's scratch directories (a private temporary
	// directory, removed by Close, when empty).
	WorkDir string
	// UID and GID start the range of credentials isolated runtimes run as:
	// each environment has a uid and gid of its own, UID+i and GID+i for
	// 0 <= i < IDs, so that nothing it creates (a socket, a file in /tmp)
	// belongs to another (defaults: DefaultUID, DefaultGID, DefaultIDs).
	// The ids need no entry in the host's user database.
	UID, GID int
	IDs      int
	// WarmInits is how many sandbox inits an isolated Manager keeps started
	// and waiting for an environment, so that Start does not pay for
	// starting SelfExe (DefaultWarmInits when 0, none when negative).
	WarmInits int

	legacyRemount bool // tests: remount read-only mount by mount
	noSpawner     bool // tests: start inits from lambdad's own descriptor table
}

// Manager starts environments. It is safe for concurrent use.
type Manager struct {
	cfg        Config
	log        *slog.Logger
	mode       Mode
	workDir    string
	ownWorkDir bool     // Close removes workDir
	hidden     []string // cleaned absolute HiddenPaths plus workDir
	sys        *system  // the platform's isolation machinery; nil when unisolated
	ids        *idRange // the uids of isolated environments
	peerCheck  bool     // peerUID works here: Identity.CheckPeer checks

	mu       sync.Mutex // guards closed, live and Process.forgotten; never held with Process.mu
	closed   bool
	live     map[string]*Process // by Spec.ID; nil while a Start is under way
	starting sync.WaitGroup      // Starts under way; Close waits for them
}

// NewManager checks cfg, chooses the mode and logs it at Info ("sandbox
// mode"). With IsolationAuto or IsolationOn it starts one test environment to
// prove that isolation works; IsolationOn fails if it does not.
func NewManager(cfg Config, log *slog.Logger) (*Manager, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	switch cfg.Isolation {
	case "":
		cfg.Isolation = IsolationAuto
	case IsolationAuto, IsolationOn, IsolationOff:
	default:
		return nil, fmt.Errorf("sandbox isolation %q: want auto, on or off", cfg.Isolation)
	}
	if cfg.SelfExe == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("find own executable: %w", err)
		}
		cfg.SelfExe = exe
	}
	if len(cfg.InitCommand) == 0 {
		cfg.InitCommand = []string{InitSubcommand}
	}
	if cfg.CgroupRoot == "" {
		cfg.CgroupRoot = DefaultCgroupRoot
	}
	if c := path.Clean(cfg.CgroupRoot); c != cfg.CgroupRoot || c == "/" || c == "." || strings.HasPrefix(c, "../") || c == ".." {
		return nil, fmt.Errorf("sandbox cgroup root %q: want a clean path below a cgroup", cfg.CgroupRoot)
	}
	if cfg.UID == 0 {
		cfg.UID = DefaultUID
	}
	if cfg.GID == 0 {
		cfg.GID = DefaultGID
	}
	if cfg.IDs == 0 {
		cfg.IDs = DefaultIDs
	}
	if cfg.WarmInits == 0 {
		cfg.WarmInits = DefaultWarmInits
	}
	const maxID = 1<<32 - 2 // (uid_t)-1 means "unchanged"
	if cfg.UID < 0 || cfg.GID < 0 || cfg.IDs < 0 || int64(cfg.UID)+int64(cfg.IDs) > maxID || int64(cfg.GID)+int64(cfg.IDs) > maxID {
		return nil, fmt.Errorf("sandbox uids %d and gids %d, %d of each: want positive ids below %d", cfg.UID, cfg.GID, cfg.IDs, int64(maxID))
	}

	m := &Manager{cfg: cfg, log: log, live: make(map[string]*Process), ids: newIDRange(cfg.IDs)}
	if cfg.WorkDir == "" {
		dir, err := os.MkdirTemp("", "lambdad-sandbox-")
		if err != nil {
			return nil, fmt.Errorf("create sandbox work dir: %w", err)
		}
		m.workDir, m.ownWorkDir = dir, true
	} else {
		dir, err := filepath.Abs(cfg.WorkDir)
		if err != nil {
			return nil, fmt.Errorf("sandbox work dir: %w", err)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create sandbox work dir: %w", err)
		}
		m.workDir = dir
	}
	// Leftovers of a previous run: per-environment directories.
	if err := os.RemoveAll(m.tmpRoot()); err != nil {
		m.removeWorkDir()
		return nil, fmt.Errorf("clean sandbox work dir: %w", err)
	}
	for _, p := range append(slices.Clone(cfg.HiddenPaths), m.workDir) {
		h, err := realPath(p)
		if err != nil {
			m.removeWorkDir()
			return nil, fmt.Errorf("sandbox hidden path %q: %w", p, err)
		}
		if h == "/" {
			m.removeWorkDir()
			return nil, fmt.Errorf("sandbox hidden path %q: cannot hide the root", p)
		}
		m.hidden = append(m.hidden, h)
	}

	mode, reason, err := m.setup()
	if err != nil {
		m.removeWorkDir()
		return nil, err
	}
	m.mode = mode
	attrs := []any{"mode", mode.String(), "reason", reason}
	if m.sys != nil {
		attrs = append(attrs, m.sys.limitAttrs()...)
	}
	if err := checkPeerLookup(); err != nil {
		attrs = append(attrs, "runtime_api_peer", "not checked: "+err.Error())
	} else {
		m.peerCheck = true
		attrs = append(attrs, "runtime_api_peer", "uid checked")
	}
	log.Info("sandbox mode", attrs...)
	return m, nil
}

// realPath is p made absolute and clean, with symbolic links resolved as far
// as the path exists.
func realPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r, nil
	}
	return abs, nil
}

// Mode returns the mode every environment of m runs in.
func (m *Manager) Mode() Mode { return m.mode }

// RuntimePath returns the path under which spec's runtime finds what an
// isolated runtime finds at sandboxPath: sandboxPath itself when isolated;
// when unisolated, paths under /var/task, /opt, /tmp and /var/runtime are
// mapped to spec.CodeDir, spec.OptDir, the environment's private tmp
// directory and spec.RuntimeDir.
// Callers use it to build variables such as LAMBDA_TASK_ROOT.
func (m *Manager) RuntimePath(spec Spec, sandboxPath string) string {
	if m.mode == Isolated {
		return sandboxPath
	}
	return hostPath(spec.CodeDir, spec.OptDir, m.tmpDir(spec.ID), spec.RuntimeDir, sandboxPath)
}

// TaskRoot is the value of LAMBDA_TASK_ROOT for spec: RuntimePath of
// /var/task.
func (m *Manager) TaskRoot(spec Spec) string { return m.RuntimePath(spec, "/var/task") }

// tmpRoot holds the unisolated environments' tmp directories.
func (m *Manager) tmpRoot() string { return filepath.Join(m.workDir, "tmp") }

func (m *Manager) tmpDir(id string) string { return filepath.Join(m.tmpRoot(), id) }

// Start starts spec's runtime and returns once it runs: when isolated, once
// the init has executed it. ctx bounds only the start itself; cancelling it
// later does not touch the process. If the command cannot be executed the
// error wraps the system's reason, so errors.Is(err, fs.ErrNotExist) and
// fs.ErrPermission work. Start fails if a process with spec.ID is still
// running in m.
func (m *Manager) Start(ctx context.Context, spec Spec) (_ *Process, err error) {
	defer func() {
		if err != nil {
			spec.Identity.Release()
		}
	}()
	spec.setDefaults()
	if err := spec.validate(); err != nil {
		return nil, err
	}
	if spec.Identity == nil {
		if spec.Identity, err = m.NewIdentity(); err != nil {
			return nil, fmt.Errorf("start environment %s: %w", spec.ID, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("start environment %s: %w", spec.ID, err)
	}
	m.mu.Lock()
	switch _, busy := m.live[spec.ID]; {
	case m.closed:
		m.mu.Unlock()
		return nil, ErrClosed
	case busy:
		m.mu.Unlock()
		return nil, fmt.Errorf("start environment %s: an environment with this id is running", spec.ID)
	}
	m.live[spec.ID] = nil
	m.starting.Add(1)
	m.mu.Unlock()
	defer m.starting.Done()

	var p *Process
	if m.mode == Isolated {
		p, err = m.startIsolated(ctx, spec, false)
	} else {
		p, err = m.startUnisolated(spec)
	}
	if err == nil {
		p.own(spec.Identity)
	}
	m.mu.Lock()
	closed := m.closed
	if err == nil && !p.forgotten {
		m.live[spec.ID] = p
	} else {
		delete(m.live, spec.ID) // failed, or already reaped
	}
	m.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("start environment %s: %w", spec.ID, err)
	}
	if closed {
		_ = p.Kill()
		return nil, ErrClosed
	}
	return p, nil
}

// forget drops p from the live set once it is reaped. Before Start has
// registered p, Start drops it instead.
func (m *Manager) forget(p *Process) {
	m.mu.Lock()
	if m.live[p.id] == p {
		delete(m.live, p.id)
	}
	p.forgotten = true
	m.mu.Unlock()
}

// Close kills every process still running, waits for them, and removes the
// cgroups and directories m made. Start fails with ErrClosed afterwards.
// Close may be called more than once.
func (m *Manager) Close() error {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	// A Start under way sees closed and kills what it started.
	m.starting.Wait()

	if m.sys != nil {
		m.sys.shutdown()
	}
	m.mu.Lock()
	procs := make([]*Process, 0, len(m.live))
	for _, p := range m.live {
		if p != nil {
			procs = append(procs, p)
		}
	}
	m.mu.Unlock()

	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Go(func() { _ = p.Kill() })
	}
	wg.Wait()

	var errs []error
	if m.sys != nil {
		errs = append(errs, m.sys.close())
	}
	if err := os.RemoveAll(m.tmpRoot()); err != nil {
		errs = append(errs, fmt.Errorf("remove sandbox tmp dirs: %w", err))
	}
	errs = append(errs, m.removeWorkDir())
	return errors.Join(errs...)
}

func (m *Manager) removeWorkDir() error {
	if !m.ownWorkDir {
		return nil
	}
	if err := os.RemoveAll(m.workDir); err != nil {
		return fmt.Errorf("remove sandbox work dir: %w", err)
	}
	return nil
}
