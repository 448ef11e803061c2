package codezip

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/lambdad/lambdad/internal/awserr"
)

// Lambda's deployment package quotas (PROTOCOLS.md §11.5).
const (
	// MaxZippedSize is the largest zip accepted in a request body (ZipFile).
	MaxZippedSize = 52_428_800
	// MaxUnzippedSize is the largest total uncompressed size of a package.
	MaxUnzippedSize = 262_144_000
)

const (
	maxNameLen    = 4095 // PATH_MAX less the NUL: longest entry name and symlink target
	maxElementLen = 255  // NAME_MAX: longest path element
	maxLinkHops   = 40   // symlinks followed in one resolution, as Linux's MAXSYMLINKS
	// maxDirs bounds the directories of a package, explicit or implied.
	// Large node_modules trees have tens of thousands.
	maxDirs = 200_000
	// maxLinkWork bounds the steps, and bytes of path looked up, while
	// resolving all symlinks of one archive, so that a crafted archive
	// cannot make resolution slow. Real packages need well under a million.
	maxLinkWork = 16 << 20
)

// Info describes a valid deployment package.
type Info struct {
	Files    int // regular files
	Dirs     int // directory entries; implied parents are not counted
	Symlinks int
	// UnzippedSize is the sum of the entries' declared uncompressed sizes.
	UnzippedSize int64

	modes map[string]fs.FileMode
}

// Lookup returns the mode Extract gives the entry with the cleaned,
// slash-separated name (such as "bootstrap" or "lib/x.so"): its type bits
// and permissions. It reports false for names the archive lacks, including
// parent directories it only implies.
func (i Info) Lookup(name string) (fs.FileMode, bool) {
	m, ok := i.modes[name]
	return m, ok
}

// errUnzip returns the error Lambda gives for an upload it cannot unzip,
// with detail for the log in the chain's text.
func errUnzip(detail string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(detail, args...), awserr.New(awserr.InvalidParameterValue,
		"Could not unzip uploaded file. Please check your file, then try to upload again."))
}

func errUnzippedSize(limit int64) error {
	return awserr.New(awserr.InvalidParameterValue, "Unzipped size must be smaller than %d bytes", limit)
}

// Inspect validates a deployment package held in memory without extracting
// it: it reads the central directory and the symlink targets and applies the
// rules of the package documentation with the limit MaxUnzippedSize. Errors
// are *awserr.Error values (possibly wrapped with detail):
//
//   - 413 RequestEntityTooLargeException "Zipped size must be smaller than
//     52428800 bytes" when len(zip) > MaxZippedSize;
//   - 400 InvalidParameterValueException "Could not unzip uploaded file. ..."
//     when zip is not a zip file or breaks a rule;
//   - 400 InvalidParameterValueException "Unzipped size must be smaller than
//     262144000 bytes" when the declared sizes add up to more.
//
// An empty archive (no entries) is valid.
func Inspect(zip []byte) (Info, error) {
	if len(zip) > MaxZippedSize {
		return Info{}, awserr.New(awserr.RequestEntityTooLarge, "Zipped size must be smaller than %d bytes", MaxZippedSize)
	}
	a, err := readArchive(bytes.NewReader(zip), int64(len(zip)), MaxUnzippedSize)
	if err != nil {
		return Info{}, err
	}
	return a.info, nil
}

// entry is one validated archive entry.
type entry struct {
	name   string // cleaned relative path, never "" or "."
	mode   fs.FileMode
	file   *zip.File
	target string // symlink target
}

func (e *entry) isDir() bool  { return e.mode.IsDir() }
func (e *entry) isLink() bool { return e.mode&fs.ModeSymlink != 0 }

// archive is a validated zip.
type archive struct {
	entries []*entry // in archive order, without repeated directories
	byName  map[string]*entry
	// dirs holds every directory, explicit or implied by a deeper entry,
	// with the mode Extract gives it.
	dirs map[string]fs.FileMode
	info Info
}

