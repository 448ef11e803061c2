// Command echoserver is the baseline of lambdad's benchmarks: a plain
// net/http server, run as its own process as lambdad is, that answers every
// request with its body (an empty body is a no-op answer). It prints its
// address on stdout once it listens.
//
// GET /chunked?n=N is the streaming baseline: N bytes sent with chunked
// transfer encoding, flushed every 64 KiB, as a streaming function's output
// travels.
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
)

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "echoserver:", err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().String())
	err = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/chunked" {
			chunked(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	}))
	fmt.Fprintln(os.Stderr, "echoserver:", err)
	os.Exit(1)
}

// chunked writes the n bytes the query asks for in flushed 64 KiB chunks.
func chunked(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.URL.Query().Get("n"))
	if err != nil || n < 0 {
		http.Error(w, "bad n", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	rc := http.NewResponseController(w)
	buf := make([]byte, 64<<10)
	for n > 0 {
		k := min(n, len(buf))
		if _, err := w.Write(buf[:k]); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
		n -= k
	}
}
