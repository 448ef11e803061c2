package sandbox

import "golang.org/x/sys/unix"

// WarmReady returns how many warm inits m has ready.
func WarmReady(m *Manager) int {
	if m.sys == nil {
		return 0
	}
	return int(m.sys.ready.Load())
}

// KillWarmInits kills the warm inits of m but leaves them in the pool, as
// if they had died, and returns how many there were. With wait, it returns
// once they are dead; else they may still be dying.
func KillWarmInits(m *Manager, wait bool) int {
	var ws []*initProc
	for {
		w := m.sys.takeWarm()
		if w == nil {
			break
		}
		_ = w.proc.Kill()
		if wait {
			var info unix.Siginfo // without reaping it
			_ = unix.Waitid(unix.P_PIDFD, w.pidfd, &info, unix.WEXITED|unix.WNOWAIT, nil)
		}
		ws = append(ws, w)
	}
	for _, w := range ws {
		m.sys.ready.Add(1)
		m.sys.warm <- w
	}
	return len(ws)
}

// UsesSpawner reports whether m starts its inits from the spawner.
func UsesSpawner(m *Manager) bool { return m.sys != nil && m.sys.spawner != nil }

// InitArgv returns the command m starts its inits with.
func InitArgv(m *Manager) []string {
	if m.sys == nil {
		return nil
	}
	return m.sys.initArgv
}