// collectDirs fills a.dirs and checks that every entry's parents are
// directories: no entry lies below a file or a symlink.
func (a *archive) collectDirs() error {
	a.dirs = make(map[string]fs.FileMode)
	for _, e := range a.entries {
		if e.isDir() {
			// Overrides the default mode if a deeper entry implied it.
			a.dirs[e.name] = e.mode
		}
		// Walk up until a parent already known: its own parents were
		// added when it was. This keeps the work linear in the number of
		// directories, which maxDirs bounds.
		for p := e.name; ; {
			i := strings.LastIndexByte(p, '/')
			if i < 0 {
				break
			}
			p = p[:i]
			if _, ok := a.dirs[p]; ok {
				break
			}
			if parent, ok := a.byName[p]; ok && !parent.isDir() {
				return errUnzip("entry %q lies below non-directory %q", e.name, p)
			}
			a.dirs[p] = fs.ModeDir | 0o755
			if len(a.dirs) > maxDirs {
				return errUnzip("more than %d directories", maxDirs)
			}
		}
	}
	return nil
}

// readArchive parses and validates the zip in r. The declared sizes may add
// up to at most limit.
func readArchive(r io.ReaderAt, size int64, limit int64) (*archive, error) {
	zr, err := zip.NewReader(r, size)
	// With GODEBUG=zipinsecurepath=0 the reader reports names it dislikes;
	// the checks below cover them.
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, errUnzip("read zip: %v", err)
	}
	a := &archive{byName: make(map[string]*entry, len(zr.File))}
	var total int64
	for _, f := range zr.File {
		if f.UncompressedSize64 > uint64(limit-total) {
			return nil, errUnzippedSize(limit)
		}
		total += int64(f.UncompressedSize64)
		e, err := readEntry(f)
		if err != nil {
			return nil, err
		}
		if e == nil {
			continue // the root directory itself
		}
		if prev, ok := a.byName[e.name]; ok {
			if prev.isDir() && e.isDir() {
				continue
			}
			return nil, errUnzip("entry %q appears twice", e.name)
		}
		a.byName[e.name] = e
		a.entries = append(a.entries, e)
	}
	a.info.UnzippedSize = total
	a.info.modes = make(map[string]fs.FileMode, len(a.entries))
	for _, e := range a.entries {
		a.info.modes[e.name] = e.mode
		switch {
		case e.isDir():
			a.info.Dirs++
		case e.isLink():
			a.info.Symlinks++
		default:
			a.info.Files++
		}
	}
	if err := a.collectDirs(); err != nil {
		return nil, err
	}
	res := resolver{a: a}
	for _, e := range a.entries {
		if !e.isLink() {
			continue
		}
		if err := res.check(e); err != nil {
			return nil, errUnzip("symlink %q -> %q %v", e.name, e.target, err)
		}
	}
	return a, nil
}

// readEntry validates one entry and reads its target if it is a symlink. It
// returns nil for an entry naming the root directory ("./").
func readEntry(f *zip.File) (*entry, error) {
	if !validName(f.Name) {
		return nil, errUnzip("bad entry name %q", f.Name)
	}
	if f.Flags&0x1 != 0 {
		return nil, errUnzip("entry %q is encrypted", f.Name)
	}
	if f.Method != zip.Store && f.Method != zip.Deflate {
		return nil, errUnzip("entry %q uses compression method %d", f.Name, f.Method)
	}
	slash := strings.HasSuffix(f.Name, "/")
	m := f.Mode()
	switch {
	case m&(fs.ModeDevice|fs.ModeCharDevice|fs.ModeNamedPipe|fs.ModeSocket|fs.ModeIrregular) != 0:
		return nil, errUnzip("entry %q is not a file, directory or symlink", f.Name)
	case m&fs.ModeSymlink != 0 && slash:
		return nil, errUnzip("symlink entry %q ends in a slash", f.Name)
	}
	name := path.Clean(f.Name)
	if name == "." {
		if m.IsDir() {
			return nil, nil
		}
		return nil, errUnzip("entry %q names the package root", f.Name)
	}
	e := &entry{name: name, mode: entryMode(f), file: f}
	if e.isLink() {
		target, err := readTarget(f)
		if err != nil {
			return nil, err
		}
		e.target = target
	}
	return e, nil
}

