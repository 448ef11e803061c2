package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func TestReopenKeepsData(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	data := bytes.Repeat([]byte("code"), 300_000) // 1.2 MB: two chunks

	s, err := Open(ctx, Config{Dir: dir}, testLogger(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	kv, err := s.KeyValue(ctx, "functions")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "fn.hello", []byte(`{"name":"hello"}`)); err != nil {
		t.Fatal(err)
	}
	blobs, err := s.Blobs(ctx, "code")
	if err != nil {
		t.Fatal(err)
	}
	d, err := blobs.Put(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}

	s = openTest(t, dir)
	kv, err = s.KeyValue(ctx, "functions")
	if err != nil {
		t.Fatal(err)
	}
	e, err := kv.Get(ctx, "fn.hello")
	if err != nil {
		t.Fatalf("kv Get after reopen: %v", err)
	}
	if got := string(e.Value()); got != `{"name":"hello"}` {
		t.Errorf("kv value = %q", got)
	}
	blobs, err = s.Blobs(ctx, "code")
	if err != nil {
		t.Fatal(err)
	}
	got, err := blobs.Get(ctx, d)
	if err != nil {
		t.Fatalf("blob Get after reopen: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Errorf("blob content differs after reopen (%d bytes, want %d)", len(got), len(data))
	}
}

func TestOpenLocked(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	first, err := Open(ctx, Config{Dir: dir}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	second, err := Open(ctx, Config{Dir: dir}, testLogger(t))
	if !errors.Is(err, ErrLocked) {
		if second != nil {
			second.Close()
		}
		first.Close()
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
	t.Logf("second Open: %v", err)
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	// The lock goes with the first store.
	openTest(t, dir)
}

func TestOpenConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no dir", Config{}},
		{"bad listen address", Config{Dir: t.TempDir(), ListenAddr: "localhost"}},
		{"bad listen port", Config{Dir: t.TempDir(), ListenAddr: "127.0.0.1:http"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(t.Context(), tt.cfg, testLogger(t))
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			t.Log(err)
		})
	}
}

func TestListenAddr(t *testing.T) {
	s, err := Open(t.Context(), Config{Dir: t.TempDir(), ListenAddr: "127.0.0.1:0"}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	kv, err := s.KeyValue(t.Context(), "shared")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(t.Context(), "k", []byte("v")); err != nil {
		t.Fatal(err)
	}

	// An external client sees the same data.
	nc, err := nats.Connect(s.ClientURL(), nats.Timeout(5*time.Second))
	if err != nil {
		t.Fatalf("connect to %s: %v", s.ClientURL(), err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ekv, err := js.KeyValue(t.Context(), "shared")
	if err != nil {
		t.Fatal(err)
	}
	e, err := ekv.Get(t.Context(), "k")
	if err != nil || string(e.Value()) != "v" {
		t.Fatalf("external Get = %v, %v", e, err)
	}
}

func TestKeyValueReopenBucket(t *testing.T) {
	s := openTest(t, t.TempDir())
	ctx := t.Context()
	a, err := s.KeyValue(ctx, "meta")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Create(ctx, "k", []byte("1")); err != nil {
		t.Fatal(err)
	}
	b, err := s.KeyValue(ctx, "meta")
	if err != nil {
		t.Fatalf("opening an existing bucket: %v", err)
	}
	if _, err := b.Create(ctx, "k", []byte("2")); !errors.Is(err, jetstream.ErrKeyExists) {
		t.Errorf("Create of an existing key = %v, want ErrKeyExists", err)
	}
	st, err := b.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.History() != 1 {
		t.Errorf("history = %d, want 1", st.History())
	}
	if _, err := s.KeyValue(ctx, "bad name"); err == nil {
		t.Error("bucket name with a space accepted")
	}
}

func TestBlobsRoundTrip(t *testing.T) {
	s := openTest(t, t.TempDir())
	blobs, err := s.Blobs(t.Context(), "code")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		size int
	}{
		{"empty", 0},
		{"one byte", 1},
		{"one chunk", chunkSize},
		{"chunk and a byte", chunkSize + 1},
		{"several chunks", 3*chunkSize + 17},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := pattern(tt.size, tt.size)
			d, err := blobs.Put(t.Context(), data)
			if err != nil {
				t.Fatal(err)
			}
			if d != Sum(data) {
				t.Fatalf("Put digest %s, want %s", d, Sum(data))
			}
			got, err := blobs.Get(t.Context(), d)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("Get returned %d bytes that differ from the %d put", len(got), len(data))
			}
			r, size, err := blobs.Open(t.Context(), d)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			_, err = buf.ReadFrom(r)
			r.Close()
			if err != nil {
				t.Fatalf("stream: %v", err)
			}
			if size != int64(len(data)) || !bytes.Equal(buf.Bytes(), data) {
				t.Fatalf("Open: size %d, %d bytes read, want %d", size, buf.Len(), len(data))
			}
		})
	}
}

func TestBlobsPutIdempotent(t *testing.T) {
	s := openTest(t, t.TempDir())
	ctx := t.Context()
	blobs, err := s.Blobs(ctx, "code")
	if err != nil {
		t.Fatal(err)
	}
	data := pattern(2*chunkSize+5, 1)
	d1, err := blobs.Put(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	before := streamMsgs(t, blobs)

	// Sequential and concurrent repeats write nothing.
	d2, err := blobs.Put(ctx, data)
	if err != nil || d2 != d1 {
		t.Fatalf("second Put = %s, %v; want %s", d2, err, d1)
	}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { _, errs[i] = blobs.Put(ctx, data) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("concurrent Put: %v", err)
		}
	}
	if after := streamMsgs(t, blobs); after != before {
		t.Errorf("stream holds %d messages after repeated Puts, want %d", after, before)
	}
}

func TestBlobsConcurrentFirstPut(t *testing.T) {
	s := openTest(t, t.TempDir())
	ctx := t.Context()
	blobs, err := s.Blobs(ctx, "code")
	if err != nil {
		t.Fatal(err)
	}
	data := pattern(3*chunkSize, 2)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { _, errs[i] = blobs.Put(ctx, data) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("concurrent Put: %v", err)
		}
	}
	// Three chunks and one metadata message: only one writer wrote.
	if got := streamMsgs(t, blobs); got != 4 {
		t.Errorf("stream holds %d messages, want 4", got)
	}
}

