package registry

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"github.com/lambdad/lambdad/internal/awserr"
)

// Function URL configs (CreateFunctionUrlConfig and friends, PROTOCOLS §6.1)
// are stored in the function record, in Function.URLs, by qualifier: "" for
// the unqualified function (which invokes $LATEST), else an alias name. A
// URL lives as long as its function and alias; its url-id never changes.

// Auth types and invoke modes of function URLs.
const (
	AuthNone          = "NONE"
	AuthIAM           = "AWS_IAM"
	InvokeBuffered    = "BUFFERED"
	InvokeStream      = "RESPONSE_STREAM"
	urlIDLength       = 32
	urlIDAlphabet     = "abcdefghijklmnopqrstuvwxyz0123456789"
	urlTimeLayout     = "2006-01-02T15:04:05.000000Z"
	urlQualifierMax   = 128
	corsListMax       = 100
	corsHeaderMax     = 1024
	corsMethodsMax    = 6
	corsMethodMax     = 6
	corsOriginMax     = 253
	corsMaxAgeMax     = 86400
	msgNoURLFunction  = "Function does not exist"
	msgNoURLResource  = "The resource you requested does not exist."
	msgURLExistsFmt   = "Failed to create function url config for [functionArn = %s]. Error message:  FunctionUrlConfig exists for this Lambda function"
	urlQualifierRegex = `((?!^\d+$)^[0-9a-zA-Z-_]+$)`
)

// URLConfig is the stored function URL config of one qualifier. A stored
// URLConfig is immutable.
type URLConfig struct {
	// ID is the url-id: 32 lower-case letters and digits, random.
	ID       string `json:"id"`
	AuthType string `json:"authType"`
	// InvokeMode is "" when the caller never set it: BUFFERED applies, and
	// Create and Update responses leave it out, as AWS's do.
	InvokeMode   string    `json:"invokeMode,omitempty"`
	Cors         *Cors     `json:"cors,omitempty"`
	CreationTime time.Time `json:"creationTime"`
	LastModified time.Time `json:"lastModified"`
}

// Mode is the URL's invoke mode: BUFFERED unless RESPONSE_STREAM was set.
func (c *URLConfig) Mode() string {
	if c.InvokeMode == "" {
		return InvokeBuffered
	}
	return c.InvokeMode
}

// Cors is AWS's Cors shape, stored as given.
type Cors struct {
	AllowCredentials *bool    `json:"AllowCredentials,omitempty"`
	AllowHeaders     []string `json:"AllowHeaders,omitempty"`
	AllowMethods     []string `json:"AllowMethods,omitempty"`
	AllowOrigins     []string `json:"AllowOrigins,omitempty"`
	ExposeHeaders    []string `json:"ExposeHeaders,omitempty"`
	MaxAge           *int     `json:"MaxAge,omitempty"`
}

// URLConfigInput is the body of Create/UpdateFunctionUrlConfig.
type URLConfigInput struct {
	AuthType   *string `json:"AuthType"`
	Cors       *Cors   `json:"Cors"`
	InvokeMode *string `json:"InvokeMode"`
}

// FunctionURLConfig is AWS's response shape of the URL config operations
// and of a ListFunctionUrlConfigs entry. FunctionUrl is left for the caller
// to fill in from URLID: the registry does not know where lambdad listens.
type FunctionURLConfig struct {
	FunctionUrl      string  `json:"FunctionUrl"`
	FunctionArn      string  `json:"FunctionArn"`
	AuthType         string  `json:"AuthType"`
	Cors             *Cors   `json:"Cors,omitempty"`
	CreationTime     string  `json:"CreationTime"`
	LastModifiedTime *string `json:"LastModifiedTime,omitempty"`
	InvokeMode       string  `json:"InvokeMode,omitempty"`

	// URLID is the url-id the FunctionUrl is made of.
	URLID string `json:"-"`
}

// ListURLConfigsOutput is ListFunctionUrlConfigs' response.
type ListURLConfigsOutput struct {
	FunctionUrlConfigs []*FunctionURLConfig `json:"FunctionUrlConfigs"`
	NextMarker         *string              `json:"NextMarker,omitempty"`
}

// urlView selects the members of a URL config response.
type urlView int

const (
	urlCreated urlView = iota // CreateFunctionUrlConfig: no LastModifiedTime
	urlUpdated                // UpdateFunctionUrlConfig
	urlStored                 // Get and List: InvokeMode always
)

