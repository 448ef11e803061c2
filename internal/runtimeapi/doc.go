// Package runtimeapi serves the Lambda Runtime API 2018-06-01 to the
// runtime of one execution environment (PROTOCOLS §1).
package runtimeapi
