package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// InitMain is the sandbox init, the body of lambdad's hidden sandbox-init
// subcommand: main calls it with the arguments after the subcommand and
// exits with its result. A Manager starts it in new namespaces with its
// configuration on file descriptor 3. It builds the environment's root,
// drops privileges and executes the runtime in its own place, so on success
// it does not return. It returns 1 after reporting a failure to the
// Manager, and 2 when not started by a Manager.
func InitMain(args []string) int {
	// This thread sets no_new_privs and the parent death signal, which are
	// per thread, and executes the runtime; it never runs anything else.
	runtime.LockOSThread()
	if len(args) > 0 || !isPipe(configFD) || !isPipe(statusFD) {
		fmt.Fprintf(os.Stderr, "%s: lambdad runs this itself to start a sandbox\n", InitSubcommand)
		return 2
	}
	status := os.NewFile(statusFD, "status")
	config := os.NewFile(configFD, "config")
	data, err := io.ReadAll(config)
	config.Close()
	var cfg initConfig
	if err == nil {
		err = json.Unmarshal(data, &cfg)
	}
	if err != nil {
		// Most likely lambdad died before sending everything.
		report(status, &initError{"read config", err})
		return 1
	}
	if err := runInit(&cfg, status); err != nil {
		report(status, err)
		return 1
	}
	return 0
}

func isPipe(fd int) bool {
	var st unix.Stat_t
	return unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFIFO
}

// initError is a failed step of the init.
type initError struct {
	op  string
	err error
}

func (e *initError) Error() string { return e.op + ": " + e.err.Error() }
func (e *initError) Unwrap() error { return e.err }

func report(status *os.File, err error) {
	st := initStatus{Op: "init", Msg: err.Error()}
	var ie *initError
	if errors.As(err, &ie) {
		st.Op, st.Msg = ie.op, ie.err.Error()
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		st.Errno = int(errno)
	}
	b, _ := json.Marshal(st)
	_, _ = status.Write(b)
}

// runInit builds the root, enters it, drops privileges and executes the
// command (or, for a probe, returns nil).
func runInit(cfg *initConfig, status *os.File) error {
	unix.Umask(0)
	b := &rootBuilder{root: cfg.Root, ours: make(map[string]bool)}
	if err := b.build(cfg); err != nil {
		return err
	}
	if err := enterRoot(cfg.Root); err != nil {
		return err
	}
	if err := unix.Sethostname([]byte("localhost")); err != nil {
		return &initError{"set hostname", err}
	}
	if err := unix.Chdir(taskRoot); err != nil {
		return &initError{"chdir " + taskRoot, err}
	}
	// syscall.Setrlimit, not unix: it also stops syscall.Exec from restoring
	// the soft limit Go found at start-up.
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: maxOpenFiles, Max: maxOpenFiles}); err != nil {
		return &initError{"limit open files", err}
	}
	if err := syscall.Setrlimit(unix.RLIMIT_CORE, &syscall.Rlimit{}); err != nil {
		return &initError{"limit core size", err}
	}
	// These act on every thread of the process; leaving uid 0 drops all
	// capabilities.
	if err := syscall.Setgroups(nil); err != nil {
		return &initError{"set groups", err}
	}
	if err := syscall.Setresgid(cfg.GID, cfg.GID, cfg.GID); err != nil {
		return &initError{"set gid", err}
	}
	if err := syscall.Setresuid(cfg.UID, cfg.UID, cfg.UID); err != nil {
		return &initError{"set uid", err}
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return &initError{"set no_new_privs", err}
	}
	// Changing credentials cleared the death signal the parent asked for.
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0); err != nil {
		return &initError{"set death signal", err}
	}
	if err := closeOnExec(); err != nil {
		return &initError{"mark descriptors close-on-exec", err}
	}
	exe, err := lookPath(cfg.Command[0], getenv(cfg.Env, "PATH"), func(d string) string { return d })
	if err != nil {
		return &initError{"exec " + cfg.Command[0], err}
	}
	unix.Umask(0o022)
	// The write fails if lambdad died after the death signal was cleared:
	// then nothing would kill us, so stop here.
	if _, err := status.Write([]byte{readyByte}); err != nil {
		return &initError{"report ready", err}
	}
	if cfg.Probe {
		return nil
	}
	err = syscall.Exec(exe, cfg.Command, cfg.Env)
	return &initError{"exec " + exe, err}
}

// closeOnExec marks every descriptor above stderr close-on-exec.
func closeOnExec() error {
	if err := unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err == nil {
		return nil
	}
	entries, err := os.ReadDir("/proc/self/fd") // before Linux 5.11
	if err != nil {
		return err
	}
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			_, _ = unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC)
		}
	}
	return nil
}

