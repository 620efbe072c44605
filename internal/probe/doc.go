// Package probe holds the one HTTP transport every upstream call shares, the
// guard that refuses non-public destinations at dial time, address
// validation, the per-node probes (config, usage, IPv6, capability), each
// with its bounds on what one node may make it read and publish, and the error
// classes a failed probe is reported with.
//
// It must not keep state across rounds (refresh does) nor format output
// (snapshot does). Expected failures of remote nodes are values (*Error),
// never panics.
package probe
