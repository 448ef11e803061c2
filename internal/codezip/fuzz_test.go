package codezip

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdad/lambdad/internal/awserr"
)

// fuzzSeeds adds real zips: every archive case, the fixtures and the lying
// and corrupt zips of the limit tests.
func fuzzSeeds(f *testing.F) {
	for _, c := range archiveCases {
		f.Add(makeZip(f, c.entries...))
	}
	for _, name := range []string{"testdata/infozip.zip", "testdata/windows.zip"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(rawZip(f, bytes.Repeat([]byte{0}, 64<<10), 100, "bomb"))
	f.Add(rawZip(f, []byte("short"), 1<<40, "a", "b"))
	f.Add([]byte{})
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
}

func FuzzInspect(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, zip []byte) {
		info, err := Inspect(zip)
		if err != nil {
			if _, ok := awserr.As(err); !ok {
				t.Fatalf("Inspect returned a non-AWS error: %v", err)
			}
			return
		}
		if info.UnzippedSize < 0 || info.UnzippedSize > MaxUnzippedSize {
			t.Fatalf("UnzippedSize %d out of range", info.UnzippedSize)
		}
		if n := info.Files + info.Dirs + info.Symlinks; n != len(info.modes) {
			t.Fatalf("counts add up to %d, %d entries", n, len(info.modes))
		}
		for name := range info.modes {
			if !validName(name) || name != filepath.Clean(name) {
				t.Fatalf("accepted entry name %q", name)
			}
		}
	})
}

// FuzzExtract extracts into base/a/b/out and checks that nothing appears
// anywhere else under base, that nothing is left on error, and that no
// extracted symlink resolves outside out.
func FuzzExtract(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, zip []byte) {
		base := t.TempDir()
		parent := filepath.Join(base, "a", "b")
		if err := os.MkdirAll(parent, 0o755); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(parent, "out")
		err := Extract(t.Context(), bytes.NewReader(zip), int64(len(zip)), out, 1<<20)
		if err != nil {
			if _, ok := awserr.As(err); !ok {
				t.Fatalf("Extract returned a non-AWS error: %v", err)
			}
		}
		filepath.WalkDir(base, func(p string, d fs.DirEntry, werr error) error {
			if werr != nil {
				t.Fatalf("walk %s: %v", p, werr)
			}
			rel, _ := filepath.Rel(base, p)
			switch {
			case rel == "." || rel == "a" || rel == filepath.Join("a", "b"):
			case err == nil && (rel == filepath.Join("a", "b", "out") || strings.HasPrefix(rel, filepath.Join("a", "b", "out")+string(filepath.Separator))):
			default:
				t.Fatalf("Extract (err %v) left %s", err, rel)
			}
			return nil
		})
		if err == nil {
			checkInside(t, out)
		}
	})
}
