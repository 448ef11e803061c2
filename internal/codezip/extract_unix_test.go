//go:build unix

package codezip

import (
	"io/fs"
	"syscall"
	"testing"
)

// Modes are exact whatever the process umask.
func TestExtractIgnoresUmask(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	out, err := extractTo(t, makeZip(t,
		zentry{name: "bin/tool", body: "t", mode: 0o755},
		zentry{name: "etc/", mode: fs.ModeDir | 0o775},
	), 0)
	if err != nil {
		t.Fatal(err)
	}
	checkTree(t, out, []wantFile{
		{name: "bin", mode: fs.ModeDir | 0o755, noTime: true},
		{name: "bin/tool", mode: 0o755, body: "t"},
		{name: "etc", mode: fs.ModeDir | 0o775, noTime: true},
	})
}
