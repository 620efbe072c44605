// Package history is the sink that turns rounds into rows and rows back
// into a warm start. Its Recorder is a refresh.Sink: it converts each
// round's report into a store.Round (one result per probe asked, by the
// probe's index in the table, and the gzip body of the snapshot
// published), queues it on a Writer that writes it off the serving path
// with retries, prunes expired rows, and at start hands the last
// persisted snapshot to the refresher (Seed).
//
// It is handed a store.Store and must not run SQL nor know a backend:
// all storage lives in package store, below it.
package history
