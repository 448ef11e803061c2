// Package logs owns function logs: it captures the combined stdout and
// stderr of each execution environment, keeps them per function as AWS does
// (log group /aws/lambda/NAME, one stream per environment), frames each
// invocation with the platform's START, END and REPORT lines, and hands back
// the last 4 KB of an invocation's log for LogType Tail.
//
// Streams are plain files under the store's directory, one per stream, so
// `lambdad logs` can read and follow them while the daemon runs.
//
// A Capture's reads of the environment's pipe all happen under one mutex, so
// End, which drains the pipe before it writes END, sees everything the
// runtime wrote before it posted its response.
package logs
