package e2e

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambdad/lambdad/internal/lambdadtest"
)

// optReader answers every event with what it finds under /opt: two files
// of its own layers, one that both layers have, and the output of a tool
// found through PATH (/opt/bin). Unisolated, /opt is the host's, and
// lambdad names the layers' directory in LAMBDAD_OPT_DIR.
const optReader = `#!/bin/sh
set -eu
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01"
OPT="${LAMBDAD_OPT_DIR:-/opt}"
while true; do
  HEADERS="$(mktemp)"
  curl -sS -LD "$HEADERS" "$API/runtime/invocation/next" >/dev/null
  REQUEST_ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
  rm -f "$HEADERS"
  A=$(cat "$OPT/a.txt" 2>/dev/null || echo none)
  B=$(cat "$OPT/b.txt" 2>/dev/null || echo none)
  S=$(cat "$OPT/shared.txt" 2>/dev/null || echo none)
  T=$(tool 2>/dev/null || echo none)
  curl -sS -X POST "$API/runtime/invocation/$REQUEST_ID/response" \
    -d "{\"a\":\"$A\",\"b\":\"$B\",\"shared\":\"$S\",\"tool\":\"$T\"}" >/dev/null
done
`

// publishLayer publishes zip as a new version of layer name.
func publishLayer(t *testing.T, c *lambda.Client, name string, zip []byte) *lambda.PublishLayerVersionOutput {
	t.Helper()
	out, err := c.PublishLayerVersion(ctx(t), &lambda.PublishLayerVersionInput{
		LayerName: aws.String(name),
		Content:   &types.LayerVersionContentInput{ZipFile: zip},
	})
	if err != nil {
		t.Fatalf("publish layer %s: %v", name, err)
	}
	return out
}

func TestLayersAtOpt(t *testing.T) {
	d := lambdadtest.Start(t, lambdadtest.Options{})
	c := d.Client()
	a := publishLayer(t, c, "layer-a", lambdadtest.Zip(t, map[string]lambdadtest.File{
		"a.txt":      {Data: []byte("from-a")},
		"shared.txt": {Data: []byte("A")},
		"bin/tool":   lambdadtest.Exec([]byte("#!/bin/sh\necho tool-from-a\n")),
	}))
	b := publishLayer(t, c, "layer-b", lambdadtest.Zip(t, map[string]lambdadtest.File{
		"b.txt":      {Data: []byte("from-b")},
		"shared.txt": {Data: []byte("B")},
	}))
	deploy(t, c, "opt", lambdadtest.ScriptZip(t, optReader), func(in *lambda.CreateFunctionInput) {
		in.Layers = []string{aws.ToString(a.LayerVersionArn), aws.ToString(b.LayerVersionArn)}
	})

	type seen struct{ A, B, Shared, Tool string }
	invokeOpt := func() seen {
		t.Helper()
		out := invokeJSON(t, c, "opt", `{}`)
		var got seen
		if out.FunctionError != nil || json.Unmarshal(out.Payload, &got) != nil {
			t.Fatalf("invoke: %v %s", aws.ToString(out.FunctionError), out.Payload)
		}
		return got
	}
	// The later layer wins the file both have.
	if got, want := invokeOpt(), (seen{"from-a", "from-b", "B", "tool-from-a"}); got != want {
		t.Errorf("layers [a b]: got %+v, want %+v", got, want)
	}

	cfg, err := c.GetFunctionConfiguration(ctx(t), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("opt")})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Layers) != 2 || aws.ToString(cfg.Layers[0].Arn) != aws.ToString(a.LayerVersionArn) ||
		cfg.Layers[0].CodeSize != a.Content.CodeSize || aws.ToString(cfg.Layers[1].Arn) != aws.ToString(b.LayerVersionArn) {
		t.Errorf("Layers = %+v", cfg.Layers)
	}

	// Reversed, the other layer wins; a new configuration gets new
	// environments.
	if _, err := c.UpdateFunctionConfiguration(ctx(t), &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("opt"),
		Layers:       []string{aws.ToString(b.LayerVersionArn), aws.ToString(a.LayerVersionArn)},
	}); err != nil {
		t.Fatal(err)
	}
	if got, want := invokeOpt(), (seen{"from-a", "from-b", "A", "tool-from-a"}); got != want {
		t.Errorf("layers [b a]: got %+v, want %+v", got, want)
	}

	// One layer: its own directory is /opt.
	if _, err := c.UpdateFunctionConfiguration(ctx(t), &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("opt"),
		Layers:       []string{aws.ToString(b.LayerVersionArn)},
	}); err != nil {
		t.Fatal(err)
	}
	if got, want := invokeOpt(), (seen{"none", "from-b", "B", "none"}); got != want {
		t.Errorf("layers [b]: got %+v, want %+v", got, want)
	}

	// No layers: an empty /opt, and no Layers in the configuration.
	up, err := c.UpdateFunctionConfiguration(ctx(t), &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("opt"),
		Layers:       []string{},
	})
	if err != nil {
		t.Fatal(err)
	}
	if up.Layers != nil {
		t.Errorf("Layers after removing them: %+v", up.Layers)
	}
	if got, want := invokeOpt(), (seen{"none", "none", "none", "none"}); got != want {
		t.Errorf("no layers: got %+v, want %+v", got, want)
	}
}

// TestLayerBootstrap runs a provided.al2023 function whose zip has no
// bootstrap: the runtime comes from its layer, at /opt/bootstrap.
func TestLayerBootstrap(t *testing.T) {
	d := lambdadtest.Start(t, lambdadtest.Options{})
	c := d.Client()
	rt := publishLayer(t, c, "shell-runtime", lambdadtest.ScriptZip(t, curlBootstrap))
	deploy(t, c, "on-layer-runtime", lambdadtest.Zip(t, map[string]lambdadtest.File{
		"data.txt": {Data: []byte("function data")},
	}), func(in *lambda.CreateFunctionInput) {
		in.Layers = []string{aws.ToString(rt.LayerVersionArn)}
	})
	out := invokeJSON(t, c, "on-layer-runtime", `{"k":"v"}`)
	if out.FunctionError != nil || string(out.Payload) != `{"shell":{"k":"v"}}` {
		t.Fatalf("invoke: error %q payload %s", aws.ToString(out.FunctionError), out.Payload)
	}

	// Without the layer there is no bootstrap: AWS's error.
	deploy(t, c, "no-runtime", lambdadtest.Zip(t, map[string]lambdadtest.File{
		"data.txt": {Data: []byte("function data")},
	}))
	out = invokeJSON(t, c, "no-runtime", `{}`)
	if aws.ToString(out.FunctionError) != "Unhandled" {
		t.Fatalf("invoke without bootstrap: error %q payload %s", aws.ToString(out.FunctionError), out.Payload)
	}
}
