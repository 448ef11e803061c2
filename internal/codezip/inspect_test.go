package codezip

import (
	"archive/zip"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/lambdad/lambdad/internal/awserr"
)

const (
	msgUnzip    = "Could not unzip uploaded file. Please check your file, then try to upload again."
	msgUnzipped = "Unzipped size must be smaller than 262144000 bytes"
)

// archiveCases are zips with the verdict both Inspect and Extract must give.
var archiveCases = []struct {
	name    string
	entries []zentry
	wantMsg string // "" when the archive is valid
}{
	{"normal", []zentry{
		{name: "bootstrap", body: "#!/bin/sh\n", mode: 0o755},
		{name: "index.py", body: "def handler(e, c): pass\n", mode: 0o644},
	}, ""},
	{"nested dirs implied", []zentry{{name: "a/b/c/d.txt", body: "deep", mode: 0o644}}, ""},
	{"nested dirs explicit", []zentry{
		{name: "a/", mode: fs.ModeDir | 0o750},
		{name: "a/b/", mode: fs.ModeDir | 0o755},
		{name: "a/b/c.txt", body: "c", mode: 0o600},
		{name: "a/", mode: fs.ModeDir | 0o750},
	}, ""},
	{"windows modes", []zentry{{name: "handler.py", body: "x"}, {name: "sub/"}, {name: "sub/m.py", body: "y"}}, ""},
	{"dot slash names", []zentry{{name: "./"}, {name: "./bootstrap", body: "b", mode: 0o755}}, ""},
	{"empty", nil, ""},
	{"symlinks inside", []zentry{
		{name: "lib/real.so", body: "so", mode: 0o644},
		symlink("lib/link.so", "real.so"),
		symlink("current", "lib"),
		symlink("bin/up", "../lib/./real.so"),
		symlink("dangling", "missing/file"),
		symlink("self-dir", "."),
		symlink("via-link", "current/real.so"),
	}, ""},
	{"parent dir escape", []zentry{{name: "../evil", body: "x"}}, msgUnzip},
	{"absolute path", []zentry{{name: "/abs", body: "x"}}, msgUnzip},
	{"inner dotdot escape", []zentry{{name: "a/../../b", body: "x"}}, msgUnzip},
	{"harmless dotdot", []zentry{{name: "a/../b", body: "x"}}, msgUnzip},
	{"trailing dotdot", []zentry{{name: "a/..", body: "x"}}, msgUnzip},
	{"backslash", []zentry{{name: `a\..\..\b`, body: "x"}}, msgUnzip},
	{"NUL in name", []zentry{{name: "a\x00b", body: "x"}}, msgUnzip},
	{"long element", []zentry{{name: strings.Repeat("n", 256), body: "x"}}, msgUnzip},
	{"dot as file", []zentry{{name: ".", body: "x"}}, msgUnzip},
	{"symlink escape then write through", []zentry{
		symlink("link", "/etc"),
		{name: "link/passwd", body: "root::0:0::/:/bin/sh\n", mode: 0o644},
	}, msgUnzip},
	{"write through inner symlink", []zentry{
		{name: "d/", mode: fs.ModeDir | 0o755},
		symlink("link", "d"),
		{name: "link/f", body: "x", mode: 0o644},
	}, msgUnzip},
	{"symlink absolute target", []zentry{symlink("link", "/etc/passwd")}, msgUnzip},
	{"symlink relative escape", []zentry{symlink("a/link", "../../etc")}, msgUnzip},
	{"symlink escape via link to root", []zentry{symlink("l1", "."), symlink("l2", "l1/..")}, msgUnzip},
	{"symlink escape via chain", []zentry{symlink("d/l1", ".."), symlink("d/l2", "l1/../x")}, msgUnzip},
	{"symlink loop", []zentry{symlink("a", "b"), symlink("b", "a")}, msgUnzip},
	{"symlink empty target", []zentry{{name: "link", mode: fs.ModeSymlink | 0o777}}, msgUnzip},
	{"symlink with slash", []zentry{{name: "link/", mode: fs.ModeSymlink | 0o777}}, msgUnzip},
	{"file below file", []zentry{{name: "a", body: "x", mode: 0o644}, {name: "a/b", body: "y", mode: 0o644}}, msgUnzip},
	{"file below later file", []zentry{{name: "a/b", body: "y", mode: 0o644}, {name: "a", body: "x", mode: 0o644}}, msgUnzip},
	{"duplicate file", []zentry{{name: "f", body: "1", mode: 0o644}, {name: "f", body: "2", mode: 0o644}}, msgUnzip},
	{"file and dir of one name", []zentry{{name: "f/", mode: fs.ModeDir | 0o755}, {name: "f", body: "x", mode: 0o644}}, msgUnzip},
	{"device", []zentry{{name: "null", mode: fs.ModeDevice | fs.ModeCharDevice | 0o666}}, msgUnzip},
	{"fifo", []zentry{{name: "pipe", mode: fs.ModeNamedPipe | 0o666}}, msgUnzip},
	{"encrypted", []zentry{{name: "secret", body: "x", header: func(h *zip.FileHeader) { h.Flags |= 0x1 }}}, msgUnzip},
	{"unknown method", []zentry{{name: "f", body: "x", header: func(h *zip.FileHeader) { h.Method = 12 }}}, msgUnzip},
}

func TestInspect(t *testing.T) {
	for _, tt := range archiveCases {
		t.Run(tt.name, func(t *testing.T) {
			info, err := Inspect(makeZip(t, tt.entries...))
			checkErr(t, err, tt.wantMsg)
			if err == nil && info.Files+info.Dirs+info.Symlinks != len(info.modes) {
				t.Errorf("info counts %+v disagree with %d entries", info, len(info.modes))
			}
		})
	}
}

