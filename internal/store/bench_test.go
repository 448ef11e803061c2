package store

import (
	"encoding/binary"
	"fmt"
	"testing"
)

func BenchmarkKVPut(b *testing.B) {
	s := openTest(b, b.TempDir())
	kv, err := s.KeyValue(b.Context(), "bench")
	if err != nil {
		b.Fatal(err)
	}
	value := pattern(512, 1)
	i := 0
	for b.Loop() {
		if _, err := kv.Put(b.Context(), fmt.Sprintf("k%d", i%1000), value); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkKVGet(b *testing.B) {
	s := openTest(b, b.TempDir())
	kv, err := s.KeyValue(b.Context(), "bench")
	if err != nil {
		b.Fatal(err)
	}
	for i := range 1000 {
		if _, err := kv.Put(b.Context(), fmt.Sprintf("k%d", i), pattern(512, i)); err != nil {
			b.Fatal(err)
		}
	}
	i := 0
	for b.Loop() {
		if _, err := kv.Get(b.Context(), fmt.Sprintf("k%d", i%1000)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkBlobPut1MiB(b *testing.B) {
	s := openTest(b, b.TempDir())
	blobs, err := s.Blobs(b.Context(), "bench")
	if err != nil {
		b.Fatal(err)
	}
	data := pattern(1<<20, 1)
	b.SetBytes(int64(len(data)))
	i := uint64(0)
	for b.Loop() {
		// New content each time, so that Put writes rather than dedups.
		binary.LittleEndian.PutUint64(data, i)
		if _, err := blobs.Put(b.Context(), data); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkBlobGet1MiB(b *testing.B) {
	s := openTest(b, b.TempDir())
	blobs, err := s.Blobs(b.Context(), "bench")
	if err != nil {
		b.Fatal(err)
	}
	data := pattern(1<<20, 1)
	d, err := blobs.Put(b.Context(), data)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := blobs.Get(b.Context(), d); err != nil {
			b.Fatal(err)
		}
	}
}
