package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/lambdad/lambdad/internal/awserr"
	"github.com/lambdad/lambdad/internal/codezip"
)

// CreateFunctionInput is CreateFunction's request body.
type CreateFunctionInput struct {
	FunctionName *string `json:"FunctionName,omitempty"`
	FunctionSettings
	Code                 *FunctionCode     `json:"Code,omitempty"`
	Publish              *bool             `json:"Publish,omitempty"`
	PackageType          *string           `json:"PackageType,omitempty"`
	Tags                 map[string]string `json:"Tags,omitempty"`
	CodeSigningConfigArn *string           `json:"CodeSigningConfigArn,omitempty"`
	Architectures        []string          `json:"Architectures,omitempty"`
	PublishTo            *string           `json:"PublishTo,omitempty"`
	TenancyConfig        json.RawMessage   `json:"TenancyConfig,omitempty"`
}

// validate checks in as AWS does before anything is stored, in AWS's order:
// the model's constraints (one ValidationException listing them all), then
// AWS's own rules and what lambdad supports. It returns the function's name.
func (r *Registry) validateCreate(account string, in *CreateFunctionInput) (string, error) {
	var v violations
	var ref FunctionRef
	if in.FunctionName == nil {
		v.addNull("functionName")
	} else {
		ref, _ = parseName(*in.FunctionName, managementName, &v)
	}
	if in.Role == nil {
		v.addNull("role")
	}
	if in.Code == nil {
		v.addNull("code")
	}
	in.FunctionSettings.check(&v)
	if in.PackageType != nil {
		v.enum(*in.PackageType, "packageType", "Zip", "Image")
	}
	checkArchitectures(in.Architectures, &v)
	if err := v.err(); err != nil {
		return "", err
	}

	// A qualifier in the name is ignored, as LocalStack's AWS-validated
	// behaviour suggests.
	t, err := r.resolveRef(account, ref, "")
	if err != nil {
		return "", err
	}
	if len(t.name) > maxBareNameLength {
		var long violations
		long.add(t.name, "functionName", fmt.Sprintf("Member must have length less than or equal to %d", maxBareNameLength))
		return "", long.errAs(awserr.InvalidParameterValue)
	}
	if in.PackageType != nil && *in.PackageType == "Image" {
		return "", errImage
	}
	if err := checkCode(in.Code, false); err != nil {
		return "", err
	}
	// Handler means nothing to an OS-only runtime's bootstrap, so lambdad
	// does not insist on one there.
	if in.Runtime == nil || *in.Runtime == "" || ((in.Handler == nil || *in.Handler == "") && !isProvided(*in.Runtime)) {
		return "", invalidParameter("Runtime and Handler are mandatory parameters for functions created with deployment packages.")
	}
	if in.CodeSigningConfigArn != nil && *in.CodeSigningConfigArn != "" {
		return "", errUnsupported("Code signing (CodeSigningConfigArn) is")
	}
	if present(in.TenancyConfig) {
		return "", errUnsupported("TenancyConfig (tenant isolation) is")
	}
	if in.PublishTo != nil {
		return "", errUnsupported("PublishTo is")
	}
	if err := checkTags(in.Tags); err != nil {
		return "", err
	}
	if len(in.Tags) > maxTags {
		return "", errTooManyTags
	}
	return t.name, nil
}

// checkCode checks that a deployment package is given inline, the only way
// lambdad takes one. update selects AWS's wording for UpdateFunctionCode.
func checkCode(c *FunctionCode, update bool) error {
	if c.ImageUri != nil {
		if update {
			return invalidParameter("Please don't provide ImageUri when updating a function with packageType Zip.")
		}
		return errImage
	}
	if c.S3Bucket != nil || c.S3Key != nil || c.S3ObjectVersion != nil {
		return s3Unsupported
	}
	if len(c.ZipFile) == 0 {
		return invalidParameter("Code.ZipFile is required: lambdad takes the deployment package inline (aws lambda create-function --zip-file fileb://function.zip).")
	}
	return nil
}

var errImage = invalidParameter("PackageType Image (container images) is not supported by lambdad; deploy a .zip file archive (PackageType Zip) instead.")

var s3Unsupported = invalidParameter("S3 code locations (S3Bucket, S3Key, S3ObjectVersion) are not supported by lambdad yet; upload the deployment package inline with ZipFile.")

// storeCode validates a deployment zip and stores it, before any record
// names it.
func (r *Registry) storeCode(ctx context.Context, ver *Version, zip []byte) error {
	if _, err := codezip.Inspect(zip); err != nil {
		return err
	}
	d, err := r.code.Put(ctx, zip)
	if err != nil {
		return fmt.Errorf("store code: %w", err)
	}
	ver.CodeDigest, ver.CodeSHA256, ver.CodeSize = d, d.Hex(), int64(len(zip))
	return nil
}

// CreateFunction creates a function of account from a CreateFunction
// request, and returns CreateFunction's response (State Pending; see the
// package documentation). The code is stored before the function's record.
func (r *Registry) CreateFunction(ctx context.Context, account string, in *CreateFunctionInput) (*FunctionConfiguration, error) {
	name, err := r.validateCreate(account, in)
	if err != nil {
		return nil, err
	}
	k := fnKey{account: account, name: name}
	if r.Function(account, name) != nil {
		// Known already here: spare the code store. The store's own check
		// below is the authoritative one.
		return nil, errExists(name)
	}
	ver := &Version{
		Version:          Latest,
		PackageType:      "Zip",
		Timeout:          defaultTimeout,
		MemorySize:       defaultMemorySize,
		EphemeralStorage: defaultEphemeralStorage,
		Architecture:     defaultArchitecture,
		TracingMode:      defaultTracingMode,
		SnapStartApplyOn: "None",
	}
	if len(in.Architectures) == 1 {
		ver.Architecture = in.Architectures[0]
	}
	if err := in.FunctionSettings.apply(ver, name); err != nil {
		return nil, err
	}
	if err := r.configureLayers(ctx, account, ver, in.Layers, in.Code.ZipFile); err != nil {
		return nil, err
	}
	if err := r.storeCode(ctx, ver, in.Code.ZipFile); err != nil {
		return nil, err
	}
	ver.LastModified = r.cfg.Now()
	ver.RevisionID = newRevisionID()
	fn := &Function{Account: account, Name: name, Latest: ver}
	if len(in.Tags) > 0 {
		fn.Tags = in.Tags
	}
	var published *Version
	if in.Publish != nil && *in.Publish {
		published = r.publish(fn, nil)
	}
	b, err := encodeFunction(fn)
	if err != nil {
		return nil, err
	}
	rev, err := r.kv.Create(ctx, storeKey(k), b)
	if errors.Is(err, jetstream.ErrKeyExists) {
		return nil, errExists(name)
	}
	if err != nil {
		return nil, fmt.Errorf("create function %s: %w", name, err)
	}
	if err := r.waitApplied(ctx, rev); err != nil {
		return nil, err
	}
	fn.Revision = rev
	r.linked(fn)
	if published != nil {
		return published.configuration(r.qualifiedARN(account, name, published.Version), viewCreated), nil
	}
	return fn.Latest.configuration(fn.ARN, viewCreated), nil
}

func errExists(name string) error {
	return awserr.New(awserr.ResourceConflict, "Function already exist: %s", name)
}