func TestInspectInfo(t *testing.T) {
	info, err := Inspect(makeZip(t,
		zentry{name: "./"},
		zentry{name: "bootstrap", body: "#!/bin/sh\n", mode: 0o4755},
		zentry{name: "lib/", mode: fs.ModeDir | 0o750},
		zentry{name: "lib/a.so", body: "12345", mode: 0o644},
		zentry{name: "win.txt", body: "w"},
		symlink("lib/b.so", "a.so"),
	))
	if err != nil {
		t.Fatal(err)
	}
	if info.Files != 3 || info.Dirs != 1 || info.Symlinks != 1 {
		t.Errorf("counts = %d files, %d dirs, %d symlinks; want 3, 1, 1", info.Files, info.Dirs, info.Symlinks)
	}
	if want := int64(len("#!/bin/sh\n") + 5 + 1 + len("a.so")); info.UnzippedSize != want {
		t.Errorf("UnzippedSize = %d, want %d", info.UnzippedSize, want)
	}
	lookups := []struct {
		name string
		mode fs.FileMode
		ok   bool
	}{
		{"bootstrap", 0o755, true}, // setuid dropped
		{"lib", fs.ModeDir | 0o750, true},
		{"lib/a.so", 0o644, true},
		{"lib/b.so", fs.ModeSymlink | 0o777, true},
		{"win.txt", 0o644, true},
		{"missing", 0, false},
		{".", 0, false},
	}
	for _, l := range lookups {
		mode, ok := info.Lookup(l.name)
		if mode != l.mode || ok != l.ok {
			t.Errorf("Lookup(%q) = %v, %v; want %v, %v", l.name, mode, ok, l.mode, l.ok)
		}
	}
}

func TestInspectSizes(t *testing.T) {
	tests := []struct {
		name       string
		zip        []byte
		wantCode   string
		wantMsg    string
		wantStatus int
	}{
		{"zipped too large", make([]byte, MaxZippedSize+1), awserr.RequestEntityTooLarge, "Zipped size must be smaller than 52428800 bytes", 413},
		{"declared unzipped too large", rawZip(t, []byte("small"), MaxUnzippedSize+1, "big"), awserr.InvalidParameterValue, msgUnzipped, 400},
		{"declared unzipped at limit", rawZip(t, []byte("small"), MaxUnzippedSize, "big"), "", "", 0},
		{"declared sum too large", rawZip(t, []byte("small"), MaxUnzippedSize/2+1, "a", "b"), awserr.InvalidParameterValue, msgUnzipped, 400},
		{"declared sum overflows", rawZip(t, []byte("small"), 1<<63, "a", "b"), awserr.InvalidParameterValue, msgUnzipped, 400},
		{"not a zip", []byte("this is not a zip file at all, just text"), awserr.InvalidParameterValue, msgUnzip, 400},
		{"no bytes", nil, awserr.InvalidParameterValue, msgUnzip, 400},
		{"truncated", makeZip(t, zentry{name: "f", body: "x", mode: 0o644})[:40], awserr.InvalidParameterValue, msgUnzip, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Inspect(tt.zip)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("Inspect: %v", err)
				}
				return
			}
			e, ok := awserr.As(err)
			if !ok {
				t.Fatalf("Inspect = %v, want an awserr", err)
			}
			if e.Code != tt.wantCode || e.Message != tt.wantMsg || e.HTTPStatus() != tt.wantStatus {
				t.Errorf("Inspect = %d %s %q; want %d %s %q", e.HTTPStatus(), e.Code, e.Message, tt.wantStatus, tt.wantCode, tt.wantMsg)
			}
		})
	}
}

func TestInspectTooManyDirs(t *testing.T) {
	deep := strings.Repeat("d/", maxDirs/100)
	var entries []zentry
	for i := range 101 {
		entries = append(entries, zentry{name: fmt.Sprintf("top%d/%sf", i, deep), mode: 0o644})
	}
	_, err := Inspect(makeZip(t, entries...))
	checkErr(t, err, msgUnzip)
}

// Real zips made by Info-ZIP (zip -r -y) and by a Windows-style writer.
func TestInspectFixtures(t *testing.T) {
	tests := []struct {
		file               string
		files, dirs, links int
	}{
		{"testdata/infozip.zip", 4, 2, 2},
		{"testdata/windows.zip", 2, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			info, err := Inspect(b)
			if err != nil {
				t.Fatal(err)
			}
			if info.Files != tt.files || info.Dirs != tt.dirs || info.Symlinks != tt.links {
				t.Errorf("counts = %d files, %d dirs, %d symlinks; want %d, %d, %d",
					info.Files, info.Dirs, info.Symlinks, tt.files, tt.dirs, tt.links)
			}
		})
	}
}

// checkErr checks that err is nil when wantMsg is empty, and otherwise an
// InvalidParameterValueException with message wantMsg.
func checkErr(t *testing.T, err error, wantMsg string) {
	t.Helper()
	if wantMsg == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	e, ok := awserr.As(err)
	if !ok {
		t.Fatalf("error = %v, want InvalidParameterValueException %q", err, wantMsg)
	}
	if e.Code != awserr.InvalidParameterValue || e.Message != wantMsg || e.HTTPStatus() != 400 {
		t.Errorf("error = %d %s %q, want 400 InvalidParameterValueException %q", e.HTTPStatus(), e.Code, e.Message, wantMsg)
	}
	t.Log(err)
}
