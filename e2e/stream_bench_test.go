package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambdad/lambdad/internal/eventstream"
	"github.com/lambdad/lambdad/internal/lambdadtest"
)

// BenchmarkInvokeStream compares, in one run, responses streamed through
// InvokeWithResponseStream with buffered Invoke, reporting the time to the
// first body byte (ttfb-p50-µs) beside the time to the end (ns/op). The
// function is goStreamer:
//
//   - size=1MiB: a 1 MiB strings.Reader, streamed and buffered;
//   - warm: an 8-byte answer through Invoke (the latency to beat);
//   - first-chunk-then-sleep: 8 bytes, a 100 ms pause, 8 more bytes, streamed
//     (its ttfb should be close to warm's, not 100 ms);
//   - size=50MB: streamed only (over Invoke's 6 MB limit), beside
//     mode=baseline: the same bytes from a plain net/http server process
//     with chunked transfer encoding (lambdadtest.EchoServer's /chunked).
//
// Run it with:
//
//	go test ./e2e -run '^$' -bench InvokeStream -count 6
func BenchmarkInvokeStream(b *testing.B) {
	d := lambdadtest.Start(b, lambdadtest.Options{})
	c := d.Client()
	in := createInput("big", lambdadtest.GoZip(b, goStreamer))
	// The function holds its 50 MB answer in memory while it streams it.
	in.MemorySize = aws.Int32(512)
	if _, err := c.CreateFunction(b.Context(), in); err != nil {
		b.Fatal(err)
	}
	const (
		streamPath   = "/2021-11-15/functions/big/response-streaming-invocations"
		bufferedPath = "/2015-03-31/functions/big/invocations"
	)
	readAll := func(r io.Reader) (int, error) {
		n, err := io.Copy(io.Discard, r)
		return int(n), err
	}
	baseline := lambdadtest.EchoServer(b)
	cases := []struct {
		name  string
		url   string
		path  string
		event string
		size  int
		read  func(io.Reader) (int, error)
	}{
		{"size=1MiB/mode=stream", d.URL, streamPath, `{"do":"big","n":1048576}`, 1 << 20, readEvents},
		{"size=1MiB/mode=buffered", d.URL, bufferedPath, `{"do":"big","n":1048576}`, 1 << 20, readAll},
		{"warm/mode=buffered", d.URL, bufferedPath, `{"do":"chunks","n":1}`, 8, readAll},
		{"first-chunk-then-sleep/mode=stream", d.URL, streamPath, `{"do":"chunks","n":2,"pause":100}`, 16, readEvents},
		{"size=50MB/mode=stream", d.URL, streamPath, `{"do":"big","n":50000000}`, 50_000_000, readEvents},
		{"size=50MB/mode=baseline", baseline, "/chunked?n=50000000", "", 50_000_000, readAll},
	}
	for _, tc := range cases {
		req := lambdadtest.Sign(b, tc.url, "POST", tc.path, []byte(tc.event))
		b.Run(tc.name, func(b *testing.B) {
			client := lambdadtest.KeepAliveClient(1)
			b.SetBytes(int64(tc.size))
			ttfb := make([]time.Duration, 0, b.N)
			once := func() time.Duration {
				hreq, err := http.NewRequest(req.Method, tc.url+req.Path, bytes.NewReader(req.Body))
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
				n, err := tc.read(fr)
				if err != nil || resp.StatusCode != 200 || n != tc.size {
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

// BenchmarkInvokeStreamSDK streams the 50 MB of BenchmarkInvokeStream to
// aws-sdk-go-v2's own event-stream reader, as an application would read it
// (BenchmarkInvokeStream decodes with lambdad's decoder, which costs the
// shared CPUs less):
//
//	go test ./e2e -run '^$' -bench InvokeStream -count 6
func BenchmarkInvokeStreamSDK(b *testing.B) {
	d := lambdadtest.Start(b, lambdadtest.Options{})
	c := streamClient(d)
	in := createInput("big", lambdadtest.GoZip(b, goStreamer))
	in.MemorySize = aws.Int32(512)
	if _, err := c.CreateFunction(b.Context(), in); err != nil {
		b.Fatal(err)
	}
	const size = 50_000_000
	b.SetBytes(size)
	for b.Loop() {
		out, err := c.InvokeWithResponseStream(b.Context(), &lambda.InvokeWithResponseStreamInput{
			FunctionName: aws.String("big"),
			Payload:      []byte(fmt.Sprintf(`{"do":"big","n":%d}`, size)),
		})
		if err != nil {
			b.Fatal(err)
		}
		n, complete := 0, false
		for ev := range out.GetStream().Events() {
			switch e := ev.(type) {
			case *types.InvokeWithResponseStreamResponseEventMemberPayloadChunk:
				n += len(e.Value.Payload)
			case *types.InvokeWithResponseStreamResponseEventMemberInvokeComplete:
				complete = e.Value.ErrorCode == nil
			}
		}
		if err := out.GetStream().Close(); err != nil {
			b.Fatal(err)
		}
		if n != size || !complete {
			b.Fatalf("read %d bytes, completed %v", n, complete)
		}
	}
}
