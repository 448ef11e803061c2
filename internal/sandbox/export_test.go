package sandbox

// SetLegacyRemount makes m's inits remount the tree read-only mount by
// mount, as on kernels without mount_setattr.
func SetLegacyRemount(m *Manager, v bool) { m.legacyRemount = v }
