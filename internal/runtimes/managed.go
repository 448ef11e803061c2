package runtimes

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// The runtime interface clients lambdad ships, written to Config.Dir at
// start-up and seen by every managed-runtime environment at /var/runtime.
//
//go:embed python/bootstrap.py python/_lambdad_runtime.py node/index.cjs
var clients embed.FS

// RuntimeDir is where a managed runtime's environment finds the runtime
// interface clients, as on AWS (LAMBDA_RUNTIME_DIR).
const RuntimeDir = "/var/runtime"

// language is a family of managed runtimes sharing one client.
type language struct {
	client string   // path of the client under RuntimeDir
	args   []string // interpreter arguments before the client
	// pathArgs replace args when the probe reported the interpreter's
	// module search path: the client gets that path as its arguments.
	pathArgs []string
	// probe is the interpreter's arguments (a program) that check it runs,
	// once per candidate, with the host's runtime directory as the last
	// argument: it prints the path of the executable that really runs (not
	// a shim's) and prepares what the client can prepare ahead, writing to
	// that directory. Its failures to prepare are not failures to run.
	probe []string
}

var (
	python = language{
		client: "python/bootstrap.py",
		// -s: no user site directory (there is no home directory to
		// have one, as on AWS), which spares a password database lookup.
		args: []string{"-s"},
		// -S: no site module at start-up. The probe ran it once and
		// reported the sys.path it builds, which the client restores:
		// the host's .pth files and sitecustomize then cost no cold start
		// (tens of milliseconds on hosts whose .pth files import modules).
		pathArgs: []string{"-S"},
		probe:    []string{"-s", "-c", pythonProbe},
	}
	node = language{client: "node/index.cjs", probe: []string{"-e", nodeProbe}}
)

// pythonProbe prints the executable and the module search path the site
// module builds (without the user site directory: -s), then compiles the
// client to the bytecode cache next to it
// (__pycache__/_lambdad_runtime.cpython-3XY.pyc), which isolated runtimes
// cannot write themselves, so that no cold start compiles it.
const pythonProbe = `import sys
print(sys.executable)
for p in sys.path:
    if p.startswith("/") and "\n" not in p:
        print(p)
try:
    import py_compile
    py_compile.compile(sys.argv[1] + "/python/_lambdad_runtime.py", doraise=True)
except Exception as e:
    print("lambdad probe: compile the runtime client:", e, file=sys.stderr)
`

const nodeProbe = `process.stdout.write(process.execPath + "\n")`

// managed is one AWS runtime identifier lambdad runs with a host
// interpreter.
type managed struct {
	lang *language
	// names are the interpreter's command names, looked up on PATH in this
	// order: the exact version first, then the generic name.
	names []string
	env   []string // extra variables, with sandbox paths
}

// Managed lists the runtime identifiers lambdad runs and the interpreter
// names it looks for, in order of preference. Python runs the exact minor
// version's binary (python3.12) when PATH has one, the generic python3
// otherwise; Node.js has one binary name on most hosts (node, nodejs), used
// for every nodejs*.x runtime whatever its major version.
var managedRuntimes = func() map[string]managed {
	m := make(map[string]managed)
	for minor := 9; minor <= 14; minor++ {
		v := fmt.Sprintf("3.%d", minor)
		m["python"+v] = managed{
			lang:  &python,
			names: []string{"python" + v, "python3"},
		}
	}
	for major := 18; major <= 24; major += 2 {
		v := fmt.Sprintf("nodejs%d.x", major)
		m[v] = managed{
			lang:  &node,
			names: []string{"node", "nodejs"},
			env: []string{
				fmt.Sprintf("NODE_PATH=/opt/nodejs/node%d/node_modules:/opt/nodejs/node_modules:%s/node_modules:%s:/var/task", major, RuntimeDir, RuntimeDir),
			},
		}
	}
	return m
}()

