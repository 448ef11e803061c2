package codezip

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"
)

// copyBufSize is the unit in which Extract inflates files and checks ctx.
const copyBufSize = 256 << 10

// Extract unpacks the zip in r (size bytes long) into dir, safely: it
// validates the archive as the package documentation says, with limit
// bounding the declared sizes and the bytes actually written (limit <= 0
// means MaxUnzippedSize), then writes every entry below dir and nowhere
// else. Files and directories get the modes entryMode describes (executable
// bits survive; zips without unix modes give 0644 files and 0755 directories)
// and files keep their modification times. dir itself ends up mode 0755.
//
// dir must not exist, or be an empty directory; its parent must exist.
// Extract builds the tree in a temporary sibling directory named
// ".<base of dir>.tmp-*" and renames it onto dir, so dir appears complete or not at all, and concurrent Extracts to
// one dir are safe: one wins and the others return an error wrapping
// fs.ErrExist, as does an Extract to a non-empty dir. A caller that names dir
// after the zip's digest may treat fs.ErrExist as success. On every error
// nothing Extract created is left behind; only a crash of the process can
// leave a temporary directory, which its owner may remove at startup.
//
// Errors about the archive are *awserr.Error values (possibly wrapped), as
// from Inspect; other errors are file system failures. The zipped size is not
// checked (Inspect does that for uploads). Extract checks ctx between chunks
// of output and returns ctx.Err() wrapped when it ends.
//
// Extract does not fsync: after a power loss an extracted tree may be torn,
// so extracted code is a cache to be rebuilt from the stored zip.
func Extract(ctx context.Context, r io.ReaderAt, size int64, dir string, limit int64) error {
	if limit <= 0 {
		limit = MaxUnzippedSize
	}
	a, err := readArchive(r, size, limit)
	if err != nil {
		return err
	}
	if err := checkTarget(dir); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	if err := writeTree(ctx, a, tmp, limit); err != nil {
		removeAll(tmp)
		return err
	}
	// rename(2) itself, not os.Rename: it replaces an empty directory
	// atomically, which os.Rename refuses to do.
	if err := syscall.Rename(tmp, dir); err != nil {
		removeAll(tmp)
		if errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("extract to %s: %w", dir, fs.ErrExist)
		}
		return fmt.Errorf("extract: rename into %s: %w", dir, err)
	}
	return nil
}

// checkTarget fails with fs.ErrExist unless dir is missing or an empty
// directory.
func checkTarget(dir string) error {
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("extract to %s: %w", dir, fs.ErrExist)
	}
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	defer f.Close()
	if _, err := f.Readdirnames(1); err != io.EOF {
		if err != nil {
			return fmt.Errorf("extract: read %s: %w", dir, err)
		}
		return fmt.Errorf("extract to %s: %w", dir, fs.ErrExist)
	}
	return nil
}

// writeTree writes a's entries into the empty directory tmp.
func writeTree(ctx context.Context, a *archive, tmp string, limit int64) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	root, err := os.OpenRoot(tmp)
	if err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	defer root.Close()

	// Directories first, implied ones included; their modes are applied
	// last so that a read-only directory does not stop its own filling.
	names := make([]string, 0, len(a.dirs))
	for name := range a.dirs {
		names = append(names, name)
	}
	sort.Strings(names) // parents sort before their children
	for _, name := range names {
		if err := root.Mkdir(name, 0o700); err != nil {
			return fmt.Errorf("extract: %w", err)
		}
	}

	// Then files, and symlinks only once every file is written: no write
	// can pass through a symlink the archive made.
	var written int64
	buf := make([]byte, copyBufSize)
	for _, e := range a.entries {
		if e.isDir() || e.isLink() {
			continue
		}
		if err := writeFile(ctx, root, e, buf, &written, limit); err != nil {
			return err
		}
	}
	for _, e := range a.entries {
		if e.isLink() {
			if err := root.Symlink(e.target, e.name); err != nil {
				return fmt.Errorf("extract: %w", err)
			}
		}
	}

	// Children before parents, in case a parent loses its write bit.
	for i := len(names) - 1; i >= 0; i-- {
		if err := root.Chmod(names[i], a.dirs[names[i]].Perm()); err != nil {
			return fmt.Errorf("extract: %w", err)
		}
	}
	if err := root.Chmod(".", 0o755); err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	return nil
}

// writeFile inflates one file entry, adding its bytes to *written, which
// may not exceed limit.
func writeFile(ctx context.Context, root *os.Root, e *entry, buf []byte, written *int64, limit int64) error {
	rc, err := e.file.Open()
	if err != nil {
		return errUnzip("open %q: %v", e.name, err)
	}
	defer rc.Close()
	// O_EXCL: never open an existing name, symlink or not.
	w, err := root.OpenFile(e.name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	defer w.Close()
	for empty := 0; ; {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("extract: %w", err)
		}
		n, rerr := rc.Read(buf)
		if n == 0 && rerr == nil {
			if empty++; empty > 100 {
				return errUnzip("inflate %q: %v", e.name, io.ErrNoProgress)
			}
			continue
		}
		empty = 0
		*written += int64(n)
		if *written > limit {
			return fmt.Errorf("inflate %q: %w", e.name, errUnzippedSize(limit))
		}
		if _, err := w.Write(buf[:n]); err != nil {
			return fmt.Errorf("extract: %w", err)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			// The zip reader checks sizes and CRC as it goes: a zip that
			// lies about its sizes stops here.
			return errUnzip("inflate %q: %v", e.name, rerr)
		}
	}
	if err := w.Chmod(e.mode.Perm()); err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	if mt := e.file.Modified; !mt.IsZero() {
		if err := root.Chtimes(e.name, mt, mt); err != nil {
			return fmt.Errorf("extract: %w", err)
		}
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	return nil
}

// removeAll removes a tree Extract made, restoring write and search
// permission on its directories first if a plain removal fails (an archive
// may make them read-only, which stops unprivileged removal).
func removeAll(dir string) {
	if os.RemoveAll(dir) == nil {
		return
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o700)
		}
		return nil
	})
	os.RemoveAll(dir)
}
