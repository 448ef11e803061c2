package registry

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/lambdad/lambdad/internal/awserr"
)

func FuzzParseFunctionName(f *testing.F) {
	for _, s := range []string{
		"my-function", "my-function:prod", "my-function:$LATEST", "my-function:3",
		"123456789012:function:my-function", "123456789012:function:my-function:1",
		"arn:aws:lambda:us-west-2:123456789012:function:my-function",
		"arn:aws:lambda:us-west-2:123456789012:function:my-function:$LATEST.PUBLISHED",
		"arn:aws-cn:lambda:cn-north-1:123456789012:function:a.b",
		"arn:aws:lambda:us-east-1:123456789012:function", "arn:aws:lambda:us-east-1:123400000000@function:myfn",
		"function:my-function:$LATEST:extra", "us-gov-west-1:fn", "*", "", ":", "a:", strings.Repeat("a", 300),
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	digits := regexp.MustCompile(`^\d{12}$`)
	f.Fuzz(func(t *testing.T, s string, namespaced bool) {
		ref, err := ParseFunctionName(s, namespaced)
		if err != nil {
			if !awserr.Is(err, awserr.Validation) {
				t.Fatalf("ParseFunctionName(%q) error %v, want a ValidationException", s, err)
			}
			return
		}
		max := 140
		if namespaced {
			max = 256
		}
		if len(s) > max || ref.Name == "" {
			t.Fatalf("ParseFunctionName(%q) = %+v, accepted", s, ref)
		}
		if ref.Account != "" && !digits.MatchString(ref.Account) {
			t.Fatalf("ParseFunctionName(%q): account %q", s, ref.Account)
		}
		if !strings.Contains(s, ref.Name) || (ref.Qualifier != "" && !strings.HasSuffix(s, ":"+ref.Qualifier)) {
			t.Fatalf("ParseFunctionName(%q) = %+v: parts not from the input", s, ref)
		}
		if !namespaced && strings.Contains(ref.Name, ".") {
			t.Fatalf("ParseFunctionName(%q): management name with a dot", s)
		}
	})
}

// FuzzCreateFunctionRequest decodes a CreateFunction body and validates it
// as CreateFunction does up to the store: whatever the body, it must not
// panic, and every refusal must be an AWS error.
func FuzzCreateFunctionRequest(f *testing.F) {
	for _, s := range []string{
		`{"FunctionName":"f","Role":"arn:aws:iam::123456789012:role/r","Runtime":"python3.12","Handler":"index.handler","Code":{"ZipFile":"UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="}}`,
		`{"FunctionName":"arn:aws:lambda:us-east-1:123456789012:function:f","Role":"arn:aws:iam::123456789012:role/r","Runtime":"provided.al2023","Code":{"ZipFile":""},"Environment":{"Variables":{"A1":"x","AWS_REGION":"y"}},"Tags":{"aws:x":"y"}}`,
		`{"FunctionName":"f","Timeout":901,"MemorySize":127,"EphemeralStorage":{},"Architectures":[],"LoggingConfig":{"LogFormat":"Text","ApplicationLogLevel":"DEBUG"}}`,
		`{"FunctionName":"f","Role":"r1","Code":{"S3Bucket":"b","S3Key":"k"},"PackageType":"Image","Layers":["x"],"VpcConfig":{"SubnetIds":["s"]}}`,
		`{"Environment":{"Variables":{"_X":null,"Y":"\u2028<>&"}},"SnapStart":{"ApplyOn":"x"},"TracingConfig":{"Mode":"y"},"DeadLetterConfig":{"TargetArn":"z"}}`,
		`{"Environment":{"Variables":null},"Publish":true,"TenancyConfig":{},"CapacityProviderConfig":null}`,
		`{}`, `[]`, `null`, `{"FunctionName":5}`,
	} {
		f.Add([]byte(s))
	}
	r := &Registry{cfg: Config{Region: testRegion, ConcurrencyLimit: 1000, MinUnreservedConcurrency: 100}}
	f.Fuzz(func(t *testing.T, body []byte) {
		in := new(CreateFunctionInput)
		if err := json.Unmarshal(body, in); err != nil {
			return // the API answers InvalidRequestContentException
		}
		name, err := r.validateCreate(testAccount, in)
		if err != nil {
			if _, ok := awserr.As(err); !ok {
				t.Fatalf("validateCreate: %v is not an AWS error", err)
			}
			return
		}
		if name == "" || len(name) > maxBareNameLength {
			t.Fatalf("validateCreate accepted name %q", name)
		}
		ver := &Version{Version: Latest}
		if err := in.FunctionSettings.apply(ver, name); err != nil {
			if _, ok := awserr.As(err); !ok {
				t.Fatalf("apply: %v is not an AWS error", err)
			}
			return
		}
		if ver.Logging.LogFormat == "" || ver.Logging.LogGroup == "" {
			t.Fatalf("apply left logging unset: %+v", ver.Logging)
		}
		if in.Environment != nil && len(compactEnvironment(in.Environment)) > maxEnvironmentSize {
			t.Fatal("apply accepted an environment over 4 KB")
		}
	})
}
