package codezip

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"
)

// packageZip is a node_modules-like package: n files of size bytes in
// nested directories, with a symlink per ten files.
func packageZip(b *testing.B, n, size int) []byte {
	var entries []zentry
	body := string(bytes.Repeat([]byte("module.exports = 1;\n"), size/20+1)[:size])
	for i := range n {
		dir := fmt.Sprintf("node_modules/pkg%d/lib", i/10)
		entries = append(entries, zentry{name: fmt.Sprintf("%s/f%d.js", dir, i), body: body, mode: 0o644})
		if i%10 == 0 {
			entries = append(entries, symlink(fmt.Sprintf("node_modules/.bin/tool%d", i), fmt.Sprintf("../pkg%d/lib/f%d.js", i/10, i)))
		}
	}
	return makeZip(b, entries...)
}

func BenchmarkInspect10kFiles(b *testing.B) {
	z := packageZip(b, 10_000, 100)
	b.SetBytes(int64(len(z)))
	for b.Loop() {
		if _, err := Inspect(z); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkExtract1kFiles(b *testing.B) {
	z := packageZip(b, 1000, 10_000)
	b.SetBytes(int64(len(z)))
	parent := b.TempDir()
	i := 0
	for b.Loop() {
		dir := filepath.Join(parent, fmt.Sprint(i))
		if err := Extract(b.Context(), bytes.NewReader(z), int64(len(z)), dir, 0); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
