package runtimeapi_test

import (
	"bufio"
	"errors"
	"net"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/lambdad/lambdad/internal/runtimeapi"
)

// TestAdmit serves a runtime behind a check that refuses connections from
// 127.0.0.2: those are closed unanswered, even with an invocation pending,
// and do not count against the connection limit; the pending invocation
// goes to the admitted runtime.
func TestAdmit(t *testing.T) {
	s := runtimeapi.New(runtimeapi.Limits{}, nil)
	var checked atomic.Int32
	s.Admit(func(c syscall.Conn) error {
		checked.Add(1)
		if c.(*net.TCPConn).RemoteAddr().(*net.TCPAddr).IP.Equal(net.IPv4(127, 0, 0, 2)) {
			return errors.New("not this one")
		}
		return nil
	})
	addr, err := s.Listen()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })

	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 5 * time.Second}
	probe, err := d.Dial("tcp", addr)
	if err != nil {
		t.Skipf("cannot connect from 127.0.0.2 here: %v", err)
	}
	probe.Close()

	a := startInvoke(testContext(t, 10*time.Second), s, newInvocation(`{"secret":1}`))
	for i := range 70 { // more than the 64 connections a runtime may hold
		nc, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c := &rawConn{tb: t, nc: nc, br: bufio.NewReader(nc)}
		_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
		_, _ = nc.Write([]byte(getNext)) // may fail: the server may have closed it already
		if !c.closed() {
			t.Fatalf("refused connection %d was answered", i)
		}
		nc.Close()
	}
	own := dialRaw(t, addr)
	own.send(getNext)
	resp, body := own.response()
	if resp.StatusCode != 200 || body != `{"secret":1}` {
		t.Fatalf("admitted GET /next: %d %s", resp.StatusCode, body)
	}
	own.send(post(responsePath(a.inv.RequestID), `"ok"`))
	own.expect(202, accepted)
	r, err := a.wait(t)
	if err != nil || string(r.Body) != `"ok"` {
		t.Fatalf("invoke: %v %v", r, err)
	}
	r.Release()
	if n := checked.Load(); n != 72 {
		t.Errorf("checked %d connections, want 72", n)
	}
}
