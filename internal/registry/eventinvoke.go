package registry

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lambdad/lambdad/internal/awserr"
)

// Defaults of asynchronous invocation when a function has no event invoke
// config, as on AWS.
const (
	DefaultMaximumRetryAttempts     = 2
	DefaultMaximumEventAgeInSeconds = 21600
)

// EventInvoke is the stored event invoke config of one qualifier of a
// function (Put/UpdateFunctionEventInvokeConfig). A stored EventInvoke is
// immutable.
type EventInvoke struct {
	// MaximumRetryAttempts and MaximumEventAgeInSeconds are nil when the
	// config does not set them (the defaults apply).
	MaximumRetryAttempts     *int `json:"maximumRetryAttempts,omitempty"`
	MaximumEventAgeInSeconds *int `json:"maximumEventAgeInSeconds,omitempty"`
	// OnSuccess and OnFailure are destination ARNs; "" when not set.
	OnSuccess    string    `json:"onSuccess,omitempty"`
	OnFailure    string    `json:"onFailure,omitempty"`
	LastModified time.Time `json:"lastModified"`
}

// Retries is the number of retries after a function error.
func (c *EventInvoke) Retries() int {
	if c == nil || c.MaximumRetryAttempts == nil {
		return DefaultMaximumRetryAttempts
	}
	return *c.MaximumRetryAttempts
}

// MaxAge is how long an event may wait before it is dropped.
func (c *EventInvoke) MaxAge() time.Duration {
	if c == nil || c.MaximumEventAgeInSeconds == nil {
		return DefaultMaximumEventAgeInSeconds * time.Second
	}
	return time.Duration(*c.MaximumEventAgeInSeconds) * time.Second
}

// Destinations returns the on-success and on-failure destination ARNs ("" when
// not set).
func (c *EventInvoke) Destinations() (onSuccess, onFailure string) {
	if c == nil {
		return "", ""
	}
	return c.OnSuccess, c.OnFailure
}

// EventInvokeConfigInput is the body of Put/UpdateFunctionEventInvokeConfig.
type EventInvokeConfigInput struct {
	MaximumRetryAttempts     *int               `json:"MaximumRetryAttempts"`
	MaximumEventAgeInSeconds *int               `json:"MaximumEventAgeInSeconds"`
	DestinationConfig        *DestinationConfig `json:"DestinationConfig"`
}

// DestinationConfig is AWS's DestinationConfig.
type DestinationConfig struct {
	OnSuccess *Destination `json:"OnSuccess"`
	OnFailure *Destination `json:"OnFailure"`
}

// Destination is OnSuccess or OnFailure; Destination is omitted in
// responses when unset, so that they read {"OnSuccess":{},"OnFailure":{}}.
type Destination struct {
	Destination *string `json:"Destination,omitempty"`
}

// EpochSeconds is a timestamp as restJson encodes it: seconds since the
// epoch, with milliseconds as a fraction.
type EpochSeconds time.Time

// MarshalJSON writes t as fractional epoch seconds.
func (t EpochSeconds) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return strconv.AppendFloat(nil, float64(ms)/1000, 'f', -1, 64), nil
}

// FunctionEventInvokeConfig is AWS's response shape of the event invoke
// config operations.
type FunctionEventInvokeConfig struct {
	LastModified             EpochSeconds      `json:"LastModified"`
	FunctionArn              string            `json:"FunctionArn"`
	MaximumRetryAttempts     *int              `json:"MaximumRetryAttempts,omitempty"`
	MaximumEventAgeInSeconds *int              `json:"MaximumEventAgeInSeconds,omitempty"`
	DestinationConfig        DestinationConfig `json:"DestinationConfig"`
}

// ListEventInvokeConfigsOutput is ListFunctionEventInvokeConfigs' response.
type ListEventInvokeConfigsOutput struct {
	FunctionEventInvokeConfigs []*FunctionEventInvokeConfig `json:"FunctionEventInvokeConfigs"`
	NextMarker                 *string                      `json:"NextMarker"`
}

