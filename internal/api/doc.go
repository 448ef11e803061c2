// Package api serves the Lambda REST API as AWS does: the same paths, query
// parameters, JSON shapes, status codes and error types, so that the AWS CLI
// and the AWS SDKs work against lambdad unmodified.
//
// Every request except the signed code downloads is authenticated with SigV4
// (package sigv4) before it is routed; the signing credentials decide the
// account. Handlers return errors; errors.go renders an *awserr.Error as AWS
// does and turns anything else into a logged ServiceException.
package api
