// Package mysql is the history backend for MySQL and MariaDB, through
// go-sql-driver/mysql and database/sql, with a disciplined pool: idle
// connections retire before the server's wait_timeout would drop them,
// every connection has a lifetime, the pool is small, and the driver
// checks a reused connection's liveness without a round trip.
//
// ConnectReplicas opens the replicas' storage (sqlstore.Replicas) on a
// pool of its own.
//
// It must not hold SQL beyond opening and migrating; sqlstore has the rest.
package mysql
