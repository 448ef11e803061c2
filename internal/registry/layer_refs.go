package registry

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/lambdad/lambdad/internal/codezip"
	"github.com/lambdad/lambdad/internal/store"
)

// LayerRef is a layer version a function version uses, recorded when the
// function is configured. It names the zip, so a function keeps its layers
// when the layer versions are deleted, as on AWS.
type LayerRef struct {
	// Arn is the layer version ARN as the function's configuration gave it.
	Arn string `json:"arn"`
	// CodeSHA256 is the hex sha256 of the layer's zip, its key in the code
	// store.
	CodeSHA256 string `json:"codeSha256"`
	CodeSize   int64  `json:"codeSize"`
	// UnzippedSize counts against the 250 MB of a function and its layers.
	UnzippedSize int64 `json:"unzippedSize"`
}

// Digest is CodeSHA256 parsed; the zero digest if it does not parse.
func (l LayerRef) Digest() store.Digest {
	d, _ := store.ParseHex(l.CodeSHA256)
	return d
}

// Layer is the model's Layer: one entry of FunctionConfiguration.Layers.
type Layer struct {
	Arn      string `json:"Arn"`
	CodeSize int64  `json:"CodeSize"`
}

// layerConfig is refs as FunctionConfiguration.Layers shows them: nil (left
// out) when the function has no layers.
func layerConfig(refs []LayerRef) []Layer {
	if len(refs) == 0 {
		return nil
	}
	out := make([]Layer, len(refs))
	for i, l := range refs {
		out[i] = Layer{Arn: l.Arn, CodeSize: l.CodeSize}
	}
	return out
}

// maxFunctionLayers is how many layers a function may use.
const maxFunctionLayers = 5

// Patterns of layer ARNs. AWS's validation messages quote a newer pattern
// than the model's LayerVersionArn (recorded against AWS by LocalStack's
// test_layer_function_exceptions and test_layer_exceptions, 2025-11 and
// 2026-01): lambdad quotes what AWS says.
var (
	// layerNamePattern is LayerName: a name or a layer ARN.
	layerNamePattern = mustPattern(`(arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+`)
	// layerVersionArnPattern is a layer version ARN as AWS checks it in
	// Layers and GetLayerVersionByArn.
	layerVersionArnPattern = mustPattern(`(arn:(aws[a-zA-Z-]*)?:lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)|(arn:[a-zA-Z0-9-]+:lambda:::awslayer:[a-zA-Z0-9-_]+)`)
)

// maxLayerArn is the longest entry of Layers AWS accepts.
const maxLayerArn = 2048

// checkLayerArns adds the violation of a Layers list to v: AWS quotes the
// whole list and every constraint of its members when one breaks any.
func checkLayerArns(layers []string, v *violations) {
	for _, arn := range layers {
		if len(arn) >= 1 && len(arn) <= maxLayerArn && layerVersionArnPattern.re().MatchString(arn) {
			continue
		}
		v.add("["+strings.Join(layers, ", ")+"]", "layers", fmt.Sprintf(
			"Member must satisfy constraint: [Member must have length less than or equal to %d, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: %s, Member must not be null]",
			maxLayerArn, layerVersionArnPattern.text))
		return
	}
}

// layerVersionRef is a layer version ARN taken apart.
type layerVersionRef struct {
	account, name string
	version       int64
}

// layerARN is the ARN of the layer, without the version.
func (l layerVersionRef) key() string { return l.account + "." + l.name }

var (
	// errOtherRegion is returned by parseLayerVersionARN for a layer of
	// another region.
	errOtherRegion = errors.New("layer of another region")
	// errNoLayerVersion is returned by parseLayerVersionARN for ARNs that
	// cannot name a layer version lambdad has (awslayer ARNs, version 0).
	errNoLayerVersion = errors.New("no such layer version")
)

