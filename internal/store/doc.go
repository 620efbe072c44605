// Package store keeps the history of every node's probes: per-minute and
// hourly rollups, each state transition, the current state, and the last
// published snapshot for warm restarts. Store is the interface; sqlite and
// mysql are its backends (sharing sqlstore's SQL), memory the one of
// --db none, storetest is the suite all three pass.
// Replicas is the storage several replicas share (the leader lease, the
// requests to the leader, the publications): the MySQL backend's, with
// its own suite in storetest. Notifier is the notifications' storage
// (each node's notification state and an outbox, internal/notify), which
// every backend has. All the project's SQL lives here.
//
// It is the floor: it knows probes only by the names it is opened with
// and their indices (UpProbe, the first, counts for uptime), and imports
// no round engine (refresh, snapshot, probe, aleph). Rounds reach it
// through package history. It must not serve HTTP nor run rounds.
package store
