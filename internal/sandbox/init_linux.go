package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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
// exits with its result. A Manager starts it in new namespaces and talks to
// it over inherited descriptors. It builds the environment's root, drops
// privileges and executes the runtime in its own place, so on success it
// does not return. It returns 0 when the Manager no longer needs it, 1
// after reporting a failure to the Manager, and 2 when not started by a
// Manager.
func InitMain(args []string) int {
	// This thread takes the runtime's credentials, no_new_privs and the
	// parent death signal, which are all per thread, and executes the
	// runtime; it never runs anything else.
	runtime.LockOSThread()
	if len(args) > 0 || !isFileType(ctrlFD, unix.S_IFSOCK) || !isFileType(statusFD, unix.S_IFIFO) {
		fmt.Fprintf(os.Stderr, "%s: lambdad runs this itself to start a sandbox\n", InitSubcommand)
		return 2
	}
	status := os.NewFile(statusFD, "status")
	var prep prepareConfig
	var run runConfig
	b := &rootBuilder{ours: make(map[string]bool)}
	ok, err := receive(&prep, false)
	if ok && err == nil {
		b.root = prep.Root
		err = b.prepare(&prep)
	}
	if ok && err == nil {
		if _, err := status.Write([]byte{waitingByte}); err != nil {
			return 1 // lambdad is gone
		}
		ok, err = receive(&run, true)
	}
	if ok && err == nil {
		err = b.run(&run, status)
	}
	if err != nil {
		report(status, err)
		return 1
	}
	return 0 // a probe, or an init lambdad did not need
}

func isFileType(fd int, typ uint32) bool {
	var st unix.Stat_t
	return unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == typ
}

