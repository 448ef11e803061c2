package lambdadtest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// Credentials and account every harness daemon is started with.
const (
	AccessKeyID     = "AKIATESTLAMBDAD00001"
	SecretAccessKey = "test-secret-access-key-for-lambdad-00001"
	AccountID       = "123456789012"
	Region          = "us-east-1"
)

// Options adjust how a daemon is started.
type Options struct {
	// DataDir is reused when set (to test restarts); a fresh temporary
	// directory otherwise.
	DataDir string
	// Args are extra `lambdad serve` flags.
	Args []string
	// Env are extra environment variables.
	Env []string
}

// Daemon is a lambdad process started by a test.
type Daemon struct {
	t       testing.TB
	opts    Options
	cmd     *exec.Cmd
	URL     string // http://127.0.0.1:PORT
	Addr    string
	DataDir string

	mu      sync.Mutex
	stderr  bytes.Buffer
	done    chan struct{}
	waitErr error
}

type lockedWriter struct{ d *Daemon }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.d.mu.Lock()
	defer w.d.mu.Unlock()
	return w.d.stderr.Write(p)
}

// Start builds lambdad (once) and starts `lambdad serve` on a loopback port.
// The daemon is stopped, and its output checked for races and panics, when
// the test ends.
func Start(t testing.TB, opts Options) *Daemon {
	t.Helper()
	if opts.DataDir == "" {
		opts.DataDir = t.TempDir()
	}
	d := &Daemon{t: t, opts: opts, DataDir: opts.DataDir}
	d.start()
	t.Cleanup(func() { d.Stop() })
	return d
}

func (d *Daemon) start() {
	t := d.t
	t.Helper()
	addrFile := filepath.Join(d.DataDir, "lambdad.addr")
	os.Remove(addrFile)
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", d.DataDir, "--log-level", "debug"}, d.opts.Args...)
	cmd := exec.Command(Binary(t), args...)
	cmd.Env = append(os.Environ(),
		"LAMBDAD_ACCESS_KEY_ID="+AccessKeyID,
		"LAMBDAD_SECRET_ACCESS_KEY="+SecretAccessKey,
		"LAMBDAD_ACCOUNT_ID="+AccountID,
		"LAMBDAD_REGION="+Region,
	)
	cmd.Env = append(cmd.Env, d.opts.Env...)
	cmd.Stdout = lockedWriter{d}
	cmd.Stderr = lockedWriter{d}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start lambdad: %v", err)
	}
	d.cmd = cmd
	d.done = make(chan struct{})
	go func() {
		d.waitErr = cmd.Wait()
		close(d.done)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		data, err := os.ReadFile(addrFile)
		if err == nil && strings.HasSuffix(string(data), "\n") {
			d.Addr = strings.TrimSpace(string(data))
			d.URL = "http://" + d.Addr
			return
		}
		select {
		case <-d.done:
			t.Fatalf("lambdad exited before it was ready (%v):\n%s", d.waitErr, d.Output())
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("lambdad not ready after 30s:\n%s", d.Output())
		}
	}
}

// Output is everything the daemon printed so far.
func (d *Daemon) Output() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stderr.String()
}

// Pid is the daemon's process id.
func (d *Daemon) Pid() int { return d.cmd.Process.Pid }

// Stop sends SIGTERM and waits for a clean exit (SIGKILL after 20 s); it
// fails the test if the daemon reported a data race or a panic. Stop is
// idempotent.
func (d *Daemon) Stop() {
	d.t.Helper()
	if d.cmd == nil {
		return
	}
	select {
	case <-d.done:
	default:
		_ = d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.done:
		case <-time.After(20 * time.Second):
			_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
			<-d.done
			d.t.Errorf("lambdad did not stop within 20s of SIGTERM")
		}
	}
	d.check()
	d.cmd = nil
}

// Kill stops the daemon with SIGKILL, as a crash would.
func (d *Daemon) Kill() {
	d.t.Helper()
	_ = d.cmd.Process.Signal(syscall.SIGKILL)
	<-d.done
	d.check()
	d.cmd = nil
}

// Restart stops the daemon (gracefully, or with SIGKILL when kill is true) and
// starts it again on the same data directory, on a new port.
func (d *Daemon) Restart(kill bool) {
	d.t.Helper()
	if kill {
		d.Kill()
	} else {
		d.Stop()
	}
	d.mu.Lock()
	d.stderr.WriteString("\n--- restart ---\n")
	d.mu.Unlock()
	d.start()
}

func (d *Daemon) check() {
	out := d.Output()
	for _, bad := range []string{"DATA RACE", "panic:", "fatal error:"} {
		if strings.Contains(out, bad) {
			d.t.Errorf("lambdad output contains %q:\n%s", bad, out)
			return
		}
	}
}

// Credentials is the provider of the daemon's credentials.
func Credentials() aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: AccessKeyID, SecretAccessKey: SecretAccessKey, Source: "lambdadtest"}, nil
	})
}

// Client is an aws-sdk-go-v2 Lambda client for this daemon, as a user
// configures one with an endpoint URL. optFns adjust it (retries, credentials).
func (d *Daemon) Client(optFns ...func(*lambda.Options)) *lambda.Client {
	return NewClient(d.URL, optFns...)
}

// NewClient is a Lambda client for the lambdad at url.
func NewClient(url string, optFns ...func(*lambda.Options)) *lambda.Client {
	return lambda.New(lambda.Options{
		Region:       Region,
		BaseEndpoint: aws.String(url),
		Credentials:  Credentials(),
	}, optFns...)
}