// ManagedRuntimes returns the managed runtime identifiers lambdad knows,
// sorted.
func ManagedRuntimes() []string {
	ids := make([]string, 0, len(managedRuntimes))
	for id := range managedRuntimes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Config configures a Set.
type Config struct {
	// Dir is a host directory the embedded clients are written to (created
	// if missing; its content is replaced). It is bound read-only at
	// /var/runtime in isolated environments.
	Dir string
	// Interpreters overrides discovery: runtime identifier (python3.12) or
	// language (python, nodejs) to an absolute interpreter path.
	Interpreters map[string]string
	// Path is the PATH searched for interpreters.
	Path string
	// OthersMustExecute skips interpreters that a user other than their
	// owner cannot execute (set when environments run as an unprivileged
	// uid, as isolated ones do): a pyenv shim under /root does not work
	// there.
	OthersMustExecute bool
}

// Set knows the interpreters of one host. It is safe for concurrent use.
type Set struct {
	dir      string
	others   bool // Config.OthersMustExecute
	runtimes map[string]*interpreter

	probeMu sync.Mutex
	probed  map[string]probeResult // by candidate path
}

// interpreter is the interpreter of one managed runtime, chosen at its first
// use from the candidates found at start-up: the first that runs.
type interpreter struct {
	lang       *language
	candidates []string
	names      []string // what was looked for, for the error message
	runtime    string
	override   bool // candidates[0] was configured: run it as it is

	once     sync.Once
	path     string   // the chosen interpreter, "" when none runs
	sitePath []string // its module search path, when the probe told
	missing  string   // why there is none
}

// probeResult is what running a language's probe with one candidate
// found.
type probeResult struct {
	ok       bool
	real     string   // the executable that runs, when the probe said so
	sitePath []string // the module search path it reported, if any
}

// New writes the embedded clients to cfg.Dir and finds the candidate
// interpreters of each managed runtime. A runtime without one is not an
// error here: its invocations fail with Runtime.InvalidEntrypoint naming
// what was looked for. An override that is not an executable file is an
// error.
func New(cfg Config, log *slog.Logger) (*Set, error) {
	s := &Set{dir: cfg.Dir, others: cfg.OthersMustExecute, runtimes: make(map[string]*interpreter), probed: make(map[string]probeResult)}
	if err := writeClients(cfg.Dir); err != nil {
		return nil, err
	}
	for key, p := range cfg.Interpreters {
		if _, ok := managedRuntimes[key]; !ok && key != "python" && key != "nodejs" {
			return nil, fmt.Errorf("runtime interpreter %s=%s: unknown runtime (want python, nodejs or one of %s)", key, p, strings.Join(ManagedRuntimes(), ", "))
		}
		if !filepath.IsAbs(p) || !isExecutable(p) {
			return nil, fmt.Errorf("runtime interpreter %s=%s: not an absolute path to an executable file", key, p)
		}
	}
	var found []string
	for _, id := range ManagedRuntimes() {
		m := managedRuntimes[id]
		family := "nodejs"
		if m.lang == &python {
			family = "python"
		}
		in := &interpreter{lang: m.lang, runtime: id, names: m.names}
		if p, ok := cfg.Interpreters[id]; ok {
			in.candidates, in.override = []string{p}, true
		} else if p, ok := cfg.Interpreters[family]; ok {
			in.candidates, in.override = []string{p}, true
		} else {
			in.candidates = lookInterpreters(m.names, cfg.Path, cfg.OthersMustExecute)
		}
		s.runtimes[id] = in
		if len(in.candidates) > 0 {
			found = append(found, id+"="+strings.Join(in.candidates, "|"))
		}
	}
	log.Info("managed runtimes", "candidates", strings.Join(found, " "))
	return s, nil
}

// Interpreter returns the interpreter of a managed runtime, choosing it if
// this is its first use (which runs the language's probe with each
// candidate, at most probeTimeout each), or "" when it has none or is not
// managed.
func (s *Set) Interpreter(runtime string) string {
	in := s.runtimes[runtime]
	if in == nil {
		return ""
	}
	s.choose(in)
	return in.path
}

// probeTimeout bounds one run of a candidate interpreter.
const probeTimeout = 5 * time.Second

// choose picks the first candidate that runs: a PATH entry can be a shim
// (pyenv) that fails for a version it does not provide. A candidate found
// on PATH is replaced by the executable it runs, so that a shim (pyenv,
// asdf: a shell script that starts more processes to pick a version) is
// paid for once rather than at every cold start; a configured one is run
// as it is.
func (s *Set) choose(in *interpreter) {
	in.once.Do(func() {
		for _, p := range in.candidates {
			r := s.probe(in.lang, p)
			if !r.ok {
				continue
			}
			in.path, in.sitePath = p, r.sitePath
			if r.real != "" && !in.override {
				in.path = r.real
			}
			return
		}
		tried := ""
		if len(in.candidates) > 0 {
			tried = " (" + strings.Join(in.candidates, ", ") + " did not run)"
		}
		in.missing = fmt.Sprintf("Runtime %s has no interpreter on this host: no working %s on PATH%s; set one with --runtime-interpreter %s=/path/to/%s",
			in.runtime, strings.Join(in.names, " or "), tried, in.runtime, in.names[len(in.names)-1])
	})
}

// probe runs lang's probe with interpreter p, once per path for the Set's
// lifetime: the runtimes of one language share their candidates.
func (s *Set) probe(lang *language, p string) probeResult {
	s.probeMu.Lock()
	defer s.probeMu.Unlock()
	if r, ok := s.probed[p]; ok {
		return r
	}
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, p, append(slices.Clone(lang.probe), s.dir)...)
	// The environment a runtime gets: no HOME, a plain PATH.
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"}
	out, err := cmd.Output()
	var r probeResult
	if err == nil {
		r.ok = true
		lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
		real := strings.TrimSpace(lines[0])
		if filepath.IsAbs(real) && isExecutable(real) && (!s.others || othersCanExecute(real)) {
			r.real = real
		}
		for _, l := range lines[1:] {
			if filepath.IsAbs(l) {
				r.sitePath = append(r.sitePath, l)
			}
		}
		// What the probe wrote must be readable by every environment's
		// uid, whatever lambdad's umask.
		openUp(s.dir)
	}
	s.probed[p] = r
	return r
}

