//go:build !linux

package sandbox

import (
	"context"
	"errors"
	"runtime"
)

// system is empty: isolation needs Linux.
type system struct{}

func (*system) limitAttrs() []any { return nil }
func (*system) shutdown()         {}
func (*system) close() error      { return nil }

func (m *Manager) setup() (Mode, string, error) {
	switch m.cfg.Isolation {
	case IsolationOff:
		return Unisolated, "isolation off", nil
	case IsolationOn:
		return 0, "", errors.New("sandbox isolation on: needs Linux, this is " + runtime.GOOS)
	}
	return Unisolated, "isolation needs Linux", nil
}

func (m *Manager) startIsolated(ctx context.Context, spec Spec, probe bool) (*Process, error) {
	return nil, errors.New("isolation needs Linux")
}
