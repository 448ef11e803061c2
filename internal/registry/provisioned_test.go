package registry

import (
	"encoding/json"
	"maps"
	"testing"
	"time"

	"github.com/lambdad/lambdad/internal/awserr"
)

// provisionedFixture creates function f with versions 1 and 2, alias "live"
// on 1 and alias "next" on $LATEST.
func provisionedFixture(t *testing.T, cfg Config) *env {
	t.Helper()
	cfg.Now = func() time.Time { return time.Date(2026, 11, 23, 7, 31, 5, 118e6, time.UTC) }
	e := start(t, t.TempDir(), cfg)
	e.create("f")
	ctx := t.Context()
	for i := range 2 {
		desc := &UpdateFunctionConfigurationInput{FunctionSettings: FunctionSettings{Description: ptr(string(rune('a' + i)))}}
		if _, err := e.reg.UpdateFunctionConfiguration(ctx, testAccount, "f", desc); err != nil {
			t.Fatalf("UpdateFunctionConfiguration: %v", err)
		}
		if _, err := e.reg.PublishVersion(ctx, testAccount, "f", &PublishVersionInput{}); err != nil {
			t.Fatalf("PublishVersion: %v", err)
		}
	}
	for name, ver := range map[string]string{"live": "1", "next": Latest} {
		if _, err := e.reg.CreateAlias(ctx, testAccount, "f", &AliasInput{Name: ptr(name), FunctionVersion: ptr(ver)}); err != nil {
			t.Fatalf("CreateAlias %s: %v", name, err)
		}
	}
	return e
}

func TestPutProvisionedConcurrencyConfigErrors(t *testing.T) {
	e := provisionedFixture(t, Config{ConcurrencyLimit: 150})
	ctx := t.Context()
	arn := "arn:aws:lambda:us-east-1:123456789012:function:f"
	tests := []struct {
		name, fn, qualifier string
		n                   *int
		code, message       string
	}{
		{"no count", "f", "1", nil, awserr.Validation, "1 validation error detected: Value null at 'provisionedConcurrentExecutions' failed to satisfy constraint: Member must not be null"},
		{"zero", "f", "1", ptr(0), awserr.Validation, "1 validation error detected: Value '0' at 'provisionedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"no qualifier", "f", "", ptr(1), awserr.Validation, "1 validation error detected: Value null at 'qualifier' failed to satisfy constraint: Member must not be null"},
		{"bad qualifier", "f", "a.b", ptr(1), awserr.Validation, "1 validation error detected: Value 'a.b' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)"},
		{"latest", "f", Latest, ptr(1), awserr.InvalidParameterValue, msgProvisionedUnpublished},
		{"alias of latest", "f", "next", ptr(1), awserr.InvalidParameterValue, msgProvisionedUnpublished},
		{"unknown version", "f", "9", ptr(1), awserr.ResourceNotFound, "Function not found: " + arn + ":9"},
		{"unknown alias", "f", "nope", ptr(1), awserr.ResourceNotFound, "Cannot find alias arn: " + arn + ":nope"},
		{"unknown function", "g", "1", ptr(1), awserr.ResourceNotFound, "Function not found: arn:aws:lambda:us-east-1:123456789012:function:g:1"},
		{"qualifier mismatch", "f:2", "1", ptr(1), awserr.InvalidParameterValue, "The derived qualifier from the function name does not match the specified qualifier."},
		{"over the account's unreserved minimum", "f", "1", ptr(51), awserr.InvalidParameterValue, "Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100]."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.reg.PutProvisionedConcurrencyConfig(ctx, testAccount, tc.fn, tc.qualifier, tc.n)
			wantAWSError(t, err, tc.code, tc.message)
		})
	}
	if fn := e.reg.Function(testAccount, "f"); fn.Provisioned != nil {
		t.Errorf("failed puts stored %v", fn.Provisioned)
	}
}