// openUp makes everything under dir readable (and directories searchable)
// by everyone. Errors are ignored: a cache the runtime cannot read is only
// slower.
func openUp(dir string) {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			os.Chmod(p, 0o755)
		} else if d.Type().IsRegular() {
			os.Chmod(p, 0o644)
		}
		return nil
	})
}

// lookInterpreters returns, in order, every executable file named one of
// names in a directory of pathList: all the directories for the first name,
// then for the next.
func lookInterpreters(names []string, pathList string, othersMustExecute bool) []string {
	var found []string
	for _, name := range names {
		for _, dir := range filepath.SplitList(pathList) {
			if dir == "" || !filepath.IsAbs(dir) {
				continue // a relative PATH entry depends on the working directory
			}
			p := filepath.Join(dir, name)
			if !isExecutable(p) || othersMustExecute && !othersCanExecute(p) || slices.Contains(found, p) {
				continue
			}
			found = append(found, p)
		}
	}
	return found
}

// othersCanExecute says whether a user who is neither the owner nor in the
// group of p, or of any directory on the way to it (symbolic links
// resolved), can execute it.
func othersCanExecute(p string) bool {
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return false
	}
	fi, err := os.Stat(real)
	if err != nil || fi.Mode().Perm()&0o005 != 0o005 {
		return false
	}
	for dir := filepath.Dir(real); ; dir = filepath.Dir(dir) {
		fi, err := os.Stat(dir)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		if dir == "/" || dir == "." {
			return true
		}
	}
}

// writeClients replaces dir's content with the embedded clients, readable
// by everyone.
func writeClients(dir string) error {
	if !filepath.IsAbs(dir) {
		return fmt.Errorf("runtime dir %q: not an absolute path", dir)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("clean runtime dir: %w", err)
	}
	return fs.WalkDir(clients, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(dir, filepath.FromSlash(p))
		if d.IsDir() {
			if err := os.MkdirAll(target, 0o755); err != nil {
				return fmt.Errorf("create runtime dir: %w", err)
			}
			return os.Chmod(target, 0o755) // whatever the umask
		}
		b, err := clients.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.WriteFile(target, b, 0o644); err != nil {
			return fmt.Errorf("write runtime client: %w", err)
		}
		return os.Chmod(target, 0o644)
	})
}

// Resolve returns how to start runtime: provided.* as the package-level
// Resolve does, managed runtimes with their interpreter and the client at
// /var/runtime. A nil Set knows only provided.* runtimes.
func (s *Set) Resolve(runtime, handler, codeDir, optDir string) (Launch, error) {
	m, ok := managedRuntimes[runtime]
	if s == nil || !ok {
		return Resolve(runtime, handler, codeDir, optDir)
	}
	in := s.runtimes[runtime]
	s.choose(in)
	if in.path == "" {
		return Launch{}, &Error{Type: "Runtime.InvalidEntrypoint", Message: in.missing}
	}
	argv := append([]string{in.path}, m.lang.args...)
	argv = append(argv, RuntimeDir+"/"+m.lang.client)
	if len(in.sitePath) > 0 && m.lang.pathArgs != nil {
		argv = append([]string{in.path}, m.lang.pathArgs...)
		argv = append(argv, RuntimeDir+"/"+m.lang.client)
		argv = append(argv, in.sitePath...)
	}
	return Launch{
		Command:      argv,
		ExecutionEnv: "AWS_Lambda_" + runtime,
		Env:          m.env,
		RuntimeDir:   s.dir,
	}, nil
}
