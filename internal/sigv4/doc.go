// Package sigv4 verifies AWS Signature Version 4 on requests to the Lambda
// REST API (PROTOCOLS §7), in the header form that every SDK uses and in the
// presigned query form that function URLs with AWS_IAM auth will use.
//
// A Verifier rebuilds the canonical request from the request as received:
// the path exactly as it came on the wire (r.RequestURI, never the decoded
// URL.Path), with empty, "." and ".." segments removed and then
// percent-encoded again, so "%3A" is signed as "%253A" (the non-S3 rule); the
// query decoded, re-encoded and sorted; the signed headers trimmed, with
// repeated lines joined by ","; and as payload hash the signed
// x-amz-content-sha256 value or the SHA-256 of the body. It compares
// signatures in constant time and caches derived signing keys per
// (secret, date, region) in a small bounded cache.
//
// Verify never logs, never reads r.Body (the caller passes the body it read)
// and keeps no state other than the key cache and reusable buffers, so it
// can sit on the invoke hot path. Every failure is an *awserr.Error with a
// 403 status and the code and message real Lambda sends (see Verify).
//
// Session tokens (X-Amz-Security-Token) are not checked: lambdad issues
// none, so a token is just another header the signature may cover.
package sigv4