// response is c as the API shows it for function arn at qualifier.
func (c *EventInvoke) response(arn string) *FunctionEventInvokeConfig {
	out := &FunctionEventInvokeConfig{
		LastModified:             EpochSeconds(c.LastModified),
		FunctionArn:              arn,
		MaximumRetryAttempts:     c.MaximumRetryAttempts,
		MaximumEventAgeInSeconds: c.MaximumEventAgeInSeconds,
		DestinationConfig:        DestinationConfig{OnSuccess: &Destination{}, OnFailure: &Destination{}},
	}
	if c.OnSuccess != "" {
		out.DestinationConfig.OnSuccess.Destination = stringPtr(c.OnSuccess)
	}
	if c.OnFailure != "" {
		out.DestinationConfig.OnFailure.Destination = stringPtr(c.OnFailure)
	}
	return out
}

// eventInvokeTarget resolves the FunctionName and Qualifier of an event
// invoke config operation to the function and the qualifier the config is
// stored under: $LATEST, a published version or an alias. A qualifier that
// does not exist is AWS's 404 for it.
func (r *Registry) eventInvokeTarget(account, functionName, qualifier string) (target, string, error) {
	t, err := r.target(account, functionName, qualifier, namespacedName)
	if err != nil {
		return target{}, "", err
	}
	q := t.qualifier
	if q == "" {
		q = Latest
	}
	if q != Latest {
		fn := r.Function(account, t.name)
		if fn == nil || fn.Versions[q] == nil && fn.Aliases[q] == nil {
			return target{}, "", r.notFound(account, t.name, q)
		}
	}
	return t, q, nil
}

// noEventInvokeConfig is AWS's 404 for a qualifier without a config.
func (r *Registry) noEventInvokeConfig(account, name, qualifier string) error {
	return awserr.New(awserr.ResourceNotFound, "The function %s doesn't have an EventInvokeConfig", r.qualifiedARN(account, name, qualifier))
}

// checkEventInvokeInput validates a Put/Update body against the model.
func checkEventInvokeInput(in *EventInvokeConfigInput) error {
	var v violations
	if in.MaximumRetryAttempts != nil {
		v.intRange(int64(*in.MaximumRetryAttempts), "maximumRetryAttempts", 0, 2)
	}
	if in.MaximumEventAgeInSeconds != nil {
		v.intRange(int64(*in.MaximumEventAgeInSeconds), "maximumEventAgeInSeconds", 60, 21600)
	}
	if dc := in.DestinationConfig; dc != nil {
		if dc.OnSuccess != nil && dc.OnSuccess.Destination != nil {
			v.length(*dc.OnSuccess.Destination, "destinationConfig.onSuccess.destination", 0, 350)
			v.pattern(*dc.OnSuccess.Destination, "destinationConfig.onSuccess.destination", destinationArnPattern)
		}
		if dc.OnFailure != nil && dc.OnFailure.Destination != nil {
			v.length(*dc.OnFailure.Destination, "destinationConfig.onFailure.destination", 0, 350)
			v.pattern(*dc.OnFailure.Destination, "destinationConfig.onFailure.destination", destinationArnPattern)
		}
	}
	return v.err()
}

// destinationArnPattern is DestinationArn.
var destinationArnPattern = mustPattern(`$|kafka://([^.]([a-zA-Z0-9\-_.]{0,248}))|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1})?:(\d{12})?:(.*)`)

// checkDestination checks that lambdad can deliver to the destination arn of
// function self: a Lambda function other than self. The services lambdad
// does not emulate get an InvalidParameterValueException now rather than a
// silent drop later.
func (r *Registry) checkDestination(arn string, self target) error {
	if arn == "" {
		return nil
	}
	service := ""
	if parts := strings.SplitN(arn, ":", 6); len(parts) == 6 && parts[0] == "arn" {
		service = parts[2]
	}
	switch service {
	case "lambda":
	case "sqs", "sns", "events", "s3":
		return invalidParameter("lambdad cannot deliver to %s destinations (%s): only Lambda function destinations are supported.", serviceNames[service], arn)
	default:
		return invalidParameter("The destination ARN %s is invalid: lambdad delivers to Lambda functions only.", arn)
	}
	ref, ok := parseName(arn, namespacedName, new(violations))
	if !ok || ref.Region == "" || ref.Account == "" {
		return invalidParameter("The destination ARN %s is not a Lambda function ARN.", arn)
	}
	if ref.Region != r.cfg.Region || ref.Account != self.account {
		return invalidParameter("lambdad cannot deliver to the destination %s: it is not a function of this region and account.", arn)
	}
	if ref.Name == self.name {
		return invalidParameter("You can't specify the function as a destination for itself.")
	}
	return nil
}

