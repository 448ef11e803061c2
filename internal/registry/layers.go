package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/lambdad/lambdad/internal/awserr"
	"github.com/lambdad/lambdad/internal/codezip"
	"github.com/lambdad/lambdad/internal/store"
)

// Layers
//
// A layer belongs to an account and has a name; each PublishLayerVersion
// adds an immutable version numbered 1, 2, ... Numbers are never reused,
// even after every version is deleted, so the record of a layer outlives
// its versions. Each layer is one JSON record in the KV bucket "layers",
// under the key "<account>.<name>" (names cannot contain dots); the zips
// are in the content-addressed code bucket, written before the record
// that names them, like function code. Layer operations read and write the
// store directly: they are not on the invoke path, and a function records
// what it needs of its layers (LayerRef) when it is configured.

// layersBucket is the KV bucket of layer records.
const layersBucket = "layers"

// Limits of PublishLayerVersion.
const (
	maxCompatibleRuntimes      = 15
	maxCompatibleArchitectures = 2
	maxLicenseInfo             = 512
	maxDescription             = 256
	maxLayerName               = 140
	maxLayerListPage           = 50
)

// layerRecordSchema is the version of the stored layer record format.
const layerRecordSchema = 1

// layerRecord is the stored form of a layer.
type layerRecord struct {
	Schema int `json:"schema"`
	// LastVersion is the number of the last version published.
	LastVersion int64 `json:"lastVersion"`
	// Versions are the versions not deleted, oldest first.
	Versions []*LayerVersion `json:"versions"`
}

// LayerVersion is one published version of a layer, as stored.
type LayerVersion struct {
	Version     int64     `json:"version"`
	Description string    `json:"description,omitempty"`
	LicenseInfo string    `json:"licenseInfo,omitempty"`
	CreatedDate time.Time `json:"createdDate"`
	// CompatibleRuntimes and CompatibleArchitectures are nil when the
	// request left them out (AWS then leaves them out of its responses)
	// and empty when it gave an empty list (AWS echoes []).
	CompatibleRuntimes      []string `json:"compatibleRuntimes"`
	CompatibleArchitectures []string `json:"compatibleArchitectures"`
	// CodeSHA256 is the hex sha256 of the zip, its key in the code store.
	CodeSHA256 string `json:"codeSha256"`
	CodeSize   int64  `json:"codeSize"`
	// UnzippedSize is the sum of the zip's uncompressed sizes, counted
	// against the 250 MB a function and its layers may take.
	UnzippedSize int64 `json:"unzippedSize"`
	// Policy is the version's resource-based policy; nil when it has none.
	Policy *layerPolicy `json:"policy,omitempty"`
}

// PublishLayerVersionInput is PublishLayerVersion's request body.
type PublishLayerVersionInput struct {
	Description             *string            `json:"Description,omitempty"`
	Content                 *LayerContentInput `json:"Content,omitempty"`
	CompatibleRuntimes      []string           `json:"CompatibleRuntimes"`
	LicenseInfo             *string            `json:"LicenseInfo,omitempty"`
	CompatibleArchitectures []string           `json:"CompatibleArchitectures"`
}

// LayerContentInput is the model's LayerVersionContentInput.
type LayerContentInput struct {
	S3Bucket        *string `json:"S3Bucket,omitempty"`
	S3Key           *string `json:"S3Key,omitempty"`
	S3ObjectVersion *string `json:"S3ObjectVersion,omitempty"`
	ZipFile         []byte  `json:"ZipFile,omitempty"`
}

// LayerContent is the model's LayerVersionContentOutput. Location is a URL
// only the API server can issue: the registry fills CodeDigest for it.
type LayerContent struct {
	Location   string `json:"Location,omitempty"`
	CodeSha256 string `json:"CodeSha256"`
	CodeSize   int64  `json:"CodeSize"`

	// CodeDigest names the zip for Location.
	CodeDigest store.Digest `json:"-"`
}

