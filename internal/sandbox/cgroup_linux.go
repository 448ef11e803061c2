package sandbox

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// daemonLeaf is the cgroup v2 leaf lambdad moves itself into when its own
// cgroup must hand controllers to its children: a cgroup v2 cgroup with
// processes cannot ("no internal processes").
const daemonLeaf = "lambdad-daemon"

// cgroupSet is where a Manager puts its environments' cgroups.
type cgroupSet struct {
	// unified is the parent of the environments' cgroups in the cgroup v2
	// hierarchy, or "" without one. Even with no controllers it tracks the
	// environment's processes: cgroup.kill, CLONE_INTO_CGROUP.
	unified     string
	unifiedBase string // where enableController starts for unified
	memory      placement
	pids        placement
	cloneInto   atomic.Bool // CLONE_INTO_CGROUP has not failed
	made        []string    // parents created by detectCgroups, for close
	notes       []string    // what could not be used and why
}

// placement says which hierarchy enforces a controller's limit.
type placement struct {
	version int    // 2, 1, or 0: not enforced
	parent  string // parent directory of the environments' cgroups
}

func (p placement) String() string {
	if p.version == 0 {
		return "not enforced"
	}
	return "cgroup v" + strconv.Itoa(p.version)
}

// detectCgroups finds lambdad's cgroups and prepares the parent named
// root (Config.CgroupRoot) in each usable hierarchy. It never fails: what
// cannot be used is left out and noted.
func detectCgroups(root string) *cgroupSet {
	s := &cgroupSet{}
	mountData, err1 := os.ReadFile("/proc/self/mountinfo")
	cgData, err2 := os.ReadFile("/proc/self/cgroup")
	if err := errors.Join(err1, err2); err != nil {
		s.notes = append(s.notes, err.Error())
		return s
	}
	mounts, err1 := parseMountinfo(bytes.NewReader(mountData))
	members, err2 := parseProcCgroup(bytes.NewReader(cgData))
	if err := errors.Join(err1, err2); err != nil {
		s.notes = append(s.notes, err.Error())
		return s
	}

	if mnt, own, ok := findHierarchy(mounts, members, ""); ok {
		ownDir := hierarchyDir(mnt, own)
		if filepath.Base(ownDir) == daemonLeaf {
			ownDir = filepath.Dir(ownDir) // we moved ourselves there before
		}
		parent, base := placeParent(mnt.Mountpoint, ownDir, root)
		parent, err := s.makeParent(parent)
		if err != nil {
			s.notes = append(s.notes, "cgroup v2: "+err.Error())
		} else {
			s.unified, s.unifiedBase = parent, base
			s.cloneInto.Store(true)
			for _, c := range []string{"memory", "pids"} {
				if err := enableController(base, parent, c); err != nil {
					s.notes = append(s.notes, fmt.Sprintf("cgroup v2 %s: %v", c, err))
					continue
				}
				*s.place(c) = placement{version: 2, parent: parent}
			}
		}
	}
	for _, c := range []string{"memory", "pids"} {
		if s.place(c).version != 0 {
			continue
		}
		mnt, own, ok := findHierarchy(mounts, members, c)
		if !ok {
			continue
		}
		parent, _ := placeParent(mnt.Mountpoint, hierarchyDir(mnt, own), root)
		parent, err := s.makeParent(parent)
		if err != nil {
			s.notes = append(s.notes, fmt.Sprintf("cgroup v1 %s: %v", c, err))
			continue
		}
		*s.place(c) = placement{version: 1, parent: parent}
	}
	return s
}

func (s *cgroupSet) place(controller string) *placement {
	if controller == "memory" {
		return &s.memory
	}
	return &s.pids
}

// findHierarchy finds the mount of the hierarchy holding controller (the
// cgroup v2 one for "") and lambdad's path in it.
func findHierarchy(mounts []mountInfo, members []cgroupMembership, controller string) (mountInfo, string, bool) {
	var own string
	found := false
	for _, m := range members {
		if (controller == "" && m.Hierarchy == 0 && len(m.Controllers) == 0) ||
			(controller != "" && slices.Contains(m.Controllers, controller)) {
			own, found = m.Path, true
			break
		}
	}
	if !found {
		return mountInfo{}, "", false
	}
	for _, mnt := range mounts {
		if controller == "" && mnt.FSType == "cgroup2" {
			return mnt, own, true
		}
		if controller != "" && mnt.FSType == "cgroup" && slices.Contains(strings.Split(mnt.SuperOptions, ","), controller) {
			return mnt, own, true
		}
	}
	return mountInfo{}, "", false
}

