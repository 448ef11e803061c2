package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/lambdad/lambdad/internal/eventstream"
	"github.com/lambdad/lambdad/internal/lambdadtest"
)

// BenchmarkInvokeStream compares, in one run, a 1 MiB response streamed
// through InvokeWithResponseStream with the same response through buffered
// Invoke: time to the first body byte (ttfb) and to the end (ns/op). The
// function is goStreamer returning a 1 MiB strings.Reader.
//
//	go test ./e2e -run '^$' -bench InvokeStream -count 6
func BenchmarkInvokeStream(b *testing.B) {
	d := lambdadtest.Start(b, lambdadtest.Options{})
	c := d.Client()
	if _, err := c.CreateFunction(b.Context(), createInput("big", lambdadtest.GoZip(b, goStreamer))); err != nil {
		b.Fatal(err)
	}
	const size = 1 << 20
	event := []byte(fmt.Sprintf(`{"do":"big","n":%d}`, size))
	modes := []struct {
		name string
		path string
		read func(io.Reader) (int, error)
	}{
		{"stream", "/2021-11-15/functions/big/response-streaming-invocations", readEvents},
		{"buffered", "/2015-03-31/functions/big/invocations", func(r io.Reader) (int, error) {
			n, err := io.Copy(io.Discard, r)
			return int(n), err
		}},
	}
	for _, m := range modes {
		req := lambdadtest.Sign(b, d.URL, "POST", m.path, event)
		b.Run("mode="+m.name, func(b *testing.B) {
			client := lambdadtest.KeepAliveClient(1)
			b.SetBytes(size)
			ttfb := make([]time.Duration, 0, b.N)
			once := func() time.Duration {
				hreq, err := http.NewRequest(req.Method, d.URL+req.Path, bytes.NewReader(req.Body))
				if err != nil {
					b.Fatal(err)
				}
				hreq.Header = req.Header.Clone()
				start := time.Now()
				resp, err := client.Do(hreq)
				if err != nil {
					b.Fatal(err)
				}
				defer resp.Body.Close()
				fr := &firstByte{r: resp.Body}
				n, err := m.read(fr)
				if err != nil || resp.StatusCode != 200 || n != size {
					b.Fatalf("status %d, %d bytes, %v", resp.StatusCode, n, err)
				}
				return fr.at.Sub(start)
			}
			once() // warm the environment and the connection
			b.ResetTimer()
			for range b.N {
				ttfb = append(ttfb, once())
			}
			b.StopTimer()
			slices.Sort(ttfb)
			b.ReportMetric(float64(ttfb[len(ttfb)/2].Microseconds()), "ttfb-p50-µs")
		})
	}
}

// readEvents reads an event stream and returns the PayloadChunk bytes.
func readEvents(r io.Reader) (int, error) {
	dec := eventstream.NewDecoder(r)
	n := 0
	for {
		m, err := dec.Decode()
		if err != nil {
			return n, err
		}
		switch m.GetString(eventstream.HeaderEventType) {
		case "PayloadChunk":
			n += len(m.Payload)
		case "InvokeComplete":
			if string(m.Payload) != "{}" {
				return n, fmt.Errorf("InvokeComplete %s", m.Payload)
			}
			return n, nil
		}
	}
}

// firstByte records when the first byte was read.
type firstByte struct {
	r  io.Reader
	at time.Time
}

func (f *firstByte) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if n > 0 && f.at.IsZero() {
		f.at = time.Now()
	}
	return n, err
}
