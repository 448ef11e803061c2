package registry

import (
	"encoding/json"
	"fmt"
	"maps"
	"time"

	"github.com/lambdad/lambdad/internal/store"
)

// Function is one function of one account: its $LATEST version and the
// settings that belong to the function rather than to a version. It is the
// unit of persistence, stored as one JSON record.
//
// Functions and Versions handed out by the registry are immutable snapshots:
// a change to a function replaces the whole snapshot. Callers must not
// modify them.
type Function struct {
	Account string `json:"account"`
	Name    string `json:"name"`
	// Latest is $LATEST, the version that Update operations change.
	Latest *Version `json:"latest"`
	// Versions are the published versions by number ("1", "2", ...);
	// nil when there are none. Published versions never change; the map is
	// replaced, never changed (see versions.go).
	Versions map[string]*Version `json:"versions,omitempty"`
	// LastVersion is the number of the last version published. Numbers
	// are never reused, even after the version is deleted.
	LastVersion int `json:"lastVersion,omitempty"`
	// Aliases are the function's aliases by name; nil when there are none.
	// The map and its values are replaced, never changed (see aliases.go).
	Aliases map[string]*Alias `json:"aliases,omitempty"`
	// URLs are the function URL configs by qualifier ("" for the
	// unqualified function, else an alias name); nil when there are none.
	// The map and its values are replaced, never changed (see urls.go).
	URLs map[string]*URLConfig `json:"urls,omitempty"`
	// Tags are the function's tags; nil when it has none.
	Tags map[string]string `json:"tags,omitempty"`
	// ReservedConcurrency is PutFunctionConcurrency's reservation; nil when
	// the function has none.
	ReservedConcurrency *int `json:"reservedConcurrency,omitempty"`
	// EventInvoke are the event invoke configs by qualifier ("$LATEST" for
	// the unqualified function); nil when there are none. The map and its
	// values are replaced, never changed (see eventinvoke.go).
	EventInvoke map[string]*EventInvoke `json:"eventInvoke,omitempty"`
	// RecursiveLoop is PutFunctionRecursionConfig's setting; "" means
	// Terminate, the default.
	RecursiveLoop string `json:"recursiveLoop,omitempty"`
	// Provisioned are the provisioned concurrency configs by qualifier (a
	// version number or an alias name); nil when there are none. The map
	// and its values are replaced, never changed (see provisioned.go).
	Provisioned map[string]*ProvisionedConfig `json:"provisioned,omitempty"`
	// Policies are the resource-based policies by qualifier ("" for the
	// unqualified function); nil when there are none. The map and its
	// values are replaced, never changed (see policy.go).
	Policies map[string]*Policy `json:"policies,omitempty"`

	// ARN is the unqualified function ARN (not stored).
	ARN string `json:"-"`
	// Revision is the store revision of this snapshot (not stored).
	Revision uint64 `json:"-"`

	// listed is $LATEST as ListFunctions shows it, built once per snapshot
	// (not stored).
	listed ListedFunction
}

// Version is the configuration and code of one version of a function: what
// the invoke path needs to start an execution environment.
type Version struct {
	// Version is "$LATEST", or the number of a published version.
	Version          string `json:"version"`
	PackageType      string `json:"packageType"`
	Runtime          string `json:"runtime,omitempty"`
	Role             string `json:"role"`
	Handler          string `json:"handler,omitempty"`
	Description      string `json:"description,omitempty"`
	Timeout          int    `json:"timeout"`    // seconds
	MemorySize       int    `json:"memorySize"` // MB
	EphemeralStorage int    `json:"ephemeralStorage"`
	// Environment is nil when the function was given none; AWS then leaves
	// Environment out of its responses, and echoes an empty map otherwise.
	Environment      map[string]string `json:"environment"`
	Architecture     string            `json:"architecture"`
	TracingMode      string            `json:"tracingMode"`
	Logging          LoggingConfig     `json:"logging"`
	SnapStartApplyOn string            `json:"snapStartApplyOn"`
	DeadLetterTarget string            `json:"deadLetterTarget,omitempty"`
	KMSKeyArn        string            `json:"kmsKeyArn,omitempty"`

	// CodeSHA256 is the hex sha256 of the deployment zip, its key in the
	// code store.
	CodeSHA256 string `json:"codeSha256"`
	// CodeSize is the zip's size in bytes.
	CodeSize int64 `json:"codeSize"`
	// Layers are the layer versions the function uses, in order; nil when
	// it has none.
	Layers []LayerRef `json:"layers,omitempty"`

	LastModified time.Time `json:"lastModified"`
	// PublishedFrom is, for a published version, the RevisionID $LATEST had
	// when it was published.
	PublishedFrom string `json:"publishedFrom,omitempty"`
	// RevisionID changes with every change of the function's configuration
	// or code.
	RevisionID string `json:"revisionId"`

	// CodeDigest is CodeSHA256 parsed (not stored).
	CodeDigest store.Digest `json:"-"`
	// Function is the function this version belongs to (not stored).
	Function *Function `json:"-"`
}

// recordSchema is the version of the stored record format.
const recordSchema = 1

// record is the stored form of a Function.
type record struct {
	Schema int `json:"schema"`
	*Function
}

