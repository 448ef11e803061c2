package lambdadtest

import (
	"archive/zip"
	"bytes"
	"sort"
	"testing"
)

// File is one entry of a deployment zip.
type File struct {
	Data []byte
	Mode uint32 // unix permission bits; 0 means 0644
}

// Exec is an executable file entry.
func Exec(data []byte) File { return File{Data: data, Mode: 0o755} }

// Zip builds a deployment package from files, in name order.
func Zip(t testing.TB, files map[string]File) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		f := files[name]
		mode := f.Mode
		if mode == 0 {
			mode = 0o644
		}
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		h.SetMode(fsMode(mode))
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(f.Data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// GoZip is the deployment zip of an aws-lambda-go function.
func GoZip(t testing.TB, source string) []byte {
	t.Helper()
	return Zip(t, map[string]File{"bootstrap": Exec(GoBootstrap(t, source))})
}

// ScriptZip is the deployment zip of a shell `bootstrap`.
func ScriptZip(t testing.TB, script string) []byte {
	t.Helper()
	return Zip(t, map[string]File{"bootstrap": Exec([]byte(script))})
}
