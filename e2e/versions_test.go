package e2e

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambdad/lambdad/internal/lambdadtest"
)

// echoSeen is what goEcho reports about the environment it ran in.
type echoSeen struct {
	ARN string            `json:"arn"`
	Env map[string]string `json:"env"`
}

func invokeEcho(t *testing.T, c *lambda.Client, name, qualifier string) (echoSeen, string) {
	t.Helper()
	out := invokeJSON(t, c, name, `{}`, func(in *lambda.InvokeInput) {
		if qualifier != "" {
			in.Qualifier = aws.String(qualifier)
		}
	})
	if out.FunctionError != nil {
		t.Fatalf("invoke %s:%s: function error %s", name, qualifier, out.Payload)
	}
	var seen echoSeen
	if err := json.Unmarshal(out.Payload, &seen); err != nil {
		t.Fatalf("invoke %s:%s: %v in %s", name, qualifier, err, out.Payload)
	}
	return seen, aws.ToString(out.ExecutedVersion)
}

func setGreeting(t *testing.T, c *lambda.Client, name, greeting string) {
	t.Helper()
	_, err := c.UpdateFunctionConfiguration(ctx(t), &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String(name),
		Environment:  &types.Environment{Variables: map[string]string{"GREETING": greeting}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestVersionsKeepTheirConfiguration(t *testing.T) {
	d := lambdadtest.Start(t, lambdadtest.Options{})
	c := d.Client()
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:ver"
	deploy(t, c, "ver", lambdadtest.GoZip(t, goEcho), func(in *lambda.CreateFunctionInput) {
		in.Environment = &types.Environment{Variables: map[string]string{"GREETING": "one"}}
		in.Publish = true
	})
	setGreeting(t, c, "ver", "two")
	v2, err := c.PublishVersion(ctx(t), &lambda.PublishVersionInput{FunctionName: aws.String("ver"), Description: aws.String("second")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(v2.Version) != "2" || aws.ToString(v2.FunctionArn) != arn+":2" || aws.ToString(v2.Description) != "second" {
		t.Errorf("PublishVersion = %s %s %q", aws.ToString(v2.Version), aws.ToString(v2.FunctionArn), aws.ToString(v2.Description))
	}
	setGreeting(t, c, "ver", "three")

	for _, tc := range []struct {
		qualifier, greeting, version, arn string
	}{
		{"", "three", "$LATEST", arn},
		{"$LATEST", "three", "$LATEST", arn + ":$LATEST"},
		{"1", "one", "1", arn + ":1"},
		{"2", "two", "2", arn + ":2"},
	} {
		seen, executed := invokeEcho(t, c, "ver", tc.qualifier)
		if seen.Env["GREETING"] != tc.greeting || seen.Env["AWS_LAMBDA_FUNCTION_VERSION"] != tc.version || executed != tc.version || seen.ARN != tc.arn {
			t.Errorf("invoke qualifier %q: greeting %q version env %q executed %q arn %q; want %q %q %q %q",
				tc.qualifier, seen.Env["GREETING"], seen.Env["AWS_LAMBDA_FUNCTION_VERSION"], executed, seen.ARN,
				tc.greeting, tc.version, tc.version, tc.arn)
		}
	}
	// A qualified ARN as the function name works too.
	seen, executed := invokeEcho(t, c, arn+":1", "")
	if executed != "1" || seen.Env["GREETING"] != "one" {
		t.Errorf("invoke by qualified ARN: executed %q greeting %q", executed, seen.Env["GREETING"])
	}

	// Listing, with the SDK's paginator.
	var versions []string
	p := lambda.NewListVersionsByFunctionPaginator(c, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String("ver"), MaxItems: aws.Int32(1)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.Versions {
			versions = append(versions, aws.ToString(v.Version)+"="+aws.ToString(v.FunctionArn))
		}
	}
	want := []string{"$LATEST=" + arn + ":$LATEST", "1=" + arn + ":1", "2=" + arn + ":2"}
	if len(versions) != 3 || versions[0] != want[0] || versions[1] != want[1] || versions[2] != want[2] {
		t.Errorf("ListVersionsByFunction = %v, want %v", versions, want)
	}

	// The published-version waiter passes.
	w := lambda.NewPublishedVersionActiveWaiter(c)
	if err := w.Wait(ctx(t), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("ver"), Qualifier: aws.String("2")}, 10e9); err != nil {
		t.Errorf("PublishedVersionActive: %v", err)
	}

	// Bad and unknown qualifiers.
	_, err = c.Invoke(ctx(t), &lambda.InvokeInput{FunctionName: aws.String("ver"), Qualifier: aws.String("7")})
	wantAPIError(t, err, "ResourceNotFoundException", "Function not found: "+arn+":7")
	_, err = c.Invoke(ctx(t), &lambda.InvokeInput{FunctionName: aws.String("ver"), Qualifier: aws.String("nope")})
	wantAPIError(t, err, "ResourceNotFoundException", "Function not found: "+arn+":nope")
	_, err = c.Invoke(ctx(t), &lambda.InvokeInput{FunctionName: aws.String(arn + ":1"), Qualifier: aws.String("2")})
	wantAPIError(t, err, "InvalidParameterValueException", "The derived qualifier from the function name does not match the specified qualifier.")
	_, err = c.GetFunctionConfiguration(ctx(t), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("ver"), Qualifier: aws.String("9")})
	wantAPIError(t, err, "ResourceNotFoundException", "Function not found: "+arn+":9")
	_, err = c.PublishVersion(ctx(t), &lambda.PublishVersionInput{FunctionName: aws.String("ver"), CodeSha256: aws.String("AAAA")})
	wantAPIError(t, err, "InvalidParameterValueException", "")

	// Deleting version 1 leaves version 2 running.
	if _, err := c.DeleteFunction(ctx(t), &lambda.DeleteFunctionInput{FunctionName: aws.String("ver"), Qualifier: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Invoke(ctx(t), &lambda.InvokeInput{FunctionName: aws.String("ver"), Qualifier: aws.String("1")})
	wantAPIError(t, err, "ResourceNotFoundException", "Function not found: "+arn+":1")
	if _, executed := invokeEcho(t, c, "ver", "2"); executed != "2" {
		t.Errorf("version 2 after deleting 1: executed %q", executed)
	}
}

func TestAliasWeightedRouting(t *testing.T) {
	d := lambdadtest.Start(t, lambdadtest.Options{})
	c := d.Client()
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:canary"
	deploy(t, c, "canary", lambdadtest.GoZip(t, goEcho), func(in *lambda.CreateFunctionInput) {
		in.Environment = &types.Environment{Variables: map[string]string{"GREETING": "stable"}}
		in.Publish = true
	})
	setGreeting(t, c, "canary", "canary")
	if _, err := c.PublishVersion(ctx(t), &lambda.PublishVersionInput{FunctionName: aws.String("canary")}); err != nil {
		t.Fatal(err)
	}

	created, err := c.CreateAlias(ctx(t), &lambda.CreateAliasInput{
		FunctionName:    aws.String("canary"),
		Name:            aws.String("live"),
		FunctionVersion: aws.String("1"),
		RoutingConfig:   &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.25}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(created.AliasArn) != arn+":live" || created.RoutingConfig.AdditionalVersionWeights["2"] != 0.25 {
		t.Errorf("CreateAlias = %s %v", aws.ToString(created.AliasArn), created.RoutingConfig)
	}
	_, err = c.CreateAlias(ctx(t), &lambda.CreateAliasInput{FunctionName: aws.String("canary"), Name: aws.String("live"), FunctionVersion: aws.String("1")})
	wantAPIError(t, err, "ResourceConflictException", "Alias already exists: "+arn+":live")

	const n = 240
	counts := map[string]int{}
	for range n {
		seen, executed := invokeEcho(t, c, "canary", "live")
		if seen.ARN != arn+":live" {
			t.Fatalf("invoked ARN through the alias = %q", seen.ARN)
		}
		want := map[string]string{"1": "stable", "2": "canary"}[executed]
		if seen.Env["GREETING"] != want || seen.Env["AWS_LAMBDA_FUNCTION_VERSION"] != executed {
			t.Fatalf("executed version %q ran greeting %q, version env %q", executed, seen.Env["GREETING"], seen.Env["AWS_LAMBDA_FUNCTION_VERSION"])
		}
		counts[executed]++
	}
	// 25% of 240 is 60; 30 and 90 are more than 4.5 standard deviations
	// (6.7) away.
	if counts["1"]+counts["2"] != n || counts["2"] < 30 || counts["2"] > 90 {
		t.Errorf("%d invocations through a 25%% alias went %v", n, counts)
	}

	// Shift all traffic: the alias now names version 2 alone.
	up, err := c.UpdateAlias(ctx(t), &lambda.UpdateAliasInput{
		FunctionName:    aws.String("canary"),
		Name:            aws.String("live"),
		FunctionVersion: aws.String("2"),
		RoutingConfig:   &types.AliasRoutingConfiguration{},
		RevisionId:      created.RevisionId,
	})
	if err != nil {
		t.Fatal(err)
	}
	if up.RoutingConfig != nil && len(up.RoutingConfig.AdditionalVersionWeights) != 0 {
		t.Errorf("UpdateAlias kept weights %v", up.RoutingConfig.AdditionalVersionWeights)
	}
	for range 10 {
		if _, executed := invokeEcho(t, c, "canary", "live"); executed != "2" {
			t.Fatalf("after shifting, executed %q", executed)
		}
	}
	_, err = c.UpdateAlias(ctx(t), &lambda.UpdateAliasInput{FunctionName: aws.String("canary"), Name: aws.String("live"), RevisionId: created.RevisionId})
	wantAPIError(t, err, "PreconditionFailedException", "")

	got, err := c.GetAlias(ctx(t), &lambda.GetAliasInput{FunctionName: aws.String("canary"), Name: aws.String("live")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.FunctionVersion) != "2" || aws.ToString(got.RevisionId) != aws.ToString(up.RevisionId) {
		t.Errorf("GetAlias = %s %s", aws.ToString(got.FunctionVersion), aws.ToString(got.RevisionId))
	}
	list, err := c.ListAliases(ctx(t), &lambda.ListAliasesInput{FunctionName: aws.String("canary")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Aliases) != 1 || aws.ToString(list.Aliases[0].Name) != "live" {
		t.Errorf("ListAliases = %+v", list.Aliases)
	}
	_, err = c.DeleteFunction(ctx(t), &lambda.DeleteFunctionInput{FunctionName: aws.String("canary"), Qualifier: aws.String("2")})
	wantAPIError(t, err, "ResourceConflictException", "")
	if _, err := c.DeleteAlias(ctx(t), &lambda.DeleteAliasInput{FunctionName: aws.String("canary"), Name: aws.String("live")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetAlias(ctx(t), &lambda.GetAliasInput{FunctionName: aws.String("canary"), Name: aws.String("live")})
	wantAPIError(t, err, "ResourceNotFoundException", "Cannot find alias arn: "+arn+":live")
	_, err = c.Invoke(ctx(t), &lambda.InvokeInput{FunctionName: aws.String("canary"), Qualifier: aws.String("live")})
	wantAPIError(t, err, "ResourceNotFoundException", "Function not found: "+arn+":live")
}