// encodeFunction serialises fn as its store record.
func encodeFunction(fn *Function) ([]byte, error) {
	b, err := json.Marshal(record{Schema: recordSchema, Function: fn})
	if err != nil {
		return nil, fmt.Errorf("encode function %s: %w", fn.Name, err)
	}
	return b, nil
}

// decodeFunction parses a store record and links its parts.
func decodeFunction(b []byte) (*Function, error) {
	rec := record{Function: new(Function)}
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("decode function record: %w", err)
	}
	if rec.Schema != recordSchema {
		return nil, fmt.Errorf("decode function record: unknown schema %d", rec.Schema)
	}
	fn := rec.Function
	if fn.Latest == nil {
		return nil, fmt.Errorf("decode function record %s: no $LATEST", fn.Name)
	}
	if err := fn.Latest.link(fn); err != nil {
		return nil, err
	}
	for _, v := range fn.Versions {
		if err := v.link(fn); err != nil {
			return nil, err
		}
	}
	return fn, nil
}

// link sets the fields of v that are not stored.
func (v *Version) link(fn *Function) error {
	d, err := store.ParseHex(v.CodeSHA256)
	if err != nil {
		return fmt.Errorf("decode function record %s version %s: %w", fn.Name, v.Version, err)
	}
	v.CodeDigest = d
	v.Function = fn
	return nil
}

// clone returns a copy of fn that can be changed without touching fn; the
// copy's Latest is a copy too.
func (fn *Function) clone() *Function {
	c := *fn
	c.listed = ListedFunction{}
	c.Tags = maps.Clone(fn.Tags)
	if fn.ReservedConcurrency != nil {
		n := *fn.ReservedConcurrency
		c.ReservedConcurrency = &n
	}
	v := *fn.Latest
	v.Environment = maps.Clone(fn.Latest.Environment)
	v.Function = &c
	c.Latest = &v
	c.Aliases = maps.Clone(fn.Aliases)
	// Published versions are immutable, but each names its function: the
	// copy gets copies that name it.
	if fn.Versions != nil {
		c.Versions = make(map[string]*Version, len(fn.Versions))
		for n, pv := range fn.Versions {
			cv := *pv
			cv.Function = &c
			c.Versions[n] = &cv
		}
	}
	return &c
}

// view selects the state fields of a FunctionConfiguration.
type view int

const (
	// viewStored is a version as it is: Active, last update Successful.
	viewStored view = iota
	// viewCreated is CreateFunction's response: Pending, Creating.
	viewCreated
	// viewUpdated is an Update operation's response: update InProgress.
	viewUpdated
	// viewListed is a ListFunctions entry, which carries no state fields.
	viewListed
)

// lastModifiedLayout is AWS's LastModified format: 2026-11-23T07:31:05.118+0000.
const lastModifiedLayout = "2006-01-02T15:04:05.000-0700"

// configuration is v as the API shows it. arn is the FunctionArn to report:
// unqualified for $LATEST unless the request named $LATEST.
func (v *Version) configuration(arn string, vw view) *FunctionConfiguration {
	c := &FunctionConfiguration{
		FunctionName:  v.Function.Name,
		FunctionArn:   arn,
		Runtime:       v.Runtime,
		Role:          v.Role,
		Handler:       v.Handler,
		CodeSize:      v.CodeSize,
		Description:   v.Description,
		Timeout:       v.Timeout,
		MemorySize:    v.MemorySize,
		LastModified:  v.LastModified.UTC().Format(lastModifiedLayout),
		CodeSha256:    v.CodeDigest.Base64(),
		Version:       v.Version,
		TracingConfig: &TracingConfig{Mode: v.TracingMode},
		KMSKeyArn:     v.KMSKeyArn,
		RevisionId:    v.RevisionID,
		Layers:        layerConfig(v.Layers),
		PackageType:   v.PackageType,
		Architectures: []string{v.Architecture},
		EphemeralStorage: &EphemeralStorage{
			Size: intPtr(v.EphemeralStorage),
		},
		LoggingConfig: &LoggingConfig{
			LogFormat:           v.Logging.LogFormat,
			ApplicationLogLevel: v.Logging.ApplicationLogLevel,
			SystemLogLevel:      v.Logging.SystemLogLevel,
			LogGroup:            v.Logging.LogGroup,
		},
		SnapStart: &SnapStartResponse{ApplyOn: v.SnapStartApplyOn, OptimizationStatus: "Off"},
	}
	if v.Environment != nil {
		c.Environment = &EnvironmentResponse{Variables: maps.Clone(v.Environment)}
	}
	if v.DeadLetterTarget != "" {
		c.DeadLetterConfig = &DeadLetterConfig{TargetArn: stringPtr(v.DeadLetterTarget)}
	}
	// See the package documentation for why a function is Active as soon as
	// its record is stored.
	switch vw {
	case viewStored:
		c.State = "Active"
		c.LastUpdateStatus = "Successful"
	case viewCreated:
		c.State = "Pending"
		c.StateReason = "The function is being created."
		c.StateReasonCode = "Creating"
	case viewUpdated:
		c.State = "Active"
		c.LastUpdateStatus = "InProgress"
		// Sic: AWS reports this reason for updates too.
		c.LastUpdateStatusReason = "The function is being created."
		c.LastUpdateStatusReasonCode = "Creating"
	case viewListed:
	}
	return c
}

func intPtr(n int) *int          { return &n }
func stringPtr(s string) *string { return &s }
