package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// ErrNotFound is returned by Blobs.Get and Blobs.Open when no complete blob
// with the digest is stored (never written, deleted, or a Put that did not
// return success).
var ErrNotFound = errors.New("blob not found")

const (
	// chunkSize is the object store chunk: a 250 MB layer is 250 messages,
	// well below maxPayload each.
	chunkSize = 1 << 20

	// maxReadTime bounds a read started with a ctx that has no deadline. The
	// object store client would otherwise apply its 5 second request timeout
	// to the whole transfer, too short to stream 250 MB to a slow client.
	maxReadTime = time.Hour
)

// Blobs is a content-addressed store of immutable byte strings (code zips,
// layer archives): one JetStream object store bucket whose object names are
// the hex sha256 of their content. It is safe for concurrent use.
//
// Deleting is the caller's business: Blobs keeps no reference counts, so a
// blob shared by several functions must only be deleted when none uses it.
type Blobs struct {
	bucket string
	obs    jetstream.ObjectStore
	stream jetstream.Stream // the bucket's backing stream, to count chunks
	locks  *digestLocks
}

// Blobs creates the object store bucket, or opens it if it exists, with file
// storage. Bucket names are letters, digits, '-' and '_'.
func (s *Store) Blobs(ctx context.Context, bucket string) (*Blobs, error) {
	obs, err := s.js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket:   bucket,
		Storage:  jetstream.FileStorage,
		Replicas: replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("open blob bucket %s: %w", bucket, err)
	}
	// The stream name is the object store's documented naming scheme.
	stream, err := s.js.Stream(ctx, "OBJ_"+bucket)
	if err != nil {
		return nil, fmt.Errorf("open blob bucket %s stream: %w", bucket, err)
	}
	return &Blobs{bucket: bucket, obs: obs, stream: stream, locks: s.blobLocks(bucket)}, nil
}

// Put stores data under its digest and returns the digest. It returns only
// after every chunk and the object's metadata are acknowledged, so a caller
// may then record the digest elsewhere (write blobs before the metadata that
// names them).
//
// Put is idempotent: if a complete blob with this digest is already stored,
// nothing is written. Puts of the same digest through this Store are
// serialised; two processes racing on one digest (cluster mode) both write,
// and one copy's chunks are left unreferenced.
func (b *Blobs) Put(ctx context.Context, data []byte) (Digest, error) {
	d := Sum(data)
	unlock, err := b.locks.lock(ctx, d)
	if err != nil {
		return Digest{}, fmt.Errorf("put blob %s: %w", d, err)
	}
	defer unlock()

	ok, err := b.complete(ctx, d, uint64(len(data)))
	if err != nil {
		return Digest{}, fmt.Errorf("put blob %s: %w", d, err)
	}
	if ok {
		return d, nil
	}
	// A failed earlier Put can leave metadata without its chunks; this Put
	// replaces that metadata (the object store rolls it up) and the new
	// chunks are stored before the new metadata is.
	meta := jetstream.ObjectMeta{
		Name: d.Hex(),
		Opts: &jetstream.ObjectMetaOptions{ChunkSize: chunkSize},
	}
	info, err := b.obs.Put(ctx, meta, bytes.NewReader(data))
	if err != nil {
		return Digest{}, fmt.Errorf("put blob %s: %w", d, err)
	}
	if info.Digest != d.objectDigest() {
		// The object store hashed different bytes than we did.
		return Digest{}, fmt.Errorf("put blob %s: stored digest %s does not match", d, info.Digest)
	}
	return d, nil
}

// complete reports whether a blob with digest d and the given size is stored
// with all its chunks.
func (b *Blobs) complete(ctx context.Context, d Digest, size uint64) (bool, error) {
	info, err := b.obs.GetInfo(ctx, d.Hex())
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look up existing copy: %w", err)
	}
	if info.Digest != d.objectDigest() || info.Size != size {
		return false, nil
	}
	if info.Chunks == 0 {
		return true, nil
	}
	subject := fmt.Sprintf("$O.%s.C.%s", b.bucket, info.NUID)
	si, err := b.stream.Info(ctx, jetstream.WithSubjectFilter(subject))
	if err != nil {
		return false, fmt.Errorf("count chunks of existing copy: %w", err)
	}
	return si.State.Subjects[subject] == uint64(info.Chunks), nil
}

