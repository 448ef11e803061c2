package furl

import (
	"net/http"
	"strconv"
	"strings"
)

// CORS is the Cors configuration of a function URL. Lambda documents that
// it adds the configured Access-Control-* headers to every response and
// that they win over the function's own (PROTOCOLS §6.1). How it answers
// preflights is unverified; lambdad answers them itself, as API Gateway
// HTTP APIs do, so the function never sees an OPTIONS preflight:
//
//   - An origin is allowed when AllowOrigins lists it (case-insensitively)
//     or lists "*". Access-Control-Allow-Origin is then "*" for a "*" list
//     without AllowCredentials, and the request's Origin otherwise (with
//     Vary: Origin). A request without an allowed Origin gets no CORS
//     headers from lambdad.
//   - A preflight gets Allow-Origin, Allow-Methods and Allow-Headers as
//     configured ("*" with AllowCredentials echoes what was asked, since
//     browsers do not honour "*" with credentials), Max-Age when above 0,
//     Allow-Credentials when set; status 200 and no body.
//   - Other responses get Allow-Origin, Expose-Headers and
//     Allow-Credentials.
type CORS struct {
	AllowCredentials bool
	AllowHeaders     []string
	AllowMethods     []string
	AllowOrigins     []string
	ExposeHeaders    []string
	MaxAge           int
}

// Header names of CORS.
const (
	hdrOrigin           = "Origin"
	hdrRequestMethod    = "Access-Control-Request-Method"
	hdrRequestHeaders   = "Access-Control-Request-Headers"
	hdrAllowOrigin      = "Access-Control-Allow-Origin"
	hdrAllowMethods     = "Access-Control-Allow-Methods"
	hdrAllowHeaders     = "Access-Control-Allow-Headers"
	hdrAllowCredentials = "Access-Control-Allow-Credentials"
	hdrExposeHeaders    = "Access-Control-Expose-Headers"
	hdrMaxAge           = "Access-Control-Max-Age"
)

// IsPreflight reports whether a request is a CORS preflight: OPTIONS with
// an Origin and an Access-Control-Request-Method.
func IsPreflight(method string, h http.Header) bool {
	return method == http.MethodOptions && h.Get(hdrOrigin) != "" && h.Get(hdrRequestMethod) != ""
}

// allowOrigin returns the Access-Control-Allow-Origin value for a request
// from origin, or "" when the origin is not allowed.
func (c *CORS) allowOrigin(origin string) string {
	if origin == "" {
		return ""
	}
	for _, o := range c.AllowOrigins {
		if o == "*" {
			if c.AllowCredentials {
				return origin
			}
			return "*"
		}
		if strings.EqualFold(o, origin) {
			return origin
		}
	}
	return ""
}

// Preflight sets on out the headers that answer a preflight request with
// headers req.
func (c *CORS) Preflight(req, out http.Header) {
	origin := c.allowOrigin(req.Get(hdrOrigin))
	if origin == "" {
		return
	}
	c.setOrigin(out, origin)
	if v := c.list(c.AllowMethods, req.Get(hdrRequestMethod)); v != "" {
		out.Set(hdrAllowMethods, strings.ToUpper(v))
	}
	if v := c.list(c.AllowHeaders, strings.Join(req.Values(hdrRequestHeaders), ",")); v != "" {
		out.Set(hdrAllowHeaders, v)
	}
	if c.MaxAge > 0 {
		out.Set(hdrMaxAge, strconv.Itoa(c.MaxAge))
	}
}

// Apply sets on out, the headers of a response to a request with headers
// req, the configured CORS headers, replacing the function's.
func (c *CORS) Apply(req, out http.Header) {
	origin := c.allowOrigin(req.Get(hdrOrigin))
	if origin == "" {
		return
	}
	c.setOrigin(out, origin)
	if len(c.ExposeHeaders) > 0 {
		out.Set(hdrExposeHeaders, strings.Join(c.ExposeHeaders, ","))
	}
}

func (c *CORS) setOrigin(out http.Header, origin string) {
	out.Set(hdrAllowOrigin, origin)
	if origin != "*" {
		out.Add("Vary", hdrOrigin)
	}
	if c.AllowCredentials {
		out.Set(hdrAllowCredentials, "true")
	}
}

// list joins a configured list; a "*" in it with AllowCredentials answers
// with what the request asked for instead.
func (c *CORS) list(configured []string, asked string) string {
	for _, v := range configured {
		if v == "*" && c.AllowCredentials {
			return asked
		}
	}
	return strings.Join(configured, ",")
}