// validName reports whether a raw entry name is a safe relative path.
func validName(name string) bool {
	if name == "" || len(name) > maxNameLen || name[0] == '/' || strings.ContainsAny(name, "\\\x00") {
		return false
	}
	for elem := range strings.SplitSeq(strings.TrimSuffix(name, "/"), "/") {
		if elem == ".." || len(elem) > maxElementLen {
			return false
		}
	}
	return true
}

// entryMode is the mode Extract gives an entry: the unix permissions the
// archive records, or 0755 for directories and 0644 for files when it records
// none (zips made on Windows). Setuid, setgid and sticky bits are dropped.
func entryMode(f *zip.File) fs.FileMode {
	const creatorUnix, creatorMacOSX = 3, 19
	m := f.Mode()
	typ := m & (fs.ModeDir | fs.ModeSymlink)
	if m.IsDir() {
		typ = fs.ModeDir
	}
	if creator := f.CreatorVersion >> 8; (creator == creatorUnix || creator == creatorMacOSX) && f.ExternalAttrs>>16 != 0 {
		return typ | m.Perm()
	}
	if typ == fs.ModeDir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}

// readTarget reads a symlink entry's target, which is its content.
func readTarget(f *zip.File) (string, error) {
	if f.UncompressedSize64 == 0 || f.UncompressedSize64 > maxNameLen {
		return "", errUnzip("symlink %q has a target of %d bytes", f.Name, f.UncompressedSize64)
	}
	rc, err := f.Open()
	if err != nil {
		return "", errUnzip("open symlink %q: %v", f.Name, err)
	}
	defer rc.Close()
	// Reading to EOF makes the zip reader check the size and CRC.
	b, err := io.ReadAll(io.LimitReader(rc, maxNameLen+1))
	if err != nil {
		return "", errUnzip("read symlink %q: %v", f.Name, err)
	}
	if len(b) == 0 || len(b) > maxNameLen || bytes.IndexByte(b, 0) >= 0 {
		return "", errUnzip("symlink %q has a bad target", f.Name)
	}
	return string(b), nil
}

// resolver follows symlink targets through the archive's own symlinks, the
// way the kernel will once the archive is extracted.
type resolver struct {
	a    *archive
	work int // path elements walked plus bytes of path looked up so far
}

// Why a symlink is refused.
var (
	errLinkEscapes = errors.New("leads outside the package")
	errLinkLoop    = errors.New("passes through too many symlinks")
	errLinkLong    = errors.New("resolves to too long a path")
)

// check returns nil if link's target resolves inside the root without
// leaving it on the way, through at most maxLinkHops symlinks.
func (r *resolver) check(link *entry) error {
	dir := ""
	if i := strings.LastIndexByte(link.name, '/'); i >= 0 {
		dir = link.name[:i]
	}
	cur := []byte(dir)
	hops := 0
	return r.walk(&cur, link.target, &hops)
}

// walk applies target to the path *cur (relative to the root, "" for the
// root), following the archive's symlinks.
func (r *resolver) walk(cur *[]byte, target string, hops *int) error {
	if strings.HasPrefix(target, "/") {
		return errLinkEscapes
	}
	for elem := range strings.SplitSeq(target, "/") {
		r.work++
		if r.work > maxLinkWork {
			return errLinkLong
		}
		switch elem {
		case "", ".":
		case "..":
			if len(*cur) == 0 {
				return errLinkEscapes
			}
			i := bytes.LastIndexByte(*cur, '/')
			*cur = (*cur)[:max(i, 0)]
		default:
			n := len(*cur)
			if n > 0 {
				*cur = append(*cur, '/')
			}
			*cur = append(*cur, elem...)
			// No entry has a longer name: resolution would have to come
			// back up through ".." to meet one, which real packages never
			// need. The work bound keeps crafted archives cheap.
			r.work += len(*cur)
			if len(*cur) > maxNameLen || r.work > maxLinkWork {
				return errLinkLong
			}
			e, ok := r.a.byName[string(*cur)]
			if !ok || !e.isLink() {
				continue
			}
			*hops++
			if *hops > maxLinkHops {
				return errLinkLoop
			}
			*cur = (*cur)[:n]
			if err := r.walk(cur, e.target, hops); err != nil {
				return err
			}
		}
	}
	return nil
}