// parseLayerVersionARN takes apart an ARN that matched
// layerVersionArnPattern.
func (r *Registry) parseLayerVersionARN(arn string) (layerVersionRef, error) {
	// arn:PARTITION:lambda:REGION:ACCOUNT:layer:NAME:VERSION
	parts := strings.Split(arn, ":")
	if len(parts) != 8 || parts[5] != "layer" {
		return layerVersionRef{}, errNoLayerVersion
	}
	if parts[3] != r.cfg.Region {
		return layerVersionRef{}, errOtherRegion
	}
	n, err := strconv.ParseInt(parts[7], 10, 64)
	if err != nil || n < 1 {
		return layerVersionRef{}, errNoLayerVersion
	}
	return layerVersionRef{account: parts[4], name: parts[6], version: n}, nil
}

// resolveLayers checks the layer version ARNs a function of account is
// configured with (already checked against the pattern) as AWS does, in
// order, and returns what the function records of them. nil arns give nil.
func (r *Registry) resolveLayers(ctx context.Context, account string, arns []string) ([]LayerRef, error) {
	if arns == nil {
		return nil, nil
	}
	if len(arns) > maxFunctionLayers {
		return nil, invalidParameter("Cannot reference more than %d layers.", maxFunctionLayers)
	}
	refs := make([]LayerRef, 0, len(arns))
	seen := make(map[string]string, len(arns)) // layer -> version ARN
	for _, arn := range arns {
		l, err := r.parseLayerVersionARN(arn)
		switch {
		case errors.Is(err, errOtherRegion):
			return nil, invalidParameter("Layers are not in the same region as the function. Layers are expected to be in region %s.", r.cfg.Region)
		case err != nil:
			return nil, invalidParameter("Layer version %s does not exist.", arn)
		}
		rec, _, err := r.readLayer(ctx, l.account, l.name)
		if err != nil {
			return nil, err
		}
		lv := rec.find(l.version)
		switch {
		case l.account != account && (lv == nil || !lv.Policy.allows(account)):
			return nil, errLayerAccess(account, arn)
		case lv == nil:
			return nil, invalidParameter("Layer version %s does not exist.", arn)
		}
		if prev, ok := seen[l.key()]; ok {
			return nil, invalidParameter("Two different versions of the same layer are not allowed to be referenced in the same function. %s and %s are versions of the same layer.", prev, arn)
		}
		seen[l.key()] = arn
		refs = append(refs, LayerRef{Arn: arn, CodeSHA256: lv.CodeSHA256, CodeSize: lv.CodeSize, UnzippedSize: lv.UnzippedSize})
	}
	return refs, nil
}

// checkUnzipped enforces the 250 MB a function's code (code bytes
// unzipped) and its layers may take together.
func checkUnzipped(code int64, refs []LayerRef) error {
	total := code
	for _, l := range refs {
		total += l.UnzippedSize
	}
	if total > codezip.MaxUnzippedSize {
		return invalidParameter("Unzipped size must be smaller than %d bytes", codezip.MaxUnzippedSize)
	}
	return nil
}

// zipFitsLayers checks a new deployment zip against a function's layers.
func zipFitsLayers(zip []byte, refs []LayerRef) error {
	if len(refs) == 0 {
		return nil
	}
	info, err := codezip.Inspect(zip)
	if err != nil {
		return err
	}
	return checkUnzipped(info.UnzippedSize, refs)
}

// configureLayers resolves the Layers of a CreateFunction or
// UpdateFunctionConfiguration request (nil: absent, leave ver's as they
// are) and records them on ver. zip is the function's new code, or nil to
// measure ver's stored code.
func (r *Registry) configureLayers(ctx context.Context, account string, ver *Version, arns []string, zip []byte) error {
	if arns == nil {
		return nil
	}
	refs, err := r.resolveLayers(ctx, account, arns)
	if err != nil {
		return err
	}
	if len(refs) > 0 {
		if zip == nil {
			if zip, err = r.code.Get(ctx, ver.CodeDigest); err != nil {
				return fmt.Errorf("read code %s: %w", ver.CodeSHA256, err)
			}
		}
		if err := zipFitsLayers(zip, refs); err != nil {
			return err
		}
	}
	ver.Layers = refs
	return nil
}