// enterRoot makes root the root directory, dropping the host's tree.
func enterRoot(root string) error {
	if err := unix.Chdir(root); err != nil {
		return &initError{"chdir " + root, err}
	}
	// pivot_root(".", ".") stacks the old root on the new one; detaching
	// it leaves the new root alone.
	if err := unix.PivotRoot(".", "."); err == nil {
		if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
			return &initError{"detach old root", err}
		}
	} else {
		// The host runs from an initramfs, where pivot_root is refused.
		if err := unix.Mount(root, "/", "", unix.MS_MOVE, ""); err != nil {
			return &initError{"move root", err}
		}
		if err := unix.Chroot("."); err != nil {
			return &initError{"chroot", err}
		}
	}
	if err := unix.Chdir("/"); err != nil {
		return &initError{"chdir /", err}
	}
	return nil
}

// rootBuilder builds the environment's file system on root, in the init's
// private mount namespace: the host's tree read-only, with the sandbox's
// mounts on top. Paths without root are host paths, as seen before the
// pivot.
type rootBuilder struct {
	root string
	ours map[string]bool // directories on tmpfs mounts the builder made: writable
}

// Mount points the sandbox needs, in the order they are prepared.
var mountpoints = []string{taskRoot, optRoot, tmpRoot, "/dev", "/proc"}

func (b *rootBuilder) build(cfg *initConfig) error {
	// Nothing done from here on may propagate to the host.
	if err := mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return err
	}
	if err := mount("/", b.root, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return err
	}
	for _, p := range mountpoints {
		if err := b.mountpoint(p); err != nil {
			return err
		}
	}
	// After the mount points: mirroring a directory re-binds what is in it.
	for _, h := range cfg.Hidden {
		if err := b.hide(h); err != nil {
			return err
		}
	}
	if err := mount(cfg.CodeDir, b.root+taskRoot, "", unix.MS_BIND, ""); err != nil {
		return err
	}
	if cfg.OptDir != "" {
		if err := mount(cfg.OptDir, b.root+optRoot, "", unix.MS_BIND, ""); err != nil {
			return err
		}
	} else if err := mount("tmpfs", b.root+optRoot, "tmpfs", 0, "mode=0755,size=4k"); err != nil {
		return err
	}
	if err := b.dev(); err != nil {
		return err
	}
	if err := b.readOnly(cfg.LegacyRemount); err != nil {
		return err
	}
	// Writable mounts go on top of the read-only tree.
	data := "mode=1777,size=" + strconv.Itoa(cfg.TmpMB) + "m"
	if err := mount("tmpfs", b.root+tmpRoot, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, data); err != nil {
		return err
	}
	return mount("proc", b.root+"/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "")
}

func mount(source, target, fstype string, flags uintptr, data string) error {
	if err := unix.Mount(source, target, fstype, flags, data); err != nil {
		what := source
		if fstype != "" {
			what = fstype
		}
		return &initError{fmt.Sprintf("mount %s on %s", what, target), err}
	}
	return nil
}

// mountpoint makes p a directory in the new root without writing to the
// host: when a component is missing, or is not a directory (a symbolic
// link could lead out of the root), its parent is mirrored on a tmpfs and
// the component made there.
func (b *rootBuilder) mountpoint(p string) error {
	cur := "/"
	for _, name := range strings.Split(strings.Trim(p, "/"), "/") {
		next := path.Join(cur, name)
		fi, err := os.Lstat(b.root + next)
		if err == nil && fi.IsDir() {
			cur = next
			continue
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return &initError{"stat " + next, err}
		}
		if b.ours[cur] {
			if err := os.Remove(b.root + next); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return &initError{"replace " + next, err}
			}
		} else if err := b.mirror(cur, name); err != nil {
			return err
		}
		if err := os.Mkdir(b.root+next, 0o755); err != nil {
			return &initError{"create mount point " + next, err}
		}
		b.ours[next] = true
		cur = next
	}
	return nil
}

