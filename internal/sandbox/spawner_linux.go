package sandbox

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// spawner starts sandbox inits from an OS thread that has a descriptor
// table of its own.
//
// A child gets a copy of its parent's descriptor table, and executing the
// init closes every descriptor of the copy again. lambdad holds several
// descriptors per environment (its Runtime API listener and connections,
// output pipes, pidfds), so with a thousand environments each start copied
// and closed thousands of them: a start cost grew with the environments
// running, and a burst of starts cost the square of its size (a tenth of
// all CPU time in the 1,000-environment density run). The spawner's thread
// unshares its table when the Manager starts, closes what it does not need,
// and forks every init from there; the descriptors lambdad keeps (control
// socket, status pipe, pidfd) come back over a socket pair.
//
// The inits are still lambdad's children (a thread forks them), so lambdad
// waits for them as before; their death signal fires when the spawner's
// thread ends, which is only when the Manager closes, after every
// environment is gone.
type spawner struct {
	mu   sync.Mutex // one request at a time: replies are not tagged
	link int        // lambdad's end of the socket pair to the spawner's thread
	argv []string   // the init's command, argv[0] its path
	env  []string
	done chan struct{} // closed when the spawner's thread has ended
}

// spawnedInit is what the spawner hands back for one init: descriptors in
// lambdad's table.
type spawnedInit struct {
	pid        int
	ctrl       int // lambdad's end of the init's control socket
	status     int // read end of the status pipe, non-blocking
	pidfd      int // -1 when the kernel gives none
	clonedInto bool
}

// initCloneflags are the namespaces every init starts in.
const initCloneflags = syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWIPC | syscall.CLONE_NEWUTS

// startSpawner starts the spawner's thread for inits that run argv with
// env.
func startSpawner(argv, env []string) (*spawner, error) {
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("create spawner socket: %w", err)
	}
	sp := &spawner{link: pair[0], argv: argv, env: env, done: make(chan struct{})}
	ready := make(chan error, 1)
	go sp.serve(pair[1], ready)
	if err := <-ready; err != nil {
		unix.Close(pair[0])
		unix.Close(pair[1])
		return nil, err
	}
	// The spawner's table keeps its own copy of this end.
	unix.Close(pair[1])
	return sp, nil
}

// close ends the spawner's thread. Inits it started and that still run get
// their death signal.
func (sp *spawner) close() {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if sp.link >= 0 {
		unix.Close(sp.link) // end of file for the thread
		sp.link = -1
		<-sp.done
	}
}

// spawn starts an init, inside the cgroup open at cgroupFD (in lambdad's
// table) if that is not -1.
func (sp *spawner) spawn(cgroupFD int) (spawnedInit, error) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if sp.link < 0 {
		return spawnedInit{}, errors.New("spawner closed")
	}
	var rights []byte
	if cgroupFD >= 0 {
		rights = unix.UnixRights(cgroupFD)
	}
	if err := unix.Sendmsg(sp.link, []byte{'s'}, rights, nil, unix.MSG_NOSIGNAL); err != nil {
		return spawnedInit{}, fmt.Errorf("ask spawner: %w", err)
	}
	buf := make([]byte, 512)
	oob := make([]byte, unix.CmsgSpace(3*4))
	n, oobn, err := recvmsg(sp.link, buf, oob)
	if err != nil {
		return spawnedInit{}, fmt.Errorf("hear from spawner: %w", err)
	}
	fds, err := parseRights(oob[:oobn])
	reply := string(buf[:n])
	if err != nil || !strings.HasPrefix(reply, "ok ") || len(fds) < 2 {
		closeAll(fds)
		if msg, ok := strings.CutPrefix(reply, "error "); ok {
			return spawnedInit{}, errors.New(msg)
		}
		return spawnedInit{}, fmt.Errorf("spawner said %q with %d descriptors: %v", reply, len(fds), err)
	}
	var s spawnedInit
	var cloned int
	if _, err := fmt.Sscanf(reply, "ok %d %d", &s.pid, &cloned); err != nil {
		closeAll(fds)
		return spawnedInit{}, fmt.Errorf("spawner said %q: %w", reply, err)
	}
	s.ctrl, s.status, s.pidfd, s.clonedInto = fds[0], fds[1], -1, cloned == 1
	if len(fds) > 2 {
		s.pidfd = fds[2]
	}
	return s, nil
}

// serve is the spawner's thread: it answers requests on end until end of
// file.
func (sp *spawner) serve(end int, ready chan<- error) {
	defer close(sp.done)
	// The goroutine never unlocks: its thread, with the table unshared
	// below, ends when it returns.
	runtime.LockOSThread()
	if err := unix.Unshare(unix.CLONE_FILES); err != nil {
		runtime.UnlockOSThread() // nothing changed: the thread may go on
		ready <- fmt.Errorf("unshare descriptor table: %w", err)
		return
	}
	if err := closeForeign(end); err != nil {
		ready <- err
		return
	}
	null, err := unix.Open(os.DevNull, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		ready <- fmt.Errorf("open %s: %w", os.DevNull, err)
		return
	}
	ready <- nil
	buf := make([]byte, 16)
	oob := make([]byte, unix.CmsgSpace(4))
	for {
		n, oobn, err := recvmsg(end, buf, oob)
		if err != nil || n == 0 {
			return // lambdad closed its end
		}
		cgroupFD := -1
		if fds, _ := parseRights(oob[:oobn]); len(fds) > 0 {
			cgroupFD = fds[0]
			closeAll(fds[1:])
		}
		reply, rights := sp.fork(null, cgroupFD)
		if cgroupFD >= 0 {
			unix.Close(cgroupFD)
		}
		if err := unix.Sendmsg(end, reply, unix.UnixRights(rights...), nil, unix.MSG_NOSIGNAL); err != nil && len(rights) > 0 {
			// lambdad cannot get the init: end it here.
			var pid int
			_, _ = fmt.Sscanf(string(reply), "ok %d", &pid)
			_ = unix.Kill(pid, unix.SIGKILL)
			_, _ = unix.Wait4(pid, nil, 0, nil)
		}
		closeAll(rights)
	}
}