// LayerVersionOutput is PublishLayerVersion's and GetLayerVersion's
// response (the model's PublishLayerVersionResponse and
// GetLayerVersionResponse, which are the same).
type LayerVersionOutput struct {
	Content                 *LayerContent `json:"Content"`
	LayerArn                string        `json:"LayerArn"`
	LayerVersionArn         string        `json:"LayerVersionArn"`
	Description             string        `json:"Description"`
	CreatedDate             string        `json:"CreatedDate"`
	Version                 int64         `json:"Version"`
	CompatibleRuntimes      *[]string     `json:"CompatibleRuntimes,omitempty"`
	LicenseInfo             string        `json:"LicenseInfo,omitempty"`
	CompatibleArchitectures *[]string     `json:"CompatibleArchitectures,omitempty"`
}

// LayerVersionsListItem is one entry of ListLayerVersions, and ListLayers'
// LatestMatchingVersion.
type LayerVersionsListItem struct {
	LayerVersionArn         string    `json:"LayerVersionArn"`
	Version                 int64     `json:"Version"`
	Description             string    `json:"Description"`
	CreatedDate             string    `json:"CreatedDate"`
	CompatibleRuntimes      *[]string `json:"CompatibleRuntimes,omitempty"`
	LicenseInfo             string    `json:"LicenseInfo,omitempty"`
	CompatibleArchitectures *[]string `json:"CompatibleArchitectures,omitempty"`
}

// LayersListItem is one entry of ListLayers.
type LayersListItem struct {
	LayerName             string                 `json:"LayerName"`
	LayerArn              string                 `json:"LayerArn"`
	LatestMatchingVersion *LayerVersionsListItem `json:"LatestMatchingVersion"`
}

// ListLayersOutput is ListLayers' response.
type ListLayersOutput struct {
	NextMarker string           `json:"NextMarker,omitempty"`
	Layers     []LayersListItem `json:"Layers"`
}

// ListLayerVersionsOutput is ListLayerVersions' response.
type ListLayerVersionsOutput struct {
	NextMarker    string                  `json:"NextMarker,omitempty"`
	LayerVersions []LayerVersionsListItem `json:"LayerVersions"`
}

// ListLayersInput is the query of ListLayers and ListLayerVersions.
type ListLayersInput struct {
	CompatibleRuntime      string
	CompatibleArchitecture string
	// Marker is the NextMarker of the previous page; empty for the first.
	Marker string
	// MaxItems bounds the page; 0 means 50.
	MaxItems int
}

// listRuntimes is the enum AWS quotes when ListLayers or ListLayerVersions
// get an unknown CompatibleRuntime (recorded against AWS on 2026-01-12 by
// LocalStack's test_layer_exceptions; it is neither the model's enum nor
// the creatable runtimes).
const listRuntimes = "ruby3.5, ruby2.6, dotnetcore1.0, python3.7, nodejs8.10, nasa, ruby2.7, python2.7-greengrass, dotnetcore2.0, python3.8, java21, dotnet6, dotnetcore2.1, python3.9, java11, nodejs6.10, provided, dotnetcore3.1, dotnet8, java25, java17, nodejs, nodejs4.3, java8.al2, go1.x, dotnet10, nodejs20.x, go1.9, byol, nodejs10.x, provided.al2023, nodejs22.x, python3.10, java8, nodejs12.x, python3.11, nodejs24.x, nodejs8.x, python3.12, nodejs14.x, nodejs8.9, nodejs26.x, python3.13, python3.14, nodejs16.x, python3.15, provided.al2, nodejs4.3-edge, nodejs18.x, ruby3.2, python3.4, ruby3.3, ruby3.4, ruby2.5, python3.6, python2.7"

// layerCreatedLayout is AWS's CreatedDate format: 2026-11-23T07:31:05.118+0000.
const layerCreatedLayout = lastModifiedLayout

