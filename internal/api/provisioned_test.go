package api

import (
	"encoding/base64"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lambdad/lambdad/internal/registry"
)

// TestProvisionedWireShapes checks the provisioned concurrency operations
// on the wire: statuses, members, List=ALL on Get's path. Without a
// scheduler nothing is ever allocated.
func TestProvisionedWireShapes(t *testing.T) {
	a := newTestAPI(t, registry.Config{})
	zipB64 := base64.StdEncoding.EncodeToString(testZip(t, "x"))
	if resp, body := a.signed(t, "POST", "/2015-03-31/functions", `{"FunctionName":"pc","Role":"`+testRole+`","Runtime":"provided.al2023","Handler":"bootstrap","Code":{"ZipFile":"`+zipB64+`"},"Publish":true}`); resp.StatusCode != 201 {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	if _, err := a.client.CreateAlias(t.Context(), &lambda.CreateAliasInput{FunctionName: aws.String("pc"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	const path = "/2019-09-30/functions/pc/provisioned-concurrency"
	const inProgress = `"RequestedProvisionedConcurrentExecutions":2,"AvailableProvisionedConcurrentExecutions":0,"AllocatedProvisionedConcurrentExecutions":0,"Status":"IN_PROGRESS","LastModified":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000"`
	tests := []struct {
		name, method, path, body string
		status                   int
		errType                  string
		wantBody                 string // a regular expression
	}{
		{"put", "PUT", path + "?Qualifier=live", `{"ProvisionedConcurrentExecutions":2}`, 202, "", `\{` + inProgress + `\}`},
		{"get", "GET", path + "?Qualifier=live", "", 200, "", `\{` + inProgress + `\}`},
		{"list", "GET", path + "?List=ALL", "", 200, "", `\{"ProvisionedConcurrencyConfigs":\[\{"FunctionArn":"` + testARN + `pc:live",` + inProgress + `\}\]\}`},
		{"list page of 0", "GET", path + "?List=ALL&MaxItems=0", "", 400, "ValidationException", ""},
		{"put without a count", "PUT", path + "?Qualifier=live", `{}`, 400, "ValidationException",
			`\{"__type":"ValidationException","message":"1 validation error detected: Value null at 'provisionedConcurrentExecutions' failed to satisfy constraint: Member must not be null"\}`},
		{"put without a qualifier", "PUT", path, `{"ProvisionedConcurrentExecutions":1}`, 400, "ValidationException", ""},
		{"get $LATEST", "GET", path + "?Qualifier=$LATEST", "", 400, "InvalidParameterValueException", ""},
		{"version of the alias", "PUT", path + "?Qualifier=1", `{"ProvisionedConcurrentExecutions":1}`, 409, "ResourceConflictException", ""},
		{"delete", "DELETE", path + "?Qualifier=live", "", 204, "", ""},
		{"get deleted", "GET", path + "?Qualifier=live", "", 404, "ProvisionedConcurrencyConfigNotFoundException", ""},
		{"list none", "GET", path + "?List=ALL", "", 200, "", `\{"ProvisionedConcurrencyConfigs":\[\]\}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := a.signed(t, tc.method, tc.path, tc.body)
			if resp.StatusCode != tc.status || resp.Header.Get("X-Amzn-Errortype") != tc.errType {
				t.Fatalf("%d %q %s, want %d %q", resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"), body, tc.status, tc.errType)
			}
			got := strings.TrimSpace(string(body))
			if tc.status == 204 && got != "" {
				t.Errorf("body %s, want none", got)
			}
			if tc.wantBody != "" && !regexp.MustCompile(`^`+tc.wantBody+`$`).MatchString(got) {
				t.Errorf("body %s,\nwant %s", got, tc.wantBody)
			}
		})
	}
}
