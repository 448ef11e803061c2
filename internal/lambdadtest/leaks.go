package lambdadtest

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// MainWithLeakCheck runs a package's tests (call it from TestMain) and then
// fails the run if a goroutine whose stack mentions one of markers (such as
// "github.com/nats-io/" or "registry.(*Registry).Run") is still alive 5 s
// later: every component the tests started must have been stopped. It
// returns the exit code for os.Exit.
func MainWithLeakCheck(m *testing.M, markers ...string) int {
	code := m.Run()
	if code != 0 {
		return code
	}
	if err := checkLeaks(markers); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func checkLeaks(markers []string) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var leaked []string
		for _, g := range strings.Split(string(buf), "\n\n") {
			if upstreamStranded(g) {
				continue
			}
			for _, m := range markers {
				if strings.Contains(g, m) {
					leaked = append(leaked, g)
					break
				}
			}
		}
		if len(leaked) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d leaked goroutines, first:\n%s", len(leaked), leaked[0])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// upstreamStranded reports a goroutine that nats.go (v1.55.0) itself strands:
// ObjectStore.Put publishes through a private JetStream context whose first
// async publish starts resetPendingAcksOnReconnect, and Put's deferred
// cleanup can clear the status channel before that goroutine has read it, so
// it waits on a nil channel forever. Nothing in lambdad can stop it; every
// other nats goroutine must still be gone.
func upstreamStranded(stack string) bool {
	return strings.Contains(stack, "[chan receive (nil chan)") &&
		strings.Contains(stack, "jetstream.(*jetStream).resetPendingAcksOnReconnect")
}
