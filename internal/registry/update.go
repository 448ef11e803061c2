package registry

import (
	"context"
	"errors"

	"github.com/lambdad/lambdad/internal/awserr"
	"github.com/lambdad/lambdad/internal/codezip"
)

// UpdateFunctionCodeInput is UpdateFunctionCode's request body.
type UpdateFunctionCodeInput struct {
	ZipFile         []byte   `json:"ZipFile,omitempty"`
	S3Bucket        *string  `json:"S3Bucket,omitempty"`
	S3Key           *string  `json:"S3Key,omitempty"`
	S3ObjectVersion *string  `json:"S3ObjectVersion,omitempty"`
	ImageUri        *string  `json:"ImageUri,omitempty"`
	Publish         *bool    `json:"Publish,omitempty"`
	DryRun          *bool    `json:"DryRun,omitempty"`
	RevisionId      *string  `json:"RevisionId,omitempty"`
	Architectures   []string `json:"Architectures,omitempty"`
	SourceKMSKeyArn *string  `json:"SourceKMSKeyArn,omitempty"`
	PublishTo       *string  `json:"PublishTo,omitempty"`
}

// UpdateFunctionConfigurationInput is UpdateFunctionConfiguration's
// request body.
type UpdateFunctionConfigurationInput struct {
	FunctionSettings
	RevisionId *string `json:"RevisionId,omitempty"`
}

// errRevision is AWS's answer to a RevisionId that is not the function's.
var errRevision = awserr.New(awserr.PreconditionFailed, "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")

// checkRevision enforces an optional RevisionId precondition.
func checkRevision(want *string, fn *Function) error {
	if want != nil && *want != fn.Latest.RevisionID {
		return errRevision
	}
	return nil
}

// updateTarget resolves the function an Update operation names: $LATEST,
// since the other versions are immutable.
func (r *Registry) updateTarget(account, functionName string, v *violations) (target, error) {
	ref, _ := parseName(functionName, managementName, v)
	if err := v.err(); err != nil {
		return target{}, err
	}
	t, err := r.resolveRef(account, ref, "")
	if err != nil {
		return target{}, err
	}
	if t.qualifier == Latest {
		t.qualifier = ""
	}
	if err := t.unqualified(); err != nil {
		return target{}, err
	}
	if r.Function(account, t.name) == nil {
		return target{}, r.notFound(account, t.name, "")
	}
	return t, nil
}

// UpdateFunctionCode replaces the code of function functionName's $LATEST
// and returns UpdateFunctionCode's response (LastUpdateStatus InProgress).
// The zip is validated and stored before the record that names it.
func (r *Registry) UpdateFunctionCode(ctx context.Context, account, functionName string, in *UpdateFunctionCodeInput) (*FunctionConfiguration, error) {
	var v violations
	checkArchitectures(in.Architectures, &v)
	t, err := r.updateTarget(account, functionName, &v)
	if err != nil {
		return nil, err
	}
	if err := checkCode(&FunctionCode{ZipFile: in.ZipFile, S3Bucket: in.S3Bucket, S3Key: in.S3Key, S3ObjectVersion: in.S3ObjectVersion, ImageUri: in.ImageUri}, true); err != nil {
		return nil, err
	}
	if in.PublishTo != nil {
		return nil, errUnsupported("PublishTo is")
	}
	publish := in.Publish != nil && *in.Publish
	if in.DryRun != nil && *in.DryRun {
		// Validate everything, store nothing.
		fn := r.Function(account, t.name)
		if fn == nil {
			return nil, r.notFound(account, t.name, "")
		}
		if err := checkRevision(in.RevisionId, fn); err != nil {
			return nil, err
		}
		if _, err := codezip.Inspect(in.ZipFile); err != nil {
			return nil, err
		}
		return fn.Latest.configuration(fn.ARN, viewStored), nil
	}
	var code Version
	var published *Version
	if err := r.storeCode(ctx, &code, in.ZipFile); err != nil {
		return nil, err
	}
	fn, err := r.mutate(ctx, t.key(), func(fn *Function) error {
		if err := checkRevision(in.RevisionId, fn); err != nil {
			return err
		}
		ver := fn.Latest
		if err := zipFitsLayers(in.ZipFile, ver.Layers); err != nil {
			return err
		}
		ver.CodeDigest, ver.CodeSHA256, ver.CodeSize = code.CodeDigest, code.CodeSHA256, code.CodeSize
		if len(in.Architectures) == 1 {
			ver.Architecture = in.Architectures[0]
		}
		ver.LastModified = r.cfg.Now()
		ver.RevisionID = newRevisionID()
		if publish {
			published = r.publish(fn, nil)
		}
		return nil
	})
	if errors.Is(err, errNoFunction) {
		return nil, r.notFound(account, t.name, "")
	}
	if err != nil {
		return nil, err
	}
	r.linked(fn)
	if published != nil {
		return published.configuration(r.qualifiedARN(account, t.name, published.Version), viewUpdated), nil
	}
	return fn.Latest.configuration(fn.ARN, viewUpdated), nil
}

// UpdateFunctionConfiguration changes the configuration of function
// functionName's $LATEST and returns UpdateFunctionConfiguration's response
// (LastUpdateStatus InProgress).
func (r *Registry) UpdateFunctionConfiguration(ctx context.Context, account, functionName string, in *UpdateFunctionConfigurationInput) (*FunctionConfiguration, error) {
	var v violations
	in.FunctionSettings.check(&v)
	t, err := r.updateTarget(account, functionName, &v)
	if err != nil {
		return nil, err
	}
	fn, err := r.mutate(ctx, t.key(), func(fn *Function) error {
		if err := checkRevision(in.RevisionId, fn); err != nil {
			return err
		}
		ver := fn.Latest
		if err := in.FunctionSettings.apply(ver, fn.Name); err != nil {
			return err
		}
		if err := r.configureLayers(ctx, account, ver, in.Layers, nil); err != nil {
			return err
		}
		if ver.Handler == "" && !isProvided(ver.Runtime) {
			return invalidParameter("Runtime and Handler are mandatory parameters for functions created with deployment packages.")
		}
		ver.LastModified = r.cfg.Now()
		ver.RevisionID = newRevisionID()
		return nil
	})
	if errors.Is(err, errNoFunction) {
		return nil, r.notFound(account, t.name, "")
	}
	if err != nil {
		return nil, err
	}
	return r.linked(fn).Latest.configuration(fn.ARN, viewUpdated), nil
}

// linked fills the fields of a function as written by mutate that are not
// stored: its ARN and the versions' links.
func (r *Registry) linked(fn *Function) *Function {
	fn.ARN = r.FunctionARN(fn.Account, fn.Name)
	fn.Latest.Function = fn
	for _, v := range fn.Versions {
		v.Function = fn
	}
	return fn
}