// errLayerNotFound is AWS's 404 for a layer or layer version that
// GetLayerVersion and GetLayerVersionByArn cannot find.
var errLayerNotFound = awserr.New(awserr.ResourceNotFound, "The resource you requested does not exist.")

// errLayerVersionNumber is AWS's answer to a version number below 1.
var errLayerVersionNumber = invalidParameter("Layer Version Cannot be less than 1")

// layerKey is where the record of layer name of account is stored.
func layerKey(account, name string) string { return account + "." + name }

// LayerARN is the ARN of layer name of account.
func (r *Registry) LayerARN(account, name string) string {
	return "arn:aws:lambda:" + r.cfg.Region + ":" + account + ":layer:" + name
}

// layerVersionARN is the ARN of one version of a layer.
func (r *Registry) layerVersionARN(account, name string, version int64) string {
	return r.LayerARN(account, name) + ":" + strconv.FormatInt(version, 10)
}

// layerRef is a layer named by a request: its account and name.
type layerRef struct{ account, name string }

// parseLayerName checks a LayerName (a name or a layer ARN) against the
// model, adding violations to v, and resolves it for a caller of account.
// A layer ARN of another region is AWS's 404; one of another account names
// that account's layer.
func (r *Registry) parseLayerName(account, s string, v *violations) (layerRef, error) {
	n := len(*v)
	v.length(s, "layerName", 1, maxLayerName)
	v.pattern(s, "layerName", layerNamePattern)
	if len(*v) > n {
		return layerRef{}, nil
	}
	if !strings.HasPrefix(s, "arn:") {
		return layerRef{account: account, name: s}, nil
	}
	// arn:PARTITION:lambda:REGION:ACCOUNT:layer:NAME, as the pattern says.
	parts := strings.Split(s, ":")
	if parts[3] != r.cfg.Region {
		return layerRef{}, errLayerNotFound
	}
	return layerRef{account: parts[4], name: parts[6]}, nil
}

// checkLayerLists adds the violations of CompatibleRuntimes and
// CompatibleArchitectures to v, as AWS words them: the whole list quoted.
func checkLayerLists(runtimes, archs []string, v *violations) {
	if runtimes != nil {
		shown := "[" + strings.Join(runtimes, ", ") + "]"
		if len(runtimes) > maxCompatibleRuntimes {
			v.add(shown, "compatibleRuntimes", fmt.Sprintf("Member must have length less than or equal to %d", maxCompatibleRuntimes))
		} else {
			for _, rt := range runtimes {
				if !slices.Contains(creatableRuntimes, rt) {
					v.add(shown, "compatibleRuntimes", "Member must satisfy enum value set: ["+strings.Join(creatableRuntimes, ", ")+"]")
					break
				}
			}
		}
	}
	if archs != nil {
		shown := "[" + strings.Join(archs, ", ") + "]"
		if len(archs) > maxCompatibleArchitectures {
			v.add(shown, "compatibleArchitectures", fmt.Sprintf("Member must have length less than or equal to %d", maxCompatibleArchitectures))
		} else {
			for _, a := range archs {
				if a != "x86_64" && a != "arm64" {
					v.add(shown, "compatibleArchitectures", "Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], Member must not be null]")
					break
				}
			}
		}
	}
}

