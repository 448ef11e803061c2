package e2e

import (
	"encoding/json"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambdad/lambdad/internal/lambdadtest"
)

// initTypeBootstrap answers every event with the environment's
// AWS_LAMBDA_INITIALIZATION_TYPE and its process id.
const initTypeBootstrap = `#!/bin/sh
set -eu
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01"
echo "initialised as $AWS_LAMBDA_INITIALIZATION_TYPE"
while true; do
  HEADERS="$(mktemp)"
  curl -sS -o /dev/null -LD "$HEADERS" "$API/runtime/invocation/next"
  REQUEST_ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
  rm -f "$HEADERS"
  curl -sS -o /dev/null -X POST "$API/runtime/invocation/$REQUEST_ID/response" \
    -d "{\"type\":\"$AWS_LAMBDA_INITIALIZATION_TYPE\",\"pid\":$$}"
done
`

// initTypeOf invokes name at qualifier and returns the initialization type
// its environment reported and the invocation's log tail.
func initTypeOf(t *testing.T, c *lambda.Client, name, qualifier string) (string, string) {
	t.Helper()
	out := invokeJSON(t, c, name, `{}`, tail, func(in *lambda.InvokeInput) {
		if qualifier != "" {
			in.Qualifier = aws.String(qualifier)
		}
	})
	var got struct{ Type string }
	if out.FunctionError != nil || json.Unmarshal(out.Payload, &got) != nil {
		t.Fatalf("invoke %s:%s: %s %s", name, qualifier, aws.ToString(out.FunctionError), out.Payload)
	}
	return got.Type, decodeLog(t, out)
}

