package daemon

import (
	"debug/buildinfo"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"

	"github.com/lambdad/lambdad/internal/sandbox"
)

// FindInitExe returns the lambdad-init beside the binary at self, for
// sandbox.Config.InitExe: "" with a nil error when there is none (go run builds
// lambdad alone), and "" with an error saying why when there is one that
// does not come from the same build as the running program (the same Go
// version, module version and VCS revision), whose protocol with lambdad
// could differ.
func FindInitExe(self string) (string, error) {
	path := filepath.Join(filepath.Dir(self), sandbox.InitExeName)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	theirs, err := buildinfo.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	ours, ok := debug.ReadBuildInfo()
	if !ok {
		return "", errors.New("lambdad has no build information to compare with " + path)
	}
	if a, b := buildKey(ours), buildKey(theirs); a != b {
		return "", fmt.Errorf("%s is from another build (%s; lambdad: %s)", path, b, a)
	}
	return path, nil
}

// buildKey is what two binaries built together share.
func buildKey(bi *debug.BuildInfo) string {
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	return fmt.Sprintf("%s %s@%s revision %q modified %q race %q", bi.GoVersion, bi.Main.Path, bi.Main.Version,
		settings["vcs.revision"], settings["vcs.modified"], settings["-race"])
}
