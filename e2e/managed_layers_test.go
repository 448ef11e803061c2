package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// deployWithLayers creates a function of a managed runtime that uses
// layers, in order.
func deployWithLayers(t *testing.T, c *lambda.Client, name string, runtime types.Runtime, handler string, zip []byte, layers ...*lambda.PublishLayerVersionOutput) {
	t.Helper()
	in := createInput(name, zip)
	in.Runtime = runtime
	in.Handler = aws.String(handler)
	for _, l := range layers {
		in.Layers = append(in.Layers, aws.ToString(l.LayerVersionArn))
	}
	if _, err := c.CreateFunction(ctx(t), in); err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
}

const pythonLayerApp = `import os
import sys


def handler(event, context):
    import layermod, sitemod, pthmod, shadow
    return {
        "modules": [layermod.WHERE, sitemod.WHERE, pthmod.WHERE, shadow.WHERE],
        "first": sys.path[0] == os.environ["LAMBDA_TASK_ROOT"],
        "pythonpath": os.environ.get("PYTHONPATH"),
    }
`

// TestPythonLayers checks that a Python function imports modules from its
// layers where AWS's runtime finds them: /opt/python, and
// /opt/python/lib/python3.X/site-packages (of the runtime's version) as a
// site directory, whose .pth files extend sys.path; the function's own
// modules come first.
func TestPythonLayers(t *testing.T) {
	needInterpreter(t, "python3")
	managedModes(t, func(t *testing.T, c *lambda.Client) {
		site := "python/lib/python3.12/site-packages/"
		layer := publishLayer(t, c, "py-libs", textFiles(t, map[string]string{
			"python/layermod.py":     "WHERE = 'opt/python'\n",
			"python/shadow.py":       "WHERE = 'layer'\n",
			site + "sitemod.py":      "WHERE = 'site-packages'\n",
			site + "extra.pth":       "# a site directory's path configuration file\nextra\n",
			site + "extra/pthmod.py": "WHERE = 'a .pth entry'\n",
		}))
		zip := textFiles(t, map[string]string{"app.py": pythonLayerApp, "shadow.py": "WHERE = 'function'\n"})
		deployWithLayers(t, c, "py-layers", types.RuntimePython312, "app.handler", zip, layer)
		out := invokeJSON(t, c, "py-layers", `{}`)
		want := `{"modules": ["opt/python", "site-packages", "a .pth entry", "function"], "first": true, "pythonpath": "/var/runtime"}`
		if out.FunctionError != nil || string(out.Payload) != want {
			t.Errorf("FunctionError %q payload %s, want %s", aws.ToString(out.FunctionError), out.Payload, want)
		}
	})
}

const nodeLayerIndex = `exports.handler = async () => ({
  shared: require('layer-shared'),
  versioned: require('layer-versioned'),
});
`

// TestNodeLayers checks that a Node.js function requires packages from its
// layers where AWS's runtime finds them (NODE_PATH):
// /opt/nodejs/node_modules, and /opt/nodejs/node22/node_modules for
// nodejs22.x only.
func TestNodeLayers(t *testing.T) {
	needInterpreter(t, "node", "nodejs")
	managedModes(t, func(t *testing.T, c *lambda.Client) {
		layer := publishLayer(t, c, "node-libs", textFiles(t, map[string]string{
			"nodejs/node_modules/layer-shared/index.js":           "module.exports = 'nodejs/node_modules';\n",
			"nodejs/node22/node_modules/layer-versioned/index.js": "module.exports = 'nodejs/node22/node_modules';\n",
		}))
		zip := textFiles(t, map[string]string{"index.js": nodeLayerIndex})
		deployWithLayers(t, c, "js-layers", types.RuntimeNodejs22x, "index.handler", zip, layer)
		out := invokeJSON(t, c, "js-layers", `{}`)
		want := `{"shared":"nodejs/node_modules","versioned":"nodejs/node22/node_modules"}`
		if out.FunctionError != nil || string(out.Payload) != want {
			t.Errorf("nodejs22.x: FunctionError %q payload %s, want %s", aws.ToString(out.FunctionError), out.Payload, want)
		}

		// nodejs20.x looks in node20, not node22.
		deployWithLayers(t, c, "js-layers20", types.RuntimeNodejs20x, "index.handler", zip, layer)
		out = invokeJSON(t, c, "js-layers20", `{}`)
		var e struct{ ErrorType, ErrorMessage string }
		json.Unmarshal(out.Payload, &e)
		if aws.ToString(out.FunctionError) != "Unhandled" || e.ErrorType != "Error" || !strings.HasPrefix(e.ErrorMessage, "Cannot find module 'layer-versioned'") {
			t.Errorf("nodejs20.x: FunctionError %q payload %s, want Cannot find module 'layer-versioned'", aws.ToString(out.FunctionError), out.Payload)
		}
	})
}
