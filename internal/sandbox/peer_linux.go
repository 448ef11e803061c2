package sandbox

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// errNotTCP is returned by peerUID for a connection that is not TCP.
var errNotTCP = errors.New("not a TCP connection")

// peerUID returns the uid that created the socket at the other end of c, a
// TCP connection between two sockets of this host and network namespace
// (as loopback connections are): the socket whose local address is c's
// remote address and whose remote address is c's local one. It costs one
// netlink round trip to the kernel (four system calls, 40-55 µs on the
// loaded 2-vCPU development VM: BenchmarkCheckPeer).
func peerUID(c syscall.Conn) (uint32, error) {
	local, remote, err := tcpAddrs(c)
	if err != nil {
		return 0, err
	}
	if local.Addr().Is4() != remote.Addr().Is4() {
		return 0, fmt.Errorf("addresses %s and %s of two families", local, remote)
	}
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return 0, fmt.Errorf("open sock_diag socket: %w", err)
	}
	defer unix.Close(fd)
	const seq = 1
	// The peer's view: its local address is our remote one.
	if err := unix.Sendto(fd, diagRequest(seq, remote, local), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return 0, fmt.Errorf("send sock_diag request: %w", err)
	}
	// The kernel answers while handling the request: the reply is queued
	// before Sendto returns, so this never waits.
	var buf [512]byte
	n, _, err := unix.Recvfrom(fd, buf[:], unix.MSG_DONTWAIT)
	if err != nil {
		return 0, fmt.Errorf("receive sock_diag answer: %w", err)
	}
	uid, err := parseDiagReply(buf[:n], seq, remote, local)
	if err != nil {
		return 0, fmt.Errorf("look up the socket of %s: %w", remote, err)
	}
	return uid, nil
}

// tcpAddrs returns the local and remote address of c's socket, IPv4
// addresses unmapped. (Asking the socket rather than package net keeps net,
// and with it cgo, out of lambdad-init, which links this package.)
func tcpAddrs(c syscall.Conn) (local, remote netip.AddrPort, err error) {
	if c == nil {
		return local, remote, errNotTCP
	}
	rc, err := c.SyscallConn()
	if err != nil {
		return local, remote, err
	}
	var ls, rs unix.Sockaddr
	var lerr, rerr error
	if err := rc.Control(func(fd uintptr) {
		ls, lerr = unix.Getsockname(int(fd))
		rs, rerr = unix.Getpeername(int(fd))
	}); err != nil {
		return local, remote, err
	}
	if lerr != nil || rerr != nil {
		return local, remote, fmt.Errorf("socket addresses: %w", errors.Join(lerr, rerr))
	}
	var ok1, ok2 bool
	local, ok1 = addrPort(ls)
	remote, ok2 = addrPort(rs)
	if !ok1 || !ok2 {
		return local, remote, errNotTCP
	}
	return local, remote, nil
}

func addrPort(sa unix.Sockaddr) (netip.AddrPort, bool) {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port)), true
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr).Unmap(), uint16(a.Port)), true
	}
	return netip.AddrPort{}, false
}

// checkPeerLookup makes sure peerUID works here: it connects to itself over
// loopback and looks itself up.
func checkPeerLookup() error {
	ln, err := loopbackSocket()
	if err != nil {
		return err
	}
	defer ln.Close()
	if err := syscall.Listen(ln.fd(), 1); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	addr, err := syscall.Getsockname(ln.fd())
	if err != nil {
		return err
	}
	c, err := loopbackSocket()
	if err != nil {
		return err
	}
	defer c.Close()
	if err := syscall.Connect(c.fd(), addr); err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	s, _, err := syscall.Accept(ln.fd())
	if err != nil {
		return fmt.Errorf("accept: %w", err)
	}
	accepted := os.NewFile(uintptr(s), "accepted")
	defer accepted.Close()
	uid, err := peerUID(accepted)
	if err != nil {
		return err
	}
	if int64(uid) != int64(os.Geteuid()) {
		return fmt.Errorf("sock_diag says uid %d for a socket of uid %d", uid, os.Geteuid())
	}
	return nil
}

// socketFile is a blocking socket for checkPeerLookup.
type socketFile struct{ *os.File }

func (f socketFile) fd() int { return int(f.Fd()) }

// loopbackSocket returns a TCP socket bound to 127.0.0.1 on an ephemeral
// port.
func loopbackSocket() (socketFile, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return socketFile{}, fmt.Errorf("socket: %w", err)
	}
	f := socketFile{os.NewFile(uintptr(fd), "socket")}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		f.Close()
		return socketFile{}, fmt.Errorf("bind: %w", err)
	}
	return f, nil
}