// response is c as the API shows it for the function ARN arn.
func (c *URLConfig) response(arn string, vw urlView) *FunctionURLConfig {
	out := &FunctionURLConfig{
		FunctionArn:  arn,
		AuthType:     c.AuthType,
		Cors:         c.Cors,
		CreationTime: c.CreationTime.UTC().Format(urlTimeLayout),
		InvokeMode:   c.InvokeMode,
		URLID:        c.ID,
	}
	if vw != urlCreated {
		out.LastModifiedTime = stringPtr(c.LastModified.UTC().Format(urlTimeLayout))
	}
	if vw == urlStored {
		out.InvokeMode = c.Mode()
	}
	return out
}

// urlTarget validates the FunctionName and Qualifier of a URL config
// operation: FunctionName is the management shape, and the qualifier (the
// parameter, or the one in the name) may only be an alias name, so that a
// version number or $LATEST is AWS's ValidationException.
func (r *Registry) urlTarget(account, functionName, qualifier string) (target, error) {
	var v violations
	ref, _ := parseName(functionName, managementName, &v)
	checkURLQualifier(qualifier, &v)
	if err := v.err(); err != nil {
		return target{}, err
	}
	t, err := r.resolveRef(account, ref, qualifier)
	if err != nil {
		return target{}, err
	}
	if t.qualifier != "" && qualifier == "" {
		checkURLQualifier(t.qualifier, &v)
		if err := v.err(); err != nil {
			return target{}, err
		}
	}
	return t, nil
}

// checkURLQualifier checks a FunctionUrlQualifier; "" means absent.
func checkURLQualifier(q string, v *violations) {
	if q == "" {
		return
	}
	v.length(q, "qualifier", 1, urlQualifierMax)
	if !isAliasName(q) {
		v.add(q, "qualifier", "Member must satisfy regular expression pattern: "+urlQualifierRegex)
	}
}

// checkURLInput validates a Create/Update body against the model. create
// requires AuthType.
func checkURLInput(in *URLConfigInput, create bool) error {
	var v violations
	switch {
	case in.AuthType == nil && create:
		v.addNull("authType")
	case in.AuthType != nil:
		v.enum(*in.AuthType, "authType", AuthIAM, AuthNone)
	}
	if in.InvokeMode != nil {
		// AWS lists the values in this order.
		v.enum(*in.InvokeMode, "invokeMode", InvokeStream, InvokeBuffered)
	}
	if c := in.Cors; c != nil {
		corsList(&v, c.AllowHeaders, "cors.allowHeaders", corsListMax, 0, corsHeaderMax)
		corsList(&v, c.AllowMethods, "cors.allowMethods", corsMethodsMax, 0, corsMethodMax)
		corsList(&v, c.AllowOrigins, "cors.allowOrigins", corsListMax, 1, corsOriginMax)
		corsList(&v, c.ExposeHeaders, "cors.exposeHeaders", corsListMax, 0, corsHeaderMax)
		if c.MaxAge != nil {
			v.intRange(int64(*c.MaxAge), "cors.maxAge", 0, corsMaxAgeMax)
		}
	}
	return v.err()
}

// corsList checks a Cors list: at most maxItems members of min–max
// characters each. AWS names a member as "<list>.<n>.member", from 1.
func corsList(v *violations, list []string, member string, maxItems, min, max int) {
	if len(list) > maxItems {
		v.add("["+strings.Join(list, ", ")+"]", member, fmt.Sprintf("Member must have length less than or equal to %d", maxItems))
	}
	for i, s := range list {
		v.length(s, fmt.Sprintf("%s.%d.member", member, i+1), min, max)
	}
}

// newURLID returns a fresh url-id.
func newURLID() string {
	var b [urlIDLength]byte
	out := make([]byte, 0, urlIDLength)
	for len(out) < urlIDLength {
		rand.Read(b[:])
		for _, c := range b {
			// Rejection sampling keeps the 36 symbols equally likely.
			if c < 252 && len(out) < urlIDLength {
				out = append(out, urlIDAlphabet[c%36])
			}
		}
	}
	return string(out)
}

// urlNotFound is AWS's 404 of Get and Delete (and of Update when the
// function exists but has no URL config).
func urlNotFound() error { return awserr.New(awserr.ResourceNotFound, msgNoURLResource) }

// urlNoFunction is AWS's 404 of Create, Update and List when the function
// or the alias does not exist.
func urlNoFunction() error { return awserr.New(awserr.ResourceNotFound, msgNoURLFunction) }

// hasQualifier reports whether q is "" or an alias fn has.
func (fn *Function) hasQualifier(q string) bool {
	return q == "" || fn.Aliases[q] != nil
}