// PublishLayerVersion validates and stores a new version of layer
// layerName of account and returns PublishLayerVersion's response, except
// Content.Location (see LayerContent). The zip is stored before the record.
func (r *Registry) PublishLayerVersion(ctx context.Context, account, layerName string, in *PublishLayerVersionInput) (*LayerVersionOutput, error) {
	var v violations
	ref, err := r.parseLayerName(account, layerName, &v)
	if in.Description != nil {
		v.length(*in.Description, "description", 0, maxDescription)
	}
	if in.Content == nil {
		v.addNull("content")
	}
	if in.LicenseInfo != nil {
		v.length(*in.LicenseInfo, "licenseInfo", 0, maxLicenseInfo)
	}
	checkLayerLists(in.CompatibleRuntimes, in.CompatibleArchitectures, &v)
	if verr := v.err(); verr != nil {
		return nil, verr
	}
	if err != nil {
		return nil, err
	}
	if ref.account != account {
		return nil, awserr.New(awserr.AccessDenied, "")
	}
	c := in.Content
	if c.S3Bucket != nil || c.S3Key != nil || c.S3ObjectVersion != nil {
		return nil, s3Unsupported
	}
	if len(c.ZipFile) == 0 {
		return nil, invalidParameter("Content.ZipFile is required: lambdad takes the layer archive inline (aws lambda publish-layer-version --zip-file fileb://layer.zip).")
	}
	info, err := codezip.Inspect(c.ZipFile)
	if err != nil {
		return nil, err
	}
	d, err := r.code.Put(ctx, c.ZipFile)
	if err != nil {
		return nil, fmt.Errorf("store layer %s: %w", ref.name, err)
	}
	lv := &LayerVersion{
		CreatedDate:             r.cfg.Now(),
		CompatibleRuntimes:      in.CompatibleRuntimes,
		CompatibleArchitectures: in.CompatibleArchitectures,
		CodeSHA256:              d.Hex(),
		CodeSize:                int64(len(c.ZipFile)),
		UnzippedSize:            info.UnzippedSize,
	}
	if in.Description != nil {
		lv.Description = *in.Description
	}
	if in.LicenseInfo != nil {
		lv.LicenseInfo = *in.LicenseInfo
	}
	err = r.mutateLayer(ctx, account, ref.name, true, func(rec *layerRecord) error {
		rec.LastVersion++
		lv.Version = rec.LastVersion
		rec.Versions = append(rec.Versions, lv)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r.layerVersionOutput(account, ref.name, lv), nil
}

// layerVersionOutput is lv as GetLayerVersion shows it.
func (r *Registry) layerVersionOutput(account, name string, lv *LayerVersion) *LayerVersionOutput {
	d, _ := store.ParseHex(lv.CodeSHA256)
	return &LayerVersionOutput{
		Content:                 &LayerContent{CodeSha256: d.Base64(), CodeSize: lv.CodeSize, CodeDigest: d},
		LayerArn:                r.LayerARN(account, name),
		LayerVersionArn:         r.layerVersionARN(account, name, lv.Version),
		Description:             lv.Description,
		CreatedDate:             lv.CreatedDate.UTC().Format(layerCreatedLayout),
		Version:                 lv.Version,
		CompatibleRuntimes:      listPtr(lv.CompatibleRuntimes),
		LicenseInfo:             lv.LicenseInfo,
		CompatibleArchitectures: listPtr(lv.CompatibleArchitectures),
	}
}

// listItem is lv as ListLayerVersions shows it.
func (r *Registry) listItem(account, name string, lv *LayerVersion) LayerVersionsListItem {
	return LayerVersionsListItem{
		LayerVersionArn:         r.layerVersionARN(account, name, lv.Version),
		Version:                 lv.Version,
		Description:             lv.Description,
		CreatedDate:             lv.CreatedDate.UTC().Format(layerCreatedLayout),
		CompatibleRuntimes:      listPtr(lv.CompatibleRuntimes),
		LicenseInfo:             lv.LicenseInfo,
		CompatibleArchitectures: listPtr(lv.CompatibleArchitectures),
	}
}

// listPtr keeps a list's absence (nil) apart from its emptiness.
func listPtr(l []string) *[]string {
	if l == nil {
		return nil
	}
	c := slices.Clone(l)
	return &c
}

// readLayer returns the stored record of a layer with its store revision,
// or nil and 0 when there is none.
func (r *Registry) readLayer(ctx context.Context, account, name string) (*layerRecord, uint64, error) {
	e, err := r.layers.Get(ctx, layerKey(account, name))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read layer %s: %w", name, err)
	}
	rec, err := decodeLayer(e.Value())
	if err != nil {
		return nil, 0, fmt.Errorf("layer %s: %w", name, err)
	}
	return rec, e.Revision(), nil
}

func decodeLayer(b []byte) (*layerRecord, error) {
	var rec layerRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("decode layer record: %w", err)
	}
	if rec.Schema != layerRecordSchema {
		return nil, fmt.Errorf("decode layer record: unknown schema %d", rec.Schema)
	}
	return &rec, nil
}

