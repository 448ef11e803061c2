// Package lambdadtest is the harness of lambdad's integration tests: it builds
// the lambdad binary once (with -race when the tests run under the race
// detector), starts it on a loopback port with a temporary data directory,
// hands out aws-sdk-go-v2 Lambda clients signed with its credentials, and
// builds deployment zips and real runtime clients (aws-lambda-go bootstraps,
// shell scripts) for the functions a test deploys.
//
// A daemon that prints "DATA RACE" or "panic:" fails the test that started it.
package lambdadtest
