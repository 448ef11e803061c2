// Package registry is lambdad's function control plane: the domain model of
// functions (Function, Version), AWS's validation of every request that
// changes them, their persistence, and the in-memory index the invoke path
// reads.
//
// # Model
//
// A function belongs to an account and has a name. It has $LATEST, the
// mutable version that UpdateFunctionCode and UpdateFunctionConfiguration
// change, and function-level settings (tags, reserved concurrency).
// Published versions (immutable copies of $LATEST, numbered 1, 2, ...) and
// aliases (names pointing at versions) will join $LATEST in the same
// record; qualifiers already resolve through one place (Resolve, lookup).
//
// # Persistence
//
// Each function is one JSON record in the JetStream KV bucket "functions",
// under the key "<account>.<name>". Every change is one conditional write of
// the whole record, expecting the revision it read (see mutate): concurrent
// changes retry instead of overwriting each other. Deployment zips live in
// the content-addressed blob bucket "code", keyed by their sha256, and are
// always written before the record that names them, so a stored record never
// names missing code. Deleting a function deletes its record; its code stays
// in the blob bucket (collecting unreferenced blobs is a TODO).
//
// # Reads and consistency
//
// New loads every record into an immutable in-memory index; Run then
// follows the bucket with a KV watcher and swaps in a new index for each
// change, in store order, whoever made it (another lambdad node in cluster
// mode, too), then tells the OnChange callbacks. Reads (Resolve, Get*,
// ListFunctions) never touch the store. A write returns only after the index
// reflects it, so a client sees its own writes.
//
// # Function state
//
// Lambda reports a function's life as a state machine:
//
//	CreateFunction ──► Pending ──(code ready)──► Active ◄──┐
//	                                               │        │
//	                      Update* ──► LastUpdateStatus InProgress ──► Successful
//
// lambdad validates and stores the code before CreateFunction or an update
// returns, so there is nothing left to wait for. The responses still say
// what AWS's say (CreateFunction: State Pending, StateReason "The function
// is being created.", StateReasonCode Creating; updates: LastUpdateStatus
// InProgress with the same reason and code Creating, sic), so clients that
// wait for the transition keep working; every later read reports State
// Active and LastUpdateStatus Successful, so the SDK waiters
// (FunctionActiveV2, FunctionUpdatedV2, ...) succeed on their first poll.
// The RevisionId of the response is the stored one.
//
// # Validation
//
// Requests are checked in AWS's order with AWS's codes and messages: first
// the model's constraints (ValidationException listing every violation, e.g.
// "1 validation error detected: Value 'x' at 'functionName' failed to
// satisfy constraint: ..."), then a function ARN of another region (404) or
// account (403), then AWS's own rules (InvalidParameterValueException:
// runtimes, reserved environment variables, the 4 KB environment limit, ...)
// and, last, existence (404, or 409 on create). Runtime values AWS has
// deprecated for creating and updating functions (go1.x, provided,
// python3.7, ...) are refused with AWS's message; so are features lambdad
// does not have (container images, S3 code locations, VPC, EFS), with a
// message that says so.
//
// # Layers
//
// Layers (layers.go) are records of their own in the KV bucket "layers",
// their zips in the code bucket. A function version records the layer
// versions it uses (LayerRef: ARN, zip digest, sizes) when it is
// configured, so deleting a layer version does not change functions that
// use it, and the invoke path never reads a layer record.
package registry
