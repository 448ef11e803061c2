package sandbox

import (
	"io"
	"os"
	"sync"
	"time"
)

// stdio holds the standard files of a runtime. A writer that is not an
// *os.File gets a pipe and a goroutine copying into it, as in os/exec.
type stdio struct {
	files   [3]*os.File // stdin (/dev/null), stdout, stderr, for the child
	child   []*os.File  // lambdad's copies of the child's ends
	readers []*os.File  // read ends being copied
	copying sync.WaitGroup
}

func newStdio(stdout, stderr io.Writer) (*stdio, error) {
	s := &stdio{}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	s.child = append(s.child, null)
	s.files[0] = null
	if s.files[1], err = s.writerFile(stdout, null); err != nil {
		s.abort()
		return nil, err
	}
	if sameWriter(stdout, stderr) {
		s.files[2] = s.files[1]
	} else if s.files[2], err = s.writerFile(stderr, null); err != nil {
		s.abort()
		return nil, err
	}
	return s, nil
}

func (s *stdio) writerFile(w io.Writer, null *os.File) (*os.File, error) {
	if w == nil {
		return null, nil
	}
	if f, ok := w.(*os.File); ok && f != nil {
		return f, nil
	}
	r, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	s.child = append(s.child, pw)
	s.readers = append(s.readers, r)
	s.copying.Add(1)
	go func() {
		defer s.copying.Done()
		_, _ = io.Copy(w, r)
	}()
	return pw, nil
}

// sameWriter reports whether a and b are the same writer (false when they
// cannot be compared).
func sameWriter(a, b io.Writer) (same bool) {
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	return a == b
}

// handedOver closes lambdad's copies of the child's ends, once the child
// holds its own: the copies end at end of file when the runtime's tree is
// gone.
func (s *stdio) handedOver() {
	for _, f := range s.child {
		f.Close()
	}
	s.child = nil
}

// wait waits for the output to drain, at most delay once the runtime has
// exited: a process that escaped may hold the pipe open.
func (s *stdio) wait(delay time.Duration) {
	s.handedOver()
	for _, r := range s.readers {
		_ = r.SetReadDeadline(time.Now().Add(delay))
	}
	s.copying.Wait()
	for _, r := range s.readers {
		r.Close()
	}
	s.readers = nil
}

// abort stops the copying at once.
func (s *stdio) abort() { s.wait(0) }