// hierarchyDir is the directory of cgroup path own under mount mnt.
func hierarchyDir(mnt mountInfo, own string) string {
	rel, ok := strings.CutPrefix(own, strings.TrimSuffix(mnt.Root, "/"))
	if !ok || (rel != "" && !strings.HasPrefix(rel, "/")) || strings.Contains(rel, "/..") {
		return mnt.Mountpoint // another cgroup namespace's view: use what is mounted
	}
	return filepath.Join(mnt.Mountpoint, rel)
}

// placeParent returns the parent directory for root and the directory from
// which controllers must be enabled down to it.
func placeParent(mountpoint, ownDir, root string) (parent, base string) {
	if strings.HasPrefix(root, "/") {
		return filepath.Join(mountpoint, root), mountpoint
	}
	return filepath.Join(ownDir, root), ownDir
}

// makeParent creates (or adopts) the cgroup root, and in it the cgroup of
// this lambdad, named after its pid, which it returns: the parent of the
// environments' cgroups. Several lambdads may share root (one host, one
// CgroupRoot), and an environment's cgroup is empty for a moment after it
// is made, so each lambdad cleans up only what dead lambdads left: the
// cgroups of pids that no longer run, and its own if its pid was reused.
func (s *cgroupSet) makeParent(root string) (string, error) {
	switch err := os.Mkdir(root, 0o755); {
	case err == nil:
		s.made = append(s.made, root)
	case errors.Is(err, os.ErrExist):
		entries, _ := os.ReadDir(root)
		for _, e := range entries {
			if pid, err := strconv.Atoi(e.Name()); err == nil && e.IsDir() && pid > 0 && !running(pid) {
				removeTree(filepath.Join(root, e.Name()))
			}
		}
	default:
		if err := os.MkdirAll(filepath.Dir(root), 0o755); err != nil {
			return "", fmt.Errorf("create %s: %w", root, err)
		}
		if err := os.Mkdir(root, 0o755); err != nil {
			return "", fmt.Errorf("create %s: %w", root, err)
		}
		s.made = append(s.made, root)
	}
	dir := filepath.Join(root, strconv.Itoa(os.Getpid()))
	removeTree(dir) // a dead lambdad's with our pid
	if err := os.Mkdir(dir, 0o755); err != nil {
		return "", fmt.Errorf("create %s: %w", dir, err)
	}
	s.made = append(s.made, dir)
	if err := unix.Access(filepath.Join(dir, "cgroup.procs"), unix.W_OK); err != nil {
		return "", fmt.Errorf("%s: %w", dir, err)
	}
	return dir, nil
}

// running reports whether a process with pid exists.
func running(pid int) bool {
	return !errors.Is(unix.Kill(pid, 0), unix.ESRCH)
}

// removeTree removes the empty cgroups under dir and dir itself, as far as
// they are empty.
func removeTree(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.IsDir() {
			removeTree(filepath.Join(dir, e.Name()))
		}
	}
	_ = unix.Rmdir(dir) // fails while in use
}

// enableController makes controller available to the children of parent by
// enabling it in cgroup.subtree_control of every cgroup from base down to
// parent. If base holds processes (lambdad itself, typically in a systemd
// service with Delegate=yes), lambdad first moves itself into a leaf.
func enableController(base, parent, controller string) error {
	avail, err := os.ReadFile(filepath.Join(base, "cgroup.controllers"))
	if err != nil {
		return err
	}
	if !slices.Contains(strings.Fields(string(avail)), controller) {
		return fmt.Errorf("not delegated to %s", base)
	}
	rel, err := filepath.Rel(base, parent)
	if err != nil {
		return err
	}
	dirs := []string{base}
	d := base
	for _, part := range strings.Split(rel, "/") {
		d = filepath.Join(d, part)
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		err := writeFile(filepath.Join(d, "cgroup.subtree_control"), "+"+controller)
		if errors.Is(err, unix.EBUSY) && d == base {
			if err := moveSelf(base); err != nil {
				return err
			}
			err = writeFile(filepath.Join(d, "cgroup.subtree_control"), "+"+controller)
		}
		if err != nil {
			return fmt.Errorf("enable in %s: %w", d, err)
		}
	}
	return nil
}