// Get returns the content of the blob with digest d, or ErrNotFound. The
// content is checked against d while it is read.
func (b *Blobs) Get(ctx context.Context, d Digest) ([]byte, error) {
	r, size, err := b.Open(ctx, d)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	buf := bytes.NewBuffer(make([]byte, 0, size+1))
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, err
	}
	if int64(buf.Len()) != size {
		return nil, fmt.Errorf("get blob %s: read %d bytes, want %d", d, buf.Len(), size)
	}
	return buf.Bytes(), nil
}

// Open starts a streaming read of the blob with digest d and returns it with
// its size, or ErrNotFound. The reader fails at its end if the content does
// not match d. Reading stops with an error when ctx ends; if ctx has no
// deadline the whole read is bounded by an hour. The caller must Close the
// reader.
func (b *Blobs) Open(ctx context.Context, d Digest) (io.ReadCloser, int64, error) {
	cancel := context.CancelFunc(func() {})
	if _, ok := ctx.Deadline(); !ok {
		ctx, cancel = context.WithTimeout(ctx, maxReadTime)
	}
	res, err := b.obs.Get(ctx, d.Hex())
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		cancel()
		return nil, 0, fmt.Errorf("get blob %s: %w", d, ErrNotFound)
	}
	if err != nil {
		cancel()
		return nil, 0, fmt.Errorf("get blob %s: %w", d, err)
	}
	info, err := res.Info()
	if err == nil && info.Digest != d.objectDigest() {
		err = fmt.Errorf("stored digest %s does not match", info.Digest)
	}
	if err != nil {
		res.Close()
		cancel()
		return nil, 0, fmt.Errorf("get blob %s: %w", d, err)
	}
	return &blobReader{d: d, res: res, cancel: cancel}, int64(info.Size), nil
}

// blobReader adds context to read errors and releases the read's context.
type blobReader struct {
	d      Digest
	res    jetstream.ObjectResult
	cancel context.CancelFunc
}

func (r *blobReader) Read(p []byte) (int, error) {
	n, err := r.res.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("read blob %s: %w", r.d, err)
	}
	return n, err
}

func (r *blobReader) Close() error {
	err := r.res.Close()
	r.cancel()
	return err
}

// Delete removes the blob with digest d. Deleting a missing blob is not an
// error. A concurrent Open of the same blob may fail.
func (b *Blobs) Delete(ctx context.Context, d Digest) error {
	unlock, err := b.locks.lock(ctx, d)
	if err != nil {
		return fmt.Errorf("delete blob %s: %w", d, err)
	}
	defer unlock()
	err = b.obs.Delete(ctx, d.Hex())
	if err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
		return fmt.Errorf("delete blob %s: %w", d, err)
	}
	return nil
}

// digestLocks serialises writers of one digest in one bucket.
type digestLocks struct {
	mu   sync.Mutex
	busy map[Digest]chan struct{} // closed when the holder unlocks
}

// blobLocks returns the locks of bucket, shared by every Blobs of this Store.
func (s *Store) blobLocks(bucket string) *digestLocks {
	s.locksMu.Lock()
	defer s.locksMu.Unlock()
	if s.locks == nil {
		s.locks = make(map[string]*digestLocks)
	}
	l := s.locks[bucket]
	if l == nil {
		l = &digestLocks{busy: make(map[Digest]chan struct{})}
		s.locks[bucket] = l
	}
	return l
}

// lock waits until no one else holds d, or ctx ends, and returns the unlock
// function.
func (l *digestLocks) lock(ctx context.Context, d Digest) (func(), error) {
	for {
		l.mu.Lock()
		held, ok := l.busy[d]
		if !ok {
			done := make(chan struct{})
			l.busy[d] = done
			l.mu.Unlock()
			return func() {
				l.mu.Lock()
				delete(l.busy, d)
				l.mu.Unlock()
				close(done)
			}, nil
		}
		l.mu.Unlock()
		select {
		case <-held:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
