package registry

import (
	"regexp"
	"sync"
)

// pattern is a constraint of the AWS model: the text AWS quotes in its
// validation messages, and the same expression anchored at both ends (the
// model's patterns are Java full-match patterns).
type pattern struct {
	text string
	re   func() *regexp.Regexp
}

// mustPattern compiles text on first use, not at start-up: every sandbox
// init is a fresh lambdad process, and compiling these takes a millisecond
// of its start.
func mustPattern(text string) *pattern {
	return &pattern{text: text, re: sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(?:` + text + `)$`)
	})}
}

// Patterns of the model (aws-model/lambda-service-2.json, botocore 1.43.11).
// Real AWS has since added "(eusc-)?" before the region part of the ARN
// patterns; lambdad quotes the model.
var (
	// functionNamePattern is the FunctionName shape of the management
	// operations (CreateFunction, UpdateFunction*, *FunctionConcurrency).
	functionNamePattern = mustPattern(`(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?`)
	// namespacedNamePattern is NamespacedFunctionName (GetFunction,
	// GetFunctionConfiguration, DeleteFunction, Invoke): dots and
	// $LATEST.PUBLISHED allowed.
	namespacedNamePattern = mustPattern(`(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?`)
	// qualifierPattern is NumericLatestPublishedOrAliasQualifier, the
	// Qualifier query parameter.
	qualifierPattern = mustPattern(`\$(LATEST(\.PUBLISHED)?)|[a-zA-Z0-9-_$]+`)
	// aliasNamePattern is Alias: not all digits.
	aliasNamePattern = regexp.MustCompile(`^[a-zA-Z0-9-_]+$`)
	allDigits        = regexp.MustCompile(`^[0-9]+$`)
	// functionVersionPattern is Version: $LATEST or a number.
	functionVersionPattern = mustPattern(`(\$LATEST|[0-9]+)`)

	rolePattern         = mustPattern(`arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+`)
	handlerPattern      = mustPattern(`[^\s]+`)
	envNamePattern      = mustPattern(`[a-zA-Z]([a-zA-Z0-9_])+`)
	kmsKeyArnPattern    = mustPattern(`(arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*)|()`)
	resourceArnPattern  = mustPattern(`(arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*)|()`)
	logGroupPattern     = mustPattern(`[\.\-_/#A-Za-z0-9]+`)
	masterRegionPattern = mustPattern(`ALL|[a-z]{2}(-gov)?-[a-z]+-\d{1}`)
	// taggablePattern is TaggableResource, the Resource of the tag operations.
	taggablePattern = mustPattern(`arn:(aws[a-zA-Z-]*):lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:(function:[a-zA-Z0-9-_]+(:(\$LATEST|[a-zA-Z0-9-_]+))?|code-signing-config:csc-[a-z0-9]{17}|event-source-mapping:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|capacity-provider:[a-zA-Z0-9-_]+)`)
)
