package logs

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRing(t *testing.T) {
	tests := []struct {
		name   string
		writes []string
		want   string
	}{
		{"empty", nil, ""},
		{"small", []string{"abc", "def"}, "abcdef"},
		{"exactly full", []string{strings.Repeat("a", TailSize)}, strings.Repeat("a", TailSize)},
		{"wraps", []string{strings.Repeat("a", TailSize-2), "bcde"}, strings.Repeat("a", TailSize-4) + "bcde"},
		{"large write", []string{"xy", strings.Repeat("b", TailSize+10) + "end"}, strings.Repeat("b", TailSize-3) + "end"},
		{"large then small", []string{strings.Repeat("c", TailSize+5), "zz"}, strings.Repeat("c", TailSize-2) + "zz"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r ring
			all := ""
			for _, w := range tc.writes {
				r.write([]byte(w))
				all += w
			}
			if got := string(r.bytes()); got != tc.want {
				t.Errorf("bytes() = %q..., want %q...", head(got), head(tc.want))
			}
			if len(all) > TailSize && string(r.bytes()) != all[len(all)-TailSize:] {
				t.Errorf("bytes() is not the last %d bytes", TailSize)
			}
		})
	}
}

func head(s string) string {
	if len(s) > 20 {
		return s[:10] + "…" + s[len(s)-10:]
	}
	return s
}

// TestCaptureSeesOutputBeforeEnd runs a real process that writes and then
// signals; End must include everything it wrote before the signal.
func TestCaptureSeesOutputBeforeEnd(t *testing.T) {
	var stream syncBuffer
	c, err := NewCapture(&stream)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 20 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			c.Begin(AppendStart(nil, "req", "$LATEST"))
			cmd := exec.Command("sh", "-c", "echo out-line; echo err-line >&2")
			cmd.Stdout, cmd.Stderr = c.Writer(), c.Writer()
			if err := cmd.Run(); err != nil {
				t.Fatal(err)
			}
			tail := string(c.End(AppendEnd(nil, "req"), true))
			want := "START RequestId: req Version: $LATEST\nout-line\nerr-line\nEND RequestId: req\n"
			if tail != want {
				t.Fatalf("tail = %q, want %q", tail, want)
			}
		})
	}
	done := make(chan error, 1)
	go func() { done <- c.Run() }()
	cmd := exec.Command("sh", "-c", "echo between")
	cmd.Stdout = c.Writer()
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	c.CloseWriter()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after the writers closed")
	}
	if !strings.HasSuffix(stream.String(), "END RequestId: req\nbetween\n") {
		t.Errorf("stream ends %q", stream.String()[max(0, len(stream.String())-60):])
	}
}

func TestReportLine(t *testing.T) {
	tests := []struct {
		name string
		r    Report
		want string
	}{
		{"warm", Report{RequestID: "id", Duration: 2900 * time.Microsecond, MemorySizeMB: 128, MaxMemoryMB: 36},
			"REPORT RequestId: id\tDuration: 2.90 ms\tBilled Duration: 3 ms\tMemory Size: 128 MB\tMax Memory Used: 36 MB\t\n"},
		{"cold", Report{RequestID: "id", Duration: 3010 * time.Microsecond, MemorySizeMB: 256, MaxMemoryMB: 40, InitDuration: 110100 * time.Microsecond},
			"REPORT RequestId: id\tDuration: 3.01 ms\tBilled Duration: 4 ms\tMemory Size: 256 MB\tMax Memory Used: 40 MB\tInit Duration: 110.10 ms\t\n"},
		{"sub-millisecond bills one", Report{RequestID: "id", Duration: 80 * time.Microsecond, MemorySizeMB: 128, MaxMemoryMB: 1},
			"REPORT RequestId: id\tDuration: 0.08 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 1 MB\t\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(AppendReport(nil, tc.r)); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
	ts := time.Date(2026, 11, 23, 7, 31, 5, 118e6, time.UTC)
	if got, want := string(AppendTimeout(nil, ts, "id", time.Second)), "2026-11-23T07:31:05.118Z id Task timed out after 1.00 seconds\n"; got != want {
		t.Errorf("timeout line %q, want %q", got, want)
	}
}