// errNoLayer is returned by mutateLayer when the layer does not exist and
// create was not asked for.
var errNoLayer = errors.New("no such layer")

// mutateLayer changes the record of a layer with one conditional write,
// retrying from the read when another write came first (as mutate does for
// functions). With create, a missing layer starts as an empty record;
// without, it is errNoLayer. change edits the record read, or returns an
// error to abort.
func (r *Registry) mutateLayer(ctx context.Context, account, name string, create bool, change func(*layerRecord) error) error {
	key := layerKey(account, name)
	for range maxAttempts {
		rec, rev, err := r.readLayer(ctx, account, name)
		if err != nil {
			return err
		}
		if rec == nil {
			if !create {
				return errNoLayer
			}
			rec = &layerRecord{Schema: layerRecordSchema}
		}
		if err := change(rec); err != nil {
			return err
		}
		b, err := json.Marshal(rec)
		if err != nil {
			return fmt.Errorf("encode layer %s: %w", name, err)
		}
		if rev == 0 {
			_, err = r.layers.Create(ctx, key, b)
			if errors.Is(err, jetstream.ErrKeyExists) {
				continue
			}
		} else {
			_, err = r.layers.Update(ctx, key, b, rev)
			if isConflict(err) {
				continue
			}
		}
		if err != nil {
			return fmt.Errorf("write layer %s: %w", name, err)
		}
		return nil
	}
	return fmt.Errorf("write layer %s: %d conflicting writes in a row", name, maxAttempts)
}

// find returns the version numbered n, or nil.
func (rec *layerRecord) find(n int64) *LayerVersion {
	if rec == nil {
		return nil
	}
	for _, lv := range rec.Versions {
		if lv.Version == n {
			return lv
		}
	}
	return nil
}

// parseVersionNumber reads a VersionNumber path parameter.
func parseVersionNumber(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, invalidParameter("Invalid value for VersionNumber: %s", s)
	}
	if n < 1 {
		return 0, errLayerVersionNumber
	}
	return n, nil
}

// layerVersion returns a version for a caller of account: its own, or
// another account's that the version's policy shares with it. A missing
// layer or version is errLayerNotFound.
func (r *Registry) layerVersion(ctx context.Context, account string, ref layerRef, n int64) (*LayerVersion, error) {
	rec, _, err := r.readLayer(ctx, ref.account, ref.name)
	if err != nil {
		return nil, err
	}
	lv := rec.find(n)
	if lv == nil {
		if ref.account != account {
			return nil, errLayerAccess(account, r.layerVersionARN(ref.account, ref.name, n))
		}
		return nil, errLayerNotFound
	}
	if ref.account != account && !lv.Policy.allows(account) {
		return nil, errLayerAccess(account, r.layerVersionARN(ref.account, ref.name, n))
	}
	return lv, nil
}

// errLayerAccess is AWS's answer to a caller that may not use another
// account's layer version. lambdad knows callers by account only, so the
// user it names is the account's root.
func errLayerAccess(account, arn string) error {
	return awserr.New(awserr.AccessDenied, "User: arn:aws:iam::%s:root is not authorized to perform: lambda:GetLayerVersion on resource: %s because no resource-based policy allows the lambda:GetLayerVersion action", account, arn)
}

