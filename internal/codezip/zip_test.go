package codezip

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"hash/crc32"
	"io/fs"
	"testing"
	"time"
)

// zentry is one entry of a test zip.
type zentry struct {
	name string
	body string
	// mode, when non-zero, is recorded as unix mode (creator Unix); zero
	// leaves the entry without unix mode, as Windows tools write it.
	mode fs.FileMode
	// header, when set, adjusts the header before it is written.
	header func(*zip.FileHeader)
}

var modTime = time.Date(2024, 5, 6, 7, 8, 10, 0, time.UTC)

// makeZip builds a zip in memory.
func makeZip(t testing.TB, entries ...zentry) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, e := range entries {
		fh := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: modTime}
		if e.mode != 0 {
			fh.SetMode(e.mode)
		}
		if e.header != nil {
			e.header(fh)
		}
		create := w.CreateHeader
		if fh.Method != zip.Store && fh.Method != zip.Deflate {
			// No compressor for it: write the body as if compressed.
			fh.CRC32 = crc32.ChecksumIEEE([]byte(e.body))
			fh.CompressedSize64 = uint64(len(e.body))
			fh.UncompressedSize64 = uint64(len(e.body))
			create = w.CreateRaw
		}
		f, err := create(fh)
		if err != nil {
			t.Fatalf("zip entry %q: %v", e.name, err)
		}
		if _, err := f.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rawZip builds a zip whose entries (one per name) declare an uncompressed
// size of declared but contain body deflated: a zip that may lie.
func rawZip(t testing.TB, body []byte, declared uint64, names ...string) []byte {
	t.Helper()
	var comp bytes.Buffer
	fw, err := flate.NewWriter(&comp, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(body)
	fw.Close()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, name := range names {
		fh := &zip.FileHeader{
			Name:               name,
			Method:             zip.Deflate,
			CRC32:              crc32.ChecksumIEEE(body),
			CompressedSize64:   uint64(comp.Len()),
			UncompressedSize64: declared,
		}
		fh.SetMode(0o644)
		f, err := w.CreateRaw(fh)
		if err != nil {
			t.Fatal(err)
		}
		f.Write(comp.Bytes())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func symlink(name, target string) zentry {
	return zentry{name: name, body: target, mode: fs.ModeSymlink | 0o777}
}
