package codezip

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// extractTo extracts zip into <tmp>/parent/out and returns out. It checks
// that the parent holds nothing else afterwards (no temporary directory, no
// escaped file) and that out exists exactly when err is nil.
func extractTo(t *testing.T, zip []byte, limit int64) (string, error) {
	t.Helper()
	parent := filepath.Join(t.TempDir(), "parent")
	if err := os.Mkdir(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(parent, "out")
	err := Extract(t.Context(), bytes.NewReader(zip), int64(len(zip)), out, limit)
	want := []string{"out"}
	if err != nil {
		want = nil
	}
	if got := list(t, filepath.Dir(parent)); !slices.Equal(got, []string{"parent"}) {
		t.Errorf("extraction wrote beside its parent: %v", got)
	}
	if got := list(t, parent); !slices.Equal(got, want) {
		t.Errorf("parent holds %v after Extract returned %v, want %v", got, err, want)
	}
	return out, err
}

func list(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

func TestExtractArchiveCases(t *testing.T) {
	for _, tt := range archiveCases {
		t.Run(tt.name, func(t *testing.T) {
			out, err := extractTo(t, makeZip(t, tt.entries...), MaxUnzippedSize)
			checkErr(t, err, tt.wantMsg)
			if err == nil {
				checkInside(t, out)
			}
		})
	}
}

// checkInside fails if any symlink under root resolves outside it.
func checkInside(t *testing.T, root string) {
	t.Helper()
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Errorf("walk %s: %v", p, err)
			return nil
		}
		if d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			return nil // dangling or a loop: points nowhere
		}
		rootReal, _ := filepath.EvalSymlinks(root)
		if real != rootReal && !strings.HasPrefix(real, rootReal+string(filepath.Separator)) {
			t.Errorf("symlink %s resolves to %s, outside %s", p, real, root)
		}
		return nil
	})
}

type wantFile struct {
	name   string
	mode   fs.FileMode // type bits and permissions
	body   string      // file content or symlink target
	noTime bool        // skip the modification time check
}

func TestExtractContent(t *testing.T) {
	tests := []struct {
		name    string
		entries []zentry
		want    []wantFile
	}{
		{"modes kept", []zentry{
			{name: "bootstrap", body: "#!/bin/sh\necho hi\n", mode: 0o755},
			{name: "data.json", body: "{}", mode: 0o640},
			{name: "suid", body: "s", mode: 0o755 | fs.ModeSetuid},
		}, []wantFile{
			{name: "bootstrap", mode: 0o755, body: "#!/bin/sh\necho hi\n"},
			{name: "data.json", mode: 0o640, body: "{}"},
			{name: "suid", mode: 0o755, body: "s"},
		}},
		{"windows defaults", []zentry{
			{name: "handler.py", body: "x"},
			{name: "docs/"},
			{name: "pkg/mod.py", body: "y"},
		}, []wantFile{
			{name: "handler.py", mode: 0o644, body: "x"},
			{name: "docs", mode: fs.ModeDir | 0o755, noTime: true},
			{name: "pkg", mode: fs.ModeDir | 0o755, noTime: true},
			{name: "pkg/mod.py", mode: 0o644, body: "y"},
		}},
		{"dir entry after its content", []zentry{
			{name: "a/b/f", body: "f", mode: 0o644},
			{name: "a/", mode: fs.ModeDir | 0o750},
		}, []wantFile{
			{name: "a", mode: fs.ModeDir | 0o750, noTime: true},
			{name: "a/b", mode: fs.ModeDir | 0o755, noTime: true},
			{name: "a/b/f", mode: 0o644, body: "f"},
		}},
		{"read-only dir filled", []zentry{
			{name: "ro/", mode: fs.ModeDir | 0o555},
			{name: "ro/inner/", mode: fs.ModeDir | 0o500},
			{name: "ro/inner/f", body: "f", mode: 0o444},
		}, []wantFile{
			{name: "ro", mode: fs.ModeDir | 0o555, noTime: true},
			{name: "ro/inner", mode: fs.ModeDir | 0o500, noTime: true},
			{name: "ro/inner/f", mode: 0o444, body: "f"},
		}},
		{"symlinks", []zentry{
			{name: "lib/real.so", body: "so", mode: 0o755},
			symlink("lib/link.so", "real.so"),
			symlink("current", "lib"),
		}, []wantFile{
			{name: "lib/real.so", mode: 0o755, body: "so"},
			{name: "lib/link.so", mode: fs.ModeSymlink, body: "real.so", noTime: true},
			{name: "current", mode: fs.ModeSymlink, body: "lib", noTime: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := extractTo(t, makeZip(t, tt.entries...), MaxUnzippedSize)
			if err != nil {
				t.Fatal(err)
			}
			checkTree(t, out, tt.want)
		})
	}
}

// checkTree checks the listed files of the tree at root, and that root is
// mode 0755.
func checkTree(t *testing.T, root string, want []wantFile) {
	t.Helper()
	fi, err := os.Stat(root)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != fs.ModeDir|0o755 {
		t.Errorf("root mode = %v, want drwxr-xr-x", fi.Mode())
	}
	for _, w := range want {
		p := filepath.Join(root, w.name)
		fi, err := os.Lstat(p)
		if err != nil {
			t.Errorf("%s: %v", w.name, err)
			continue
		}
		switch {
		case w.mode&fs.ModeSymlink != 0:
			if fi.Mode()&fs.ModeSymlink == 0 {
				t.Errorf("%s: mode %v, want a symlink", w.name, fi.Mode())
				continue
			}
			if target, _ := os.Readlink(p); target != w.body {
				t.Errorf("%s -> %q, want %q", w.name, target, w.body)
			}
			continue
		case fi.Mode() != w.mode:
			t.Errorf("%s: mode %v, want %v", w.name, fi.Mode(), w.mode)
		}
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil || string(b) != w.body {
				t.Errorf("%s: content %q, %v; want %q", w.name, b, err, w.body)
			}
		}
		if !w.noTime && !fi.ModTime().Equal(modTime) {
			t.Errorf("%s: modified %v, want %v", w.name, fi.ModTime(), modTime)
		}
	}
}

