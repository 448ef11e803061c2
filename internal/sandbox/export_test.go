package sandbox

// WithLegacyRemount makes the inits of a Manager made with cfg remount the
// tree read-only mount by mount, as on kernels without mount_setattr.
func WithLegacyRemount(cfg Config) Config {
	cfg.legacyRemount = true
	return cfg
}
