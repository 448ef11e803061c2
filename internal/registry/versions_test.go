package registry

import (
	"testing"

	"github.com/lambdad/lambdad/internal/awserr"
)

func TestPublishVersion(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	latest := e.create("fn")
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:fn"

	v1, err := e.reg.PublishVersion(ctx, testAccount, "fn", &PublishVersionInput{Description: ptr("first")})
	if err != nil {
		t.Fatal(err)
	}
	if v1.Version != "1" || v1.FunctionArn != arn+":1" || v1.Description != "first" || v1.CodeSha256 != latest.CodeSha256 || v1.State != "Active" {
		t.Errorf("PublishVersion = version %q arn %q description %q sha %q state %q", v1.Version, v1.FunctionArn, v1.Description, v1.CodeSha256, v1.State)
	}
	if v1.RevisionId == latest.RevisionId {
		t.Error("published version shares $LATEST's RevisionId")
	}

	// Nothing changed since: AWS returns the same version.
	again, err := e.reg.PublishVersion(ctx, testAccount, "fn", &PublishVersionInput{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Version != "1" {
		t.Errorf("publishing an unchanged $LATEST made version %q, want 1", again.Version)
	}

	// Preconditions.
	_, err = e.reg.PublishVersion(ctx, testAccount, "fn", &PublishVersionInput{CodeSha256: ptr("AAAA")})
	wantAWSError(t, err, awserr.InvalidParameterValue, "CodeSHA256 (AAAA) is different from current CodeSHA256 in $LATEST ("+latest.CodeSha256+"). Please try again with the CodeSHA256 in $LATEST.")
	_, err = e.reg.PublishVersion(ctx, testAccount, "fn", &PublishVersionInput{RevisionId: ptr("nope")})
	wantAWSError(t, err, awserr.PreconditionFailed, "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")

	// Change $LATEST: version 1 keeps its configuration.
	if _, err := e.reg.UpdateFunctionConfiguration(ctx, testAccount, "fn", &UpdateFunctionConfigurationInput{FunctionSettings: FunctionSettings{Timeout: ptr(9)}}); err != nil {
		t.Fatal(err)
	}
	got, err := e.reg.GetFunctionConfiguration(testAccount, "fn", "1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Timeout != 3 || got.FunctionArn != arn+":1" {
		t.Errorf("version 1 after an update: timeout %d arn %s", got.Timeout, got.FunctionArn)
	}
	v2, err := e.reg.PublishVersion(ctx, testAccount, "fn", &PublishVersionInput{})
	if err != nil {
		t.Fatal(err)
	}
	if v2.Version != "2" || v2.Timeout != 9 {
		t.Errorf("second publish = version %q timeout %d", v2.Version, v2.Timeout)
	}

	// Listing: $LATEST first, then by number, in pages.
	page, err := e.reg.ListVersionsByFunction(testAccount, "fn", ListVersionsInput{MaxItems: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Versions) != 2 || page.Versions[0].Version != Latest || page.Versions[1].Version != "1" || page.NextMarker == nil {
		t.Fatalf("first page = %+v", page)
	}
	if page.Versions[0].FunctionArn != arn+":$LATEST" {
		t.Errorf("listed $LATEST ARN = %s", page.Versions[0].FunctionArn)
	}
	page, err = e.reg.ListVersionsByFunction(testAccount, "fn", ListVersionsInput{Marker: *page.NextMarker, MaxItems: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Versions) != 1 || page.Versions[0].Version != "2" || page.NextMarker != nil {
		t.Fatalf("second page = %+v", page)
	}

	// Deleting a version: gone, its number not reused, deleting again is
	// fine, $LATEST cannot be deleted.
	if err := e.reg.DeleteFunction(ctx, testAccount, "fn", "2"); err != nil {
		t.Fatal(err)
	}
	_, err = e.reg.GetFunctionConfiguration(testAccount, "fn", "2")
	wantAWSError(t, err, awserr.ResourceNotFound, "Function not found: "+arn+":2")
	if err := e.reg.DeleteFunction(ctx, testAccount, "fn", "2"); err != nil {
		t.Errorf("deleting a deleted version: %v", err)
	}
	v3, err := e.reg.PublishVersion(ctx, testAccount, "fn", &PublishVersionInput{})
	if err != nil {
		t.Fatal(err)
	}
	if v3.Version != "3" {
		t.Errorf("publish after deleting version 2 made %q, want 3", v3.Version)
	}
}

func TestPublishOnCreateAndUpdate(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	in := createInput(t, "fn")
	in.Publish = ptr(true)
	out, err := e.reg.CreateFunction(ctx, testAccount, in)
	if err != nil {
		t.Fatal(err)
	}
	if out.Version != "1" || out.FunctionArn != "arn:aws:lambda:us-east-1:123456789012:function:fn:1" {
		t.Errorf("CreateFunction with Publish = version %q arn %q", out.Version, out.FunctionArn)
	}
	up, err := e.reg.UpdateFunctionCode(ctx, testAccount, "fn", &UpdateFunctionCodeInput{
		ZipFile: makeZip(t, map[string]string{"index.py": "def handler(e, c): return 2\n"}),
		Publish: ptr(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	if up.Version != "2" {
		t.Errorf("UpdateFunctionCode with Publish = version %q, want 2", up.Version)
	}
	v1, _ := e.reg.GetFunctionConfiguration(testAccount, "fn", "1")
	if v1 == nil || v1.CodeSha256 == up.CodeSha256 {
		t.Errorf("version 1 has the new code")
	}
}

func TestAliases(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	e.create("fn")
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:fn"
	for range 2 {
		if _, err := e.reg.UpdateFunctionConfiguration(ctx, testAccount, "fn", &UpdateFunctionConfigurationInput{FunctionSettings: FunctionSettings{Description: ptr(e.reg.Function(testAccount, "fn").Latest.RevisionID)}}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.reg.PublishVersion(ctx, testAccount, "fn", &PublishVersionInput{}); err != nil {
			t.Fatal(err)
		}
	}

	a, err := e.reg.CreateAlias(ctx, testAccount, "fn", &AliasInput{Name: ptr("live"), FunctionVersion: ptr("1"), Description: ptr("d")})
	if err != nil {
		t.Fatal(err)
	}
	if a.AliasArn != arn+":live" || a.FunctionVersion != "1" || a.Description != "d" || a.RoutingConfig != nil || a.RevisionId == "" {
		t.Errorf("CreateAlias = %+v", a)
	}
	_, err = e.reg.CreateAlias(ctx, testAccount, "fn", &AliasInput{Name: ptr("live"), FunctionVersion: ptr("1")})
	wantAWSError(t, err, awserr.ResourceConflict, "Alias already exists: "+arn+":live")

	bad := []struct {
		name string
		in   AliasInput
		code string
		msg  string
	}{
		{"unknown version", AliasInput{Name: ptr("x"), FunctionVersion: ptr("9")}, awserr.ResourceNotFound, "Function not found: " + arn + ":9"},
		{"numeric name", AliasInput{Name: ptr("12"), FunctionVersion: ptr("1")}, awserr.Validation,
			"1 validation error detected: Value '12' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)"},
		{"no version", AliasInput{Name: ptr("x")}, awserr.Validation,
			"1 validation error detected: Value null at 'functionVersion' failed to satisfy constraint: Member must not be null"},
		{"weights on $LATEST", AliasInput{Name: ptr("x"), FunctionVersion: ptr("$LATEST"), RoutingConfig: &AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"1": 0.5}}},
			awserr.InvalidParameterValue, "$LATEST is not supported for an alias pointing to more than 1 version"},
		{"weight to itself", AliasInput{Name: ptr("x"), FunctionVersion: ptr("1"), RoutingConfig: &AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"1": 0.5}}},
			awserr.InvalidParameterValue, "Invalid function version 1. Function version 1 is already included in routing configuration."},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.reg.CreateAlias(ctx, testAccount, "fn", &tc.in)
			wantAWSError(t, err, tc.code, tc.msg)
		})
	}

	// Weighted routing: the alias names version 1, 30% go to version 2.
	up, err := e.reg.UpdateAlias(ctx, testAccount, "fn", "live", &AliasInput{
		RoutingConfig: &AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.3}},
		RevisionId:    &a.RevisionId,
	})
	if err != nil {
		t.Fatal(err)
	}
	if up.FunctionVersion != "1" || up.Description != "d" || up.RoutingConfig.AdditionalVersionWeights["2"] != 0.3 || up.RevisionId == a.RevisionId {
		t.Errorf("UpdateAlias = %+v", up)
	}
	_, err = e.reg.UpdateAlias(ctx, testAccount, "fn", "live", &AliasInput{RevisionId: &a.RevisionId})
	wantAWSError(t, err, awserr.PreconditionFailed, errRevision.Message)
	counts := map[string]int{}
	for range 2000 {
		v, err := e.reg.Resolve(testAccount, "fn", "live")
		if err != nil {
			t.Fatal(err)
		}
		counts[v.Version]++
	}
	if counts["1"]+counts["2"] != 2000 || counts["2"] < 480 || counts["2"] > 720 {
		t.Errorf("2000 invocations through a 30%% alias went %v", counts)
	}

	// An alias keeps its version from being deleted.
	err = e.reg.DeleteFunction(ctx, testAccount, "fn", "2")
	wantAWSError(t, err, awserr.ResourceConflict, "Unable to delete version because the following aliases reference it: [live]")

	cfg, err := e.reg.GetFunctionConfiguration(testAccount, "fn", "live")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Version != "1" || cfg.FunctionArn != arn+":live" {
		t.Errorf("configuration through the alias: version %q arn %q", cfg.Version, cfg.FunctionArn)
	}

	if _, err := e.reg.CreateAlias(ctx, testAccount, "fn", &AliasInput{Name: ptr("beta"), FunctionVersion: ptr("2")}); err != nil {
		t.Fatal(err)
	}
	list, err := e.reg.ListAliases(testAccount, "fn", ListAliasesInput{MaxItems: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Aliases) != 1 || list.Aliases[0].Name != "beta" || list.NextMarker == nil {
		t.Fatalf("ListAliases page 1 = %+v", list)
	}
	list, err = e.reg.ListAliases(testAccount, "fn", ListAliasesInput{Marker: *list.NextMarker})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Aliases) != 1 || list.Aliases[0].Name != "live" || list.NextMarker != nil {
		t.Fatalf("ListAliases page 2 = %+v", list)
	}
	list, _ = e.reg.ListAliases(testAccount, "fn", ListAliasesInput{FunctionVersion: "2"})
	if len(list.Aliases) != 1 || list.Aliases[0].Name != "beta" {
		t.Errorf("ListAliases for version 2 = %+v", list)
	}

	if err := e.reg.DeleteAlias(ctx, testAccount, "fn", "live"); err != nil {
		t.Fatal(err)
	}
	_, err = e.reg.GetAlias(testAccount, "fn", "live")
	wantAWSError(t, err, awserr.ResourceNotFound, "Cannot find alias arn: "+arn+":live")
	_, err = e.reg.Resolve(testAccount, "fn", "live")
	wantAWSError(t, err, awserr.ResourceNotFound, "Function not found: "+arn+":live")
	if err := e.reg.DeleteAlias(ctx, testAccount, "fn", "live"); err != nil {
		t.Errorf("deleting a deleted alias: %v", err)
	}
}

func BenchmarkResolveInvokeQualified(b *testing.B) {
	e := newEnv(b)
	ctx := b.Context()
	e.create("bench")
	if _, err := e.reg.PublishVersion(ctx, testAccount, "bench", &PublishVersionInput{}); err != nil {
		b.Fatal(err)
	}
	if _, err := e.reg.CreateAlias(ctx, testAccount, "bench", &AliasInput{Name: ptr("live"), FunctionVersion: ptr("1")}); err != nil {
		b.Fatal(err)
	}
	for _, q := range []string{"", "1", "live"} {
		b.Run("qualifier="+q, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := e.reg.ResolveInvoke(testAccount, "bench", q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
