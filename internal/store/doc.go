// Package store is lambdad's persistence: an embedded NATS server with
// JetStream, reached through the jetstream client API. Metadata lives in KV
// buckets (Store.KeyValue); code zips and layer archives live in a
// content-addressed object store (Blobs), keyed by their sha256.
//
// By default the server runs in-process on a data directory and opens no
// network port (Config.ListenAddr exposes one when asked). Only one lambdad may
// use a data directory at a time: Open holds an exclusive lock on it until
// Close.
//
// # Durability
//
// An acknowledged write (a KV Put/Create/Update that returned, a Blobs.Put
// that returned) survives a crash of the lambdad process, including SIGKILL:
// with one replica JetStream writes every message to its block file with
// write(2) before it acknowledges, and the kernel page cache outlives the
// process. It is not fsynced by default, so a power loss or kernel crash can
// lose the writes of the last sync interval (two minutes); Config.SyncAlways
// closes that window at the price of an fsync per message.
package store