// GetLayerVersion returns GetLayerVersion's response (Content.Location
// left to the caller) for version versionNumber of layer layerName.
func (r *Registry) GetLayerVersion(ctx context.Context, account, layerName, versionNumber string) (*LayerVersionOutput, error) {
	var v violations
	ref, err := r.parseLayerName(account, layerName, &v)
	if verr := v.err(); verr != nil {
		return nil, verr
	}
	if err != nil {
		return nil, err
	}
	n, err := parseVersionNumber(versionNumber)
	if err != nil {
		return nil, err
	}
	lv, err := r.layerVersion(ctx, account, ref, n)
	if err != nil {
		return nil, err
	}
	return r.layerVersionOutput(ref.account, ref.name, lv), nil
}

// GetLayerVersionByArn returns GetLayerVersionByArn's response for a layer
// version ARN.
func (r *Registry) GetLayerVersionByArn(ctx context.Context, account, arn string) (*LayerVersionOutput, error) {
	var v violations
	if arn == "" {
		v.addNull("arn")
	} else {
		v.length(arn, "arn", 1, maxLayerName)
		v.pattern(arn, "arn", layerVersionArnPattern)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	l, err := r.parseLayerVersionARN(arn)
	if err != nil {
		if errors.Is(err, errOtherRegion) {
			return nil, errLayerNotFound
		}
		return nil, err
	}
	lv, err := r.layerVersion(ctx, account, layerRef{account: l.account, name: l.name}, l.version)
	if err != nil {
		return nil, err
	}
	return r.layerVersionOutput(l.account, l.name, lv), nil
}

// DeleteLayerVersion deletes a version of a layer. A layer or version that
// does not exist is deleted already, as on AWS (204). Functions that use
// the version keep it: they name its zip, which stays in the code store.
func (r *Registry) DeleteLayerVersion(ctx context.Context, account, layerName, versionNumber string) error {
	var v violations
	ref, err := r.parseLayerName(account, layerName, &v)
	if verr := v.err(); verr != nil {
		return verr
	}
	if err != nil {
		return nil // another region's layer: nothing here to delete
	}
	n, err := parseVersionNumber(versionNumber)
	if err != nil {
		return err
	}
	if ref.account != account {
		return awserr.New(awserr.AccessDenied, "")
	}
	errGone := errors.New("gone")
	err = r.mutateLayer(ctx, account, ref.name, false, func(rec *layerRecord) error {
		i := slices.IndexFunc(rec.Versions, func(lv *LayerVersion) bool { return lv.Version == n })
		if i < 0 {
			return errGone
		}
		rec.Versions = slices.Delete(rec.Versions, i, i+1)
		return nil
	})
	if errors.Is(err, errNoLayer) || errors.Is(err, errGone) {
		return nil
	}
	return err
}

// checkListFilters checks the filters of ListLayers and ListLayerVersions.
func checkListFilters(in ListLayersInput, v *violations) {
	if in.CompatibleRuntime != "" && !slices.Contains(strings.Split(listRuntimes, ", "), in.CompatibleRuntime) {
		v.add(in.CompatibleRuntime, "compatibleRuntime", "Member must satisfy enum value set: ["+listRuntimes+"]")
	}
	if in.CompatibleArchitecture != "" {
		v.enum(in.CompatibleArchitecture, "compatibleArchitecture", "x86_64", "arm64")
	}
	if in.MaxItems != 0 {
		v.intRange(int64(in.MaxItems), "maxItems", 1, maxLayerListPage)
	}
}

// matches reports whether lv passes the filters of in.
func (lv *LayerVersion) matches(in ListLayersInput) bool {
	if in.CompatibleRuntime != "" && !slices.Contains(lv.CompatibleRuntimes, in.CompatibleRuntime) {
		return false
	}
	if in.CompatibleArchitecture != "" && !slices.Contains(lv.CompatibleArchitectures, in.CompatibleArchitecture) {
		return false
	}
	return true
}

// ListLayerVersions returns one page of the versions of a layer, newest
// first, that pass the filters. An unknown layer has no versions (200, as
// on AWS). The marker names the last version of the page.
func (r *Registry) ListLayerVersions(ctx context.Context, account, layerName string, in ListLayersInput) (*ListLayerVersionsOutput, error) {
	var v violations
	checkListFilters(in, &v)
	ref, err := r.parseLayerName(account, layerName, &v)
	if verr := v.err(); verr != nil {
		return nil, verr
	}
	out := &ListLayerVersionsOutput{LayerVersions: []LayerVersionsListItem{}}
	if err != nil {
		return out, nil
	}
	after := int64(-1)
	if in.Marker != "" {
		m, err := decodeMarker(in.Marker)
		if err != nil {
			return nil, err
		}
		if after, err = strconv.ParseInt(m, 10, 64); err != nil {
			return nil, invalidParameter("Invalid Marker: %s", in.Marker)
		}
	}
	limit := in.MaxItems
	if limit == 0 {
		limit = maxLayerListPage
	}
	rec, _, err := r.readLayer(ctx, ref.account, ref.name)
	if err != nil || rec == nil {
		return out, err
	}
	var last int64
	for i := len(rec.Versions) - 1; i >= 0; i-- {
		lv := rec.Versions[i]
		if after >= 0 && lv.Version >= after || !lv.matches(in) {
			continue
		}
		if ref.account != account && !lv.Policy.allows(account) {
			continue
		}
		if len(out.LayerVersions) == limit {
			out.NextMarker = encodeMarker(strconv.FormatInt(last, 10))
			break
		}
		out.LayerVersions = append(out.LayerVersions, r.listItem(ref.account, ref.name, lv))
		last = lv.Version
	}
	return out, nil
}

// ListLayers returns one page of account's layers, in name order, each
// with its latest version that passes the filters; layers with no such
// version are left out. The marker names the last layer of the page.
func (r *Registry) ListLayers(ctx context.Context, account string, in ListLayersInput) (*ListLayersOutput, error) {
	var v violations
	checkListFilters(in, &v)
	if err := v.err(); err != nil {
		return nil, err
	}
	after, err := decodeMarker(in.Marker)
	if err != nil {
		return nil, err
	}
	limit := in.MaxItems
	if limit == 0 {
		limit = maxLayerListPage
	}
	recs, err := r.accountLayers(ctx, account)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(recs))
	for name := range recs {
		if after == "" || name > after {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	out := &ListLayersOutput{Layers: []LayersListItem{}}
	for _, name := range names {
		rec := recs[name]
		var latest *LayerVersion
		for i := len(rec.Versions) - 1; i >= 0; i-- {
			if rec.Versions[i].matches(in) {
				latest = rec.Versions[i]
				break
			}
		}
		if latest == nil {
			continue
		}
		if len(out.Layers) == limit {
			out.NextMarker = encodeMarker(out.Layers[len(out.Layers)-1].LayerName)
			break
		}
		item := r.listItem(account, name, latest)
		out.Layers = append(out.Layers, LayersListItem{LayerName: name, LayerArn: r.LayerARN(account, name), LatestMatchingVersion: &item})
	}
	return out, nil
}

// accountLayers reads every layer record of account.
func (r *Registry) accountLayers(ctx context.Context, account string) (map[string]*layerRecord, error) {
	w, err := r.layers.WatchFiltered(ctx, []string{account + ".*"}, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("list layers: %w", err)
	}
	defer w.Stop()
	recs := make(map[string]*layerRecord)
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("list layers: %w", ctx.Err())
		case e, ok := <-w.Updates():
			if !ok {
				return nil, errors.New("list layers: watcher closed")
			}
			if e == nil {
				return recs, nil
			}
			_, name, _ := strings.Cut(e.Key(), ".")
			rec, err := decodeLayer(e.Value())
			if err != nil {
				r.log.Error("ignoring unreadable layer record", "key", e.Key(), "err", err)
				continue
			}
			recs[name] = rec
		}
	}
}
