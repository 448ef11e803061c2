// Package furl is the wire mapping of Lambda function URLs (PROTOCOLS §6):
// what an HTTP request to a function URL becomes for the function, and what
// the function's answer becomes for the HTTP client.
//
//   - Event builds the payload format 2.0 event of a request: rawPath and
//     rawQueryString as received, header names lower-cased with repeated
//     headers joined by ",", the Cookie header moved to cookies, decoded
//     queryStringParameters with repeated keys joined by ",", requestContext
//     (http, requestId, time, authorizer.iam for AWS_IAM), and the body as
//     text or, for binary content, base64 with isBase64Encoded.
//   - ParseResponse maps a BUFFERED result: an object with statusCode is an
//     HTTP response (statusCode, headers, cookies, body, isBase64Encoded);
//     anything else is a 200 application/json whose body is the value, a
//     JSON string unquoted, other values re-serialised compactly.
//   - Splitter finds the application/vnd.awslambda.http-integration-response
//     prelude of a RESPONSE_STREAM answer (JSON, then 8 NUL bytes, then the
//     body) in a stream that arrives in pieces, and ParsePrelude reads it.
//   - CORS answers preflight requests and sets the configured
//     Access-Control-* headers on responses, over the function's own.
//
// The package does no I/O and holds no state; package api serves the URLs.
package furl
