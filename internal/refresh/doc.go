// Package refresh runs refresh rounds: it fetches the node registry and
// the GPU settings, probes every node through the shared probe client,
// keeps each node's last good data across rounds, and publishes snapshots
// progressively while a round runs, so a hung node delays only itself.
//
// It owns the live state; nothing else mutates it. It must not serve HTTP.
package refresh
