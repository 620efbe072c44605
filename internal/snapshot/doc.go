// Package snapshot builds the immutable snapshots the server answers from:
// each holds the final bytes of both crns.json variants, so that serving is
// writing bytes. It renders one CRN at a time (refresh caches the result
// until the CRN changes) and joins the rendered CRNs into a snapshot.
//
// It must not fetch anything nor hold mutable state beyond the atomically
// swapped current snapshot.
package snapshot
