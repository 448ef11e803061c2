package registry

import (
	"encoding/json"

	"github.com/lambdad/lambdad/internal/store"
)

// Wire shapes of the Lambda REST API, member for member as the AWS model
// spells them. Members AWS leaves out of a response when they are unset
// carry omitempty; the others are always sent. Requests ignore members
// lambdad does not know, as AWS does.

// FunctionConfiguration is the model's FunctionConfiguration: what
// CreateFunction, GetFunctionConfiguration, the Update operations and
// ListFunctions return for one version of a function.
type FunctionConfiguration struct {
	FunctionName               string               `json:"FunctionName"`
	FunctionArn                string               `json:"FunctionArn"`
	Runtime                    string               `json:"Runtime,omitempty"`
	Role                       string               `json:"Role"`
	Handler                    string               `json:"Handler,omitempty"`
	CodeSize                   int64                `json:"CodeSize"`
	Description                string               `json:"Description"`
	Timeout                    int                  `json:"Timeout"`
	MemorySize                 int                  `json:"MemorySize"`
	LastModified               string               `json:"LastModified"`
	CodeSha256                 string               `json:"CodeSha256"`
	Version                    string               `json:"Version"`
	Environment                *EnvironmentResponse `json:"Environment,omitempty"`
	TracingConfig              *TracingConfig       `json:"TracingConfig,omitempty"`
	DeadLetterConfig           *DeadLetterConfig    `json:"DeadLetterConfig,omitempty"`
	KMSKeyArn                  string               `json:"KMSKeyArn,omitempty"`
	RevisionId                 string               `json:"RevisionId"`
	Layers                     []Layer              `json:"Layers,omitempty"`
	State                      string               `json:"State,omitempty"`
	StateReason                string               `json:"StateReason,omitempty"`
	StateReasonCode            string               `json:"StateReasonCode,omitempty"`
	LastUpdateStatus           string               `json:"LastUpdateStatus,omitempty"`
	LastUpdateStatusReason     string               `json:"LastUpdateStatusReason,omitempty"`
	LastUpdateStatusReasonCode string               `json:"LastUpdateStatusReasonCode,omitempty"`
	PackageType                string               `json:"PackageType"`
	Architectures              []string             `json:"Architectures"`
	EphemeralStorage           *EphemeralStorage    `json:"EphemeralStorage,omitempty"`
	LoggingConfig              *LoggingConfig       `json:"LoggingConfig,omitempty"`
	SnapStart                  *SnapStartResponse   `json:"SnapStart,omitempty"`
}

// Environment is the request's Environment.
type Environment struct {
	Variables map[string]string `json:"Variables"`
	// order is the order of Variables in the request (see UnmarshalJSON).
	order []string
}

// EnvironmentResponse is the response's Environment. AWS echoes the
// Variables map it was given, even an empty one.
type EnvironmentResponse struct {
	Variables map[string]string `json:"Variables"`
}

// TracingConfig is TracingConfig and TracingConfigResponse.
type TracingConfig struct {
	Mode string `json:"Mode,omitempty"`
}

// DeadLetterConfig is the asynchronous-invocation dead-letter target.
type DeadLetterConfig struct {
	TargetArn *string `json:"TargetArn,omitempty"`
}

// EphemeralStorage is the size of /tmp in MB.
type EphemeralStorage struct {
	Size *int `json:"Size,omitempty"`
}

// LoggingConfig is the function's log format, levels and group.
type LoggingConfig struct {
	LogFormat           string `json:"LogFormat,omitempty"`
	ApplicationLogLevel string `json:"ApplicationLogLevel,omitempty"`
	SystemLogLevel      string `json:"SystemLogLevel,omitempty"`
	LogGroup            string `json:"LogGroup,omitempty"`
}

// SnapStart is the request's SnapStart.
type SnapStart struct {
	ApplyOn string `json:"ApplyOn,omitempty"`
}

// SnapStartResponse is the response's SnapStart.
type SnapStartResponse struct {
	ApplyOn            string `json:"ApplyOn"`
	OptimizationStatus string `json:"OptimizationStatus"`
}

// FunctionCode is CreateFunction's Code. lambdad takes the zip inline only.
type FunctionCode struct {
	ZipFile         []byte  `json:"ZipFile,omitempty"`
	S3Bucket        *string `json:"S3Bucket,omitempty"`
	S3Key           *string `json:"S3Key,omitempty"`
	S3ObjectVersion *string `json:"S3ObjectVersion,omitempty"`
	ImageUri        *string `json:"ImageUri,omitempty"`
	SourceKMSKeyArn *string `json:"SourceKMSKeyArn,omitempty"`
}

