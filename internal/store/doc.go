// Package store keeps the history of every node's probes: per-minute and
// hourly rollups, each state transition, the current state, and the last
// published snapshot for warm restarts. Store is the interface; sqlite and
// mysql are its backends (sharing sqlstore's SQL), storetest is the suite
// both must pass, and Writer moves rounds to a store off the serving path.
//
// It must not serve HTTP nor run rounds; it records what refresh reports.
package store