// serviceNames name the destination services lambdad cannot reach.
var serviceNames = map[string]string{
	"sqs":    "Amazon SQS",
	"sns":    "Amazon SNS",
	"events": "Amazon EventBridge",
	"s3":     "Amazon S3",
}

// PutFunctionEventInvokeConfig replaces the event invoke config of a
// function's qualifier with in.
func (r *Registry) PutFunctionEventInvokeConfig(ctx context.Context, account, functionName, qualifier string, in *EventInvokeConfigInput) (*FunctionEventInvokeConfig, error) {
	return r.writeEventInvoke(ctx, account, functionName, qualifier, in, false)
}

// UpdateFunctionEventInvokeConfig merges in into the existing event invoke
// config of a function's qualifier; it is a 404 when there is none.
func (r *Registry) UpdateFunctionEventInvokeConfig(ctx context.Context, account, functionName, qualifier string, in *EventInvokeConfigInput) (*FunctionEventInvokeConfig, error) {
	return r.writeEventInvoke(ctx, account, functionName, qualifier, in, true)
}

func (r *Registry) writeEventInvoke(ctx context.Context, account, functionName, qualifier string, in *EventInvokeConfigInput, merge bool) (*FunctionEventInvokeConfig, error) {
	if err := checkEventInvokeInput(in); err != nil {
		return nil, err
	}
	t, q, err := r.eventInvokeTarget(account, functionName, qualifier)
	if err != nil {
		return nil, err
	}
	if in.MaximumRetryAttempts == nil && in.MaximumEventAgeInSeconds == nil && in.DestinationConfig == nil {
		return nil, invalidParameter("You must specify at least one of error handling or destination setting.")
	}
	var onSuccess, onFailure *string
	if dc := in.DestinationConfig; dc != nil {
		if dc.OnSuccess != nil {
			onSuccess = dc.OnSuccess.Destination
			if onSuccess == nil {
				onSuccess = stringPtr("")
			}
		}
		if dc.OnFailure != nil {
			onFailure = dc.OnFailure.Destination
			if onFailure == nil {
				onFailure = stringPtr("")
			}
		}
	}
	for _, d := range []*string{onSuccess, onFailure} {
		if d != nil {
			if err := r.checkDestination(*d, t); err != nil {
				return nil, err
			}
		}
	}
	var written *EventInvoke
	_, err = r.mutate(ctx, t.key(), func(fn *Function) error {
		next := &EventInvoke{}
		if merge {
			cur := fn.EventInvoke[q]
			if cur == nil {
				return r.noEventInvokeConfig(account, t.name, q)
			}
			*next = *cur
		}
		if in.MaximumRetryAttempts != nil {
			next.MaximumRetryAttempts = intPtr(*in.MaximumRetryAttempts)
		}
		if in.MaximumEventAgeInSeconds != nil {
			next.MaximumEventAgeInSeconds = intPtr(*in.MaximumEventAgeInSeconds)
		}
		if onSuccess != nil {
			next.OnSuccess = *onSuccess
		}
		if onFailure != nil {
			next.OnFailure = *onFailure
		}
		next.LastModified = r.cfg.Now().UTC().Truncate(time.Millisecond)
		m := maps.Clone(fn.EventInvoke)
		if m == nil {
			m = make(map[string]*EventInvoke, 1)
		}
		m[q] = next
		fn.EventInvoke = m
		written = next
		return nil
	})
	if errors.Is(err, errNoFunction) {
		return nil, r.notFound(account, t.name, q)
	}
	if err != nil {
		return nil, err
	}
	return written.response(r.qualifiedARN(account, t.name, q)), nil
}