// mirror covers dir in the new root with a tmpfs holding what the host's
// dir holds, except the entry named except: directories and files bound
// from the host, symbolic links copied.
func (b *rootBuilder) mirror(dir, except string) error {
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return &initError{"read " + dir, err}
	}
	mode := fs.FileMode(0o755)
	if fi, err := os.Stat(dir); err == nil {
		mode = fi.Mode() & (fs.ModePerm | fs.ModeSticky)
	}
	target := b.root + strings.TrimSuffix(dir, "/")
	if err := mount("tmpfs", target, "tmpfs", 0, "mode="+strconv.FormatUint(uint64(unixMode(mode)), 8)); err != nil {
		return err
	}
	b.ours[dir] = true
	for _, e := range entries {
		if e.Name() == except {
			continue
		}
		src := path.Join(dir, e.Name())
		dst := b.root + src
		switch t := e.Type(); {
		case t&fs.ModeSymlink != 0:
			link, err := os.Readlink(src)
			if err != nil {
				return &initError{"read link " + src, err}
			}
			if err := os.Symlink(link, dst); err != nil {
				return &initError{"copy link " + src, err}
			}
		case t.IsDir():
			if err := os.Mkdir(dst, 0o755); err != nil {
				return &initError{"mirror " + src, err}
			}
			if err := mount(src, dst, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
				return err
			}
		default:
			if err := touch(dst); err != nil {
				return &initError{"mirror " + src, err}
			}
			if err := mount(src, dst, "", unix.MS_BIND, ""); err != nil {
				return err
			}
		}
	}
	return nil
}

func unixMode(m fs.FileMode) uint32 {
	u := uint32(m.Perm())
	if m&fs.ModeSticky != 0 {
		u |= unix.S_ISVTX
	}
	return u
}

func touch(name string) error {
	f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	return f.Close()
}

// hide covers host path h in the new root: a directory with an empty
// read-only tmpfs, anything else with /dev/null.
func (b *rootBuilder) hide(h string) error {
	target := b.root + h
	fi, err := os.Lstat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return &initError{"stat hidden path " + h, err}
	case fi.IsDir():
		return mount("tmpfs", target, "tmpfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=0755,size=4k")
	case fi.Mode()&fs.ModeSymlink != 0:
		return nil // links were resolved by NewManager; this one points elsewhere
	default:
		return mount("/dev/null", target, "", unix.MS_BIND, "")
	}
}

// devices are the nodes of the sandbox's /dev.
var devices = []struct {
	name         string
	major, minor uint32
}{
	{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9},
}

// dev makes a minimal /dev.
func (b *rootBuilder) dev() error {
	d := b.root + "/dev"
	if err := mount("tmpfs", d, "tmpfs", unix.MS_NOSUID|unix.MS_NOEXEC, "mode=0755,size=64k"); err != nil {
		return err
	}
	for _, n := range devices {
		p := d + "/" + n.name
		if err := unix.Mknod(p, unix.S_IFCHR|0o666, int(unix.Mkdev(n.major, n.minor))); err == nil {
			continue
		}
		// Without CAP_MKNOD, bind the host's node.
		if err := touch(p); err != nil {
			return &initError{"create " + p, err}
		}
		if err := mount("/dev/"+n.name, p, "", unix.MS_BIND, ""); err != nil {
			return err
		}
	}
	for name, target := range map[string]string{
		"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2",
	} {
		if err := os.Symlink(target, d+"/"+name); err != nil {
			return &initError{"create /dev/" + name, err}
		}
	}
	return nil
}

// readOnly makes every mount of the new root read-only and nosuid: in one
// call on Linux 5.12+, else mount by mount.
func (b *rootBuilder) readOnly(legacy bool) error {
	if !legacy {
		attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID}
		err := unix.MountSetattr(unix.AT_FDCWD, b.root, unix.AT_RECURSIVE, &attr)
		if err == nil {
			return nil
		}
		if !errors.Is(err, unix.ENOSYS) {
			return &initError{"make root read-only", err}
		}
	}
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return &initError{"read mountinfo", err}
	}
	mounts, err := parseMountinfo(bytes.NewReader(data))
	if err != nil {
		return &initError{"read mountinfo", err}
	}
	for _, m := range mounts {
		if m.Mountpoint != b.root && !strings.HasPrefix(m.Mountpoint, b.root+"/") {
			continue
		}
		flags := unix.MS_REMOUNT | unix.MS_BIND | unix.MS_RDONLY | unix.MS_NOSUID | mountFlags(m.Options)
		// A covered mount cannot be reached by its path: what covers it is
		// remounted instead, or the path is gone (ENOENT).
		err := unix.Mount("", m.Mountpoint, "", uintptr(flags), "")
		if err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
			return &initError{"remount " + m.Mountpoint + " read-only", err}
		}
	}
	return nil
}

// mountFlags returns the MS_ flags of per-mount options that a bind
// remount must keep.
func mountFlags(options string) int {
	flags := 0
	for _, o := range strings.Split(options, ",") {
		switch o {
		case "nodev":
			flags |= unix.MS_NODEV
		case "noexec":
			flags |= unix.MS_NOEXEC
		case "noatime":
			flags |= unix.MS_NOATIME
		case "nodiratime":
			flags |= unix.MS_NODIRATIME
		case "relatime":
			flags |= unix.MS_RELATIME
		case "strictatime":
			flags |= unix.MS_STRICTATIME
		}
	}
	return flags
}
