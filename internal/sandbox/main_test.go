//go:build linux

package sandbox_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lambdad/lambdad/internal/sandbox"
)

// helperEnv makes the test binary act as a runtime: the tests copy it into
// each code directory as /var/task/helper and run it with an action.
const helperEnv = "SANDBOX_TEST_HELPER"

func TestMain(m *testing.M) {
	// The test binary is the Manager's SelfExe, as lambdad is in production.
	if len(os.Args) > 1 && os.Args[1] == sandbox.InitSubcommand {
		os.Exit(sandbox.InitMain(os.Args[2:]))
	}
	// A copy named lambdad-init is an InitExe, as cmd/lambdad-init is.
	if filepath.Base(os.Args[0]) == sandbox.InitExeName {
		os.Exit(sandbox.InitMain(os.Args[1:]))
	}
	if os.Getenv(helperEnv) == "1" {
		os.Exit(helperMain(os.Args[1:]))
	}
	code := m.Run()
	if code == 0 {
		if err := checkGoroutines(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// checkGoroutines fails if a goroutine of the package outlives the tests.
func checkGoroutines() error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		var leaked []string
		for _, g := range strings.Split(stacks, "\n\n") {
			if strings.Contains(g, "internal/sandbox.") && !strings.Contains(g, "TestMain") && !strings.Contains(g, "checkGoroutines") {
				leaked = append(leaked, g)
			}
		}
		if len(leaked) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("leaked goroutines:\n%s", strings.Join(leaked, "\n\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// report is what the "report" action prints.
type report struct {
	Pid, UID, GID int
	Args          []string
	TestVar       string
	Cwd           string
	Hostname      string
	TaskData      string // content of data.txt in the working directory
	TaskWriteErr  string
	EtcWriteErr   string
	DevNullErr    string
	TmpDir        string
	TmpList       []string // the tmp directory before this one's marker was written
	TmpWriteErr   string
	TmpSizeMB     int64
	HiddenList    []string // entries of $TEST_HIDDEN
	WorkList      []string // entries of $TEST_WORKDIR
	NoFile        uint64
	DialErr       string
	Done          bool
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func list(dir string) []string {
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// helperMain runs an action in the sandbox; what it prints is read by the
// tests.
func helperMain(args []string) int {
	if len(args) == 0 {
		return 100
	}
	switch args[0] {
	case "report":
		r := report{Pid: os.Getpid(), UID: os.Getuid(), GID: os.Getgid(), Args: args, TestVar: os.Getenv("TEST_VAR")}
		r.Cwd, _ = os.Getwd()
		r.Hostname, _ = os.Hostname()
		data, _ := os.ReadFile("data.txt")
		r.TaskData = string(data)
		r.TaskWriteErr = errString(os.WriteFile("written.txt", nil, 0o644))
		r.EtcWriteErr = errString(os.WriteFile("/etc/lambdad-sandbox-test", nil, 0o644))
		r.DevNullErr = errString(os.WriteFile("/dev/null", []byte("x"), 0))
		r.TmpDir = os.TempDir()
		r.TmpList = list(r.TmpDir)
		r.TmpWriteErr = errString(os.WriteFile(filepath.Join(r.TmpDir, "marker-"+os.Getenv("TEST_MARK")), []byte("x"), 0o644))
		var st syscall.Statfs_t
		if syscall.Statfs(r.TmpDir, &st) == nil {
			r.TmpSizeMB = int64(st.Blocks) * int64(st.Bsize) >> 20
		}
		r.HiddenList = list(os.Getenv("TEST_HIDDEN"))
		r.WorkList = list(os.Getenv("TEST_WORKDIR"))
		var lim syscall.Rlimit
		_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
		r.NoFile = lim.Max
		if c, err := net.DialTimeout("tcp", os.Getenv("TEST_DIAL"), 5*time.Second); err != nil {
			r.DialErr = err.Error()
		} else {
			c.Close()
		}
		r.Done = true
		b, _ := json.Marshal(r)
		fmt.Printf("%s\n", b)
		if len(args) > 1 && args[1] == "stay" {
			select {}
		}
		return 0
	case "hold":
		// Connect to $TEST_DIAL, say so, and keep the connection open.
		c, err := net.DialTimeout("tcp", os.Getenv("TEST_DIAL"), 5*time.Second)
		if err != nil {
			fmt.Println("error", err)
			return 1
		}
		fmt.Println("connected", c.LocalAddr())
		select {}
	case "exit":
		code, _ := strconv.Atoi(args[1])
		return code
	case "sleep":
		fmt.Println("ready")
		select {}
	case "alloc":
		mb, _ := strconv.Atoi(args[1])
		var keep [][]byte
		for i := range mb {
			b := make([]byte, 1<<20)
			for j := 0; j < len(b); j += 4096 {
				b[j] = byte(i)
			}
			keep = append(keep, b)
		}
		fmt.Println("allocated", len(keep))
		return 0
	case "tree":
		// A tree that ignores SIGTERM: two children, each with a child of
		// its own, and with "escape" one more in a session of its own.
		signal.Ignore(syscall.SIGTERM)
		n := 2
		if len(args) > 1 && args[1] == "escape" {
			n = 3
		}
		for i := range n {
			mode := "tree-child"
			if i == 2 {
				mode = "sleep-ignore"
			}
			if err := startAndWaitUp(mode, i == 2); err != nil {
				fmt.Println("error", err)
				return 1
			}
		}
		fmt.Println("ready")
		select {}
	case "tree-child":
		signal.Ignore(syscall.SIGTERM)
		if err := startAndWaitUp("sleep-ignore", false); err != nil {
			fmt.Println("error", err)
			return 1
		}
		fmt.Println("up")
		select {}
	case "sleep-ignore":
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("up")
		select {}
	case "spawn":
		// Start up to n processes; print how many started.
		n, _ := strconv.Atoi(args[1])
		started := 0
		var err error
		for ; started < n; started++ {
			var pid int
			pid, err = syscall.ForkExec("/bin/sleep", []string{"sleep", "60"}, &syscall.ProcAttr{})
			if err != nil {
				break
			}
			_ = pid
		}
		fmt.Printf("started %d %v\n", started, err)
		return 0
	}
	return 100
}

// startAndWaitUp starts the helper again with mode and waits until it says
// "up".
func startAndWaitUp(mode string, setsid bool) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(exe, mode)
	cmd.Env = os.Environ()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: setsid}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "up\n" {
		return fmt.Errorf("%s said %q: %v", mode, line, err)
	}
	return nil
}
