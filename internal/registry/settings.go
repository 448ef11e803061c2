package registry

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Limits AWS enforces beyond (or instead of) the model.
const (
	maxTimeout          = 900
	maxMemorySize       = 10240 // the model allows 32768, for Lambda Managed Instances only
	minMemorySize       = 128
	minEphemeralStorage = 512
	maxEphemeralStorage = 10240
	maxBareNameLength   = 64
)

// Defaults of a new function.
const (
	defaultTimeout          = 3
	defaultMemorySize       = 128
	defaultEphemeralStorage = 512
	defaultArchitecture     = "x86_64"
	defaultTracingMode      = "PassThrough"
)

// FunctionSettings are the members CreateFunction and
// UpdateFunctionConfiguration share. A nil member is absent from the request.
type FunctionSettings struct {
	Role                   *string           `json:"Role,omitempty"`
	Handler                *string           `json:"Handler,omitempty"`
	Description            *string           `json:"Description,omitempty"`
	Timeout                *int              `json:"Timeout,omitempty"`
	MemorySize             *int              `json:"MemorySize,omitempty"`
	VpcConfig              *VpcConfig        `json:"VpcConfig,omitempty"`
	Environment            *Environment      `json:"Environment,omitempty"`
	Runtime                *string           `json:"Runtime,omitempty"`
	DeadLetterConfig       *DeadLetterConfig `json:"DeadLetterConfig,omitempty"`
	KMSKeyArn              *string           `json:"KMSKeyArn,omitempty"`
	TracingConfig          *TracingConfig    `json:"TracingConfig,omitempty"`
	Layers                 []string          `json:"Layers,omitempty"`
	FileSystemConfigs      []json.RawMessage `json:"FileSystemConfigs,omitempty"`
	ImageConfig            json.RawMessage   `json:"ImageConfig,omitempty"`
	EphemeralStorage       *EphemeralStorage `json:"EphemeralStorage,omitempty"`
	SnapStart              *SnapStart        `json:"SnapStart,omitempty"`
	LoggingConfig          *LoggingConfig    `json:"LoggingConfig,omitempty"`
	CapacityProviderConfig json.RawMessage   `json:"CapacityProviderConfig,omitempty"`
	DurableConfig          json.RawMessage   `json:"DurableConfig,omitempty"`
}

// present reports whether a raw JSON member was given a value.
func present(raw json.RawMessage) bool {
	return len(raw) > 0 && string(raw) != "null"
}

