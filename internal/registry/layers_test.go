package registry

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lambdad/lambdad/internal/awserr"
	"github.com/lambdad/lambdad/internal/store"
)

// bigZip is a zip whose one entry declares size uncompressed bytes but
// holds none: what Inspect measures, built in no time. (Extracting it
// fails; validation never extracts.)
func bigZip(t testing.TB, size uint64) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	f, err := w.CreateRaw(&zip.FileHeader{Name: "big.bin", Method: zip.Store, UncompressedSize64: size, CompressedSize64: 0, CRC32: crc32.ChecksumIEEE(nil)})
	if err != nil {
		t.Fatal(err)
	}
	_ = f
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// publish publishes files as a new version of layer name of account.
func (e *env) publish(account, name string, in *PublishLayerVersionInput) *LayerVersionOutput {
	e.t.Helper()
	if in == nil {
		in = &PublishLayerVersionInput{}
	}
	if in.Content == nil {
		in.Content = &LayerContentInput{ZipFile: makeZip(e.t, map[string]string{"python/mod.py": "X = 1\n"})}
	}
	out, err := e.reg.PublishLayerVersion(e.t.Context(), account, name, in)
	if err != nil {
		e.t.Fatalf("PublishLayerVersion %s: %v", name, err)
	}
	return out
}

