package registry

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lambdad/lambdad/internal/awserr"
)

const (
	mgmtPattern       = `(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?`
	namespacedPattern = `(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?`
	runtimeEnum       = "nodejs20.x, python3.14, provided.al2023, python3.12, python3.13, nodejs24.x, nodejs22.x, java25, python3.10, python3.11, java21, ruby3.3, ruby3.4, ruby3.2, python3.8, python3.9, java17, nodejs16.x, dotnet10, dotnet8, java11, dotnet6, nodejs18.x, provided.al2, java8.al2, ruby4.0"
	arnPrefix         = "arn:aws:lambda:us-east-1:123456789012:function:"
)

// TestCreateFunctionValidation checks CreateFunction's answers to bad
// requests, code and message, against what AWS was recorded answering
// (LocalStack's AWS-validated snapshots, real errors quoted in issues) or,
// where noted, lambdad's own choice.
func TestCreateFunctionValidation(t *testing.T) {
	e := newEnv(t)
	longARN := arnPrefix + strings.Repeat("a", 140-len(arnPrefix)+1)
	tests := []struct {
		name    string
		edit    func(in *CreateFunctionInput)
		code    string
		message string
	}{
		{"name pattern", func(in *CreateFunctionInput) { in.FunctionName = ptr("invalid:function:name") },
			awserr.Validation, "1 validation error detected: Value 'invalid:function:name' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: " + mgmtPattern},
		{"name of 65", func(in *CreateFunctionInput) { in.FunctionName = ptr(strings.Repeat("a", 65)) },
			awserr.InvalidParameterValue, "1 validation error detected: Value '" + strings.Repeat("a", 65) + "' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 64"},
		{"ARN over 140", func(in *CreateFunctionInput) { in.FunctionName = ptr(longARN) },
			awserr.Validation, "1 validation error detected: Value '" + longARN + "' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 140"},
		{"length and pattern", func(in *CreateFunctionInput) {
			in.FunctionName = ptr("arn:aws:lambda:invalid-region:123456789012:function:" + strings.Repeat("a", 100))
		}, awserr.Validation, "2 validation errors detected: " +
			"Value 'arn:aws:lambda:invalid-region:123456789012:function:" + strings.Repeat("a", 100) + "' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 140; " +
			"Value 'arn:aws:lambda:invalid-region:123456789012:function:" + strings.Repeat("a", 100) + "' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: " + mgmtPattern},
		{"other region", func(in *CreateFunctionInput) {
			in.FunctionName = ptr("arn:aws:lambda:ap-southeast-1:123456789012:function:f")
		}, awserr.ResourceNotFound, "Functions from 'ap-southeast-1' are not reachable in this region ('us-east-1')"},
		{"other account", func(in *CreateFunctionInput) {
			in.FunctionName = ptr("arn:aws:lambda:us-east-1:111111111111:function:f")
		},
			awserr.AccessDenied, ""},
		{"role pattern", func(in *CreateFunctionInput) { in.Role = ptr("r1") },
			awserr.Validation, `1 validation error detected: Value 'r1' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+`},
		{"missing role and code", func(in *CreateFunctionInput) { in.Role, in.Code = nil, nil },
			awserr.Validation, "2 validation errors detected: Value null at 'role' failed to satisfy constraint: Member must not be null; Value null at 'code' failed to satisfy constraint: Member must not be null"},
		{"missing name", func(in *CreateFunctionInput) { in.FunctionName = nil },
			awserr.Validation, "1 validation error detected: Value null at 'functionName' failed to satisfy constraint: Member must not be null"},
		{"unknown runtime", func(in *CreateFunctionInput) { in.Runtime = ptr("non-existent-runtime") },
			awserr.InvalidParameterValue, "Value non-existent-runtime at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [" + runtimeEnum + "] or be a valid ARN"},
		{"upper-case runtime", func(in *CreateFunctionInput) { in.Runtime = ptr("PYTHON3.9") },
			awserr.InvalidParameterValue, "Value PYTHON3.9 at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [" + runtimeEnum + "] or be a valid ARN"},
		{"deprecated runtime", func(in *CreateFunctionInput) { in.Runtime = ptr("go1.x") },
			awserr.InvalidParameterValue, "The runtime parameter of go1.x is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions."},
		{"no runtime", func(in *CreateFunctionInput) { in.Runtime = nil },
			awserr.InvalidParameterValue, "Runtime and Handler are mandatory parameters for functions created with deployment packages."},
		{"no handler", func(in *CreateFunctionInput) { in.Handler = nil },
			awserr.InvalidParameterValue, "Runtime and Handler are mandatory parameters for functions created with deployment packages."},
		{"two architectures", func(in *CreateFunctionInput) { in.Architectures = []string{"x86_64", "arm64"} },
			awserr.Validation, "1 validation error detected: Value '[x86_64, arm64]' at 'architectures' failed to satisfy constraint: Member must have length less than or equal to 1"},
		{"upper-case architecture", func(in *CreateFunctionInput) { in.Architectures = []string{"X86_64"} },
			awserr.Validation, "1 validation error detected: Value '[X86_64]' at 'architectures' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], Member must not be null]"},
		{"timeout 0", func(in *CreateFunctionInput) { in.Timeout = ptr(0) },
			awserr.Validation, "1 validation error detected: Value '0' at 'timeout' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"timeout 901 and memory 127", func(in *CreateFunctionInput) { in.Timeout, in.MemorySize = ptr(901), ptr(127) },
			awserr.Validation, "2 validation errors detected: Value '901' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900; Value '127' at 'memorySize' failed to satisfy constraint: Member must have value greater than or equal to 128"},
		{"memory 10241", func(in *CreateFunctionInput) { in.MemorySize = ptr(10241) },
			awserr.Validation, "1 validation error detected: Value '10241' at 'memorySize' failed to satisfy constraint: Member must have value less than or equal to 10240"},
		{"ephemeral storage 10241", func(in *CreateFunctionInput) { in.EphemeralStorage = &EphemeralStorage{Size: ptr(10241)} },
			awserr.Validation, "1 validation error detected: Value '10241' at 'ephemeralStorage.size' failed to satisfy constraint: Member must have value less than or equal to 10240"},
		{"description 257", func(in *CreateFunctionInput) { in.Description = ptr(strings.Repeat("d", 257)) },
			awserr.Validation, "1 validation error detected: Value '" + strings.Repeat("d", 257) + "' at 'description' failed to satisfy constraint: Member must have length less than or equal to 256"},
		{"handler with space", func(in *CreateFunctionInput) { in.Handler = ptr("index handler") },
			awserr.Validation, `1 validation error detected: Value 'index handler' at 'handler' failed to satisfy constraint: Member must satisfy regular expression pattern: [^\s]+`},
		{"package type", func(in *CreateFunctionInput) { in.PackageType = ptr("Jar") },
			awserr.Validation, "1 validation error detected: Value 'Jar' at 'packageType' failed to satisfy constraint: Member must satisfy enum value set: [Zip, Image]"},
		{"image", func(in *CreateFunctionInput) { in.PackageType = ptr("Image") },
			awserr.InvalidParameterValue, "PackageType Image (container images) is not supported by lambdad; deploy a .zip file archive (PackageType Zip) instead."},
		{"image uri", func(in *CreateFunctionInput) {
			in.Code = &FunctionCode{ImageUri: ptr("123456789012.dkr.ecr.us-east-1.amazonaws.com/f:latest")}
		},
			awserr.InvalidParameterValue, "PackageType Image (container images) is not supported by lambdad; deploy a .zip file archive (PackageType Zip) instead."},
		{"s3 code", func(in *CreateFunctionInput) { in.Code = &FunctionCode{S3Bucket: ptr("b"), S3Key: ptr("k")} },
			awserr.InvalidParameterValue, "S3 code locations (S3Bucket, S3Key, S3ObjectVersion) are not supported by lambdad yet; upload the deployment package inline with ZipFile."},
		{"bad zip", func(in *CreateFunctionInput) { in.Code = &FunctionCode{ZipFile: []byte("not a zip")} },
			awserr.InvalidParameterValue, "Could not unzip uploaded file. Please check your file, then try to upload again."},
		{"zip over 50 MB", func(in *CreateFunctionInput) { in.Code = &FunctionCode{ZipFile: make([]byte, 52428801)} },
			awserr.RequestEntityTooLarge, "Zipped size must be smaller than 52428800 bytes"},
		{"environment name", func(in *CreateFunctionInput) { in.Environment = &Environment{Variables: map[string]string{"1A": "x"}} },
			awserr.Validation, "1 validation error detected: Value at 'environment.variables' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]"},
		{"reserved variables", func(in *CreateFunctionInput) {
			in.Environment = &Environment{Variables: map[string]string{"AWS_REGION": "x", "OK": "y", "AWS_ACCESS_KEY_ID": "z"}}
		}, awserr.InvalidParameterValue, "Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: AWS_ACCESS_KEY_ID, AWS_REGION"},
		{"environment over 4 KB", func(in *CreateFunctionInput) {
			in.Environment = &Environment{Variables: map[string]string{"LARGE_VAR": strings.Repeat("x", 4097-len(`{"LARGE_VAR":""}`))}}
		}, awserr.InvalidParameterValue, `Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: {"LARGE_VAR":"` + strings.Repeat("x", 4097-len(`{"LARGE_VAR":""}`)) + `"}`},
		{"log level with Text", func(in *CreateFunctionInput) { in.LoggingConfig = &LoggingConfig{ApplicationLogLevel: "DEBUG"} },
			awserr.InvalidParameterValue, `LogLevel is not supported when LogFormat is set to "Text". Remove LogLevel from your request or change the LogFormat to "JSON" and try again.`},
		{"too many tags", func(in *CreateFunctionInput) {
			in.Tags = map[string]string{}
			for i := range 51 {
				in.Tags[fmt.Sprint("k", i)] = "v"
			}
		}, awserr.InvalidParameterValue, "Number of tags exceeds resource tag limit."},
		{"aws: tag", func(in *CreateFunctionInput) { in.Tags = map[string]string{"AWS:x": "v"} },
			awserr.InvalidParameterValue, `Tag key "AWS:x" is invalid: tag keys starting with 'aws:' are reserved for use by AWS.`},
		{"vpc", func(in *CreateFunctionInput) { in.VpcConfig = &VpcConfig{SubnetIds: []string{"subnet-1"}} },
			awserr.InvalidParameterValue, "VpcConfig is not supported by lambdad."},
		{"layers", func(in *CreateFunctionInput) { in.Layers = []string{"arn:aws:lambda:us-east-1:123456789012:layer:l:1"} },
			awserr.InvalidParameterValue, "Layer version arn:aws:lambda:us-east-1:123456789012:layer:l:1 does not exist."},
		{"publish to", func(in *CreateFunctionInput) { in.PublishTo = ptr("LATEST_PUBLISHED") },
			awserr.InvalidParameterValue, "PublishTo is not supported by lambdad."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := createInput(t, "valid-name")
			tc.edit(in)
			_, err := e.reg.CreateFunction(t.Context(), testAccount, in)
			wantAWSError(t, err, tc.code, tc.message)
		})
	}
	if n := e.reg.AccountSettings(testAccount).AccountUsage.FunctionCount; n != 0 {
		t.Errorf("%d functions created by invalid requests", n)
	}
}

