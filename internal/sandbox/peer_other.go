//go:build !linux

package sandbox

import (
	"errors"
	"net"
)

// peerUID is not available: sock_diag is Linux's.
func peerUID(net.Conn) (uint32, error) { return 0, errors.ErrUnsupported }
