package scheduler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/lambdad/lambdad/internal/store"
)

// Layers at /opt
//
// Each layer zip is extracted once per digest, like function code (extract),
// into Config.CodeDir/<digest>. A function with one layer uses that
// directory as /opt as it is. A function with several gets a merged
// directory, Config.CodeDir/opt-<hash of the ordered digests>, built once
// per ordered list: the layers' trees laid over each other in order,
// directories merged and a later layer's entry replacing an earlier one's
// (a file, symlink or directory alike), as AWS extracts layers into /opt.
// Files are hard links into the layers' own directories (copies across
// file systems), so a merge costs one link per file. Environments with the
// same layers share the merged directory, read-only in the sandbox.

// optDirs is the cache of merged layer directories; the zero value is
// ready to use.
type optDirs struct {
	mu   sync.Mutex
	dirs map[string]*codeDir
}

// optDir returns the directory to show at /opt for layers (in order), or
// "" when there are none. It extracts and merges on first use.
func (s *Scheduler) optDir(ctx context.Context, layers []store.Digest) (string, error) {
	switch len(layers) {
	case 0:
		return "", nil
	case 1:
		return s.extract(ctx, layers[0])
	}
	h := sha256.New()
	for _, d := range layers {
		h.Write(d[:])
	}
	key := "opt-" + hex.EncodeToString(h.Sum(nil))
	s.opt.mu.Lock()
	if s.opt.dirs == nil {
		s.opt.dirs = make(map[string]*codeDir)
	}
	c := s.opt.dirs[key]
	if c == nil {
		c = &codeDir{}
		s.opt.dirs[key] = c
	}
	s.opt.mu.Unlock()
	c.once.Do(func() {
		dir := filepath.Join(s.cfg.CodeDir, key)
		if _, err := os.Stat(dir); err == nil {
			c.path = dir
			return
		}
		srcs := make([]string, len(layers))
		for i, d := range layers {
			p, err := s.extract(ctx, d)
			if err != nil {
				c.err = fmt.Errorf("layer %d: %w", i+1, err)
				return
			}
			srcs[i] = p
		}
		if err := mergeLayers(srcs, dir); err != nil {
			c.err = fmt.Errorf("merge layers: %w", err)
			return
		}
		c.path = dir
	})
	if c.err != nil {
		s.opt.mu.Lock()
		if s.opt.dirs[key] == c {
			delete(s.opt.dirs, key)
		}
		s.opt.mu.Unlock()
	}
	return c.path, c.err
}

// PrepareLayers builds the /opt directory of layers ahead of the first
// environment that needs it.
func (s *Scheduler) PrepareLayers(ctx context.Context, layers []store.Digest) error {
	_, err := s.optDir(ctx, layers)
	return err
}

// mergeLayers lays the trees srcs over each other, in order, into dir,
// which must not exist. It builds in a temporary sibling and renames it
// into place, so dir appears complete or not at all; if another merge got
// there first, its result is kept. Symlinks are copied as links, never
// followed, and every directory the merge writes into is one it made, so
// nothing is written outside dir whatever the layers' links point at.
func mergeLayers(srcs []string, dir string) error {
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	for _, src := range srcs {
		if err := overlay(src, tmp); err != nil {
			os.RemoveAll(tmp)
			return err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		if errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.EEXIST) {
			return nil
		}
		return err
	}
	return nil
}

// overlay lays the tree src over the tree dst.
func overlay(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		target := filepath.Join(dst, rel)
		cur, statErr := os.Lstat(target)
		exists := statErr == nil
		if d.IsDir() {
			if exists && cur.IsDir() {
				return nil
			}
			if exists {
				if err := os.Remove(target); err != nil {
					return err
				}
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			// Writable by lambdad while the merge fills it.
			return os.Mkdir(target, fi.Mode().Perm()|0o700)
		}
		if exists {
			// A later layer's entry replaces whatever was there.
			if err := os.RemoveAll(target); err != nil {
				return err
			}
		}
		if d.Type()&fs.ModeSymlink != 0 {
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		}
		if !d.Type().IsRegular() {
			return nil // extraction writes nothing else
		}
		if err := os.Link(p, target); err == nil {
			return nil
		}
		return copyFile(p, target)
	})
}

// copyFile copies a regular file with its permissions.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fi.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// optPathVars are the variables whose /opt entries an unisolated runtime
// must find at the host directory instead.
var optPathVars = map[string]bool{"PATH": true, "LD_LIBRARY_PATH": true, "NODE_PATH": true, "PYTHONPATH": true}

// optPaths adapts a runtime's environment to an unisolated sandbox, where
// /opt is the host's and not the layers: the entries under /opt of the
// search-path variables (PATH's /opt/bin, LD_LIBRARY_PATH's /opt/lib,
// NODE_PATH's /opt/nodejs/...) are rewritten to optDir, and
// LAMBDAD_OPT_DIR names optDir for runtimes that look there by name.
// Isolated runtimes, and functions without layers, get env as it is.
func optPaths(env []string, optDir string, unisolated bool) []string {
	if !unisolated || optDir == "" {
		return env
	}
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if optPathVars[k] {
			parts := strings.Split(v, ":")
			for i, p := range parts {
				if p == "/opt" {
					parts[i] = optDir
				} else if rest, ok := strings.CutPrefix(p, "/opt/"); ok {
					parts[i] = filepath.Join(optDir, rest)
				}
			}
			kv = k + "=" + strings.Join(parts, ":")
		}
		out = append(out, kv)
	}
	return append(out, "LAMBDAD_OPT_DIR="+optDir)
}