func asJSON(t testing.TB, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestPublishLayerVersionResponse(t *testing.T) {
	e := newEnv(t)
	zipFile := makeZip(t, map[string]string{"python/mod.py": "X = 1\n"})
	d := store.Sum(zipFile)
	out := e.publish(testAccount, "deps", &PublishLayerVersionInput{
		Description:             ptr("my deps"),
		Content:                 &LayerContentInput{ZipFile: zipFile},
		CompatibleRuntimes:      []string{"python3.12", "python3.13"},
		LicenseInfo:             ptr("MIT"),
		CompatibleArchitectures: []string{},
	})
	got := asJSON(t, out)
	created, _ := got["CreatedDate"].(string)
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$`).MatchString(created) {
		t.Errorf("CreatedDate = %q, want AWS's format", created)
	}
	delete(got, "CreatedDate")
	want := map[string]any{
		"Content":                 map[string]any{"CodeSha256": d.Base64(), "CodeSize": float64(len(zipFile))},
		"LayerArn":                "arn:aws:lambda:us-east-1:123456789012:layer:deps",
		"LayerVersionArn":         "arn:aws:lambda:us-east-1:123456789012:layer:deps:1",
		"Description":             "my deps",
		"Version":                 float64(1),
		"CompatibleRuntimes":      []any{"python3.12", "python3.13"},
		"LicenseInfo":             "MIT",
		"CompatibleArchitectures": []any{},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("response\n got %v\nwant %v", got, want)
	}
	if out.Content.CodeDigest != d {
		t.Errorf("CodeDigest = %s, want %s", out.Content.CodeDigest, d)
	}

	// Absent lists and license stay absent; Description is always there.
	got = asJSON(t, e.publish(testAccount, "deps", nil))
	for _, k := range []string{"CompatibleRuntimes", "CompatibleArchitectures", "LicenseInfo"} {
		if _, ok := got[k]; ok {
			t.Errorf("%s present: %v", k, got[k])
		}
	}
	if got["Description"] != "" || got["Version"] != float64(2) || got["LayerVersionArn"] != "arn:aws:lambda:us-east-1:123456789012:layer:deps:2" {
		t.Errorf("second version: %v", got)
	}
}

func TestPublishLayerVersionValidation(t *testing.T) {
	e := newEnv(t)
	okZip := makeZip(t, map[string]string{"a": "b"})
	runtimes16 := strings.Split(strings.Repeat("python3.12,", 16), ",")[:16]
	tests := []struct {
		name      string
		layerName string
		in        PublishLayerVersionInput
		code, msg string
	}{
		{"bad name", "bad.name", PublishLayerVersionInput{Content: &LayerContentInput{ZipFile: okZip}}, awserr.Validation,
			"1 validation error detected: Value 'bad.name' at 'layerName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+"},
		{"no content", "l", PublishLayerVersionInput{}, awserr.Validation,
			"1 validation error detected: Value null at 'content' failed to satisfy constraint: Member must not be null"},
		{"runtimes", "l", PublishLayerVersionInput{Content: &LayerContentInput{ZipFile: okZip}, CompatibleRuntimes: []string{"invalidruntime", "nodejs20.x"}, CompatibleArchitectures: []string{"invalidarch", "x86_64"}}, awserr.Validation,
			"2 validation errors detected: Value '[invalidruntime, nodejs20.x]' at 'compatibleRuntimes' failed to satisfy constraint: Member must satisfy enum value set: [" + strings.Join(creatableRuntimes, ", ") + "]; Value '[invalidarch, x86_64]' at 'compatibleArchitectures' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], Member must not be null]"},
		{"too many runtimes", "l", PublishLayerVersionInput{Content: &LayerContentInput{ZipFile: okZip}, CompatibleRuntimes: runtimes16}, awserr.Validation,
			"1 validation error detected: Value '[" + strings.Join(runtimes16, ", ") + "]' at 'compatibleRuntimes' failed to satisfy constraint: Member must have length less than or equal to 15"},
		{"too many architectures", "l", PublishLayerVersionInput{Content: &LayerContentInput{ZipFile: okZip}, CompatibleArchitectures: []string{"x86_64", "arm64", "x86_64"}}, awserr.Validation,
			"1 validation error detected: Value '[x86_64, arm64, x86_64]' at 'compatibleArchitectures' failed to satisfy constraint: Member must have length less than or equal to 2"},
		{"license", "l", PublishLayerVersionInput{Content: &LayerContentInput{ZipFile: okZip}, LicenseInfo: ptr(strings.Repeat("x", 513))}, awserr.Validation,
			"1 validation error detected: Value '" + strings.Repeat("x", 513) + "' at 'licenseInfo' failed to satisfy constraint: Member must have length less than or equal to 512"},
		{"s3", "l", PublishLayerVersionInput{Content: &LayerContentInput{S3Bucket: ptr("b"), S3Key: ptr("k")}}, awserr.InvalidParameterValue,
			"S3 code locations (S3Bucket, S3Key, S3ObjectVersion) are not supported by lambdad yet; upload the deployment package inline with ZipFile."},
		{"empty content", "l", PublishLayerVersionInput{Content: &LayerContentInput{}}, awserr.InvalidParameterValue,
			"Content.ZipFile is required: lambdad takes the layer archive inline (aws lambda publish-layer-version --zip-file fileb://layer.zip)."},
		{"not a zip", "l", PublishLayerVersionInput{Content: &LayerContentInput{ZipFile: []byte("nope")}}, awserr.InvalidParameterValue,
			"Could not unzip uploaded file. Please check your file, then try to upload again."},
		{"unzipped size", "l", PublishLayerVersionInput{Content: &LayerContentInput{ZipFile: bigZip(t, 262_144_001)}}, awserr.InvalidParameterValue,
			"Unzipped size must be smaller than 262144000 bytes"},
		{"other account", "arn:aws:lambda:us-east-1:210987654321:layer:l", PublishLayerVersionInput{Content: &LayerContentInput{ZipFile: okZip}}, awserr.AccessDenied, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.reg.PublishLayerVersion(t.Context(), testAccount, tc.layerName, &tc.in)
			wantAWSError(t, err, tc.code, tc.msg)
		})
	}
	// Nothing was stored.
	out, err := e.reg.ListLayers(t.Context(), testAccount, ListLayersInput{})
	if err != nil || len(out.Layers) != 0 {
		t.Errorf("ListLayers after refusals = %+v, %v", out, err)
	}
}

func TestLayerVersionLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	e.publish(testAccount, "l", &PublishLayerVersionInput{CompatibleRuntimes: []string{"python3.12"}, CompatibleArchitectures: []string{"x86_64"}})
	e.publish(testAccount, "l", &PublishLayerVersionInput{CompatibleRuntimes: []string{"nodejs22.x"}, CompatibleArchitectures: []string{"arm64"}})

	for _, name := range []string{"l", "arn:aws:lambda:us-east-1:123456789012:layer:l"} {
		got, err := e.reg.GetLayerVersion(ctx, testAccount, name, "2")
		if err != nil || got.Version != 2 || got.LayerVersionArn != "arn:aws:lambda:us-east-1:123456789012:layer:l:2" {
			t.Errorf("GetLayerVersion(%s, 2) = %+v, %v", name, got, err)
		}
	}
	got, err := e.reg.GetLayerVersionByArn(ctx, testAccount, "arn:aws:lambda:us-east-1:123456789012:layer:l:1")
	if err != nil || got.Version != 1 || (*got.CompatibleRuntimes)[0] != "python3.12" {
		t.Errorf("GetLayerVersionByArn = %+v, %v", got, err)
	}
	errs := []struct {
		name      string
		err       error
		code, msg string
	}{
		{"missing version", func() error { _, err := e.reg.GetLayerVersion(ctx, testAccount, "l", "3"); return err }(), awserr.ResourceNotFound, "The resource you requested does not exist."},
		{"missing layer", func() error { _, err := e.reg.GetLayerVersion(ctx, testAccount, "nope", "1"); return err }(), awserr.ResourceNotFound, "The resource you requested does not exist."},
		{"version 0", func() error { _, err := e.reg.GetLayerVersion(ctx, testAccount, "l", "0"); return err }(), awserr.InvalidParameterValue, "Layer Version Cannot be less than 1"},
		{"version -1", func() error { _, err := e.reg.GetLayerVersion(ctx, testAccount, "l", "-1"); return err }(), awserr.InvalidParameterValue, "Layer Version Cannot be less than 1"},
		{"delete version -1", e.reg.DeleteLayerVersion(ctx, testAccount, "l", "-1"), awserr.InvalidParameterValue, "Layer Version Cannot be less than 1"},
		{"by arn without version", func() error {
			_, err := e.reg.GetLayerVersionByArn(ctx, testAccount, "arn:aws:lambda:us-east-1:123456789012:layer:l")
			return err
		}(), awserr.Validation, "1 validation error detected: Value 'arn:aws:lambda:us-east-1:123456789012:layer:l' at 'arn' failed to satisfy constraint: Member must satisfy regular expression pattern: " + layerVersionArnPattern.text},
		{"by arn missing", func() error {
			_, err := e.reg.GetLayerVersionByArn(ctx, testAccount, "arn:aws:lambda:us-east-1:123456789012:layer:l:9")
			return err
		}(), awserr.ResourceNotFound, "The resource you requested does not exist."},
		{"filter runtime", func() error {
			_, err := e.reg.ListLayers(ctx, testAccount, ListLayersInput{CompatibleRuntime: "x"})
			return err
		}(), awserr.Validation,
			"1 validation error detected: Value 'x' at 'compatibleRuntime' failed to satisfy constraint: Member must satisfy enum value set: [" + listRuntimes + "]"},
		{"filter architecture", func() error {
			_, err := e.reg.ListLayerVersions(ctx, testAccount, "l", ListLayersInput{CompatibleArchitecture: "x"})
			return err
		}(), awserr.Validation, "1 validation error detected: Value 'x' at 'compatibleArchitecture' failed to satisfy constraint: Member must satisfy enum value set: [x86_64, arm64]"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) { wantAWSError(t, tc.err, tc.code, tc.msg) })
	}

	// Filters pick the latest matching version.
	ll, err := e.reg.ListLayers(ctx, testAccount, ListLayersInput{CompatibleRuntime: "python3.12"})
	if err != nil || len(ll.Layers) != 1 || ll.Layers[0].LatestMatchingVersion.Version != 1 || ll.Layers[0].LayerName != "l" {
		t.Errorf("ListLayers(python3.12) = %+v, %v", ll, err)
	}
	ll, err = e.reg.ListLayers(ctx, testAccount, ListLayersInput{})
	if err != nil || len(ll.Layers) != 1 || ll.Layers[0].LatestMatchingVersion.Version != 2 {
		t.Errorf("ListLayers() = %+v, %v", ll, err)
	}
	ll, err = e.reg.ListLayers(ctx, testAccount, ListLayersInput{CompatibleRuntime: "java21"})
	if err != nil || len(ll.Layers) != 0 {
		t.Errorf("ListLayers(java21) = %+v, %v", ll, err)
	}
	lv, err := e.reg.ListLayerVersions(ctx, testAccount, "l", ListLayersInput{CompatibleArchitecture: "arm64"})
	if err != nil || len(lv.LayerVersions) != 1 || lv.LayerVersions[0].Version != 2 {
		t.Errorf("ListLayerVersions(arm64) = %+v, %v", lv, err)
	}
	if lv, err := e.reg.ListLayerVersions(ctx, testAccount, "nope", ListLayersInput{}); err != nil || lv.LayerVersions == nil || len(lv.LayerVersions) != 0 {
		t.Errorf("ListLayerVersions(unknown) = %+v, %v", lv, err)
	}

	// Deletes are idempotent; numbers are never reused.
	for _, v := range []string{"1", "2", "2", "7"} {
		if err := e.reg.DeleteLayerVersion(ctx, testAccount, "l", v); err != nil {
			t.Fatalf("delete %s: %v", v, err)
		}
	}
	if err := e.reg.DeleteLayerVersion(ctx, testAccount, "never-was", "1"); err != nil {
		t.Fatalf("delete unknown layer: %v", err)
	}
	if ll, _ := e.reg.ListLayers(ctx, testAccount, ListLayersInput{}); len(ll.Layers) != 0 {
		t.Errorf("ListLayers after deleting every version = %+v", ll)
	}
	if out := e.publish(testAccount, "l", nil); out.Version != 3 {
		t.Errorf("version after deletes = %d, want 3", out.Version)
	}
}

func TestListLayerPages(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	for range 7 {
		e.publish(testAccount, "paged", nil)
	}
	for _, name := range []string{"c", "a", "b"} {
		e.publish(testAccount, name, nil)
	}
	e.publish("210987654321", "other-account", nil)

	var versions []int64
	marker := ""
	for page := 0; ; page++ {
		if page > 10 {
			t.Fatal("too many pages")
		}
		out, err := e.reg.ListLayerVersions(ctx, testAccount, "paged", ListLayersInput{MaxItems: 3, Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.LayerVersions) > 3 {
			t.Fatalf("page of %d", len(out.LayerVersions))
		}
		for _, v := range out.LayerVersions {
			versions = append(versions, v.Version)
		}
		if marker = out.NextMarker; marker == "" {
			break
		}
	}
	if fmt.Sprint(versions) != "[7 6 5 4 3 2 1]" {
		t.Errorf("versions over pages = %v, want newest first", versions)
	}

	var names []string
	marker = ""
	for page := 0; ; page++ {
		if page > 10 {
			t.Fatal("too many pages")
		}
		out, err := e.reg.ListLayers(ctx, testAccount, ListLayersInput{MaxItems: 2, Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range out.Layers {
			names = append(names, l.LayerName)
		}
		if marker = out.NextMarker; marker == "" {
			break
		}
	}
	if fmt.Sprint(names) != "[a b c paged]" {
		t.Errorf("layers over pages = %v", names)
	}
	_, err := e.reg.ListLayers(ctx, testAccount, ListLayersInput{MaxItems: 51})
	wantAWSError(t, err, awserr.Validation, "1 validation error detected: Value '51' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 50")
}

func TestFunctionLayers(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	arn := func(name string, v int64) string {
		return fmt.Sprintf("arn:aws:lambda:us-east-1:123456789012:layer:%s:%d", name, v)
	}
	one := e.publish(testAccount, "one", nil)
	e.publish(testAccount, "one", nil)
	var six []string
	for i := range 6 {
		six = append(six, e.publish(testAccount, fmt.Sprintf("n%d", i), nil).LayerVersionArn)
	}
	big := e.publish(testAccount, "big", &PublishLayerVersionInput{Content: &LayerContentInput{ZipFile: bigZip(t, 200_000_000)}})
	big2 := e.publish(testAccount, "big2", &PublishLayerVersionInput{Content: &LayerContentInput{ZipFile: bigZip(t, 62_144_000)}})
	other := e.publish("210987654321", "shared", nil)

	badList := "[" + arn("one", 1) + ", arn:aws:lambda:us-east-1:123456789012:layer:one]"
	tests := []struct {
		name      string
		layers    []string
		code, msg string
	}{
		{"no version", []string{arn("one", 1), "arn:aws:lambda:us-east-1:123456789012:layer:one"}, awserr.Validation,
			"1 validation error detected: Value '" + badList + "' at 'layers' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 2048, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: " + layerVersionArnPattern.text + ", Member must not be null]"},
		{"six", six, awserr.InvalidParameterValue, "Cannot reference more than 5 layers."},
		{"unknown layer", []string{arn("nope", 1)}, awserr.InvalidParameterValue, "Layer version " + arn("nope", 1) + " does not exist."},
		{"unknown version", []string{arn("one", 9)}, awserr.InvalidParameterValue, "Layer version " + arn("one", 9) + " does not exist."},
		{"other region", []string{"arn:aws:lambda:eu-west-1:123456789012:layer:one:1"}, awserr.InvalidParameterValue,
			"Layers are not in the same region as the function. Layers are expected to be in region us-east-1."},
		{"two versions", []string{arn("one", 1), arn("one", 2)}, awserr.InvalidParameterValue,
			"Two different versions of the same layer are not allowed to be referenced in the same function. " + arn("one", 1) + " and " + arn("one", 2) + " are versions of the same layer."},
		{"same twice", []string{arn("one", 1), arn("one", 1)}, awserr.InvalidParameterValue,
			"Two different versions of the same layer are not allowed to be referenced in the same function. " + arn("one", 1) + " and " + arn("one", 1) + " are versions of the same layer."},
		{"not shared", []string{other.LayerVersionArn}, awserr.AccessDenied,
			"User: arn:aws:iam::123456789012:root is not authorized to perform: lambda:GetLayerVersion on resource: " + other.LayerVersionArn + " because no resource-based policy allows the lambda:GetLayerVersion action"},
		{"too big with the code", []string{big.LayerVersionArn, big2.LayerVersionArn}, awserr.InvalidParameterValue, "Unzipped size must be smaller than 262144000 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := createInput(t, "fn")
			in.Layers = tc.layers
			_, err := e.reg.CreateFunction(ctx, testAccount, in)
			wantAWSError(t, err, tc.code, tc.msg)
		})
	}

	in := createInput(t, "fn")
	in.Layers = []string{arn("one", 2), big.LayerVersionArn}
	out, err := e.reg.CreateFunction(ctx, testAccount, in)
	if err != nil {
		t.Fatal(err)
	}
	want := []Layer{{Arn: arn("one", 2), CodeSize: one.Content.CodeSize}, {Arn: big.LayerVersionArn, CodeSize: big.Content.CodeSize}}
	if fmt.Sprint(out.Layers) != fmt.Sprint(want) {
		t.Errorf("Layers = %+v, want %+v", out.Layers, want)
	}
	v, err := e.reg.Resolve(testAccount, "fn", "")
	if err != nil || len(v.Layers) != 2 || v.Layers[1].Digest() != big.Content.CodeDigest || v.Layers[1].UnzippedSize != 200_000_000 {
		t.Fatalf("resolved layers = %+v, %v", v, err)
	}

	// New code that no longer fits beside the layers is refused.
	_, err = e.reg.UpdateFunctionCode(ctx, testAccount, "fn", &UpdateFunctionCodeInput{ZipFile: bigZip(t, 62_144_001)})
	wantAWSError(t, err, awserr.InvalidParameterValue, "Unzipped size must be smaller than 262144000 bytes")

	// Deleting a layer version leaves the function as it is.
	if err := e.reg.DeleteLayerVersion(ctx, testAccount, "one", "2"); err != nil {
		t.Fatal(err)
	}
	cfg, err := e.reg.GetFunctionConfiguration(testAccount, "fn", "")
	if err != nil || fmt.Sprint(cfg.Layers) != fmt.Sprint(want) {
		t.Errorf("Layers after the layer's deletion = %+v, %v", cfg.Layers, err)
	}
	// But it cannot be added again.
	_, err = e.reg.UpdateFunctionConfiguration(ctx, testAccount, "fn", &UpdateFunctionConfigurationInput{FunctionSettings: FunctionSettings{Layers: []string{arn("one", 2)}}})
	wantAWSError(t, err, awserr.InvalidParameterValue, "Layer version "+arn("one", 2)+" does not exist.")

	// Shared with this account, another account's layer can be used.
	if _, err := e.reg.AddLayerVersionPermission(ctx, "210987654321", "shared", "1", "", &AddLayerVersionPermissionInput{
		StatementId: ptr("to-us"), Action: ptr("lambda:GetLayerVersion"), Principal: ptr(testAccount),
	}); err != nil {
		t.Fatal(err)
	}
	up, err := e.reg.UpdateFunctionConfiguration(ctx, testAccount, "fn", &UpdateFunctionConfigurationInput{FunctionSettings: FunctionSettings{Layers: []string{other.LayerVersionArn}}})
	if err != nil || len(up.Layers) != 1 || up.Layers[0].Arn != other.LayerVersionArn {
		t.Fatalf("shared layer: %+v, %v", up, err)
	}
	if _, err := e.reg.GetLayerVersionByArn(ctx, testAccount, other.LayerVersionArn); err != nil {
		t.Errorf("GetLayerVersionByArn of a shared layer: %v", err)
	}
	// An empty list removes the layers.
	up, err = e.reg.UpdateFunctionConfiguration(ctx, testAccount, "fn", &UpdateFunctionConfigurationInput{FunctionSettings: FunctionSettings{Layers: []string{}}})
	if err != nil || up.Layers != nil {
		t.Fatalf("no layers: %+v, %v", up.Layers, err)
	}
	if b, _ := json.Marshal(up); strings.Contains(string(b), `"Layers"`) {
		t.Errorf("Layers in a response without layers: %s", b)
	}
}

func TestLayerVersionPolicy(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	e.publish(testAccount, "l", nil)
	resource := "arn:aws:lambda:us-east-1:123456789012:layer:l:1"
	add := func(sid, principal, org, revision string) (*AddLayerVersionPermissionOutput, error) {
		in := &AddLayerVersionPermissionInput{StatementId: ptr(sid), Action: ptr("lambda:GetLayerVersion"), Principal: ptr(principal)}
		if org != "" {
			in.OrganizationId = ptr(org)
		}
		return e.reg.AddLayerVersionPermission(ctx, testAccount, "l", "1", revision, in)
	}

	_, err := e.reg.GetLayerVersionPolicy(ctx, testAccount, "l", "1")
	wantAWSError(t, err, awserr.ResourceNotFound, "No policy is associated with the given resource.")

	s1, err := add("s1", "*", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"Sid":"s1","Effect":"Allow","Principal":"*","Action":"lambda:GetLayerVersion","Resource":"` + resource + `"}`; s1.Statement != want {
		t.Errorf("Statement = %s\nwant        %s", s1.Statement, want)
	}
	s2, err := add("s2", "210987654321", "", s1.RevisionId)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"Sid":"s2","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::210987654321:root"},"Action":"lambda:GetLayerVersion","Resource":"` + resource + `"}`; s2.Statement != want {
		t.Errorf("Statement = %s\nwant        %s", s2.Statement, want)
	}
	s3, err := add("s3", "*", "o-abcdefghij", "")
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"Sid":"s3","Effect":"Allow","Principal":"*","Action":"lambda:GetLayerVersion","Resource":"` + resource + `","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abcdefghij"}}}`; s3.Statement != want {
		t.Errorf("Statement = %s\nwant        %s", s3.Statement, want)
	}
	pol, err := e.reg.GetLayerVersionPolicy(ctx, testAccount, "l", "1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(pol.Policy, `{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"s1",`) || pol.RevisionId != s3.RevisionId || strings.Count(pol.Policy, `"Sid"`) != 3 {
		t.Errorf("policy = %+v", pol)
	}

	errs := []struct {
		name      string
		err       error
		code, msg string
	}{
		{"duplicate", func() error { _, err := add("s1", "*", "", ""); return err }(), awserr.ResourceConflict,
			"The statement id (s1) provided already exists. Please provide a new statement id, or remove the existing statement."},
		{"wrong revision", func() error { _, err := add("s9", "*", "", "wrong"); return err }(), awserr.PreconditionFailed,
			"The Revision Id provided does not match the latest Revision Id. Call the GetLayerPolicy API to retrieve the latest Revision Id"},
		{"action", func() error {
			_, err := e.reg.AddLayerVersionPermission(ctx, testAccount, "l", "1", "", &AddLayerVersionPermissionInput{StatementId: ptr("x"), Action: ptr("*"), Principal: ptr("*")})
			return err
		}(), awserr.Validation, "1 validation error detected: Value '*' at 'action' failed to satisfy constraint: Member must satisfy regular expression pattern: lambda:GetLayerVersion"},
		{"missing members", func() error {
			_, err := e.reg.AddLayerVersionPermission(ctx, testAccount, "l", "1", "", &AddLayerVersionPermissionInput{})
			return err
		}(), awserr.Validation, "3 validation errors detected: Value null at 'statementId' failed to satisfy constraint: Member must not be null; Value null at 'action' failed to satisfy constraint: Member must not be null; Value null at 'principal' failed to satisfy constraint: Member must not be null"},
		{"add to missing layer", func() error {
			_, err := e.reg.AddLayerVersionPermission(ctx, testAccount, "nope", "1", "", &AddLayerVersionPermissionInput{StatementId: ptr("x"), Action: ptr("lambda:GetLayerVersion"), Principal: ptr("*")})
			return err
		}(), awserr.ResourceNotFound, "Layer version arn:aws:lambda:us-east-1:123456789012:layer:nope:1 does not exist."},
		{"add to missing version", func() error {
			_, err := e.reg.AddLayerVersionPermission(ctx, testAccount, "l", "2", "", &AddLayerVersionPermissionInput{StatementId: ptr("x"), Action: ptr("lambda:GetLayerVersion"), Principal: ptr("*")})
			return err
		}(),
			awserr.ResourceNotFound, "Layer version arn:aws:lambda:us-east-1:123456789012:layer:l:2 does not exist."},
		{"get missing version", func() error { _, err := e.reg.GetLayerVersionPolicy(ctx, testAccount, "l", "2"); return err }(),
			awserr.ResourceNotFound, "Layer version arn:aws:lambda:us-east-1:123456789012:layer:l:2 does not exist."},
		{"remove missing version", e.reg.RemoveLayerVersionPermission(ctx, testAccount, "l", "2", "s1", ""),
			awserr.ResourceNotFound, "Layer version arn:aws:lambda:us-east-1:123456789012:layer:l:2 does not exist."},
		{"remove unknown statement", e.reg.RemoveLayerVersionPermission(ctx, testAccount, "l", "1", "doesnotexist", ""),
			awserr.ResourceNotFound, "Statement doesnotexist is not found in resource policy."},
		{"remove wrong revision", e.reg.RemoveLayerVersionPermission(ctx, testAccount, "l", "1", "s1", "wrong"),
			awserr.PreconditionFailed, "The Revision Id provided does not match the latest Revision Id. Call the GetLayerPolicy API to retrieve the latest Revision Id"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) { wantAWSError(t, tc.err, tc.code, tc.msg) })
	}

	for _, sid := range []string{"s2", "s3"} {
		if err := e.reg.RemoveLayerVersionPermission(ctx, testAccount, "l", "1", sid, ""); err != nil {
			t.Fatal(err)
		}
	}
	pol2, err := e.reg.GetLayerVersionPolicy(ctx, testAccount, "l", "1")
	if err != nil || pol2.Policy != `{"Version":"2012-10-17","Id":"default","Statement":[`+s1.Statement+`]}` || pol2.RevisionId == pol.RevisionId {
		t.Errorf("policy after removals = %+v, %v", pol2, err)
	}
	if err := e.reg.RemoveLayerVersionPermission(ctx, testAccount, "l", "1", "s1", pol2.RevisionId); err != nil {
		t.Fatal(err)
	}
	_, err = e.reg.GetLayerVersionPolicy(ctx, testAccount, "l", "1")
	wantAWSError(t, err, awserr.ResourceNotFound, "No policy is associated with the given resource.")
}

func TestPublishLayerConcurrently(t *testing.T) {
	e := newEnv(t)
	const n = 8
	errs := make(chan error, n)
	versions := make(chan int64, n)
	zipFile := makeZip(t, map[string]string{"a": "b"})
	for range n {
		go func() {
			out, err := e.reg.PublishLayerVersion(t.Context(), testAccount, "race", &PublishLayerVersionInput{Content: &LayerContentInput{ZipFile: zipFile}})
			if err != nil {
				errs <- err
				return
			}
			versions <- out.Version
			errs <- nil
		}()
	}
	seen := map[int64]bool{}
	deadline := time.After(30 * time.Second)
	for range n {
		select {
		case err := <-errs:
			if err != nil {
				t.Fatal(err)
			}
		case <-deadline:
			t.Fatal("publishers did not finish")
		}
	}
	close(versions)
	for v := range versions {
		if seen[v] {
			t.Errorf("version %d published twice", v)
		}
		seen[v] = true
	}
	if len(seen) != n {
		t.Errorf("%d versions, want %d", len(seen), n)
	}
}
