package lambdadtest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
	// buildDir holds everything this test process builds; it is shared by
	// the tests of one package and removed by the OS's tmp cleaning.
	buildDir     string
	buildDirOnce sync.Once
)

func scratch() string {
	buildDirOnce.Do(func() {
		var err error
		buildDir, err = os.MkdirTemp("", "lambdadtest-")
		if err != nil {
			panic(err)
		}
	})
	return buildDir
}

// moduleRoot finds the lambdad module's root from this source file.
func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Binary builds cmd/lambdad once per test process and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		buildPath = filepath.Join(scratch(), "lambdad")
		args := []string{"build", "-o", scratch() + string(filepath.Separator)}
		if raceEnabled {
			args = append(args, "-race")
		}
		// lambdad-init beside lambdad starts every isolated environment,
		// as it does for a user who builds ./cmd/... (see the README).
		args = append(args, "./cmd/lambdad", "./cmd/lambdad-init")
		cmd := exec.Command("go", args...)
		cmd.Dir = moduleRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build lambdad: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

var (
	goBuilds sync.Map // source hash -> *goBuild
)

type goBuild struct {
	once sync.Once
	path string
	err  error
}

// GoBootstrap builds main.go source of an aws-lambda-go function as a
// Lambda `bootstrap` (GOOS=linux, CGO_ENABLED=0, -tags lambda.norpc) and
// returns the binary's contents. Builds are cached by source within the test
// process. The function module uses the aws-lambda-go version of lambdad's
// own go.mod, so no download is needed beyond the module cache.
func GoBootstrap(t testing.TB, source string) []byte {
	t.Helper()
	sum := sha256.Sum256([]byte(source))
	key := hex.EncodeToString(sum[:8])
	v, _ := goBuilds.LoadOrStore(key, &goBuild{})
	b := v.(*goBuild)
	b.once.Do(func() { b.path, b.err = buildGoFunction(key, source) })
	if b.err != nil {
		t.Fatal(b.err)
	}
	data, err := os.ReadFile(b.path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func buildGoFunction(key, source string) (string, error) {
	dir := filepath.Join(scratch(), "fn-"+key)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	version, err := lambdaGoVersion()
	if err != nil {
		return "", err
	}
	gomod := "module fn\n\ngo 1.24\n\nrequire github.com/aws/aws-lambda-go " + version + "\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(source), 0o644); err != nil {
		return "", err
	}
	// go.sum: reuse lambdad's lines for aws-lambda-go.
	sums, err := os.ReadFile(filepath.Join(moduleRoot(), "go.sum"))
	if err != nil {
		return "", err
	}
	var keep []string
	for _, line := range strings.Split(string(sums), "\n") {
		if strings.HasPrefix(line, "github.com/aws/aws-lambda-go ") {
			keep = append(keep, line)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), []byte(strings.Join(keep, "\n")+"\n"), 0o644); err != nil {
		return "", err
	}
	out := filepath.Join(dir, "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=linux", "CGO_ENABLED=0", "GOFLAGS=-mod=mod", "GOWORK=off")
	if output, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build function %s: %v\n%s", key, err, output)
	}
	return out, nil
}

func lambdaGoVersion() (string, error) {
	data, err := os.ReadFile(filepath.Join(moduleRoot(), "go.mod"))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		for i, w := range f {
			if w == "github.com/aws/aws-lambda-go" && i+1 < len(f) {
				return f[i+1], nil
			}
		}
	}
	return "", fmt.Errorf("aws-lambda-go is not in lambdad's go.mod")
}