// VpcConfig is accepted only empty: lambdad runs functions on its host's
// network.
type VpcConfig struct {
	SubnetIds        []string `json:"SubnetIds,omitempty"`
	SecurityGroupIds []string `json:"SecurityGroupIds,omitempty"`
}

// FunctionCodeLocation is GetFunction's Code.
type FunctionCodeLocation struct {
	RepositoryType string `json:"RepositoryType,omitempty"`
	Location       string `json:"Location,omitempty"`
}

// Concurrency is PutFunctionConcurrency's response and GetFunction's
// Concurrency; GetFunctionConcurrency's response has the same shape, empty
// when the function reserves nothing.
type Concurrency struct {
	ReservedConcurrentExecutions *int `json:"ReservedConcurrentExecutions,omitempty"`
}

// GetFunctionOutput is GetFunction's response. Code.Location is a URL only
// the API server can issue; the registry fills CodeDigest for it instead.
type GetFunctionOutput struct {
	Configuration *FunctionConfiguration `json:"Configuration"`
	Code          *FunctionCodeLocation  `json:"Code,omitempty"`
	Tags          map[string]string      `json:"Tags,omitempty"`
	Concurrency   *Concurrency           `json:"Concurrency,omitempty"`

	// CodeDigest names the zip for Code.Location.
	CodeDigest store.Digest `json:"-"`
}

// ListFunctionsOutput is ListFunctions' response.
type ListFunctionsOutput struct {
	NextMarker string           `json:"NextMarker,omitempty"`
	Functions  []ListedFunction `json:"Functions"`
}

// ListedFunction is one entry of ListFunctions. The registry builds it, and
// its JSON, once per function snapshot, so a listing costs no encoding.
type ListedFunction struct {
	*FunctionConfiguration
	json []byte
}

// AppendJSON appends the page as JSON, entries from their prepared JSON,
// without encoding/json's re-validation of Marshaler output (it costs more
// than the encoding it replaces).
func (o *ListFunctionsOutput) AppendJSON(b []byte) []byte {
	b = append(b, `{"Functions":[`...)
	for i, f := range o.Functions {
		if i > 0 {
			b = append(b, ',')
		}
		raw, err := f.MarshalJSON()
		if err != nil {
			raw = []byte("null")
		}
		b = append(b, raw...)
	}
	b = append(b, ']')
	if o.NextMarker != "" {
		marker, _ := json.Marshal(o.NextMarker)
		b = append(b, `,"NextMarker":`...)
		b = append(b, marker...)
	}
	return append(b, '}')
}

// MarshalJSON writes the entry's prepared JSON.
func (l ListedFunction) MarshalJSON() ([]byte, error) {
	if l.json != nil {
		return l.json, nil
	}
	return json.Marshal(l.FunctionConfiguration)
}

// listedFunction prepares the ListFunctions entry of a configuration.
func listedFunction(c *FunctionConfiguration) ListedFunction {
	b, err := json.Marshal(c)
	if err != nil {
		return ListedFunction{FunctionConfiguration: c}
	}
	return ListedFunction{FunctionConfiguration: c, json: b}
}

// ListTagsOutput is ListTags' response.
type ListTagsOutput struct {
	Tags map[string]string `json:"Tags"`
}

// AccountLimit is GetAccountSettings' AccountLimit.
type AccountLimit struct {
	TotalCodeSize                  int64 `json:"TotalCodeSize"`
	CodeSizeUnzipped               int64 `json:"CodeSizeUnzipped"`
	CodeSizeZipped                 int64 `json:"CodeSizeZipped"`
	ConcurrentExecutions           int   `json:"ConcurrentExecutions"`
	UnreservedConcurrentExecutions int   `json:"UnreservedConcurrentExecutions"`
}

// AccountUsage is GetAccountSettings' AccountUsage.
type AccountUsage struct {
	TotalCodeSize int64 `json:"TotalCodeSize"`
	FunctionCount int64 `json:"FunctionCount"`
}

// AccountSettings is GetAccountSettings' response.
type AccountSettings struct {
	AccountLimit AccountLimit `json:"AccountLimit"`
	AccountUsage AccountUsage `json:"AccountUsage"`
}