var provisionedLastModified = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$`)

func TestProvisionedConcurrency(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	d := lambdadtest.Start(t, lambdadtest.Options{})
	c := d.Client()
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:prov"
	deploy(t, c, "prov", lambdadtest.ScriptZip(t, initTypeBootstrap), func(in *lambda.CreateFunctionInput) { in.Publish = true })
	if _, err := c.CreateAlias(ctx(t), &lambda.CreateAliasInput{FunctionName: aws.String("prov"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}

	put, err := c.PutProvisionedConcurrencyConfig(ctx(t), &lambda.PutProvisionedConcurrencyConfigInput{
		FunctionName: aws.String("prov"), Qualifier: aws.String("live"), ProvisionedConcurrentExecutions: aws.Int32(2),
	})
	if err != nil {
		t.Fatal(err)
	}
	if put.Status != types.ProvisionedConcurrencyStatusEnumInProgress || aws.ToInt32(put.RequestedProvisionedConcurrentExecutions) != 2 ||
		!provisionedLastModified.MatchString(aws.ToString(put.LastModified)) {
		t.Errorf("Put = %s requested %d last modified %q", put.Status, aws.ToInt32(put.RequestedProvisionedConcurrentExecutions), aws.ToString(put.LastModified))
	}

	// The environments initialise before any invocation.
	deadline := time.Now().Add(30 * time.Second)
	var get *lambda.GetProvisionedConcurrencyConfigOutput
	for {
		get, err = c.GetProvisionedConcurrencyConfig(ctx(t), &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String("prov"), Qualifier: aws.String("live")})
		if err != nil {
			t.Fatal(err)
		}
		if get.Status != types.ProvisionedConcurrencyStatusEnumInProgress {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %s after 30 s", get.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if get.Status != types.ProvisionedConcurrencyStatusEnumReady || aws.ToInt32(get.AllocatedProvisionedConcurrentExecutions) != 2 ||
		aws.ToInt32(get.AvailableProvisionedConcurrentExecutions) != 2 || aws.ToString(get.LastModified) != aws.ToString(put.LastModified) {
		t.Errorf("Get = %s allocated %d available %d reason %q", get.Status, aws.ToInt32(get.AllocatedProvisionedConcurrentExecutions),
			aws.ToInt32(get.AvailableProvisionedConcurrentExecutions), aws.ToString(get.StatusReason))
	}

	// Invocations through the alias run on them: no Init Duration.
	typ, log := initTypeOf(t, c, "prov", "live")
	if typ != "provisioned-concurrency" || !strings.Contains(log, "REPORT RequestId: ") || strings.Contains(log, "Init Duration") {
		t.Errorf("through the alias: %q, log:\n%s", typ, log)
	}
	// $LATEST has none: a cold start there is on demand.
	if typ, log := initTypeOf(t, c, "prov", ""); typ != "on-demand" || !strings.Contains(log, "Init Duration") {
		t.Errorf("$LATEST: %q, log:\n%s", typ, log)
	}

	list, err := c.ListProvisionedConcurrencyConfigs(ctx(t), &lambda.ListProvisionedConcurrencyConfigsInput{FunctionName: aws.String("prov")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.ProvisionedConcurrencyConfigs) != 1 || aws.ToString(list.ProvisionedConcurrencyConfigs[0].FunctionArn) != arn+":live" ||
		list.ProvisionedConcurrencyConfigs[0].Status != types.ProvisionedConcurrencyStatusEnumReady || list.NextMarker != nil {
		t.Errorf("List = %+v", list)
	}

	for _, tc := range []struct {
		name, qualifier string
		n               int32
		code, msg       string
	}{
		{"$LATEST", "$LATEST", 1, "InvalidParameterValueException", "Provisioned Concurrency Configs cannot be applied to unpublished function versions."},
		{"unknown version", "7", 1, "ResourceNotFoundException", "Function not found: " + arn + ":7"},
		{"unknown alias", "nope", 1, "ResourceNotFoundException", "Cannot find alias arn: " + arn + ":nope"},
		{"the alias's version", "1", 1, "ResourceConflictException", "Version is pointed by a Provisioned Concurrency alias"},
	} {
		_, err := c.PutProvisionedConcurrencyConfig(ctx(t), &lambda.PutProvisionedConcurrencyConfigInput{
			FunctionName: aws.String("prov"), Qualifier: aws.String(tc.qualifier), ProvisionedConcurrentExecutions: aws.Int32(tc.n),
		})
		t.Run(tc.name, func(t *testing.T) { wantAPIError(t, err, tc.code, tc.msg) })
	}
	if _, err := c.PutFunctionConcurrency(ctx(t), &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("prov"), ReservedConcurrentExecutions: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.PutProvisionedConcurrencyConfig(ctx(t), &lambda.PutProvisionedConcurrencyConfigInput{
		FunctionName: aws.String("prov"), Qualifier: aws.String("live"), ProvisionedConcurrentExecutions: aws.Int32(3),
	})
	wantAPIError(t, err, "InvalidParameterValueException", "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function")
	_, err = c.GetProvisionedConcurrencyConfig(ctx(t), &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String("prov"), Qualifier: aws.String("1")})
	wantAPIError(t, err, "ProvisionedConcurrencyConfigNotFoundException", "No Provisioned Concurrency Config found for this function")

	if _, err := c.DeleteFunctionConcurrency(ctx(t), &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String("prov")}); err != nil {
		t.Fatal(err)
	}

	// Moving the alias to another version moves its environments there.
	if _, err := c.UpdateFunctionConfiguration(ctx(t), &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("prov"), Description: aws.String("two")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PublishVersion(ctx(t), &lambda.PublishVersionInput{FunctionName: aws.String("prov")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateAlias(ctx(t), &lambda.UpdateAliasInput{FunctionName: aws.String("prov"), Name: aws.String("live"), FunctionVersion: aws.String("2")}); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(30 * time.Second)
	for {
		out := invokeJSON(t, c, "prov", `{}`, func(in *lambda.InvokeInput) { in.Qualifier = aws.String("live") })
		if aws.ToString(out.ExecutedVersion) == "2" && strings.Contains(string(out.Payload), `"provisioned-concurrency"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("version 2 has no provisioned environment 30 s after the alias moved: %s ran %s", aws.ToString(out.ExecutedVersion), out.Payload)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if typ, _ := initTypeOf(t, c, "prov", "1"); typ != "on-demand" {
		t.Errorf("version 1 after the alias moved away: %q", typ)
	}

	// Deleting the config releases the environments: the alias's
	// invocations then start on demand.
	if _, err := c.DeleteProvisionedConcurrencyConfig(ctx(t), &lambda.DeleteProvisionedConcurrencyConfigInput{FunctionName: aws.String("prov"), Qualifier: aws.String("live")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetProvisionedConcurrencyConfig(ctx(t), &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String("prov"), Qualifier: aws.String("live")})
	wantAPIError(t, err, "ProvisionedConcurrencyConfigNotFoundException", "No Provisioned Concurrency Config found for this function")
	deadline = time.Now().Add(30 * time.Second)
	for {
		typ, _ := initTypeOf(t, c, "prov", "live")
		if typ == "on-demand" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("invocations still run on provisioned environments 30 s after the config was deleted")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