func TestProvisionedConcurrencyConfigLifecycle(t *testing.T) {
	e := provisionedFixture(t, Config{ConcurrencyLimit: 150})
	ctx := t.Context()
	arn := "arn:aws:lambda:us-east-1:123456789012:function:f"

	out, err := e.reg.PutProvisionedConcurrencyConfig(ctx, testAccount, "f", "live", ptr(2))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(out)
	if want := `{"RequestedProvisionedConcurrentExecutions":2,"AvailableProvisionedConcurrentExecutions":0,"AllocatedProvisionedConcurrentExecutions":0,"Status":"IN_PROGRESS","LastModified":"2026-11-23T07:31:05+0000"}`; string(b) != want {
		t.Errorf("Put response\n got %s\nwant %s", b, want)
	}
	if len(out.Shares) != 1 || out.Shares[0] != (ProvisionedShare{Version: "1", N: 2, Total: 2}) {
		t.Errorf("shares = %+v", out.Shares)
	}

	// The version an alias with a config points to cannot have one too,
	// nor the other way round.
	_, err = e.reg.PutProvisionedConcurrencyConfig(ctx, testAccount, "f", "1", ptr(1))
	wantAWSError(t, err, awserr.ResourceConflict, msgProvisionedVerByAlias)
	if _, err := e.reg.PutProvisionedConcurrencyConfig(ctx, testAccount, arn+":2", "2", ptr(3)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.reg.UpdateAlias(ctx, testAccount, "f", "next", &AliasInput{FunctionVersion: ptr("2")}); err != nil {
		t.Fatal(err)
	}
	_, err = e.reg.PutProvisionedConcurrencyConfig(ctx, testAccount, "f", "next", ptr(1))
	wantAWSError(t, err, awserr.ResourceConflict, msgProvisionedAliasOnVer)

	// 150 - 100 leaves 50 for provisioned concurrency: 45 more fit, 46 not.
	_, err = e.reg.PutProvisionedConcurrencyConfig(ctx, testAccount, "f", "live", ptr(48))
	wantAWSError(t, err, awserr.InvalidParameterValue, "Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100].")
	if got := e.reg.AccountSettings(testAccount).AccountLimit.UnreservedConcurrentExecutions; got != 145 {
		t.Errorf("UnreservedConcurrentExecutions = %d, want 145", got)
	}

	if got := e.reg.Function(testAccount, "f").ProvisionedTargets(); !maps.Equal(got, map[string]int{"1": 2, "2": 3}) {
		t.Errorf("targets = %v", got)
	}

	get, err := e.reg.GetProvisionedConcurrencyConfig(testAccount, "f", "live")
	if err != nil {
		t.Fatal(err)
	}
	get.Fill(func(v string) ProvisionedAllocation { return ProvisionedAllocation{Allocated: 2} })
	if get.Status != ProvisionedReady || get.AllocatedProvisionedConcurrentExecutions != 2 || get.AvailableProvisionedConcurrentExecutions != 2 {
		t.Errorf("filled = %+v", get)
	}
	get.Fill(func(v string) ProvisionedAllocation { return ProvisionedAllocation{Allocated: 1, Failure: "x"} })
	if get.Status != ProvisionedFailed || get.StatusReason != "FUNCTION_ERROR_INIT_FAILURE" || get.AllocatedProvisionedConcurrentExecutions != 1 {
		t.Errorf("filled after a failure = %+v", get)
	}

	list, err := e.reg.ListProvisionedConcurrencyConfigs(testAccount, ListProvisionedInput{FunctionName: "f", MaxItems: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.ProvisionedConcurrencyConfigs) != 1 || list.ProvisionedConcurrencyConfigs[0].FunctionArn != arn+":2" || list.NextMarker == nil {
		t.Fatalf("page 1 = %+v", list)
	}
	list, err = e.reg.ListProvisionedConcurrencyConfigs(testAccount, ListProvisionedInput{FunctionName: "f", Marker: *list.NextMarker})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.ProvisionedConcurrencyConfigs) != 1 || list.ProvisionedConcurrencyConfigs[0].FunctionArn != arn+":live" || list.NextMarker != nil {
		t.Fatalf("page 2 = %+v", list)
	}

	if err := e.reg.DeleteProvisionedConcurrencyConfig(ctx, testAccount, "f", "live"); err != nil {
		t.Fatal(err)
	}
	_, err = e.reg.GetProvisionedConcurrencyConfig(testAccount, "f", "live")
	wantAWSError(t, err, awserr.ProvisionedConfigMissing, "No Provisioned Concurrency Config found for this function")
	if err := e.reg.DeleteProvisionedConcurrencyConfig(ctx, testAccount, "f", "live"); err != nil {
		t.Errorf("deleting a deleted config: %v", err)
	}
	_, err = e.reg.GetProvisionedConcurrencyConfig(testAccount, "f", Latest)
	wantAWSError(t, err, awserr.InvalidParameterValue, msgProvisionedNotVersion)
	err = e.reg.DeleteProvisionedConcurrencyConfig(ctx, testAccount, "f", Latest)
	wantAWSError(t, err, awserr.InvalidParameterValue, msgProvisionedNotVersion)
}

func TestProvisionedConcurrencyWithinReservation(t *testing.T) {
	e := provisionedFixture(t, Config{})
	ctx := t.Context()
	if _, err := e.reg.PutFunctionConcurrency(ctx, testAccount, "f", ptr(5)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.reg.PutProvisionedConcurrencyConfig(ctx, testAccount, "f", "2", ptr(3)); err != nil {
		t.Fatal(err)
	}
	_, err := e.reg.PutProvisionedConcurrencyConfig(ctx, testAccount, "f", "live", ptr(3))
	wantAWSError(t, err, awserr.InvalidParameterValue, msgProvisionedOverReserve)
	if _, err := e.reg.PutProvisionedConcurrencyConfig(ctx, testAccount, "f", "live", ptr(2)); err != nil {
		t.Fatal(err)
	}
	// Replacing a config counts the new value only.
	if _, err := e.reg.PutProvisionedConcurrencyConfig(ctx, testAccount, "f", "2", ptr(1)); err != nil {
		t.Fatal(err)
	}
	// A reservation holds its function's provisioned concurrency: the
	// account's unreserved concurrency is 1000 - 5.
	if got := e.reg.AccountSettings(testAccount).AccountLimit.UnreservedConcurrentExecutions; got != 995 {
		t.Errorf("UnreservedConcurrentExecutions = %d, want 995", got)
	}
}

func TestProvisionedSharesOfWeightedAlias(t *testing.T) {
	e := provisionedFixture(t, Config{})
	ctx := t.Context()
	if _, err := e.reg.PutProvisionedConcurrencyConfig(ctx, testAccount, "f", "live", ptr(10)); err != nil {
		t.Fatal(err)
	}
	// A routing config added later splits the environments by weight.
	in := &AliasInput{RoutingConfig: &AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.25}}}
	if _, err := e.reg.UpdateAlias(ctx, testAccount, "f", "live", in); err != nil {
		t.Fatal(err)
	}
	if got := e.reg.Function(testAccount, "f").ProvisionedTargets(); !maps.Equal(got, map[string]int{"1": 7, "2": 3}) {
		t.Errorf("targets = %v, want 1:7 2:3", got)
	}
	// A weighted alias takes no new config.
	_, err := e.reg.PutProvisionedConcurrencyConfig(ctx, testAccount, "f", "live", ptr(4))
	wantAWSError(t, err, awserr.InvalidParameterValue, msgProvisionedWeighted)
}
