package registry

import "strings"

// creatableRuntimes are the Runtime values AWS accepts in CreateFunction and
// UpdateFunctionConfiguration, in the order AWS lists them in its error
// message (recorded against AWS on 2026-01-12 by LocalStack's
// test_create_lambda_exceptions), plus ruby4.0, which the model has and the
// recording predates.
var creatableRuntimes = []string{
	"nodejs20.x", "python3.14", "provided.al2023", "python3.12", "python3.13",
	"nodejs24.x", "nodejs22.x", "java25", "python3.10", "python3.11", "java21",
	"ruby3.3", "ruby3.4", "ruby3.2", "python3.8", "python3.9", "java17",
	"nodejs16.x", "dotnet10", "dotnet8", "java11", "dotnet6", "nodejs18.x",
	"provided.al2", "java8.al2", "ruby4.0",
}

// deprecatedRuntimes are the rest of the model's Runtime enum: AWS still
// reports them for old functions but refuses them for creating or updating
// one ("The runtime parameter of go1.x is no longer supported ...", recorded
// for go1.x, java8, nodejs12.x, nodejs14.x, provided, python3.7, ruby2.7,
// dotnetcore3.1).
var deprecatedRuntimes = []string{
	"nodejs", "nodejs4.3", "nodejs6.10", "nodejs8.10", "nodejs10.x",
	"nodejs12.x", "nodejs14.x", "java8", "python2.7", "python3.6",
	"python3.7", "dotnetcore1.0", "dotnetcore2.0", "dotnetcore2.1",
	"dotnetcore3.1", "nodejs4.3-edge", "go1.x", "ruby2.5", "ruby2.7",
	"provided",
}

// checkRuntime returns AWS's error for a Runtime value that a function
// cannot be created or updated with.
func checkRuntime(runtime string) error {
	for _, r := range creatableRuntimes {
		if r == runtime {
			return nil
		}
	}
	for _, r := range deprecatedRuntimes {
		if r == runtime {
			return invalidParameter("The runtime parameter of %s is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions.", runtime)
		}
	}
	// AWS checks Runtime outside its model validation (it also accepts a
	// runtime version ARN), hence InvalidParameterValueException and the
	// unquoted value.
	return invalidParameter("Value %s at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [%s] or be a valid ARN", runtime, strings.Join(creatableRuntimes, ", "))
}

// isProvided reports whether runtime is an OS-only runtime, whose bootstrap
// executable ignores Handler.
func isProvided(runtime string) bool {
	return strings.HasPrefix(runtime, "provided")
}
