//go:build !linux

package sandbox

import (
	"errors"
	"syscall"
)

// peerUID is not available: sock_diag is Linux's.
func peerUID(syscall.Conn) (uint32, error) { return 0, errors.ErrUnsupported }

// checkPeerLookup fails: peerUID is not available.
func checkPeerLookup() error { return errors.ErrUnsupported }
