package lambdadtest

import (
	"bufio"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	echoOnce sync.Once
	echoPath string
	echoErr  error
)

// EchoServer starts the benchmark baseline (package echoserver) as its own
// process and returns its URL. It is stopped when the test ends.
func EchoServer(t testing.TB) string {
	t.Helper()
	echoOnce.Do(func() {
		echoPath = filepath.Join(scratch(), "echoserver")
		cmd := exec.Command("go", "build", "-o", echoPath, "./internal/lambdadtest/echoserver")
		cmd.Dir = moduleRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			echoErr = fmt.Errorf("build echoserver: %v\n%s", err, out)
		}
	})
	if echoErr != nil {
		t.Fatal(echoErr)
	}
	cmd := exec.Command(echoPath)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("echoserver address: %v", err)
	}
	return "http://" + strings.TrimSpace(line)
}
