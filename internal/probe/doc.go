// Package probe holds the one client every upstream call shares (node probes
// through a pool of HTTP/1.1 connections that holds no goroutine per
// connection, the API's requests through net/http), the guard that
// refuses non-public destinations at dial time, address
// validation, the per-node probes (config, usage, IPv6, capability), each
// with its bounds on what one node may make it read and publish, and the error
// classes a failed probe is reported with.
//
// It must not keep state across rounds (refresh does) nor format output
// (snapshot does). Expected failures of remote nodes are values (*Error),
// never panics.
package probe