// receive reads one message from ctrlFD into v. With files, the message
// carries the runtime's stdin, stdout and stderr, which become descriptors
// 0 to 2. It returns false at end of file: lambdad does not need this init.
func receive(v any, files bool) (bool, error) {
	buf := configBuf[:]
	var oob []byte
	if files {
		oob = make([]byte, unix.CmsgSpace(3*4))
	}
	var n, oobn, flags int
	var err error
	for {
		n, oobn, flags, _, err = unix.Recvmsg(ctrlFD, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err != unix.EINTR {
			break
		}
	}
	switch {
	case err != nil:
		return false, &initError{"receive config", err}
	case n == 0 && oobn == 0:
		return false, nil
	case flags&(unix.MSG_TRUNC|unix.MSG_CTRUNC) != 0:
		return false, &initError{"receive config", errors.New("message truncated")}
	}
	if files {
		unix.Close(ctrlFD)
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil || len(msgs) != 1 {
			return false, &initError{"receive files", fmt.Errorf("%d control messages: %v", len(msgs), err)}
		}
		fds, err := unix.ParseUnixRights(&msgs[0])
		if err != nil || len(fds) != 3 {
			return false, &initError{"receive files", fmt.Errorf("%d files: %v", len(fds), err)}
		}
		for i, fd := range fds {
			// Received descriptors lie above statusFD, never on 0 to 2.
			if err := unix.Dup3(fd, i, 0); err != nil {
				return false, &initError{"install file " + strconv.Itoa(i), err}
			}
			unix.Close(fd)
		}
	}
	if err := json.Unmarshal(buf[:n], v); err != nil {
		return false, &initError{"decode config", err}
	}
	return true, nil
}

// configBuf receives the init's messages. It is not allocated: zeroing
// 128 KiB on the heap would touch every page of it, where the kernel maps
// only the pages a message fills.
var configBuf [maxConfig + 1]byte

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

// run finishes the root with the environment's mounts, enters it, drops
// privileges and executes the command (or, for a probe, returns nil).
func (b *rootBuilder) run(cfg *runConfig, status *os.File) error {
	// First, so that what the mounts below allocate is the environment's.
	for _, f := range cfg.Tasks {
		if err := joinThread(f); err != nil {
			return &initError{"join cgroup " + path.Dir(f), err}
		}
	}
	if err := b.finish(cfg); err != nil {
		return err
	}
	if err := enterRoot(b.root); err != nil {
		return err
	}
	if err := unix.Chdir(taskRoot); err != nil {
		return &initError{"chdir " + taskRoot, err}
	}
	// Credentials are per thread in Linux. Go's wrappers change them on
	// every thread, signalling each in turn, which costs hundreds of
	// microseconds; only this locked thread executes the runtime, and its
	// credentials are what the runtime gets (execve ends the other threads,
	// which run nothing of ours meanwhile). Leaving uid 0 drops every
	// capability.
	if _, _, e := unix.RawSyscall(unix.SYS_SETGROUPS, 0, 0, 0); e != 0 {
		return &initError{"set groups", e}
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESGID, uintptr(cfg.GID), uintptr(cfg.GID), uintptr(cfg.GID)); e != 0 {
		return &initError{"set gid", e}
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, uintptr(cfg.UID), uintptr(cfg.UID), uintptr(cfg.UID)); e != 0 {
		return &initError{"set uid", e}
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
		// lambdad kills a probe once it is ready; end of file now spares
		// it waiting for the exit.
		status.Close()
		return nil
	}
	err = syscall.Exec(exe, cfg.Command, cfg.Env)
	return &initError{"exec " + exe, err}
}

// joinThread moves the calling thread, the one that executes the runtime,
// into the cgroup v1 cgroup of tasks file f (see cgroupSet.taskFiles).
func joinThread(f string) error {
	fd, err := unix.Open(f, unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	_, err = unix.Write(fd, []byte("0"))
	return errors.Join(err, unix.Close(fd))
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
var mountpoints = []string{taskRoot, runtimeRoot, optRoot, tmpRoot, "/dev", "/proc"}

// prepare builds what every environment shares: the host name, the
// rlimits, and the host's tree read-only with mount points for the
// environment, the hidden paths covered, /dev and /proc.
func (b *rootBuilder) prepare(cfg *prepareConfig) error {
	unix.Umask(0)
	if err := unix.Sethostname([]byte("localhost")); err != nil {
		return &initError{"set hostname", err}
	}
	// syscall.Setrlimit, not unix: it also stops syscall.Exec from restoring
	// the soft limit Go found at start-up.
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: maxOpenFiles, Max: maxOpenFiles}); err != nil {
		return &initError{"limit open files", err}
	}
	if err := syscall.Setrlimit(unix.RLIMIT_CORE, &syscall.Rlimit{}); err != nil {
		return &initError{"limit core size", err}
	}
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
	if err := b.dev(); err != nil {
		return err
	}
	if err := b.readOnly(cfg.LegacyRemount); err != nil {
		return err
	}
	return mount("proc", b.root+"/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "")
}

// finish mounts the environment's code, layers, runtime files and /tmp.
func (b *rootBuilder) finish(cfg *runConfig) error {
	if err := b.bindReadOnly(cfg.CodeDir, b.root+taskRoot); err != nil {
		return err
	}
	if cfg.OptDir != "" {
		if err := b.bindReadOnly(cfg.OptDir, b.root+optRoot); err != nil {
			return err
		}
	} else if err := mount("tmpfs", b.root+optRoot, "tmpfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV, "mode=0755,size=4k"); err != nil {
		return err
	}
	if cfg.Runtime != "" {
		if err := b.bindReadOnly(cfg.Runtime, b.root+runtimeRoot); err != nil {
			return err
		}
	}
	data := "mode=1777,size=" + strconv.Itoa(cfg.TmpMB) + "m"
	return mount("tmpfs", b.root+tmpRoot, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, data)
}

// bindReadOnly binds source on target, read-only, nosuid and nodev.
func (b *rootBuilder) bindReadOnly(source, target string) error {
	if err := mount(source, target, "", unix.MS_BIND, ""); err != nil {
		return err
	}
	return mount("", target, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV, "")
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