// fork starts one init and returns the reply for lambdad with the
// descriptors to pass (closed by the caller after sending).
func (sp *spawner) fork(null, cgroupFD int) ([]byte, []int) {
	fail := func(op string, err error) ([]byte, []int) {
		return []byte("error " + op + ": " + err.Error()), nil
	}
	ctrl, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fail("create init socket", err)
	}
	var status [2]int
	if err := unix.Pipe2(status[:], unix.O_CLOEXEC); err != nil {
		closeAll(ctrl[:])
		return fail("create init pipe", err)
	}
	// Non-blocking, so that lambdad's os.File on it takes deadlines.
	if err := unix.SetNonblock(status[0], true); err != nil {
		closeAll(append(ctrl[:], status[:]...))
		return fail("create init pipe", err)
	}
	start := func(intoCgroup bool) (int, int, error) {
		pidfd := -1
		sys := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, PidFD: &pidfd, Cloneflags: initCloneflags}
		if intoCgroup {
			sys.UseCgroupFD, sys.CgroupFD = true, cgroupFD
		}
		pid, err := syscall.ForkExec(sp.argv[0], sp.argv, &syscall.ProcAttr{
			Dir: "/",
			Env: sp.env,
			// The init's own stderr is lambdad's, for a crash before it
			// gets the runtime's files.
			Files: []uintptr{uintptr(null), uintptr(null), 2, uintptr(ctrl[1]), uintptr(status[1])}, // ctrlFD, statusFD
			Sys:   sys,
		})
		return pid, pidfd, err
	}
	pid, pidfd, err := start(cgroupFD >= 0)
	cloned := cgroupFD >= 0 && err == nil
	if err != nil && cgroupFD >= 0 {
		// CLONE_INTO_CGROUP refused (an old kernel, or a cgroup it cannot
		// enter directly): start normally, the pid joins afterwards.
		pid, pidfd, err = start(false)
	}
	unix.Close(ctrl[1])
	unix.Close(status[1])
	if err != nil {
		unix.Close(ctrl[0])
		unix.Close(status[0])
		return fail("fork and exec", err)
	}
	rights := []int{ctrl[0], status[0]}
	if pidfd >= 0 {
		rights = append(rights, pidfd)
	}
	return fmt.Appendf(nil, "ok %d %d", pid, boolInt(cloned)), rights
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// closeForeign closes every descriptor of the calling thread's table but
// stdin, stdout, stderr, keep and the Go runtime's own (its epoll and
// eventfd instances: anonymous inodes, which it may use from any thread).
func closeForeign(keep int) error {
	dir, err := unix.Open("/proc/thread-self/fd", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("list descriptors: %w", err)
	}
	var names []string
	buf := make([]byte, 8192)
	for {
		n, err := unix.ReadDirent(dir, buf)
		if err != nil {
			unix.Close(dir)
			return fmt.Errorf("list descriptors: %w", err)
		}
		if n == 0 {
			break
		}
		_, _, names = unix.ParseDirent(buf[:n], -1, names)
	}
	unix.Close(dir)
	link := make([]byte, 64)
	for _, name := range names {
		fd, err := strconv.Atoi(name)
		if err != nil || fd <= 2 || fd == keep {
			continue
		}
		n, err := unix.Readlink("/proc/thread-self/fd/"+name, link)
		if err == nil && strings.HasPrefix(string(link[:n]), "anon_inode:") {
			continue
		}
		unix.Close(fd)
	}
	return nil
}

// recvmsg is unix.Recvmsg retried on EINTR, with received descriptors
// close-on-exec.
func recvmsg(fd int, buf, oob []byte) (n, oobn int, err error) {
	for {
		var flags int
		n, oobn, flags, _, err = unix.Recvmsg(fd, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err == unix.EINTR {
			continue
		}
		if err == nil && flags&(unix.MSG_TRUNC|unix.MSG_CTRUNC) != 0 {
			err = errors.New("message truncated")
		}
		return n, oobn, err
	}
}

// parseRights returns the descriptors in a control message.
func parseRights(oob []byte) ([]int, error) {
	if len(oob) == 0 {
		return nil, nil
	}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, err
	}
	var fds []int
	for i := range msgs {
		got, err := unix.ParseUnixRights(&msgs[i])
		if err != nil {
			closeAll(fds)
			return nil, err
		}
		fds = append(fds, got...)
	}
	return fds, nil
}

func closeAll(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}
