package sandbox

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
)

var (
	// ErrForeignPeer is wrapped by Identity.CheckPeer's error when the
	// connection comes from a process of another user: another
	// environment, or anything else on the host.
	ErrForeignPeer = errors.New("connection from another user")
	// ErrNoIdentity is returned by NewIdentity (and Start) when every uid
	// of the Manager's range is in use.
	ErrNoIdentity = errors.New("no free sandbox uid")
)

// Identity is the user an environment's runtime runs as, reserved before
// the environment starts so that the servers it will talk to can tell its
// connections from anyone else's. When isolated each environment has a uid
// (and gid) of its own from the Manager's range; when unisolated every
// runtime runs as lambdad's own user. An Identity is used by one Start; its
// methods are safe for concurrent use.
type Identity struct {
	m        *Manager
	uid, gid int
	slot     int // index in m.ids, -1 when nothing is reserved
	released atomic.Bool
}

// NewIdentity reserves the identity of one environment: a uid of its own
// when isolated, lambdad's when not. Pass it in Spec.Identity; Start then
// owns it and releases it once the environment's processes are gone (or
// the start fails). Release it yourself only if Start is never called.
func (m *Manager) NewIdentity() (*Identity, error) {
	if m.mode != Isolated {
		return &Identity{m: m, uid: os.Geteuid(), gid: os.Getegid(), slot: -1}, nil
	}
	slot, ok := m.ids.take()
	if !ok {
		return nil, fmt.Errorf("%w: all %d in use", ErrNoIdentity, m.cfg.IDs)
	}
	return &Identity{m: m, uid: m.cfg.UID + slot, gid: m.cfg.GID + slot, slot: slot}, nil
}

// UID returns the uid the runtime runs as.
func (id *Identity) UID() int { return id.uid }

// CheckPeer returns nil when the other end of c, a TCP connection over
// loopback (a *net.TCPConn), is a socket created by this identity's uid, and otherwise an
// error wrapping ErrForeignPeer (or saying why the peer could not be looked
// up). When isolated that admits the environment's own processes only; when
// unisolated, any process of lambdad's user, other environments included.
// Where the peer cannot be looked up (not Linux, or a kernel without
// sock_diag; NewManager logs it) it admits every connection.
func (id *Identity) CheckPeer(c syscall.Conn) error {
	if !id.m.peerCheck {
		return nil
	}
	uid, err := peerUID(c)
	if err != nil {
		return err
	}
	if int64(uid) != int64(id.uid) {
		return fmt.Errorf("%w: uid %d, want %d", ErrForeignPeer, uid, id.uid)
	}
	return nil
}

// Release returns the uid to the Manager's range. Later calls do nothing.
func (id *Identity) Release() {
	if id == nil || id.released.Swap(true) || id.slot < 0 {
		return
	}
	id.m.ids.put(id.slot)
}

// idRange hands out the slots of the uid range round-robin, so that a uid
// just released is the last to be handed out again.
type idRange struct {
	mu   sync.Mutex
	used []bool
	next int
}

func newIDRange(n int) *idRange { return &idRange{used: make([]bool, n)} }

func (r *idRange) take() (int, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for range len(r.used) {
		i := r.next
		r.next = (r.next + 1) % len(r.used)
		if !r.used[i] {
			r.used[i] = true
			return i, true
		}
	}
	return 0, false
}

func (r *idRange) put(i int) {
	r.mu.Lock()
	r.used[i] = false
	r.mu.Unlock()
}
