package sandbox

// WithLegacyRemount makes the inits of a Manager made with cfg remount the
// tree read-only mount by mount, as on kernels without mount_setattr.
func WithLegacyRemount(cfg Config) Config {
	cfg.legacyRemount = true
	return cfg
}

// WithoutSpawner makes a Manager made with cfg fork its inits from
// lambdad's own descriptor table, as where the spawner cannot start.
func WithoutSpawner(cfg Config) Config {
	cfg.noSpawner = true
	return cfg
}
