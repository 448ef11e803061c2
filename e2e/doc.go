// Package e2e holds lambdad's black-box tests: they build and start the real
// binary, deploy functions built in the test, and drive it with
// aws-sdk-go-v2 (and the AWS CLI when it is installed).
package e2e
