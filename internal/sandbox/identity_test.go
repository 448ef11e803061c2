//go:build linux

package sandbox_test

import (
	"errors"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/lambdad/lambdad/internal/sandbox"
)

// TestIdentityCheckPeer runs two environments that each connect to a
// listener of the test: each connection passes the check of its own
// environment's identity only. Unisolated, both run as the test's user,
// which is all that can be told apart.
func TestIdentityCheckPeer(t *testing.T) {
	forEachMode(t, func(t *testing.T, e *testEnv) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		code := e.codeDir(t)

		ids := make([]*sandbox.Identity, 2)
		conns := make([]net.Conn, 2)
		for i := range ids {
			if ids[i], err = e.m.NewIdentity(); err != nil {
				t.Fatal(err)
			}
			spec := e.spec(code, "peer-"+string(rune('a'+i)), "hold")
			spec.Env = append(spec.Env, "TEST_DIAL="+ln.Addr().String())
			spec.Identity = ids[i]
			var out output
			spec.Stdout = &out
			e.start(t, spec)
			_ = ln.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Second))
			if conns[i], err = ln.Accept(); err != nil {
				t.Fatalf("environment %d did not connect: %v (output %q)", i, err, out.String())
			}
			defer conns[i].Close()
		}
		// The test's own connection.
		mine, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer mine.Close()
		own, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer own.Close()

		if e.mode == sandbox.Unisolated {
			for i, id := range ids {
				if id.UID() != os.Geteuid() {
					t.Errorf("identity %d: uid %d, want lambdad's %d", i, id.UID(), os.Geteuid())
				}
				for j, c := range append(conns, own) {
					if err := id.CheckPeer(c.(syscall.Conn)); err != nil {
						t.Errorf("identity %d, connection %d: %v, want it admitted", i, j, err)
					}
				}
			}
			return
		}
		if ids[0].UID() == ids[1].UID() || ids[0].UID() < sandbox.DefaultUID || ids[1].UID() < sandbox.DefaultUID {
			t.Fatalf("uids %d and %d, want two different ones from %d", ids[0].UID(), ids[1].UID(), sandbox.DefaultUID)
		}
		for i, id := range ids {
			for j, c := range conns {
				err := id.CheckPeer(c.(syscall.Conn))
				if i == j && err != nil {
					t.Errorf("identity %d, its own connection: %v", i, err)
				}
				if i != j && !errors.Is(err, sandbox.ErrForeignPeer) {
					t.Errorf("identity %d, connection of environment %d: %v, want ErrForeignPeer", i, j, err)
				}
			}
			if err := id.CheckPeer(own.(syscall.Conn)); !errors.Is(err, sandbox.ErrForeignPeer) {
				t.Errorf("identity %d, the test's connection: %v, want ErrForeignPeer", i, err)
			}
		}
	})
}

// TestIdentityRange hands out every uid of a small range once, refuses
// one more, and reuses a released uid last.
func TestIdentityRange(t *testing.T) {
	e := newTestEnv(t, sandbox.Isolated, func(c *sandbox.Config) {
		c.UID, c.GID, c.IDs = 700000, 700000, 3
		c.WarmInits = -1
	})
	// The probe of NewManager released what it used.
	var got []*sandbox.Identity
	for range 3 {
		id, err := e.m.NewIdentity()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, id)
	}
	if _, err := e.m.NewIdentity(); !errors.Is(err, sandbox.ErrNoIdentity) {
		t.Fatalf("fourth identity of three: %v, want ErrNoIdentity", err)
	}
	seen := map[int]bool{}
	for _, id := range got {
		if id.UID() < 700000 || id.UID() > 700002 || seen[id.UID()] {
			t.Fatalf("uids %v", got)
		}
		seen[id.UID()] = true
	}
	got[1].Release()
	got[1].Release() // a second release does not free it twice
	id, err := e.m.NewIdentity()
	if err != nil || id.UID() != got[1].UID() {
		t.Fatalf("after a release: %v %v, want uid %d", id, err, got[1].UID())
	}
	if _, err := e.m.NewIdentity(); !errors.Is(err, sandbox.ErrNoIdentity) {
		t.Fatalf("after the double release: %v, want ErrNoIdentity", err)
	}
}

// BenchmarkCheckPeer is what the Runtime API pays per accepted connection
// for refusing other environments: one sock_diag lookup.
func BenchmarkCheckPeer(b *testing.B) {
	e := newTestEnv(b, sandbox.Unisolated, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	s, err := ln.Accept()
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	id, err := e.m.NewIdentity()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := id.CheckPeer(s.(syscall.Conn)); err != nil {
			b.Fatal(err)
		}
	}
}
