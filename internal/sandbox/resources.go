package sandbox

// resources are what an environment holds besides its processes: its
// cgroups when isolated. wait calls peakBytes and oomKilled before release.
type resources interface {
	// peakBytes returns the environment's peak memory use, if known.
	peakBytes() (int64, bool)
	// oomKilled reports whether the OOM killer killed a process of the
	// environment; sigkilled says the runtime died of SIGKILL.
	oomKilled(sigkilled bool) bool
	// killAll sends SIGKILL to every process of the environment.
	killAll() error
	// release frees the resources once the processes are gone.
	release() error
}

// noResources is an environment without cgroups.
type noResources struct{}

var _ resources = noResources{}

func (noResources) peakBytes() (int64, bool) { return 0, false }
func (noResources) oomKilled(bool) bool      { return false }
func (noResources) killAll() error           { return nil }
func (noResources) release() error           { return nil }