func TestCreateFunctionAccepts(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name  string
		edit  func(in *CreateFunctionInput)
		check func(t *testing.T, c *FunctionConfiguration)
	}{
		{"full ARN", func(in *CreateFunctionInput) { in.FunctionName = ptr(arnPrefix + "by-arn") }, func(t *testing.T, c *FunctionConfiguration) {
			if c.FunctionName != "by-arn" || c.FunctionArn != arnPrefix+"by-arn" {
				t.Errorf("name %q arn %q", c.FunctionName, c.FunctionArn)
			}
		}},
		{"partial ARN", func(in *CreateFunctionInput) { in.FunctionName = ptr("123456789012:function:by-partial") }, func(t *testing.T, c *FunctionConfiguration) {
			if c.FunctionName != "by-partial" {
				t.Errorf("name %q", c.FunctionName)
			}
		}},
		{"provided runtime without handler", func(in *CreateFunctionInput) {
			in.FunctionName, in.Runtime, in.Handler = ptr("provided"), ptr("provided.al2023"), nil
		}, func(t *testing.T, c *FunctionConfiguration) {
			if c.Handler != "" || c.Runtime != "provided.al2023" {
				t.Errorf("handler %q runtime %q", c.Handler, c.Runtime)
			}
		}},
		{"environment of exactly 4 KB", func(in *CreateFunctionInput) {
			in.FunctionName = ptr("env4k")
			in.Environment = &Environment{Variables: map[string]string{"LARGE_VAR": strings.Repeat("x", 4096-len(`{"LARGE_VAR":""}`))}}
		}, func(t *testing.T, c *FunctionConfiguration) {
			if len(c.Environment.Variables["LARGE_VAR"]) != 4080 {
				t.Errorf("variables %d bytes", len(c.Environment.Variables["LARGE_VAR"]))
			}
		}},
		{"empty environment is echoed", func(in *CreateFunctionInput) {
			in.FunctionName = ptr("env0")
			in.Environment = &Environment{}
		}, func(t *testing.T, c *FunctionConfiguration) {
			if c.Environment == nil || c.Environment.Variables == nil || len(c.Environment.Variables) != 0 {
				t.Errorf("environment %+v", c.Environment)
			}
		}},
		{"settings", func(in *CreateFunctionInput) {
			in.FunctionName = ptr("settings")
			in.Timeout, in.MemorySize, in.Description = ptr(900), ptr(10240), ptr("d")
			in.EphemeralStorage = &EphemeralStorage{Size: ptr(1024)}
			in.Architectures = []string{"arm64"}
			in.TracingConfig = &TracingConfig{Mode: "Active"}
			in.LoggingConfig = &LoggingConfig{LogFormat: "JSON", SystemLogLevel: "WARN"}
			in.SnapStart = &SnapStart{ApplyOn: "PublishedVersions"}
			in.DeadLetterConfig = &DeadLetterConfig{TargetArn: ptr("")}
			in.Tags = map[string]string{"team": "a"}
		}, func(t *testing.T, c *FunctionConfiguration) {
			want := `{900 10240 d 1024 [arm64] Active {JSON INFO WARN /aws/lambda/settings} PublishedVersions <nil>}`
			got := fmt.Sprintf("{%d %d %s %d %v %s %v %s %v}", c.Timeout, c.MemorySize, c.Description, *c.EphemeralStorage.Size, c.Architectures, c.TracingConfig.Mode, *c.LoggingConfig, c.SnapStart.ApplyOn, c.DeadLetterConfig)
			if got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := createInput(t, "x")
			tc.edit(in)
			c, err := e.reg.CreateFunction(t.Context(), testAccount, in)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

// TestFunctionNameValidation checks how the read and delete operations
// validate FunctionName and Qualifier (recorded against AWS by LocalStack's
// test_function_name_and_qualifier_validation and neighbours).
func TestFunctionNameValidation(t *testing.T) {
	e := newEnv(t)
	e.create("exists")
	get := func(name, q string) error { _, err := e.reg.GetFunction(testAccount, name, q); return err }
	del := func(name, q string) error { return e.reg.DeleteFunction(t.Context(), testAccount, name, q) }
	tests := []struct {
		name      string
		op        func(name, q string) error
		fn, q     string
		code, msg string
	}{
		{"get invalid characters", get, "my-function!", "", awserr.Validation,
			"1 validation error detected: Value 'my-function!' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: " + namespacedPattern},
		{"delete star", del, "*", "", awserr.Validation,
			"1 validation error detected: Value '*' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: " + namespacedPattern},
		{"get invalid qualifier", get, "my-function", "invalid!", awserr.Validation,
			`1 validation error detected: Value 'invalid!' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: \$(LATEST(\.PUBLISHED)?)|[a-zA-Z0-9-_$]+`},
		{"get qualifier too long", get, "my-function", strings.Repeat("a", 129), awserr.Validation,
			"1 validation error detected: Value '" + strings.Repeat("a", 129) + "' at 'qualifier' failed to satisfy constraint: Member must have length less than or equal to 128"},
		{"get name of 65 is just missing", get, strings.Repeat("a", 65), "", awserr.ResourceNotFound,
			"Function not found: " + arnPrefix + strings.Repeat("a", 65)},
		{"get qualified missing", get, "my-function", strings.Repeat("a", 65), awserr.ResourceNotFound,
			"Function not found: " + arnPrefix + "my-function:" + strings.Repeat("a", 65)},
		{"get incomplete ARN names a function called function", get, "arn:aws:lambda:us-east-1:123456789012:function", "", awserr.ResourceNotFound,
			"Function not found: " + arnPrefix + "function"},
		{"get multiple qualifiers", get, arnPrefix + "my-function:1:2", "", awserr.Validation,
			"1 validation error detected: Value '" + arnPrefix + "my-function:1:2' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: " + namespacedPattern},
		{"get missing account", get, "arn:aws:lambda:us-east-1::function:my-function", "", awserr.Validation,
			"1 validation error detected: Value 'arn:aws:lambda:us-east-1::function:my-function' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: " + namespacedPattern},
		{"get qualifier mismatch", get, arnPrefix + "exists:$LATEST", "1", awserr.InvalidParameterValue,
			"The derived qualifier from the function name does not match the specified qualifier."},
		{"get lower-case latest", get, arnPrefix + "my-function", "$latest", awserr.ResourceNotFound,
			"Function not found: " + arnPrefix + "my-function:$latest"},
		{"get other region", get, "arn:aws:lambda:eu-west-1:123456789012:function:exists", "", awserr.ResourceNotFound,
			"Functions from 'eu-west-1' are not reachable in this region ('us-east-1')"},
		{"get other account", get, "arn:aws:lambda:us-east-1:111111111111:function:exists", "", awserr.AccessDenied, ""},
		{"get unknown version", get, "exists", "1221", awserr.ResourceNotFound, "Function not found: " + arnPrefix + "exists:1221"},
		{"get both too long", get, "arn:aws:lambda:invalid-region:123456789012:function:my-function-" + strings.Repeat("a", 170), strings.Repeat("a", 129), awserr.Validation,
			"2 validation errors detected: Value 'arn:aws:lambda:invalid-region:123456789012:function:my-function-" + strings.Repeat("a", 170) + "' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: " + namespacedPattern +
				"; Value '" + strings.Repeat("a", 129) + "' at 'qualifier' failed to satisfy constraint: Member must have length less than or equal to 128"},
		{"delete $LATEST", del, arnPrefix + "some-function:$LATEST", "", awserr.InvalidParameterValue,
			"$LATEST version cannot be deleted without deleting the function."},
		{"delete alias", del, "my-function", strings.Repeat("a", 65), awserr.InvalidParameterValue,
			"Deletion of aliases is not currently supported."},
		{"delete version of missing function", del, "my-function", "1233", awserr.ResourceNotFound,
			"Function not found: " + arnPrefix + "my-function"},
		{"delete lower-case latest of missing function", del, arnPrefix + "my-function", "$latest", awserr.ResourceNotFound,
			"Function not found: " + arnPrefix + "my-function"},
		{"delete qualifier mismatch", del, "exists:1", "2", awserr.InvalidParameterValue,
			"The derived qualifier from the function name does not match the specified qualifier."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantAWSError(t, tc.op(tc.fn, tc.q), tc.code, tc.msg)
		})
	}
	// Deleting a version that does not exist succeeds, as on AWS.
	if err := del("exists", "1233"); err != nil {
		t.Errorf("delete of a missing version: %v", err)
	}
	if e.reg.Function(testAccount, "exists") == nil {
		t.Error("deleting a version deleted the function")
	}
}

func TestUpdateValidation(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	e.create("upd")
	zip := makeZip(t, map[string]string{"a": "b"})
	cfg := func(s FunctionSettings) error {
		_, err := e.reg.UpdateFunctionConfiguration(ctx, testAccount, "upd", &UpdateFunctionConfigurationInput{FunctionSettings: s})
		return err
	}
	tests := []struct {
		name      string
		err       func() error
		code, msg string
	}{
		{"missing function", func() error {
			_, err := e.reg.UpdateFunctionCode(ctx, testAccount, "nope", &UpdateFunctionCodeInput{ZipFile: zip})
			return err
		}, awserr.ResourceNotFound, "Function not found: " + arnPrefix + "nope"},
		{"alias", func() error {
			_, err := e.reg.UpdateFunctionCode(ctx, testAccount, "upd:prod", &UpdateFunctionCodeInput{ZipFile: zip})
			return err
		}, awserr.InvalidParameterValue, "This operation is permitted on Lambda functions only. Aliases and versions do not support this operation. Please specify either a function name or an unqualified function ARN."},
		{"image uri", func() error {
			_, err := e.reg.UpdateFunctionCode(ctx, testAccount, "upd", &UpdateFunctionCodeInput{ImageUri: ptr("x")})
			return err
		}, awserr.InvalidParameterValue, "Please don't provide ImageUri when updating a function with packageType Zip."},
		{"bad zip", func() error {
			_, err := e.reg.UpdateFunctionCode(ctx, testAccount, "upd", &UpdateFunctionCodeInput{ZipFile: []byte("PK")})
			return err
		}, awserr.InvalidParameterValue, "Could not unzip uploaded file. Please check your file, then try to upload again."},
		{"architectures", func() error {
			_, err := e.reg.UpdateFunctionCode(ctx, testAccount, "upd", &UpdateFunctionCodeInput{ZipFile: zip, Architectures: []string{}})
			return err
		}, awserr.Validation, "1 validation error detected: Value '[]' at 'architectures' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"deprecated runtime", func() error { return cfg(FunctionSettings{Runtime: ptr("python2.7")}) }, awserr.InvalidParameterValue,
			"The runtime parameter of python2.7 is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions."},
		{"timeout", func() error { return cfg(FunctionSettings{Timeout: ptr(1000)}) }, awserr.Validation,
			"1 validation error detected: Value '1000' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900"},
		{"reserved variable", func() error {
			return cfg(FunctionSettings{Environment: &Environment{Variables: map[string]string{"AWS_DEFAULT_REGION": "x"}}})
		}, awserr.InvalidParameterValue, "Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: AWS_DEFAULT_REGION"},
		{"other region", func() error {
			_, err := e.reg.UpdateFunctionConfiguration(ctx, testAccount, "arn:aws:lambda:eu-west-1:123456789012:function:upd", &UpdateFunctionConfigurationInput{})
			return err
		}, awserr.ResourceNotFound, "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantAWSError(t, tc.err(), tc.code, tc.msg)
		})
	}

	// Switching the log format to JSON defaults the levels; back to Text
	// drops them.
	out, err := e.reg.UpdateFunctionConfiguration(ctx, testAccount, "upd", &UpdateFunctionConfigurationInput{FunctionSettings: FunctionSettings{LoggingConfig: &LoggingConfig{LogFormat: "JSON"}}})
	if err != nil || *out.LoggingConfig != (LoggingConfig{LogFormat: "JSON", ApplicationLogLevel: "INFO", SystemLogLevel: "INFO", LogGroup: "/aws/lambda/upd"}) {
		t.Errorf("to JSON: %+v, %v", out.LoggingConfig, err)
	}
	out, err = e.reg.UpdateFunctionConfiguration(ctx, testAccount, "upd", &UpdateFunctionConfigurationInput{FunctionSettings: FunctionSettings{LoggingConfig: &LoggingConfig{LogFormat: "Text"}}})
	if err != nil || *out.LoggingConfig != (LoggingConfig{LogFormat: "Text", LogGroup: "/aws/lambda/upd"}) {
		t.Errorf("to Text: %+v, %v", out.LoggingConfig, err)
	}
	// DryRun changes nothing.
	before := e.reg.Function(testAccount, "upd").Latest.RevisionID
	if _, err := e.reg.UpdateFunctionCode(ctx, testAccount, "upd", &UpdateFunctionCodeInput{ZipFile: zip, DryRun: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	if e.reg.Function(testAccount, "upd").Latest.RevisionID != before {
		t.Error("DryRun changed the function")
	}
}

func TestEnvironmentSizeQuotesRequestOrder(t *testing.T) {
	in, err := decodeCreate(`{"Environment":{"Variables":{"SMALL_VAR":"ok","LARGE_VAR":"` + strings.Repeat("x", 4080) + `"}}}`)
	if err != nil {
		t.Fatal(err)
	}
	err = checkEnvironment(in.Environment)
	wantAWSError(t, err, awserr.InvalidParameterValue, `Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: {"SMALL_VAR":"ok","LARGE_VAR":"`+strings.Repeat("x", 4080)+`"}`)
	// Go's HTML escaping must not inflate what is measured.
	in, err = decodeCreate(`{"Environment":{"Variables":{"A_B":"<&>"}}}`)
	if err != nil {
		t.Fatal(err)
	}
	if got := compactEnvironment(in.Environment); got != `{"A_B":"<&>"}` {
		t.Errorf("compact = %s", got)
	}
}
