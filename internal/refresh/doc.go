// Package refresh runs refresh rounds: it fetches the node registry and
// the GPU settings, probes every node through the shared probe client,
// keeps each node's last good data across rounds, and publishes snapshots
// progressively while a round runs, so a hung node delays only itself.
//
// Each finished round is handed to the Sink it is given (Sinks: several,
// in order), history's among them; it knows no storage.
//
// It owns the live state; nothing else mutates it. It must not serve HTTP
// nor write history.
package refresh