// moveSelf moves lambdad into the leaf daemonLeaf under dir.
func moveSelf(dir string) error {
	leaf := filepath.Join(dir, daemonLeaf)
	if err := os.Mkdir(leaf, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create %s: %w", leaf, err)
	}
	if err := writeFile(filepath.Join(leaf, "cgroup.procs"), strconv.Itoa(os.Getpid())); err != nil {
		return fmt.Errorf("move lambdad into %s: %w", leaf, err)
	}
	return nil
}

func writeFile(name, value string) error {
	f, err := os.OpenFile(name, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(value)
	return errors.Join(err, f.Close())
}

// limitAttrs describes for the log what is enforced where.
func (s *cgroupSet) limitAttrs() []any {
	attrs := []any{"memory", s.memory.String(), "pids", s.pids.String()}
	if len(s.notes) > 0 {
		attrs = append(attrs, "cgroup_notes", strings.Join(s.notes, "; "))
	}
	return attrs
}

// close removes the parents detectCgroups created, if they are empty.
func (s *cgroupSet) close() error {
	var errs []error
	for _, d := range slices.Backward(s.made) {
		if err := rmdirRetry(d); err != nil && !errors.Is(err, unix.EBUSY) {
			errs = append(errs, fmt.Errorf("remove cgroup %s: %w", d, err))
		}
	}
	return errors.Join(errs...)
}

// rmdirRetry removes a cgroup, retrying briefly while the kernel still
// counts exiting tasks in it.
func rmdirRetry(dir string) error {
	var err error
	for i := range 20 {
		err = unix.Rmdir(dir)
		if err == nil || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if !errors.Is(err, unix.EBUSY) {
			return err
		}
		time.Sleep(time.Duration(i+1) * time.Millisecond)
	}
	return err
}

// envCgroup is one environment's cgroups.
type envCgroup struct {
	unified string   // in the v2 hierarchy, or ""
	memory  string   // where memory is accounted, or ""
	memV    int      // its version
	pids    string   // where pids are limited, or ""
	pidsV   int      // its version
	dirs    []string // every cgroup of the environment
	fd      int      // the unified cgroup opened for CLONE_INTO_CGROUP, or -1

	mu   sync.Mutex // guards peak
	peak *os.File   // memory.peak after resetPeak (cgroup v2)
}

var _ resources = (*envCgroup)(nil)

// create makes the cgroups named name (an environment id), without
// limits.
func (s *cgroupSet) create(name string) (*envCgroup, error) {
	e, err := s.createUnified(name)
	if err == nil {
		err = e.createV1(s, name)
	}
	if err != nil {
		_ = e.release()
		return nil, err
	}
	return e, nil
}

// createUnified makes only the cgroup v2 cgroup named name, if there is a
// cgroup v2 hierarchy: the one a warm init is cloned into. The cgroup v1
// ones are made by createV1 when the environment starts. An empty cgroup
// must not wait in the pool: lambdad removes the empty cgroups it finds
// under its parents when it starts, and another lambdad sharing them may
// start at any time.
func (s *cgroupSet) createUnified(name string) (*envCgroup, error) {
	e := &envCgroup{fd: -1}
	if s.unified != "" {
		if err := e.mkdir(s, s.unified, name); err != nil {
			return e, err
		}
		e.unified = e.dirs[0]
	}
	if s.memory.version == 2 {
		e.memory, e.memV = e.unified, 2
	}
	if s.pids.version == 2 {
		e.pids, e.pidsV = e.unified, 2
	}
	return e, nil
}

// createV1 makes the cgroup v1 cgroups named name.
func (e *envCgroup) createV1(s *cgroupSet, name string) error {
	if s.memory.version == 1 {
		if err := e.mkdir(s, s.memory.parent, name); err != nil {
			return err
		}
		e.memory, e.memV = e.dirs[len(e.dirs)-1], 1
	}
	if s.pids.version == 1 {
		if err := e.mkdir(s, s.pids.parent, name); err != nil {
			return err
		}
		e.pids, e.pidsV = e.dirs[len(e.dirs)-1], 1
	}
	return nil
}

// mkdir makes the cgroup parent/name and adds it to e.dirs. parent is one
// of s's; when it has gone (a lambdad of an older version, sharing the
// cgroup root, removes every empty cgroup it finds there when it starts),
// it is made again.
func (e *envCgroup) mkdir(s *cgroupSet, parent, name string) error {
	dir := filepath.Join(parent, name)
	var err error
	for range 3 {
		err = unix.Mkdir(dir, 0o755)
		switch {
		case errors.Is(err, unix.EEXIST): // left by a crashed run
			if err = rmdirRetry(dir); err == nil {
				err = unix.Mkdir(dir, 0o755)
			}
		case errors.Is(err, unix.ENOENT):
			if err = s.restoreParent(parent); err == nil {
				continue
			}
		}
		break
	}
	if err != nil {
		return fmt.Errorf("create cgroup %s: %w", dir, err)
	}
	e.dirs = append(e.dirs, dir)
	return nil
}

// restoreParent makes parent, the parent of the environments' cgroups in one
// hierarchy, again, with the cgroup v2 controllers enabled.
func (s *cgroupSet) restoreParent(parent string) error {
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	if parent != s.unified {
		return nil
	}
	for _, c := range []string{"memory", "pids"} {
		if s.place(c).version == 2 {
			if err := enableController(s.unifiedBase, parent, c); err != nil {
				return err
			}
		}
	}
	return nil
}

// limit sets the memory limit (none for memoryMB 0), with swap off, and
// the pids limit.
func (e *envCgroup) limit(memoryMB, pidsMax int) error {
	memBytes := strconv.FormatInt(int64(memoryMB)<<20, 10)
	switch e.memV {
	case 2:
		if memoryMB > 0 {
			if err := writeFile(filepath.Join(e.memory, "memory.max"), memBytes); err != nil {
				return fmt.Errorf("set memory limit: %w", err)
			}
			_ = writeFile(filepath.Join(e.memory, "memory.swap.max"), "0") // absent without swap accounting
		}
		// An OOM kill takes the whole environment, as a crash does.
		_ = writeFile(filepath.Join(e.memory, "memory.oom.group"), "1")
	case 1:
		if memoryMB > 0 {
			if err := writeFile(filepath.Join(e.memory, "memory.limit_in_bytes"), memBytes); err != nil {
				return fmt.Errorf("set memory limit: %w", err)
			}
			// memsw bounds memory+swap; without swap accounting, keep the
			// cgroup away from swap with swappiness.
			if err := writeFile(filepath.Join(e.memory, "memory.memsw.limit_in_bytes"), memBytes); err != nil {
				_ = writeFile(filepath.Join(e.memory, "memory.swappiness"), "0")
			}
		}
	}
	if e.pidsV != 0 {
		if err := writeFile(filepath.Join(e.pids, "pids.max"), strconv.Itoa(pidsMax)); err != nil {
			return fmt.Errorf("set pids limit: %w", err)
		}
	}
	return nil
}

// cloneFD returns the unified cgroup opened for CLONE_INTO_CGROUP, or -1
// when there is none or that does not work here.
func (s *cgroupSet) cloneFD(e *envCgroup) int {
	if e.fd < 0 && e.unified != "" && s.cloneInto.Load() {
		fd, err := unix.Open(e.unified, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err == nil {
			e.fd = fd
		}
	}
	return e.fd
}

// cloneFailed records that CLONE_INTO_CGROUP did not work: pids join by
// cgroup.procs from now on.
func (s *cgroupSet) cloneFailed(e *envCgroup) {
	s.cloneInto.Store(false)
	if e.fd >= 0 {
		unix.Close(e.fd)
		e.fd = -1
	}
}

// enterUnified moves pid into the environment's cgroup v2 cgroup, unless it
// was cloned into it. The cgroup v1 ones are joined by the init itself: see
// taskFiles.
func (e *envCgroup) enterUnified(pid int, clonedInto bool) error {
	if e.unified == "" || clonedInto {
		return nil
	}
	if err := writeFile(filepath.Join(e.unified, "cgroup.procs"), strconv.Itoa(pid)); err != nil {
		return fmt.Errorf("join cgroup %s: %w", e.unified, err)
	}
	return nil
}

// taskFiles returns the cgroup v1 "tasks" files of the environment named
// name, which the init writes "0" to, joining with the thread that will
// execute the runtime.
//
// Moving a process into a cgroup v1 cgroup by pid (cgroup.procs) takes the
// kernel's global cgroup_threadgroup_rwsem for writing, which waits for an
// RCU grace period while holding cgroup_mutex: milliseconds during which
// every cgroup operation of the host waits, so a burst of environments
// starts at one per ~9 ms on a 2-CPU VM. Moving the calling thread alone
// ("0" into tasks) skips that lock. The thread's siblings stay behind, but
// they end at execve, which also gives the runtime a new mm owned by the
// moved thread: memory and pids are charged to the environment from the
// runtime's first instruction.
func (s *cgroupSet) taskFiles(name string) []string {
	var files []string
	for _, p := range []placement{s.memory, s.pids} {
		if p.version == 1 {
			files = append(files, filepath.Join(p.parent, name, "tasks"))
		}
	}
	return files
}

// resetPeak starts the peak memory figure afresh, once the runtime runs:
// what the init used before is not the function's. cgroup v2 resets
// memory.peak only for reads through the file written to (Linux 6.12+), so
// that file stays open.
func (e *envCgroup) resetPeak() {
	switch e.memV {
	case 1:
		_ = writeFile(filepath.Join(e.memory, "memory.max_usage_in_bytes"), "0")
	case 2:
		f, err := os.OpenFile(filepath.Join(e.memory, "memory.peak"), os.O_RDWR, 0)
		if err != nil {
			return
		}
		if _, err := f.WriteString("reset\n"); err != nil {
			f.Close()
			return
		}
		e.mu.Lock()
		e.peak = f
		e.mu.Unlock()
	}
}

func (e *envCgroup) peakBytes() (int64, bool) {
	var data []byte
	var err error
	switch e.memV {
	case 2:
		e.mu.Lock()
		if e.peak != nil {
			buf := make([]byte, 32)
			var n int
			n, err = e.peak.ReadAt(buf, 0)
			data = buf[:n]
			if err == io.EOF {
				err = nil
			}
			e.mu.Unlock()
			break
		}
		e.mu.Unlock()
		data, err = os.ReadFile(filepath.Join(e.memory, "memory.peak"))
	case 1:
		data, err = os.ReadFile(filepath.Join(e.memory, "memory.max_usage_in_bytes"))
	default:
		return 0, false
	}
	if err != nil {
		return 0, false
	}
	n, err := parseInt64(data)
	return n, err == nil && n >= 0
}

func (e *envCgroup) oomKilled(sigkilled bool) bool {
	switch e.memV {
	case 2:
		data, err := os.ReadFile(filepath.Join(e.memory, "memory.events"))
		return err == nil && parseKeyValues(data)["oom_kill"] > 0
	case 1:
		data, err := os.ReadFile(filepath.Join(e.memory, "memory.oom_control"))
		if err != nil {
			return false
		}
		if n, ok := parseKeyValues(data)["oom_kill"]; ok { // Linux 4.13+
			return n > 0
		}
		data, err = os.ReadFile(filepath.Join(e.memory, "memory.failcnt"))
		if err != nil {
			return false
		}
		n, err := parseInt64(data)
		return err == nil && n > 0 && sigkilled
	}
	return false
}

// killAll kills every process of the cgroup v2 cgroup (Linux 5.14+). The
// PID namespace does the same for the v1-only case: its init is killed.
func (e *envCgroup) killAll() error {
	if e.unified == "" {
		return nil
	}
	err := writeFile(filepath.Join(e.unified, "cgroup.kill"), "1")
	if err != nil && !errors.Is(err, os.ErrNotExist) && !errors.Is(err, unix.ENODEV) {
		return fmt.Errorf("kill cgroup %s: %w", e.unified, err)
	}
	return nil
}

func (e *envCgroup) release() error {
	if e.fd >= 0 {
		unix.Close(e.fd)
		e.fd = -1
	}
	e.mu.Lock()
	if e.peak != nil {
		e.peak.Close()
		e.peak = nil
	}
	e.mu.Unlock()
	var errs []error
	for _, d := range e.dirs {
		if err := rmdirRetry(d); err != nil {
			errs = append(errs, fmt.Errorf("remove cgroup %s: %w", d, err))
		}
	}
	e.dirs = nil
	return errors.Join(errs...)
}
