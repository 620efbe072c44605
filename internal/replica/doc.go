// Package replica lets several instances of the service share one MySQL
// or MariaDB database: one of them, the holder of a lease kept in the
// database, runs the rounds and writes the history; every publication it
// makes goes to the database, and the others serve it, rebuilt into the
// same bytes and ETags. A follower that must cause work (/debug/node, an
// on-demand round) asks the leader through the database.
//
// The lease is a row: holder, epoch, expiry on the database's clock. The
// leader renews it well within its TTL and stops probing before it could
// expire; every write it makes names its term, and the store checks, in
// the write's transaction, that its epoch is still the lease's (fencing),
// so a paused or cut-off old leader writes nothing once another has taken
// over.
//
// A publication is written in parts that each fit in one statement of
// the writing connection (max_allowed_packet); one that cannot be
// written is served by the leader alone until one is, so that a
// publication never takes every replica down.
//
// The lease, the requests and the publications are kept through
// store.Replicas (the MySQL backend's): this package holds no SQL.
//
// It must not probe, render or serve HTTP itself, nor speak SQL: it
// drives a refresh.Refresher, fills the snapshot.Holder the server
// reads, and keeps its shared state through the store.
package replica
