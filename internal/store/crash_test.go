package store

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// crashChildEnv, when set to a data directory, turns the test binary into
// the writer that TestCrashKeepsAcknowledgedWrites kills.
const crashChildEnv = "LAMBDAD_STORE_CRASH_CHILD_DIR"

const (
	crashKVBucket   = "crashkv"
	crashBlobBucket = "crashblobs"
	crashMaxWrites  = 2000
	crashMaxTime    = 20 * time.Second
)

// crashKey is the KV key written in round i of generation gen.
func crashKey(gen, i int) string { return fmt.Sprintf("g%d.k%05d", gen, i) }

// crashValue is the KV value written in round i of generation gen.
func crashValue(gen, i int) []byte {
	return []byte(strings.Repeat(fmt.Sprintf("value-%d-%d;", gen, i), 1+i%50))
}

// crashBlob is the blob written in round i of generation gen: up to two
// chunks, so that a kill may land in the middle of a multi-chunk Put.
func crashBlob(gen, i int) []byte {
	return pattern((i%3)*chunkSize/2+i, gen*crashMaxWrites+i+1000)
}

// crashChild is the writer the crash test kills. Its argument is
// "<generation>:<data dir>". It writes KV entries and blobs until killed,
// printing each one on stdout only after the store acknowledged it:
//
//	kv <i>
//	blob <i> <hex digest>
func crashChild(arg string) int {
	genStr, dir, _ := strings.Cut(arg, ":")
	gen, err := strconv.Atoi(genStr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bad %s %q\n", crashChildEnv, arg)
		return 2
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, cancel := context.WithTimeout(context.Background(), crashMaxTime)
	defer cancel()
	s, err := Open(ctx, Config{Dir: dir}, log)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer s.Close()
	kv, err := s.KeyValue(ctx, crashKVBucket)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	blobs, err := s.Blobs(ctx, crashBlobBucket)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	for i := 0; i < crashMaxWrites && ctx.Err() == nil; i++ {
		if _, err := kv.Put(ctx, crashKey(gen, i), crashValue(gen, i)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		fmt.Printf("kv %d\n", i)
		d, err := blobs.Put(ctx, crashBlob(gen, i))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		fmt.Printf("blob %d %s\n", i, d.Hex())
	}
	return 0
}

// acked is what one generation of the writer saw acknowledged.
type acked struct {
	gen   int
	kv    map[int]bool
	blobs map[int]Digest
}

// TestCrashKeepsAcknowledgedWrites SIGKILLs a writer process in the middle
// of writing, three times on the same data directory, and checks after each
// kill that every write any generation saw acknowledged survives intact.
func TestCrashKeepsAcknowledgedWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns writer processes")
	}
	dir := t.TempDir()
	var all []acked
	for gen := range 3 {
		a := runCrashChild(t, dir, gen, 5+4*gen)
		all = append(all, a)
		t.Logf("generation %d killed after %d kv and %d blob acknowledgements", gen, len(a.kv), len(a.blobs))
		verifyCrash(t, dir, all)
		if t.Failed() {
			return
		}
	}
}

// runCrashChild runs one writer generation on dir and SIGKILLs it once its
// KV write of round killAt is acknowledged, while it puts that round's blob.
func runCrashChild(t *testing.T, dir string, gen, killAt int) acked {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d:%s", crashChildEnv, gen, dir))
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	a := acked{gen: gen, kv: map[int]bool{}, blobs: map[int]Digest{}}
	killed := false
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "kv":
			i, _ := strconv.Atoi(f[1])
			a.kv[i] = true
			if i == killAt && !killed {
				if err := cmd.Process.Kill(); err != nil {
					t.Fatal(err)
				}
				killed = true
			}
		case len(f) == 3 && f[0] == "blob":
			i, _ := strconv.Atoi(f[1])
			d, err := ParseHex(f[2])
			if err != nil {
				t.Errorf("child printed %q: %v", sc.Text(), err)
			}
			a.blobs[i] = d
		default:
			t.Errorf("child printed %q", sc.Text())
		}
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("generation %d ended with %v, want killed by SIGKILL; stderr:\n%s", gen, err, stderr.String())
	}
	if len(a.kv) < killAt || len(a.blobs) < killAt {
		t.Fatalf("generation %d acknowledged only %d kv and %d blob writes; stderr:\n%s", gen, len(a.kv), len(a.blobs), stderr.String())
	}
	return a
}

// verifyCrash reopens dir and checks every acknowledged write of every
// generation, and that the Puts the kills interrupted are absent or whole.
func verifyCrash(t *testing.T, dir string, all []acked) {
	t.Helper()
	ctx := t.Context()
	s, err := Open(ctx, Config{Dir: dir}, testLogger(t))
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	kv, err := s.KeyValue(ctx, crashKVBucket)
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := s.Blobs(ctx, crashBlobBucket)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range all {
		for i := range a.kv {
			e, err := kv.Get(ctx, crashKey(a.gen, i))
			if err != nil {
				t.Errorf("generation %d: acknowledged key %d: %v", a.gen, i, err)
				continue
			}
			if !bytes.Equal(e.Value(), crashValue(a.gen, i)) {
				t.Errorf("generation %d: acknowledged key %d: value differs", a.gen, i)
			}
		}
		for i, d := range a.blobs {
			want := crashBlob(a.gen, i)
			if d != Sum(want) {
				t.Errorf("generation %d: blob %d acknowledged as %s, want %s", a.gen, i, d, Sum(want))
			}
			got, err := blobs.Get(ctx, d)
			if err != nil {
				t.Errorf("generation %d: acknowledged blob %d: %v", a.gen, i, err)
				continue
			}
			if !bytes.Equal(got, want) {
				t.Errorf("generation %d: acknowledged blob %d: content differs", a.gen, i)
			}
		}
		next := len(a.blobs)
		want := crashBlob(a.gen, next)
		got, err := blobs.Get(ctx, Sum(want))
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			t.Errorf("generation %d: interrupted blob %d: %v", a.gen, next, err)
		case !bytes.Equal(got, want):
			t.Errorf("generation %d: interrupted blob %d: content differs", a.gen, next)
		}
	}
}
