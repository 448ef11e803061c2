package registry

import (
	"context"
	"errors"
	"maps"
	"regexp"
	"strings"

	"github.com/lambdad/lambdad/internal/awserr"
)

// Tag limits of AWS resources.
const (
	maxTags           = 50
	maxTagKeyLength   = 128
	maxTagValueLength = 256
)

var errTooManyTags = invalidParameter("Number of tags exceeds resource tag limit.")

// checkTags applies AWS's tag rules to one request's tags. The messages for
// bad keys and values are lambdad's own: AWS's were not found recorded.
func checkTags(tags map[string]string) error {
	for k, val := range tags {
		switch {
		case k == "" || len(k) > maxTagKeyLength:
			return invalidParameter("Tag key %q must be 1 to %d characters long.", k, maxTagKeyLength)
		case len(val) > maxTagValueLength:
			return invalidParameter("Tag value of key %q must be at most %d characters long.", k, maxTagValueLength)
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			return invalidParameter("Tag key %q is invalid: tag keys starting with 'aws:' are reserved for use by AWS.", k)
		}
	}
	return nil
}

// taggedFunction parses the Resource of a tag operation: the unqualified ARN
// of a function of account in this region.
var resourceParts = regexp.MustCompile(`^arn:[^:]*:lambda:([^:]+):(\d{12}):([a-z-]+):(.*)$`)

func (r *Registry) taggedFunction(account, resource string) (target, error) {
	var v violations
	v.length(resource, "resource", 1, 256)
	v.pattern(resource, "resource", taggablePattern)
	if err := v.err(); err != nil {
		return target{}, err
	}
	m := resourceParts.FindStringSubmatch(resource)
	if m == nil {
		return target{}, awserr.New(awserr.ResourceNotFound, "The resource you requested does not exist.")
	}
	region, acct, kind, rest := m[1], m[2], m[3], m[4]
	if region != r.cfg.Region {
		return target{}, awserr.New(awserr.ResourceNotFound, "Functions from '%s' are not reachable in this region ('%s')", region, r.cfg.Region)
	}
	if acct != account {
		return target{}, awserr.New(awserr.AccessDenied, "")
	}
	switch kind {
	case "function":
	case "event-source-mapping":
		return target{}, awserr.New(awserr.ResourceNotFound, "Event source mapping not found: %s", resource)
	case "capacity-provider":
		return target{}, awserr.New(awserr.ResourceNotFound, "Capacity provider not found: %s", resource)
	default:
		return target{}, awserr.New(awserr.ResourceNotFound, "The Lambda code signing configuration %s can not be found.", resource)
	}
	name, qualifier, _ := strings.Cut(rest, ":")
	if qualifier != "" {
		return target{}, invalidParameter("Tags on function aliases and versions are not supported. Please specify a function ARN.")
	}
	return target{account: account, name: name}, nil
}

// TagResource adds tags to a function, replacing the values of keys it has.
// Tags are not part of a version's configuration: RevisionId stays.
func (r *Registry) TagResource(ctx context.Context, account, resource string, tags map[string]string) error {
	t, err := r.taggedFunction(account, resource)
	if err != nil {
		return err
	}
	if len(tags) == 0 {
		return invalidParameter("An error occurred and the request cannot be processed.")
	}
	if err := checkTags(tags); err != nil {
		return err
	}
	if len(tags) > maxTags {
		return errTooManyTags
	}
	_, err = r.mutate(ctx, t.key(), func(fn *Function) error {
		merged := maps.Clone(fn.Tags)
		if merged == nil {
			merged = make(map[string]string, len(tags))
		}
		maps.Copy(merged, tags)
		if len(merged) > maxTags {
			return errTooManyTags
		}
		fn.Tags = merged
		return nil
	})
	if errors.Is(err, errNoFunction) {
		return r.notFound(account, t.name, "")
	}
	return err
}

// UntagResource removes tags from a function; keys it does not have are
// ignored. keys nil means the request had no tagKeys at all.
func (r *Registry) UntagResource(ctx context.Context, account, resource string, keys []string) error {
	t, err := r.taggedFunction(account, resource)
	if err != nil {
		return err
	}
	if keys == nil {
		var v violations
		v.addNull("tagKeys")
		return v.err()
	}
	_, err = r.mutate(ctx, t.key(), func(fn *Function) error {
		for _, k := range keys {
			delete(fn.Tags, k)
		}
		if len(fn.Tags) == 0 {
			fn.Tags = nil
		}
		return nil
	})
	if errors.Is(err, errNoFunction) {
		return r.notFound(account, t.name, "")
	}
	return err
}

// ListTags returns a function's tags ({} when it has none).
func (r *Registry) ListTags(account, resource string) (*ListTagsOutput, error) {
	t, err := r.taggedFunction(account, resource)
	if err != nil {
		return nil, err
	}
	fn := r.Function(account, t.name)
	if fn == nil {
		return nil, r.notFound(account, t.name, "")
	}
	tags := maps.Clone(fn.Tags)
	if tags == nil {
		tags = map[string]string{}
	}
	return &ListTagsOutput{Tags: tags}, nil
}