// GetFunctionEventInvokeConfig returns the event invoke config of a
// function's qualifier. It reads memory only.
func (r *Registry) GetFunctionEventInvokeConfig(account, functionName, qualifier string) (*FunctionEventInvokeConfig, error) {
	t, q, err := r.eventInvokeTarget(account, functionName, qualifier)
	if err != nil {
		return nil, err
	}
	fn := r.Function(account, t.name)
	if fn == nil {
		return nil, r.notFound(account, t.name, q)
	}
	c := fn.EventInvoke[q]
	if c == nil {
		return nil, r.noEventInvokeConfig(account, t.name, q)
	}
	return c.response(r.qualifiedARN(account, t.name, q)), nil
}

// DeleteFunctionEventInvokeConfig removes the event invoke config of a
// function's qualifier.
func (r *Registry) DeleteFunctionEventInvokeConfig(ctx context.Context, account, functionName, qualifier string) error {
	t, q, err := r.eventInvokeTarget(account, functionName, qualifier)
	if err != nil {
		return err
	}
	_, err = r.mutate(ctx, t.key(), func(fn *Function) error {
		if fn.EventInvoke[q] == nil {
			return r.noEventInvokeConfig(account, t.name, q)
		}
		m := maps.Clone(fn.EventInvoke)
		delete(m, q)
		if len(m) == 0 {
			m = nil
		}
		fn.EventInvoke = m
		return nil
	})
	if errors.Is(err, errNoFunction) {
		return r.notFound(account, t.name, q)
	}
	return err
}

// ListEventInvokeConfigsInput is ListFunctionEventInvokeConfigs' request.
type ListEventInvokeConfigsInput struct {
	FunctionName string
	// Marker is the NextMarker of the previous page; empty for the first.
	Marker string
	// MaxItems bounds the page, 1–50; 0 means 50.
	MaxItems int
}

// ListFunctionEventInvokeConfigs lists a function's event invoke configs,
// ordered by qualifier. It reads memory only.
func (r *Registry) ListFunctionEventInvokeConfigs(account string, in ListEventInvokeConfigsInput) (*ListEventInvokeConfigsOutput, error) {
	var v violations
	if in.MaxItems != 0 {
		v.intRange(int64(in.MaxItems), "maxItems", 1, 50)
	}
	t, err := r.target(account, in.FunctionName, "", namespacedName)
	if err == nil {
		err = v.err()
	}
	if err != nil {
		return nil, err
	}
	if err := t.unqualified(); err != nil {
		return nil, err
	}
	fn := r.Function(account, t.name)
	if fn == nil {
		return nil, r.notFound(account, t.name, "")
	}
	after, err := decodeMarker(in.Marker)
	if err != nil {
		return nil, err
	}
	limit := in.MaxItems
	if limit == 0 {
		limit = 50
	}
	qualifiers := slices.Sorted(maps.Keys(fn.EventInvoke))
	out := &ListEventInvokeConfigsOutput{FunctionEventInvokeConfigs: []*FunctionEventInvokeConfig{}}
	for _, q := range qualifiers {
		if after != "" && q <= after {
			continue
		}
		if len(out.FunctionEventInvokeConfigs) == limit {
			out.NextMarker = stringPtr(encodeMarker(out.lastQualifier()))
			break
		}
		out.FunctionEventInvokeConfigs = append(out.FunctionEventInvokeConfigs, fn.EventInvoke[q].response(r.qualifiedARN(account, t.name, q)))
	}
	return out, nil
}

// lastQualifier is the qualifier of the page's last entry.
func (o *ListEventInvokeConfigsOutput) lastQualifier() string {
	arn := o.FunctionEventInvokeConfigs[len(o.FunctionEventInvokeConfigs)-1].FunctionArn
	return arn[strings.LastIndexByte(arn, ':')+1:]
}

// EventInvokeFor returns the event invoke config that applies to an
// asynchronous invocation of fn at qualifier ("" = $LATEST); nil means the
// defaults. It reads the snapshot only.
func (fn *Function) EventInvokeFor(qualifier string) *EventInvoke {
	if qualifier == "" {
		qualifier = Latest
	}
	return fn.EventInvoke[qualifier]
}