func TestExtractFixtures(t *testing.T) {
	tests := []struct {
		file string
		want []wantFile
	}{
		{"testdata/infozip.zip", []wantFile{
			{name: "bootstrap", mode: 0o755, body: "#!/bin/sh\necho hi\n", noTime: true},
			{name: "index.py", mode: 0o644, body: "def handler(e, c): return e\n", noTime: true},
			{name: "lib/real.so", mode: 0o644, body: "lib\n", noTime: true},
			{name: "lib/link.so", mode: fs.ModeSymlink, body: "real.so"},
			{name: "bin/libs", mode: fs.ModeSymlink, body: "../lib"},
			{name: "big.txt", mode: 0o644, body: strings.Repeat("x", 3000), noTime: true},
		}},
		{"testdata/windows.zip", []wantFile{
			{name: "handler.py", mode: 0o644, body: "def handler(e, c):\n    return \"windows\"\n", noTime: true},
			{name: "sub", mode: fs.ModeDir | 0o755, noTime: true},
			{name: "sub/mod.py", mode: 0o644, body: "X = 1\n", noTime: true},
			{name: "docs", mode: fs.ModeDir | 0o755, noTime: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			out, err := extractTo(t, b, MaxUnzippedSize)
			if err != nil {
				t.Fatal(err)
			}
			checkTree(t, out, tt.want)
			checkInside(t, out)
		})
	}
}

func TestExtractLimits(t *testing.T) {
	bomb := bytes.Repeat([]byte{0}, 4<<20) // deflates to a few KiB
	tests := []struct {
		name    string
		zip     []byte
		limit   int64
		wantMsg string
	}{
		// The zip reader stops at the declared size, so a lying entry never
		// writes more than it declared.
		{"declared smaller than content", rawZip(t, bomb, 1000, "bomb"), MaxUnzippedSize, msgUnzip},
		{"declared larger than content", rawZip(t, []byte("short"), 1000, "f"), MaxUnzippedSize, msgUnzip},
		{"declared over limit", rawZip(t, bomb, uint64(len(bomb)), "bomb"), 1 << 20, "Unzipped size must be smaller than 1048576 bytes"},
		{"sum over limit", rawZip(t, bomb, uint64(len(bomb)), "a", "b"), 6 << 20, "Unzipped size must be smaller than 6291456 bytes"},
		{"declared at limit", rawZip(t, bomb, uint64(len(bomb)), "bomb"), 4 << 20, ""},
		{"zero limit means default", rawZip(t, bomb, uint64(len(bomb)), "bomb"), 0, ""},
		{"corrupt deflate data", corruptData(t), MaxUnzippedSize, msgUnzip},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := extractTo(t, tt.zip, tt.limit)
			checkErr(t, err, tt.wantMsg)
		})
	}
}