// CreateFunctionURLConfig creates the function URL of a function or alias.
func (r *Registry) CreateFunctionURLConfig(ctx context.Context, account, functionName, qualifier string, in *URLConfigInput) (*FunctionURLConfig, error) {
	t, err := r.urlTarget(account, functionName, qualifier)
	if err != nil {
		return nil, err
	}
	if err := checkURLInput(in, true); err != nil {
		return nil, err
	}
	q := t.qualifier
	var written *URLConfig
	_, err = r.mutate(ctx, t.key(), func(fn *Function) error {
		if !fn.hasQualifier(q) {
			return urlNoFunction()
		}
		if fn.URLs[q] != nil {
			return awserr.New(awserr.ResourceConflict, msgURLExistsFmt, r.qualifiedARN(account, t.name, q))
		}
		now := r.cfg.Now().UTC().Truncate(time.Microsecond)
		c := &URLConfig{ID: newURLID(), AuthType: *in.AuthType, Cors: in.Cors, CreationTime: now, LastModified: now}
		if in.InvokeMode != nil {
			c.InvokeMode = *in.InvokeMode
		}
		fn.setURL(q, c)
		written = c
		return nil
	})
	if errors.Is(err, errNoFunction) {
		return nil, urlNoFunction()
	}
	if err != nil {
		return nil, err
	}
	return written.response(r.qualifiedARN(account, t.name, q), urlCreated), nil
}

// UpdateFunctionURLConfig changes the members in gives of a function URL
// config; the others keep their values.
func (r *Registry) UpdateFunctionURLConfig(ctx context.Context, account, functionName, qualifier string, in *URLConfigInput) (*FunctionURLConfig, error) {
	t, err := r.urlTarget(account, functionName, qualifier)
	if err != nil {
		return nil, err
	}
	if err := checkURLInput(in, false); err != nil {
		return nil, err
	}
	q := t.qualifier
	var written *URLConfig
	_, err = r.mutate(ctx, t.key(), func(fn *Function) error {
		if !fn.hasQualifier(q) {
			return urlNoFunction()
		}
		cur := fn.URLs[q]
		if cur == nil {
			return urlNotFound()
		}
		next := *cur
		if in.AuthType != nil {
			next.AuthType = *in.AuthType
		}
		if in.InvokeMode != nil {
			next.InvokeMode = *in.InvokeMode
		}
		if in.Cors != nil {
			next.Cors = in.Cors
		}
		next.LastModified = r.cfg.Now().UTC().Truncate(time.Microsecond)
		fn.setURL(q, &next)
		written = &next
		return nil
	})
	if errors.Is(err, errNoFunction) {
		return nil, urlNoFunction()
	}
	if err != nil {
		return nil, err
	}
	return written.response(r.qualifiedARN(account, t.name, q), urlUpdated), nil
}

// GetFunctionURLConfig returns a function URL config. It reads memory only.
func (r *Registry) GetFunctionURLConfig(account, functionName, qualifier string) (*FunctionURLConfig, error) {
	t, err := r.urlTarget(account, functionName, qualifier)
	if err != nil {
		return nil, err
	}
	fn := r.Function(account, t.name)
	if fn == nil || !fn.hasQualifier(t.qualifier) || fn.URLs[t.qualifier] == nil {
		return nil, urlNotFound()
	}
	return fn.URLs[t.qualifier].response(r.qualifiedARN(account, t.name, t.qualifier), urlStored), nil
}

// DeleteFunctionURLConfig deletes a function URL config; its url-id is
// never used again.
func (r *Registry) DeleteFunctionURLConfig(ctx context.Context, account, functionName, qualifier string) error {
	t, err := r.urlTarget(account, functionName, qualifier)
	if err != nil {
		return err
	}
	q := t.qualifier
	_, err = r.mutate(ctx, t.key(), func(fn *Function) error {
		if !fn.hasQualifier(q) || fn.URLs[q] == nil {
			return urlNotFound()
		}
		fn.dropURL(q)
		return nil
	})
	if errors.Is(err, errNoFunction) {
		return urlNotFound()
	}
	return err
}

// ListURLConfigsInput is ListFunctionUrlConfigs' request.
type ListURLConfigsInput struct {
	FunctionName string
	// Marker is the NextMarker of the previous page; empty for the first.
	Marker string
	// MaxItems bounds the page, 1–50; 0 means 50.
	MaxItems int
}

