package runtimes

import (
	"bufio"
	"context"
	"encoding/binary"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// nodeEnv is the environment the Node client's tests run in: the caller's
// NODE_OPTIONS or NODE_EXTRA_CA_CERTS would only slow them down.
var nodeEnv = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"}

func lookNode(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"node", "nodejs"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no node or nodejs on PATH")
	return ""
}

// TestNodeConnection runs the Node client's randomised tests of its
// Runtime API connection (node/connection_test.js) with a new seed each
// time; a failure names the seed that reproduces it.
func TestNodeConnection(t *testing.T) {
	node := lookNode(t)
	seed := strconv.FormatInt(time.Now().UnixNano()%(1<<31)+1, 10)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "connection_test.js", "300", seed)
	cmd.Dir = "node"
	cmd.Env = nodeEnv
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok 300" {
		t.Fatalf("node connection_test.js 300 %s: %v\n%s", seed, err, out)
	}
}

// FuzzNodeResponse fuzzes the Node client's HTTP response parser: whatever
// the bytes, it must neither throw out of the parser nor depend on how the
// bytes are split into reads (node/connection_fuzz.js compares one piece,
// single bytes and 7-byte pieces). One node process serves every input of
// a fuzzing worker.
func FuzzNodeResponse(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nLambda-Runtime-Aws-Request-Id: x\r\n\r\nhi",
		"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;a=b\r\nhi\r\n1\r\n!\r\n0\r\nTrailer: v\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"HTTP/1.0 500 X\r\n\r\n",
		"garbage\r\n\r\n",
		"",
	} {
		f.Add([]byte(s))
	}
	node := lookNode(f)
	cmd := exec.Command(node, "connection_fuzz.js")
	cmd.Dir = "node"
	cmd.Env = nodeEnv
	stdin, err := cmd.StdinPipe()
	if err != nil {
		f.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		f.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	answers := bufio.NewReader(stdout)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		frame := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
		if _, err := stdin.Write(append(frame, data...)); err != nil {
			t.Fatalf("write to node: %v\n%s", err, stderr.String())
		}
		line, err := answers.ReadString('\n')
		if err != nil {
			t.Fatalf("node died on %q: %v\n%s", data, err, stderr.String())
		}
		if !strings.HasPrefix(line, "same ") {
			t.Fatalf("%q: the outcome depends on how the bytes arrive: %s", data, line)
		}
	})
}