func TestBlobsMissing(t *testing.T) {
	s := openTest(t, t.TempDir())
	ctx := t.Context()
	blobs, err := s.Blobs(ctx, "code")
	if err != nil {
		t.Fatal(err)
	}
	missing := Sum([]byte("never stored"))
	if _, err := blobs.Get(ctx, missing); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get missing = %v, want ErrNotFound", err)
	}
	if _, _, err := blobs.Open(ctx, missing); !errors.Is(err, ErrNotFound) {
		t.Errorf("Open missing = %v, want ErrNotFound", err)
	}
	if err := blobs.Delete(ctx, missing); err != nil {
		t.Errorf("Delete missing = %v, want nil", err)
	}

	data := pattern(chunkSize+3, 3)
	d, err := blobs.Put(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	if err := blobs.Delete(ctx, d); err != nil {
		t.Fatal(err)
	}
	if _, err := blobs.Get(ctx, d); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get deleted = %v, want ErrNotFound", err)
	}
	if _, err := blobs.Put(ctx, data); err != nil {
		t.Fatalf("Put after Delete: %v", err)
	}
	if got, err := blobs.Get(ctx, d); err != nil || !bytes.Equal(got, data) {
		t.Errorf("Get after re-Put: %d bytes, %v", len(got), err)
	}
}

// A Put that failed after its metadata was stored leaves metadata without
// chunks; the next Put of the same content must repair it, not skip it.
func TestBlobsPutRepairsIncompleteObject(t *testing.T) {
	s := openTest(t, t.TempDir())
	ctx := t.Context()
	blobs, err := s.Blobs(ctx, "code")
	if err != nil {
		t.Fatal(err)
	}
	data := pattern(2*chunkSize, 4)
	d, err := blobs.Put(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	info, err := blobs.obs.GetInfo(ctx, d.Hex())
	if err != nil {
		t.Fatal(err)
	}
	subject := fmt.Sprintf("$O.%s.C.%s", blobs.bucket, info.NUID)
	if err := blobs.stream.Purge(ctx, jetstream.WithPurgeSubject(subject)); err != nil {
		t.Fatal(err)
	}
	if _, err := blobs.Put(ctx, data); err != nil {
		t.Fatal(err)
	}
	got, err := blobs.Get(ctx, d)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Get after repair: %d bytes, %v", len(got), err)
	}
}

func TestBlobsOpenCancelled(t *testing.T) {
	s := openTest(t, t.TempDir())
	blobs, err := s.Blobs(t.Context(), "code")
	if err != nil {
		t.Fatal(err)
	}
	d, err := blobs.Put(t.Context(), pattern(4*chunkSize, 5))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	r, _, err := blobs.Open(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cancel()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r); err == nil {
		t.Fatal("read of a cancelled Open succeeded")
	}
}

// pattern returns size deterministic pseudo-random bytes that differ per
// seed.
func pattern(size, seed int) []byte {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], uint64(seed))
	b := make([]byte, size)
	rand.NewChaCha8(key).Read(b)
	return b
}

func streamMsgs(t *testing.T, b *Blobs) uint64 {
	t.Helper()
	si, err := b.stream.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return si.State.Msgs
}
