package scheduler

import (
	"archive/zip"
	"bytes"
	"context"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lambdad/lambdad/internal/store"
)

// layerZip builds a zip: names ending in "/" are directories, "->" marks a
// symlink ("link->target"), the rest are files with the given content.
func layerZip(t *testing.T, entries map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	names := make([]string, 0, len(entries))
	for n := range entries {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		h := &zip.FileHeader{Name: n, Method: zip.Deflate}
		content := entries[n]
		switch {
		case strings.HasSuffix(n, "/"):
			h.SetMode(fs.ModeDir | 0o755)
		case strings.Contains(n, "->"):
			name, target, _ := strings.Cut(n, "->")
			h.Name = name
			h.SetMode(fs.ModeSymlink | 0o777)
			content = target
		default:
			h.SetMode(0o644)
		}
		f, err := w.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// tree lists dir as "path=content", "path/" and "path->target" lines.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out = append(out, rel+"->"+target)
		case d.IsDir():
			out = append(out, rel+"/")
		default:
			b, _ := os.ReadFile(p)
			out = append(out, rel+"="+string(b))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestOptDirMergesLayersInOrder(t *testing.T) {
	zips := map[store.Digest][]byte{}
	add := func(entries map[string]string) store.Digest {
		z := layerZip(t, entries)
		d := store.Sum(z)
		zips[d] = z
		return d
	}
	first := add(map[string]string{
		"shared.txt":           "first",
		"only-first.txt":       "1",
		"lib/":                 "",
		"lib/a.so":             "a1",
		"becomes-dir":          "file in first",
		"link->only-first.txt": "",
		"dir-becomes-file/":    "",
		"dir-becomes-file/x":   "x",
	})
	second := add(map[string]string{
		"shared.txt":        "second",
		"lib/b.so":          "b2",
		"becomes-dir/inner": "dir in second",
		"link->lib":         "",
		"dir-becomes-file":  "file in second",
	})
	s, err := New(Config{
		CodeDir: t.TempDir(),
		Code: func(_ context.Context, d store.Digest) ([]byte, error) {
			return zips[d], nil
		},
	}, nil, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}

	dir, err := s.optDir(t.Context(), []store.Digest{first, second})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"becomes-dir/", "becomes-dir/inner=dir in second",
		"dir-becomes-file=file in second",
		"lib/", "lib/a.so=a1", "lib/b.so=b2",
		"link->lib",
		"only-first.txt=1",
		"shared.txt=second",
	}
	if got := tree(t, dir); !slices.Equal(got, want) {
		t.Errorf("merged tree:\n got %q\nwant %q", got, want)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("merged dir mode: %v, %v", fi, err)
	}
	// The layers' own directories are untouched.
	firstDir, _ := s.extract(t.Context(), first)
	if got := tree(t, firstDir); !slices.Contains(got, "shared.txt=first") || !slices.Contains(got, "becomes-dir=file in first") {
		t.Errorf("first layer's tree changed: %q", got)
	}

	// The same list again is the same directory; another order is another.
	again, err := s.optDir(t.Context(), []store.Digest{first, second})
	if err != nil || again != dir {
		t.Errorf("second optDir = %q, %v; want %q", again, err, dir)
	}
	reversed, err := s.optDir(t.Context(), []store.Digest{second, first})
	if err != nil || reversed == dir {
		t.Fatalf("reversed optDir = %q, %v", reversed, err)
	}
	if got := tree(t, reversed); !slices.Contains(got, "shared.txt=first") || !slices.Contains(got, "becomes-dir=file in first") {
		t.Errorf("reversed merge: %q", got)
	}
	// One layer is its own directory; none is no directory.
	if one, err := s.optDir(t.Context(), []store.Digest{first}); err != nil || one != firstDir {
		t.Errorf("one layer: %q, %v", one, err)
	}
	if none, err := s.optDir(t.Context(), nil); err != nil || none != "" {
		t.Errorf("no layers: %q, %v", none, err)
	}
}

func TestOptPaths(t *testing.T) {
	env := []string{"PATH=/var/lang/bin:/usr/bin:/opt/bin", "LD_LIBRARY_PATH=/lib64:/opt/lib", "NODE_PATH=/opt/nodejs/node_modules:/var/runtime", "HOME=/opt/not-a-path-list", "OPTX=/opt"}
	if got := optPaths(env, "/data/opt-1", false); !slices.Equal(got, env) {
		t.Errorf("isolated: %q", got)
	}
	if got := optPaths(env, "", true); !slices.Equal(got, env) {
		t.Errorf("no layers: %q", got)
	}
	want := []string{"PATH=/var/lang/bin:/usr/bin:/data/opt-1/bin", "LD_LIBRARY_PATH=/lib64:/data/opt-1/lib", "NODE_PATH=/data/opt-1/nodejs/node_modules:/var/runtime", "HOME=/opt/not-a-path-list", "OPTX=/opt", "LAMBDAD_OPT_DIR=/data/opt-1"}
	if got := optPaths(env, "/data/opt-1", true); !slices.Equal(got, want) {
		t.Errorf("unisolated:\n got %q\nwant %q", got, want)
	}
}
