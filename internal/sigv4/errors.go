package sigv4

import (
	"strconv"
	"time"

	"github.com/lambdad/lambdad/internal/awserr"
)

// Messages AWS sends with the authentication errors (PROTOCOLS §7.6, §7.7).
const (
	msgMissingToken  = "Missing Authentication Token"
	msgUnrecognized  = "The security token included in the request is invalid."
	msgMismatch      = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgContentSHA256 = "The provided 'x-amz-content-sha256' header does not match what was computed."
	msgExpired       = "Request has expired"
)

// errTooOld is Lambda's clock-skew error for a signature older than the
// window: "Signature expired: <t> is now earlier than <now-5min> (<now> - 5 min.)".
func errTooOld(t, now time.Time, skew time.Duration) *awserr.Error {
	return awserr.New(awserr.InvalidSignature, "Signature expired: %s is now earlier than %s (%s - %s min.)",
		stamp(t), stamp(now.Add(-skew)), stamp(now), minutes(skew))
}

// errTooNew is the same error for a signature from the future.
func errTooNew(t, now time.Time, skew time.Duration) *awserr.Error {
	return awserr.New(awserr.InvalidSignature, "Signature not yet current: %s is still later than %s (%s + %s min.)",
		stamp(t), stamp(now.Add(skew)), stamp(now), minutes(skew))
}

func stamp(t time.Time) string { return t.UTC().Format(amzDateLayout) }

func minutes(d time.Duration) string { return strconv.FormatFloat(d.Minutes(), 'f', -1, 64) }