// check adds the violations of the model's constraints (and of the limits
// AWS reports the same way) to v.
func (s *FunctionSettings) check(v *violations) {
	if s.Role != nil {
		v.pattern(*s.Role, "role", rolePattern)
	}
	if s.Handler != nil && *s.Handler != "" {
		v.length(*s.Handler, "handler", 0, 128)
		v.pattern(*s.Handler, "handler", handlerPattern)
	}
	if s.Description != nil {
		v.length(*s.Description, "description", 0, 256)
	}
	if s.Timeout != nil {
		v.intRange(int64(*s.Timeout), "timeout", 1, maxTimeout)
	}
	if s.MemorySize != nil {
		v.intRange(int64(*s.MemorySize), "memorySize", minMemorySize, maxMemorySize)
	}
	if s.Environment != nil {
		checkEnvironmentNames(s.Environment, v)
	}
	if s.KMSKeyArn != nil {
		v.pattern(*s.KMSKeyArn, "kMSKeyArn", kmsKeyArnPattern)
	}
	if s.DeadLetterConfig != nil && s.DeadLetterConfig.TargetArn != nil {
		v.pattern(*s.DeadLetterConfig.TargetArn, "deadLetterConfig.targetArn", resourceArnPattern)
	}
	if s.TracingConfig != nil && s.TracingConfig.Mode != "" {
		v.enum(s.TracingConfig.Mode, "tracingConfig.mode", "Active", "PassThrough")
	}
	checkLayerArns(s.Layers, v)
	if s.EphemeralStorage != nil {
		if s.EphemeralStorage.Size == nil {
			v.addNull("ephemeralStorage.size")
		} else {
			v.intRange(int64(*s.EphemeralStorage.Size), "ephemeralStorage.size", minEphemeralStorage, maxEphemeralStorage)
		}
	}
	if s.SnapStart != nil && s.SnapStart.ApplyOn != "" {
		v.enum(s.SnapStart.ApplyOn, "snapStart.applyOn", "PublishedVersions", "None")
	}
	if lc := s.LoggingConfig; lc != nil {
		if lc.LogFormat != "" {
			v.enum(lc.LogFormat, "loggingConfig.logFormat", "JSON", "Text")
		}
		if lc.ApplicationLogLevel != "" {
			v.enum(lc.ApplicationLogLevel, "loggingConfig.applicationLogLevel", "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
		}
		if lc.SystemLogLevel != "" {
			v.enum(lc.SystemLogLevel, "loggingConfig.systemLogLevel", "DEBUG", "INFO", "WARN")
		}
		if lc.LogGroup != "" {
			v.length(lc.LogGroup, "loggingConfig.logGroup", 1, 512)
			v.pattern(lc.LogGroup, "loggingConfig.logGroup", logGroupPattern)
		}
	}
}

// checkArchitectures adds the model's violations of an Architectures list.
func checkArchitectures(archs []string, v *violations) {
	if archs == nil {
		return
	}
	shown := "[" + strings.Join(archs, ", ") + "]"
	if len(archs) != 1 {
		if len(archs) == 0 {
			v.add(shown, "architectures", "Member must have length greater than or equal to 1")
		} else {
			v.add(shown, "architectures", "Member must have length less than or equal to 1")
		}
		return
	}
	if archs[0] != "x86_64" && archs[0] != "arm64" {
		v.add(shown, "architectures", "Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], Member must not be null]")
	}
}

// errUnsupported is the error for a feature lambdad does not have.
func errUnsupported(what string) error {
	return invalidParameter("%s not supported by lambdad.", what)
}

// apply checks the settings against AWS's rules beyond the model and the
// features lambdad has, then writes them into ver, whose function is named
// name. Members absent from the request leave ver as it is.
func (s *FunctionSettings) apply(ver *Version, name string) error {
	if s.Runtime != nil {
		if err := checkRuntime(*s.Runtime); err != nil {
			return err
		}
	}
	if s.VpcConfig != nil && (len(s.VpcConfig.SubnetIds) > 0 || len(s.VpcConfig.SecurityGroupIds) > 0) {
		return errUnsupported("VpcConfig is")
	}
	if len(s.FileSystemConfigs) > 0 {
		return errUnsupported("FileSystemConfigs (Amazon EFS) are")
	}
	if present(s.CapacityProviderConfig) {
		return errUnsupported("CapacityProviderConfig (Lambda Managed Instances) is")
	}
	if present(s.DurableConfig) {
		return errUnsupported("DurableConfig (durable functions) is")
	}
	if dl := s.DeadLetterConfig; dl != nil && dl.TargetArn != nil && *dl.TargetArn != "" {
		// A dead-letter queue is an SQS queue or SNS topic, which lambdad
		// cannot deliver to: refused now rather than dropped later.
		return invalidParameter("lambdad cannot deliver to the dead-letter target %s: Amazon SQS and Amazon SNS are not supported. Use an OnFailure destination (PutFunctionEventInvokeConfig) with a Lambda function instead.", *dl.TargetArn)
	}
	if s.Environment != nil {
		if err := checkEnvironment(s.Environment); err != nil {
			return err
		}
	}
	logging, err := mergeLogging(ver.Logging, s.LoggingConfig, name)
	if err != nil {
		return err
	}

	ver.Logging = logging
	if s.Runtime != nil {
		ver.Runtime = *s.Runtime
	}
	if s.Role != nil {
		ver.Role = *s.Role
	}
	if s.Handler != nil {
		ver.Handler = *s.Handler
	}
	if s.Description != nil {
		ver.Description = *s.Description
	}
	if s.Timeout != nil {
		ver.Timeout = *s.Timeout
	}
	if s.MemorySize != nil {
		ver.MemorySize = *s.MemorySize
	}
	if s.EphemeralStorage != nil {
		ver.EphemeralStorage = *s.EphemeralStorage.Size
	}
	if s.Environment != nil {
		ver.Environment = make(map[string]string, len(s.Environment.Variables))
		for k, val := range s.Environment.Variables {
			ver.Environment[k] = val
		}
	}
	if s.TracingConfig != nil && s.TracingConfig.Mode != "" {
		ver.TracingMode = s.TracingConfig.Mode
	}
	if s.SnapStart != nil {
		ver.SnapStartApplyOn = s.SnapStart.ApplyOn
		if ver.SnapStartApplyOn == "" {
			ver.SnapStartApplyOn = "None"
		}
	}
	if s.DeadLetterConfig != nil {
		ver.DeadLetterTarget = ""
		if s.DeadLetterConfig.TargetArn != nil {
			ver.DeadLetterTarget = *s.DeadLetterConfig.TargetArn
		}
	}
	if s.KMSKeyArn != nil {
		ver.KMSKeyArn = *s.KMSKeyArn
	}
	return nil
}

// mergeLogging applies a request's LoggingConfig to the current one: Text
// format by default, the function's own log group by default, log levels
// (INFO by default) only with the JSON format.
func mergeLogging(cur LoggingConfig, in *LoggingConfig, name string) (LoggingConfig, error) {
	next := cur
	if in != nil {
		if in.LogFormat != "" {
			next.LogFormat = in.LogFormat
		}
		if in.ApplicationLogLevel != "" {
			next.ApplicationLogLevel = in.ApplicationLogLevel
		}
		if in.SystemLogLevel != "" {
			next.SystemLogLevel = in.SystemLogLevel
		}
		if in.LogGroup != "" {
			next.LogGroup = in.LogGroup
		}
	}
	if next.LogFormat == "" {
		next.LogFormat = "Text"
	}
	if next.LogGroup == "" {
		next.LogGroup = "/aws/lambda/" + name
	}
	switch next.LogFormat {
	case "Text":
		if in != nil && (in.ApplicationLogLevel != "" || in.SystemLogLevel != "") {
			return LoggingConfig{}, invalidParameter(`LogLevel is not supported when LogFormat is set to "Text". Remove LogLevel from your request or change the LogFormat to "JSON" and try again.`)
		}
		next.ApplicationLogLevel, next.SystemLogLevel = "", ""
	case "JSON":
		if next.ApplicationLogLevel == "" {
			next.ApplicationLogLevel = "INFO"
		}
		if next.SystemLogLevel == "" {
			next.SystemLogLevel = "INFO"
		}
	default:
		return LoggingConfig{}, fmt.Errorf("log format %q passed validation", next.LogFormat)
	}
	return next, nil
}
