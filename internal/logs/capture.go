package logs

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// TailSize is how much of an invocation's log LogType Tail returns.
const TailSize = 4096

// Capture collects the output of one execution environment. The runtime
// writes into Writer (its stdout and stderr); Capture appends everything to
// the environment's stream, and keeps the last TailSize bytes of the current
// invocation for LogType Tail.
type Capture struct {
	w      *os.File // the pipe's write end, given to the runtime
	r      *os.File // the read end, non-blocking and in Go's poller
	raw    syscall.RawConn
	stream io.Writer

	// mu guards every read of the pipe and everything below, so a drain
	// under mu sees all bytes written before it started.
	mu   sync.Mutex
	tail ring
	buf  []byte
	err  error // first error writing the stream
	// During an invocation the stream is written once, at End (or when
	// pending grows past maxPending), to keep syscalls off the hot path.
	invoking bool
	pending  []byte
}

// maxPending is how much output an invocation buffers before writing it.
const maxPending = 64 << 10

// NewCapture creates the pipe of one environment whose output goes to
// stream. The caller gives Writer() to the runtime process, calls
// CloseWriter once the process has started, runs Run in a goroutine it owns,
// and Closes the capture after Run returns.
func NewCapture(stream io.Writer) (*Capture, error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return nil, fmt.Errorf("create log pipe: %w", err)
	}
	// Only the read end is non-blocking: the runtime must see an ordinary
	// blocking stdout.
	if err := unix.SetNonblock(p[0], true); err != nil {
		unix.Close(p[0])
		unix.Close(p[1])
		return nil, fmt.Errorf("set log pipe non-blocking: %w", err)
	}
	c := &Capture{
		r:      os.NewFile(uintptr(p[0]), "log-pipe-r"),
		w:      os.NewFile(uintptr(p[1]), "log-pipe-w"),
		stream: stream,
		buf:    make([]byte, 32<<10),
	}
	raw, err := c.r.SyscallConn()
	if err != nil {
		c.r.Close()
		c.w.Close()
		return nil, fmt.Errorf("log pipe raw conn: %w", err)
	}
	c.raw = raw
	return c, nil
}

// Writer is the pipe end the runtime writes to.
func (c *Capture) Writer() *os.File { return c.w }

// CloseWriter closes lambdad's copy of the write end, so that Run ends when
// the last process holding it exits.
func (c *Capture) CloseWriter() error { return c.w.Close() }

// Run copies the pipe into the stream until every writer has closed it. It
// returns nil at end of file.
func (c *Capture) Run() error {
	var readErr error
	err := c.raw.Read(func(fd uintptr) bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		eof, err := c.drainLocked(int(fd))
		if err != nil {
			readErr = err
			return true
		}
		return eof
	})
	if err != nil {
		return fmt.Errorf("read log pipe: %w", err)
	}
	return readErr
}

// drainLocked reads what the pipe holds now. It reports end of file.
func (c *Capture) drainLocked(fd int) (eof bool, err error) {
	for {
		n, err := unix.Read(fd, c.buf)
		switch {
		case n > 0:
			c.appendLocked(c.buf[:n])
		case err == unix.EINTR:
		case err == unix.EAGAIN:
			return false, nil
		case err != nil:
			return false, err
		default:
			return true, nil
		}
	}
}

func (c *Capture) appendLocked(p []byte) {
	c.tail.write(p)
	if c.invoking {
		c.pending = append(c.pending, p...)
		if len(c.pending) >= maxPending {
			c.flushLocked()
		}
		return
	}
	if c.err == nil {
		_, c.err = c.stream.Write(p)
	}
}

func (c *Capture) flushLocked() {
	if c.err == nil && len(c.pending) > 0 {
		_, c.err = c.stream.Write(c.pending)
	}
	c.pending = c.pending[:0]
}

// Begin starts a new invocation: it writes line (the START line) and resets
// the tail to it.
func (c *Capture) Begin(line []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tail.reset()
	c.invoking = true
	c.appendLocked(line)
}

// End drains what the runtime wrote before now, appends lines (the END and
// REPORT lines) and returns a copy of the invocation's tail when tail is set.
func (c *Capture) End(lines []byte, tail bool) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.raw.Control(func(fd uintptr) {
		_, _ = c.drainLocked(int(fd))
	})
	c.appendLocked(lines)
	c.flushLocked()
	c.invoking = false
	if !tail {
		return nil
	}
	return c.tail.bytes()
}

// Write appends platform lines outside an invocation (init failures).
func (c *Capture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.appendLocked(p)
	return len(p), nil
}

// Err is the first error writing the stream, if any.
func (c *Capture) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close releases the pipe. Call it after Run has returned, or to abandon
// the capture; it makes a running Run return.
func (c *Capture) Close() error {
	return errors.Join(c.r.Close(), ignoreClosed(c.w.Close()))
}

func ignoreClosed(err error) error {
	if errors.Is(err, os.ErrClosed) {
		return nil
	}
	return err
}

// ring keeps the last TailSize bytes written.
type ring struct {
	data [TailSize]byte
	n    int // total bytes written since reset
}

func (r *ring) reset() { r.n = 0 }

func (r *ring) write(p []byte) {
	if len(p) >= TailSize {
		copy(r.data[:], p[len(p)-TailSize:])
		r.n += len(p)
		// Align so that bytes() starts at index n%TailSize.
		shift := r.n % TailSize
		var tmp [TailSize]byte
		copy(tmp[shift:], r.data[:TailSize-shift])
		copy(tmp[:shift], r.data[TailSize-shift:])
		r.data = tmp
		return
	}
	start := r.n % TailSize
	k := copy(r.data[start:], p)
	copy(r.data[:], p[k:])
	r.n += len(p)
}

func (r *ring) bytes() []byte {
	if r.n <= TailSize {
		return append([]byte(nil), r.data[:r.n]...)
	}
	start := r.n % TailSize
	out := make([]byte, 0, TailSize)
	out = append(out, r.data[start:]...)
	return append(out, r.data[:start]...)
}
