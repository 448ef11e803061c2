package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/lambdad/lambdad/internal/async"
	"github.com/lambdad/lambdad/internal/daemon"
)

// runAsyncStats is `lambdad async-stats`: it prints the counts of the async
// queue of the lambdad running on a data directory.
func runAsyncStats(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	def := daemon.DefaultConfig()
	flags := flag.NewFlagSet("async-stats", flag.ContinueOnError)
	flags.SetOutput(stderr)
	dataDir := flags.String("data-dir", envOr(getenv, "LAMBDAD_DATA_DIR", def.DataDir), "`directory` of the lambdad whose queue to show (LAMBDAD_DATA_DIR)")
	if err := flags.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	b, err := os.ReadFile(filepath.Join(*dataDir, daemon.AsyncStatsFile))
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintln(stderr, "lambdad async-stats: no counts yet (is lambdad serving on this data dir?)")
		return 1
	}
	if err != nil {
		fmt.Fprintln(stderr, "lambdad async-stats:", err)
		return 1
	}
	var s async.Stats
	if err := json.Unmarshal(b, &s); err != nil {
		fmt.Fprintln(stderr, "lambdad async-stats: read counts:", err)
		return 1
	}
	fmt.Fprintf(stdout, "queued     %d\nin-flight  %d\naccepted   %d\nretried    %d\nthrottled  %d\nsucceeded  %d\nfailed     %d\ndropped    %d\nrecursive  %d\n",
		s.Queued, s.InFlight, s.Accepted, s.Retried, s.Throttled, s.Succeeded, s.Failed, s.Dropped, s.Recursive)
	return 0
}
