package sandbox

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"syscall"
	"testing"
)

// diagAnswer builds a kernel answer to request seq: an inet_diag_msg for
// the socket local → remote in state, created by uid.
func diagAnswer(seq uint32, state byte, local, remote netip.AddrPort, uid uint32) []byte {
	b := make([]byte, nlmsgHdrLen+diagMsgLen)
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], uint32(len(b)))
	ne.PutUint16(b[4:], sockDiagByFamily)
	ne.PutUint32(b[8:], seq)
	m := b[nlmsgHdrLen:]
	m[0] = afInet
	m[diagMsgState] = state
	putSockID(m[diagMsgID:], local, remote)
	ne.PutUint32(m[diagMsgUID:], uid)
	return b
}

func diagError(seq uint32, errno syscall.Errno) []byte {
	b := make([]byte, nlmsgHdrLen+4+nlmsgHdrLen)
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], uint32(len(b)))
	ne.PutUint16(b[4:], nlmsgError)
	ne.PutUint32(b[8:], seq)
	ne.PutUint32(b[nlmsgHdrLen:], uint32(-int32(errno)))
	return b
}

func TestParseDiagReply(t *testing.T) {
	local := netip.MustParseAddrPort("127.0.0.1:40000")
	remote := netip.MustParseAddrPort("127.0.0.1:9001")
	other := netip.MustParseAddrPort("127.0.0.1:40001")
	const established = 1
	tests := []struct {
		name    string
		reply   []byte
		wantUID uint32
		wantErr error
	}{
		{"established", diagAnswer(7, established, local, remote, 1879048193), 1879048193, nil},
		{"closing", diagAnswer(7, 4 /* FIN_WAIT1 */, local, remote, 42), 42, nil},
		{"no such socket", diagError(7, syscall.ENOENT), 0, syscall.ENOENT},
		{"another socket", diagAnswer(7, established, other, remote, 42), 0, errDiagReply},
		{"addresses swapped", diagAnswer(7, established, remote, local, 42), 0, errDiagReply},
		{"a listener", diagAnswer(7, tcpListen, local, remote, 42), 0, errDiagReply},
		{"time wait", diagAnswer(7, tcpTimeWait, local, remote, 0), 0, errDiagReply},
		{"another request", diagAnswer(8, established, local, remote, 42), 0, errDiagReply},
		{"after another request's answer", append(diagAnswer(8, established, local, remote, 42), diagAnswer(7, established, local, remote, 43)...), 43, nil},
		{"short message", diagAnswer(7, established, local, remote, 42)[:nlmsgHdrLen+diagMsgLen-1], 0, errDiagReply},
		{"empty", nil, 0, errDiagReply},
		{"error 0", diagError(7, 0), 0, errDiagReply},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			uid, err := parseDiagReply(tt.reply, 7, local, remote)
			if uid != tt.wantUID || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("got uid %d, %v; want %d, %v", uid, err, tt.wantUID, tt.wantErr)
			}
		})
	}
}

func TestDiagRequest(t *testing.T) {
	local := netip.MustParseAddrPort("127.0.0.1:40000")
	remote := netip.MustParseAddrPort("127.0.0.2:9001")
	b := diagRequest(3, local, remote)
	ne := binary.NativeEndian
	if len(b) != 72 || ne.Uint32(b) != 72 || ne.Uint16(b[4:]) != sockDiagByFamily || ne.Uint16(b[6:]) != nlmFRequest || ne.Uint32(b[8:]) != 3 {
		t.Fatalf("header % x", b[:16])
	}
	r := b[16:]
	want := []byte{afInet, ipprotoTCP, 0, 0, 0xff, 0xff, 0xff, 0xff,
		0x9c, 0x40, 0x23, 0x29, // ports 40000 and 9001, big-endian
		127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		127, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, // any interface
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // no cookie
	}
	if string(r) != string(want) {
		t.Errorf("request\n got % x\nwant % x", r, want)
	}
	if r6 := diagRequest(3, netip.MustParseAddrPort("[::1]:1"), netip.MustParseAddrPort("[::1]:2"))[16:]; r6[0] != afInet6 || r6[12+15] != 1 || r6[28+15] != 1 {
		t.Errorf("IPv6 request % x", r6)
	}
}

func FuzzParseDiagReply(f *testing.F) {
	local := netip.MustParseAddrPort("127.0.0.1:40000")
	remote := netip.MustParseAddrPort("127.0.0.1:9001")
	f.Add(diagAnswer(1, 1, local, remote, 1000))
	f.Add(diagError(1, syscall.ENOENT))
	f.Add(append(diagAnswer(2, 1, local, remote, 1), diagAnswer(1, 1, local, remote, 2)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		uid, err := parseDiagReply(b, 1, local, remote)
		if err != nil && uid != 0 {
			t.Fatalf("uid %d with error %v", uid, err)
		}
	})
}
