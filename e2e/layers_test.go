package e2e

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"regexp"
	"strings"
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

// TestLayersAtOpt runs in both isolation modes: isolated, the layers are
// mounted at /opt; unisolated, the function finds them through PATH and
// LAMBDAD_OPT_DIR.
func TestLayersAtOpt(t *testing.T) {
	for _, mode := range []string{"auto", "off"} {
		t.Run("isolation="+mode, func(t *testing.T) { testLayersAtOpt(t, mode) })
	}
}

func testLayersAtOpt(t *testing.T, mode string) {
	d := lambdadtest.Start(t, lambdadtest.Options{Args: []string{"--isolation", mode}})
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
	for _, mode := range []string{"auto", "off"} {
		t.Run("isolation="+mode, func(t *testing.T) { testLayerBootstrap(t, mode) })
	}
}

func testLayerBootstrap(t *testing.T, mode string) {
	d := lambdadtest.Start(t, lambdadtest.Options{Args: []string{"--isolation", mode}})
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

// declaredZip is a zip whose one entry declares size bytes but holds none:
// what the upload checks measure, without building a 250 MB archive.
func declaredZip(t *testing.T, size uint64) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	if _, err := w.CreateRaw(&zip.FileHeader{Name: "big.bin", Method: zip.Store, UncompressedSize64: size, CRC32: crc32.ChecksumIEEE(nil)}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestLayerAPI(t *testing.T) {
	d := lambdadtest.Start(t, lambdadtest.Options{})
	c := d.Client()
	layerZip := lambdadtest.Zip(t, map[string]lambdadtest.File{"python/lib.py": {Data: []byte("X = 1\n")}})
	sum := sha256.Sum256(layerZip)

	pub, err := c.PublishLayerVersion(ctx(t), &lambda.PublishLayerVersionInput{
		LayerName:               aws.String("deps"),
		Description:             aws.String("python deps"),
		Content:                 &types.LayerVersionContentInput{ZipFile: layerZip},
		CompatibleRuntimes:      []types.Runtime{types.RuntimePython312},
		CompatibleArchitectures: []types.Architecture{types.ArchitectureX8664},
		LicenseInfo:             aws.String("MIT"),
	})
	if err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:lambda:" + lambdadtest.Region + ":" + lambdadtest.AccountID + ":layer:deps"
	if aws.ToString(pub.LayerArn) != arn || aws.ToString(pub.LayerVersionArn) != arn+":1" || pub.Version != 1 ||
		aws.ToString(pub.Description) != "python deps" || aws.ToString(pub.LicenseInfo) != "MIT" ||
		len(pub.CompatibleRuntimes) != 1 || pub.CompatibleRuntimes[0] != types.RuntimePython312 ||
		len(pub.CompatibleArchitectures) != 1 || pub.Content.CodeSize != int64(len(layerZip)) ||
		aws.ToString(pub.Content.CodeSha256) != base64.StdEncoding.EncodeToString(sum[:]) {
		t.Errorf("PublishLayerVersion = %+v %+v", pub, pub.Content)
	}
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$`).MatchString(aws.ToString(pub.CreatedDate)) {
		t.Errorf("CreatedDate = %q", aws.ToString(pub.CreatedDate))
	}

	// Content.Location downloads the zip, without signing.
	get, err := c.GetLayerVersion(ctx(t), &lambda.GetLayerVersionInput{LayerName: aws.String("deps"), VersionNumber: aws.Int64(1)})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(aws.ToString(get.Content.Location))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if got := sha256.Sum256(body); resp.StatusCode != 200 || base64.StdEncoding.EncodeToString(got[:]) != aws.ToString(get.Content.CodeSha256) {
		t.Errorf("download: status %d, %d bytes", resp.StatusCode, len(body))
	}
	byArn, err := c.GetLayerVersionByArn(ctx(t), &lambda.GetLayerVersionByArnInput{Arn: aws.String(arn + ":1")})
	if err != nil || aws.ToString(byArn.LayerVersionArn) != arn+":1" || aws.ToString(byArn.Content.CodeSha256) != aws.ToString(pub.Content.CodeSha256) {
		t.Errorf("GetLayerVersionByArn = %+v, %v", byArn, err)
	}

	// Paginated, newest first.
	for range 4 {
		publishLayer(t, c, "deps", layerZip)
	}
	var versions []int64
	p := lambda.NewListLayerVersionsPaginator(c, &lambda.ListLayerVersionsInput{LayerName: aws.String("deps"), MaxItems: aws.Int32(2)})
	for pages := 0; p.HasMorePages(); pages++ {
		if pages > 5 {
			t.Fatal("too many pages")
		}
		page, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.LayerVersions {
			versions = append(versions, v.Version)
		}
	}
	if fmt.Sprint(versions) != "[5 4 3 2 1]" {
		t.Errorf("ListLayerVersions pages = %v", versions)
	}
	publishLayer(t, c, "other", layerZip)
	ll, err := c.ListLayers(ctx(t), &lambda.ListLayersInput{CompatibleRuntime: types.RuntimePython312})
	if err != nil || len(ll.Layers) != 1 || aws.ToString(ll.Layers[0].LayerName) != "deps" || ll.Layers[0].LatestMatchingVersion.Version != 1 {
		t.Errorf("ListLayers(python3.12) = %+v, %v", ll, err)
	}
	ll, err = c.ListLayers(ctx(t), &lambda.ListLayersInput{})
	if err != nil || len(ll.Layers) != 2 || ll.Layers[0].LatestMatchingVersion.Version != 5 || aws.ToString(ll.Layers[1].LayerName) != "other" {
		t.Errorf("ListLayers() = %+v, %v", ll, err)
	}

	// Deletes answer 204 whether or not there was something to delete;
	// numbers are not reused.
	for _, v := range []int64{5, 5, 99} {
		if _, err := c.DeleteLayerVersion(ctx(t), &lambda.DeleteLayerVersionInput{LayerName: aws.String("deps"), VersionNumber: aws.Int64(v)}); err != nil {
			t.Fatalf("delete %d: %v", v, err)
		}
	}
	_, err = c.GetLayerVersion(ctx(t), &lambda.GetLayerVersionInput{LayerName: aws.String("deps"), VersionNumber: aws.Int64(5)})
	wantAPIError(t, err, "ResourceNotFoundException", "The resource you requested does not exist.")
	if again := publishLayer(t, c, "deps", layerZip); again.Version != 6 {
		t.Errorf("version after a delete = %d, want 6", again.Version)
	}
	_, err = c.GetLayerVersion(ctx(t), &lambda.GetLayerVersionInput{LayerName: aws.String("deps"), VersionNumber: aws.Int64(0)})
	wantAPIError(t, err, "InvalidParameterValueException", "Layer Version Cannot be less than 1")
	_, err = c.GetLayerVersionByArn(ctx(t), &lambda.GetLayerVersionByArnInput{Arn: aws.String(arn)})
	wantAPIError(t, err, "ValidationException", "")

	// Over-size layers.
	_, err = c.PublishLayerVersion(ctx(t), &lambda.PublishLayerVersionInput{LayerName: aws.String("huge"), Content: &types.LayerVersionContentInput{ZipFile: declaredZip(t, 262_144_001)}})
	wantAPIError(t, err, "InvalidParameterValueException", "Unzipped size must be smaller than 262144000 bytes")
	half := publishLayer(t, c, "half", declaredZip(t, 131_072_000))
	otherHalf := publishLayer(t, c, "other-half", declaredZip(t, 131_072_000))

	// Functions: AWS's errors for bad references.
	fnZip := lambdadtest.ScriptZip(t, curlBootstrap)
	six := []string{}
	for i := range 6 {
		six = append(six, aws.ToString(publishLayer(t, c, fmt.Sprintf("six-%d", i), layerZip).LayerVersionArn))
	}
	for _, tc := range []struct {
		name      string
		layers    []string
		code, msg string
	}{
		{"unknown version", []string{arn + ":5"}, "InvalidParameterValueException", "Layer version " + arn + ":5 does not exist."},
		{"unknown layer", []string{arn + "-nope:1"}, "InvalidParameterValueException", "Layer version " + arn + "-nope:1 does not exist."},
		{"six layers", six, "InvalidParameterValueException", "Cannot reference more than 5 layers."},
		{"bad arn", []string{arn}, "ValidationException", ""},
		{"too big with the code", []string{aws.ToString(half.LayerVersionArn), aws.ToString(otherHalf.LayerVersionArn)}, "InvalidParameterValueException", "Unzipped size must be smaller than 262144000 bytes"},
		{"same layer twice", []string{arn + ":1", arn + ":2"}, "InvalidParameterValueException",
			"Two different versions of the same layer are not allowed to be referenced in the same function. " + arn + ":1 and " + arn + ":2 are versions of the same layer."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := createInput("fn-"+strings.ReplaceAll(tc.name, " ", "-"), fnZip)
			in.Layers = tc.layers
			_, err := c.CreateFunction(ctx(t), in)
			wantAPIError(t, err, tc.code, tc.msg)
		})
	}
	// Five is fine.
	deploy(t, c, "five", fnZip, func(in *lambda.CreateFunctionInput) { in.Layers = six[:5] })

	// Permissions.
	_, err = c.GetLayerVersionPolicy(ctx(t), &lambda.GetLayerVersionPolicyInput{LayerName: aws.String("deps"), VersionNumber: aws.Int64(1)})
	wantAPIError(t, err, "ResourceNotFoundException", "No policy is associated with the given resource.")
	add, err := c.AddLayerVersionPermission(ctx(t), &lambda.AddLayerVersionPermissionInput{
		LayerName: aws.String("deps"), VersionNumber: aws.Int64(1), StatementId: aws.String("xaccount"),
		Action: aws.String("lambda:GetLayerVersion"), Principal: aws.String("210987654321"),
	})
	if err != nil {
		t.Fatal(err)
	}
	wantStatement := `{"Sid":"xaccount","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::210987654321:root"},"Action":"lambda:GetLayerVersion","Resource":"` + arn + `:1"}`
	if aws.ToString(add.Statement) != wantStatement || aws.ToString(add.RevisionId) == "" {
		t.Errorf("AddLayerVersionPermission = %s %s", aws.ToString(add.Statement), aws.ToString(add.RevisionId))
	}
	_, err = c.AddLayerVersionPermission(ctx(t), &lambda.AddLayerVersionPermissionInput{
		LayerName: aws.String("deps"), VersionNumber: aws.Int64(1), StatementId: aws.String("xaccount"),
		Action: aws.String("lambda:GetLayerVersion"), Principal: aws.String("*"),
	})
	wantAPIError(t, err, "ResourceConflictException", "The statement id (xaccount) provided already exists. Please provide a new statement id, or remove the existing statement.")
	_, err = c.AddLayerVersionPermission(ctx(t), &lambda.AddLayerVersionPermissionInput{
		LayerName: aws.String("deps"), VersionNumber: aws.Int64(1), StatementId: aws.String("public"),
		Action: aws.String("lambda:GetLayerVersion"), Principal: aws.String("*"), RevisionId: aws.String("stale"),
	})
	wantAPIError(t, err, "PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id. Call the GetLayerPolicy API to retrieve the latest Revision Id")
	pol, err := c.GetLayerVersionPolicy(ctx(t), &lambda.GetLayerVersionPolicyInput{LayerName: aws.String("deps"), VersionNumber: aws.Int64(1)})
	if err != nil || aws.ToString(pol.Policy) != `{"Version":"2012-10-17","Id":"default","Statement":[`+wantStatement+`]}` || aws.ToString(pol.RevisionId) != aws.ToString(add.RevisionId) {
		t.Errorf("GetLayerVersionPolicy = %+v, %v", pol, err)
	}
	_, err = c.RemoveLayerVersionPermission(ctx(t), &lambda.RemoveLayerVersionPermissionInput{LayerName: aws.String("deps"), VersionNumber: aws.Int64(1), StatementId: aws.String("nope")})
	wantAPIError(t, err, "ResourceNotFoundException", "Statement nope is not found in resource policy.")
	_, err = c.RemoveLayerVersionPermission(ctx(t), &lambda.RemoveLayerVersionPermissionInput{LayerName: aws.String("deps"), VersionNumber: aws.Int64(9), StatementId: aws.String("xaccount")})
	wantAPIError(t, err, "ResourceNotFoundException", "Layer version "+arn+":9 does not exist.")
	if _, err := c.RemoveLayerVersionPermission(ctx(t), &lambda.RemoveLayerVersionPermissionInput{
		LayerName: aws.String("deps"), VersionNumber: aws.Int64(1), StatementId: aws.String("xaccount"), RevisionId: add.RevisionId,
	}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetLayerVersionPolicy(ctx(t), &lambda.GetLayerVersionPolicyInput{LayerName: aws.String("deps"), VersionNumber: aws.Int64(1)})
	wantAPIError(t, err, "ResourceNotFoundException", "No policy is associated with the given resource.")
}

// BenchmarkColdStartLayers is BenchmarkColdStart's Go function with two
// layers of 64 small files each, fresh for every function, so that each
// cold start comes after the layers' first merge (done while the function
// is created, as its code's extraction is).
func BenchmarkColdStartLayers(b *testing.B) {
	d := lambdadtest.Start(b, lambdadtest.Options{})
	c := d.Client()
	zip := lambdadtest.GoZip(b, noopFunction)
	layer := func(i, n int) []byte {
		files := map[string]lambdadtest.File{}
		for f := range 64 {
			files[fmt.Sprintf("lib/%d/f%d.txt", n, f)] = lambdadtest.File{Data: []byte(fmt.Sprintf("%d-%d-%d", i, n, f))}
		}
		return lambdadtest.Zip(b, files)
	}
	benchColdStarts(b, d, "cold-layers", func(name string, i int) {
		in := createInput(name, zip)
		for n := range 2 {
			out, err := c.PublishLayerVersion(b.Context(), &lambda.PublishLayerVersionInput{
				LayerName: aws.String(fmt.Sprintf("bench-%d", n)),
				Content:   &types.LayerVersionContentInput{ZipFile: layer(i, n)},
			})
			if err != nil {
				b.Fatal(err)
			}
			in.Layers = append(in.Layers, aws.ToString(out.LayerVersionArn))
		}
		if _, err := c.CreateFunction(b.Context(), in); err != nil {
			b.Fatal(err)
		}
	})
}