// corruptData is a zip with a valid directory and garbled deflate data:
// Inspect accepts it, Extract must not.
func corruptData(t *testing.T) []byte {
	body := strings.Repeat("lambda ", 1000)
	z := makeZip(t, zentry{name: "f", body: body, mode: 0o644})
	if _, err := Inspect(z); err != nil {
		t.Fatal(err)
	}
	// The entry's data follows its 30-byte local header and name.
	for i := 31; i < 60; i++ {
		z[i] ^= 0x55
	}
	return z
}

func TestExtractTarget(t *testing.T) {
	z := makeZip(t, zentry{name: "bootstrap", body: "b", mode: 0o755})
	ctx := t.Context()
	t.Run("empty dir is replaced", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "out")
		os.Mkdir(dir, 0o700)
		if err := Extract(ctx, bytes.NewReader(z), int64(len(z)), dir, 0); err != nil {
			t.Fatal(err)
		}
		checkTree(t, dir, []wantFile{{name: "bootstrap", mode: 0o755, body: "b"}})
	})
	t.Run("non-empty dir", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "out")
		os.Mkdir(dir, 0o700)
		os.WriteFile(filepath.Join(dir, "keep"), []byte("k"), 0o600)
		err := Extract(ctx, bytes.NewReader(z), int64(len(z)), dir, 0)
		if !errors.Is(err, fs.ErrExist) {
			t.Fatalf("Extract = %v, want fs.ErrExist", err)
		}
		if got := list(t, filepath.Dir(dir)); !slices.Equal(got, []string{"out"}) {
			t.Errorf("parent holds %v", got)
		}
	})
	t.Run("file in the way", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "out")
		os.WriteFile(dir, nil, 0o600)
		if err := Extract(ctx, bytes.NewReader(z), int64(len(z)), dir, 0); !errors.Is(err, fs.ErrExist) {
			t.Fatalf("Extract = %v, want fs.ErrExist", err)
		}
	})
	t.Run("missing parent", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "no", "out")
		if err := Extract(ctx, bytes.NewReader(z), int64(len(z)), dir, 0); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("Extract = %v, want fs.ErrNotExist", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		parent := t.TempDir()
		err := Extract(cctx, bytes.NewReader(z), int64(len(z)), filepath.Join(parent, "out"), 0)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Extract = %v, want context.Canceled", err)
		}
		if got := list(t, parent); len(got) != 0 {
			t.Errorf("parent holds %v", got)
		}
	})
}

func TestExtractConcurrent(t *testing.T) {
	var entries []zentry
	for i := range 50 {
		entries = append(entries, zentry{name: filepath.Join("d", strings.Repeat("f", i+1)), body: strings.Repeat("x", i*100), mode: 0o644})
	}
	z := makeZip(t, entries...)
	parent := t.TempDir()
	dir := filepath.Join(parent, "sha")
	errs := make([]error, 4)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() { errs[i] = Extract(t.Context(), bytes.NewReader(z), int64(len(z)), dir, 0) })
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, fs.ErrExist):
			t.Errorf("Extract = %v, want nil or fs.ErrExist", err)
		}
	}
	if won != 1 {
		t.Errorf("%d extractions succeeded, want 1", won)
	}
	if got := list(t, parent); !slices.Equal(got, []string{"sha"}) {
		t.Errorf("parent holds %v, want only the extracted dir", got)
	}
	if got := list(t, filepath.Join(dir, "d")); len(got) != 50 {
		t.Errorf("extracted %d files, want 50", len(got))
	}
}

// The byte budget holds even when the declared sizes passed validation with
// a larger limit: the last line of defence if the zip reader let a lying
// entry through.
func TestExtractBudget(t *testing.T) {
	z := makeZip(t, zentry{name: "a", body: strings.Repeat("a", 3000)}, zentry{name: "b", body: strings.Repeat("b", 3000)})
	a, err := readArchive(bytes.NewReader(z), int64(len(z)), MaxUnzippedSize)
	if err != nil {
		t.Fatal(err)
	}
	err = writeTree(t.Context(), a, t.TempDir(), 5000)
	checkErr(t, err, "Unzipped size must be smaller than 5000 bytes")
}
