package e2e

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambdad/lambdad/internal/lambdadtest"
)

// echoFunction is one echo function per runtime, for benchmarks that put
// the managed runtimes beside the Go function.
type echoFunction struct {
	name    string
	runtime types.Runtime
	handler string
	zip     func(testing.TB) []byte
	needs   string // interpreter on PATH, or ""
}

func echoFunctions() []echoFunction {
	return []echoFunction{
		{"go", types.RuntimeProvidedal2023, "bootstrap", func(b testing.TB) []byte { return lambdadtest.GoZip(b, noopFunction) }, ""},
		{"python", types.RuntimePython312, "app.handler", func(b testing.TB) []byte {
			return lambdadtest.Zip(b, map[string]lambdadtest.File{"app.py": {Data: []byte("def handler(event, context):\n    return event\n")}})
		}, "python3"},
		{"node", types.RuntimeNodejs22x, "index.handler", func(b testing.TB) []byte {
			return lambdadtest.Zip(b, map[string]lambdadtest.File{"index.mjs": {Data: []byte("export const handler = async (event) => event;\n")}})
		}, "node"},
	}
}

func createEcho(b *testing.B, c *lambda.Client, name string, fn echoFunction, zip []byte) {
	in := createInput(name, zip)
	in.Runtime = fn.runtime
	in.Handler = aws.String(fn.handler)
	if _, err := c.CreateFunction(b.Context(), in); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkManagedInvokeWarm measures warm invokes of the same echo
// function in Go (aws-lambda-go), Python and Node.js, in one daemon.
func BenchmarkManagedInvokeWarm(b *testing.B) {
	d := lambdadtest.Start(b, lambdadtest.Options{})
	c := d.Client()
	for _, fn := range echoFunctions() {
		if _, err := exec.LookPath(fn.needs); fn.needs != "" && err != nil {
			b.Logf("no %s on PATH: skipping runtime=%s", fn.needs, fn.name)
			continue
		}
		createEcho(b, c, "warm-"+fn.name, fn, fn.zip(b))
		b.Run("runtime="+fn.name, func(b *testing.B) {
			req := lambdadtest.Sign(b, d.URL, "POST", "/2015-03-31/functions/warm-"+fn.name+"/invocations", payloadOf(100))
			benchSequential(b, d.URL, req, 200)
		})
	}
}

// BenchmarkManagedColdStart measures the first invoke of a new function
// (environment start, interpreter start, client init, the invoke) per
// runtime and isolation mode, then (bare=) the interpreters alone, started
// as lambdad starts them: what no runtime client can cut.
func BenchmarkManagedColdStart(b *testing.B) {
	for _, mode := range []string{"auto", "off"} {
		d := lambdadtest.Start(b, lambdadtest.Options{Args: []string{"--isolation", mode}})
		c := d.Client()
		warmed := make(map[string]bool)
		for _, fn := range echoFunctions() {
			b.Run("isolation="+mode+"/runtime="+fn.name, func(b *testing.B) {
				if _, err := exec.LookPath(fn.needs); fn.needs != "" && err != nil {
					b.Skipf("no %s on PATH", fn.needs)
				}
				zip := fn.zip(b)
				client := lambdadtest.KeepAliveClient(1)
				if !warmed[fn.name] {
					// The runtime's first use probes its interpreter
					// candidates: once per daemon, not a cold start.
					warmed[fn.name] = true
					name := "cold-" + fn.name + "-probe"
					createEcho(b, c, name, fn, zip)
					req := lambdadtest.Sign(b, d.URL, "POST", "/2015-03-31/functions/"+name+"/invocations", payloadOf(100))
					if status, body, err := req.Do(client, d.URL); err != nil || status != 200 {
						b.Fatalf("status %d err %v: %s", status, err, body)
					}
				}
				benchColdStarts(b, d, "cold-"+fn.name, func(name string, _ int) { createEcho(b, c, name, fn, zip) })
			})
		}
		d.Stop()
	}
	benchBareInterpreters(b)
}

// benchBareInterpreters measures `python3 -c pass` (and with -S, as lambdad
// starts Python) and `node -e 0`: the executable a PATH shim (pyenv) runs,
// found as unisolated lambdad finds it, in the environment a runtime gets
// (no HOME, a plain PATH; in particular no NODE_EXTRA_CA_CERTS or
// NODE_OPTIONS from the caller's).
func benchBareInterpreters(b *testing.B) {
	for _, in := range []struct {
		name, command string
		args, real    []string // a trivial program; one that prints the executable
	}{
		{"python", "python3", []string{"-c", "pass"}, []string{"-c", "import sys; print(sys.executable)"}},
		{"python-S", "python3", []string{"-S", "-c", "pass"}, []string{"-c", "import sys; print(sys.executable)"}},
		{"node", "node", []string{"-e", "0"}, []string{"-p", "process.execPath"}},
	} {
		b.Run("bare="+in.name, func(b *testing.B) {
			env := []string{"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "TZ=:UTC"}
			path, err := exec.LookPath(in.command)
			if err != nil {
				b.Skipf("no %s on PATH", in.command)
			}
			probe := exec.Command(path, in.real...)
			probe.Env = env
			out, err := probe.Output()
			if err != nil {
				b.Fatalf("%s %q: %v", path, in.real, err)
			}
			path = strings.TrimSpace(string(out))
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				cmd := exec.Command(path, in.args...)
				cmd.Env = env
				start := time.Now()
				if err := cmd.Run(); err != nil {
					b.Fatalf("%s: %v", cmd, err)
				}
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			reportPercentiles(b, lat)
		})
	}
}
