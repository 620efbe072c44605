// Package simfleet is a simulated Aleph fleet on loopback: an API host
// serving the registry and settings aggregates, and N compute nodes that
// answer the three probes, some of them failing, hanging or sending junk.
// Tests, benchmarks and the demo run against it.
//
// It is deterministic for a seed (same registry, kinds and payloads), and
// it counts the connections and requests it receives, so tests can assert
// on pooling. It must stay on loopback: it never dials out.
package simfleet
