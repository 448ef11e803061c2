package sandbox

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"syscall"
)

// Looking up one TCP socket with Linux's sock_diag netlink protocol
// (linux/inet_diag.h): a SOCK_DIAG_BY_FAMILY request without NLM_F_DUMP
// names the socket by its local address (id.src) and its remote address
// (id.dst) and is answered with one inet_diag_msg, which carries the uid
// that created the socket, or with an NLMSG_ERROR (ENOENT: no such socket).
// Only the layout lives here, so that it can be tested and fuzzed anywhere;
// peer_linux.go talks to the kernel.
const (
	nlmsgHdrLen      = 16 // struct nlmsghdr
	diagReqLen       = 56 // struct inet_diag_req_v2
	diagMsgLen       = 72 // struct inet_diag_msg
	nlmsgError       = 2  // NLMSG_ERROR
	sockDiagByFamily = 20 // SOCK_DIAG_BY_FAMILY
	nlmFRequest      = 1  // NLM_F_REQUEST
	afInet           = 2  // AF_INET on Linux
	afInet6          = 10 // AF_INET6 on Linux
	ipprotoTCP       = 6

	// TCP states (include/net/tcp_states.h) of sockets that belong to no
	// live connection: a lookup that finds one has not found the peer.
	tcpTimeWait   = 6
	tcpListen     = 10
	tcpNewSynRecv = 12

	// Offsets in an inet_diag_msg.
	diagMsgState = 1
	diagMsgID    = 4  // struct inet_diag_sockid: sport, dport, src[16], dst[16], if, cookie[2]
	diagMsgUID   = 64 // after the 48-byte id, expires, rqueue and wqueue
)

// errDiagReply is wrapped by parseDiagReply for an answer that is not the
// socket asked for.
var errDiagReply = errors.New("unexpected sock_diag answer")

// diagRequest returns the request (a netlink message numbered seq) for the
// TCP socket whose local address is local and remote address remote. Both
// must be of one family: IPv4 (not IPv4-mapped IPv6) or IPv6.
func diagRequest(seq uint32, local, remote netip.AddrPort) []byte {
	b := make([]byte, nlmsgHdrLen+diagReqLen)
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], uint32(len(b)))
	ne.PutUint16(b[4:], sockDiagByFamily)
	ne.PutUint16(b[6:], nlmFRequest)
	ne.PutUint32(b[8:], seq)
	r := b[nlmsgHdrLen:]
	r[0] = afInet
	if local.Addr().Is6() {
		r[0] = afInet6
	}
	r[1] = ipprotoTCP
	ne.PutUint32(r[4:], ^uint32(0)) // every state
	putSockID(r[8:], local, remote)
	ne.PutUint32(r[48:], ^uint32(0)) // INET_DIAG_NOCOOKIE
	ne.PutUint32(r[52:], ^uint32(0))
	return b
}

// putSockID writes ports and addresses of an inet_diag_sockid, in network
// byte order; an IPv4 address fills the first 4 of its 16 bytes.
func putSockID(id []byte, local, remote netip.AddrPort) {
	binary.BigEndian.PutUint16(id[0:], local.Port())
	binary.BigEndian.PutUint16(id[2:], remote.Port())
	copy(id[4:20], local.Addr().AsSlice())
	copy(id[20:36], remote.Addr().AsSlice())
}

// parseDiagReply reads the kernel's answer b to request seq, made by
// diagRequest(seq, local, remote), and returns the uid of the socket found.
// An NLMSG_ERROR answer is returned as its syscall.Errno. A socket other
// than the one asked for (the kernel falls back to a listener when the
// connection is gone) or in a state that belongs to no live connection is
// errDiagReply.
func parseDiagReply(b []byte, seq uint32, local, remote netip.AddrPort) (uint32, error) {
	ne := binary.NativeEndian
	for len(b) >= nlmsgHdrLen {
		n := int(ne.Uint32(b[0:]))
		if n < nlmsgHdrLen || n > len(b) {
			return 0, fmt.Errorf("%w: message of %d bytes in %d", errDiagReply, n, len(b))
		}
		msg, typ, gotSeq := b[nlmsgHdrLen:n], ne.Uint16(b[4:]), ne.Uint32(b[8:])
		// Messages are padded to 4 bytes.
		b = b[min(len(b), (n+3)&^3):]
		if gotSeq != seq {
			continue
		}
		switch typ {
		case nlmsgError:
			if len(msg) < 4 {
				return 0, fmt.Errorf("%w: short error message", errDiagReply)
			}
			errno := -int32(ne.Uint32(msg))
			if errno <= 0 {
				return 0, fmt.Errorf("%w: error message with errno %d", errDiagReply, errno)
			}
			return 0, syscall.Errno(errno)
		case sockDiagByFamily:
			if len(msg) < diagMsgLen {
				return 0, fmt.Errorf("%w: %d-byte inet_diag_msg", errDiagReply, len(msg))
			}
			var want [36]byte
			putSockID(want[:], local, remote)
			if string(msg[diagMsgID:diagMsgID+36]) != string(want[:]) {
				return 0, fmt.Errorf("%w: another socket", errDiagReply)
			}
			switch msg[diagMsgState] {
			case tcpTimeWait, tcpListen, tcpNewSynRecv:
				return 0, fmt.Errorf("%w: socket in TCP state %d", errDiagReply, msg[diagMsgState])
			}
			return ne.Uint32(msg[diagMsgUID:]), nil
		default:
			return 0, fmt.Errorf("%w: message type %d", errDiagReply, typ)
		}
	}
	return 0, fmt.Errorf("%w: no answer", errDiagReply)
}