// ListFunctionURLConfigs lists a function's URL configs: the unqualified
// one first, then by alias name. It reads memory only.
func (r *Registry) ListFunctionURLConfigs(account string, in ListURLConfigsInput) (*ListURLConfigsOutput, error) {
	var v violations
	if in.MaxItems != 0 {
		v.intRange(int64(in.MaxItems), "maxItems", 1, 50)
	}
	t, err := r.unqualifiedTarget(account, in.FunctionName, &v)
	if err != nil {
		return nil, err
	}
	fn := r.Function(account, t.name)
	if fn == nil {
		return nil, urlNoFunction()
	}
	after, hasMarker := "", in.Marker != ""
	if hasMarker {
		m, err := decodeMarker(in.Marker)
		if err != nil || m[0] != '/' {
			return nil, invalidParameter("Invalid Marker: %s", in.Marker)
		}
		after = m[1:]
	}
	limit := in.MaxItems
	if limit == 0 {
		limit = 50
	}
	out := &ListURLConfigsOutput{FunctionUrlConfigs: []*FunctionURLConfig{}}
	last := ""
	for _, q := range slices.Sorted(maps.Keys(fn.URLs)) {
		if !fn.hasQualifier(q) || hasMarker && q <= after {
			continue
		}
		if len(out.FunctionUrlConfigs) == limit {
			out.NextMarker = stringPtr(encodeMarker("/" + last))
			break
		}
		out.FunctionUrlConfigs = append(out.FunctionUrlConfigs, fn.URLs[q].response(r.qualifiedARN(account, t.name, q), urlStored))
		last = q
	}
	return out, nil
}

// setURL stores c as the URL config of q in fn (a copy inside mutate).
func (fn *Function) setURL(q string, c *URLConfig) {
	m := maps.Clone(fn.URLs)
	if m == nil {
		m = make(map[string]*URLConfig, 1)
	}
	m[q] = c
	fn.URLs = m
}

// dropURL removes the URL config of q from fn (a copy inside mutate), if it
// has one. Deleting an alias deletes its URL.
func (fn *Function) dropURL(q string) {
	if _, ok := fn.URLs[q]; !ok {
		return
	}
	m := maps.Clone(fn.URLs)
	delete(m, q)
	if len(m) == 0 {
		m = nil
	}
	fn.URLs = m
}

// URLTarget is what a url-id names.
type URLTarget struct {
	Function  *Function // the snapshot the URL was found in
	Qualifier string    // "" or an alias name
	Config    *URLConfig
}

// InvokedARN is the ARN an invocation through the URL names.
func (t *URLTarget) InvokedARN() string {
	if t.Qualifier == "" {
		return t.Function.ARN
	}
	return t.Function.ARN + ":" + t.Qualifier
}

// urlIndex maps the url-ids of one registry index snapshot to their URLs.
type urlIndex struct {
	src  *index
	byID map[string]URLTarget
}

// urlIndexes holds each Registry's url-id index, rebuilt from the function
// index when that has changed. An entry goes when its Registry is
// collected. (TODO: keep it in Registry and maintain it in index.with once
// registry.go is free to change.)
var urlIndexes sync.Map // weak.Pointer[Registry] → *urlIndexHolder

// urlHolder returns r's entry in urlIndexes.
func (r *Registry) urlHolder() *urlIndexHolder {
	key := weak.Make(r)
	if h, ok := urlIndexes.Load(key); ok {
		return h.(*urlIndexHolder)
	}
	h, loaded := urlIndexes.LoadOrStore(key, new(urlIndexHolder))
	if !loaded {
		runtime.AddCleanup(r, func(k weak.Pointer[Registry]) { urlIndexes.Delete(k) }, key)
	}
	return h.(*urlIndexHolder)
}

type urlIndexHolder struct {
	mu  sync.Mutex // serialises rebuilds
	cur atomic.Pointer[urlIndex]
}

// LookupURL returns the function URL with url-id id, if a function or alias
// that exists has it. It reads memory only; after a change of any function
// the first lookup rebuilds the url-id index, which is linear in the number
// of functions.
func (r *Registry) LookupURL(id string) (URLTarget, bool) {
	ix := r.idx.Load()
	holder := r.urlHolder()
	u := holder.cur.Load()
	if u == nil || u.src != ix {
		holder.mu.Lock()
		ix = r.idx.Load()
		if u = holder.cur.Load(); u == nil || u.src != ix {
			u = buildURLIndex(ix)
			holder.cur.Store(u)
		}
		holder.mu.Unlock()
	}
	t, ok := u.byID[id]
	return t, ok
}

func buildURLIndex(ix *index) *urlIndex {
	u := &urlIndex{src: ix, byID: make(map[string]URLTarget)}
	for _, fn := range ix.fns {
		for q, c := range fn.URLs {
			if fn.hasQualifier(q) {
				u.byID[c.ID] = URLTarget{Function: fn, Qualifier: q, Config: c}
			}
		}
	}
	return u
}
