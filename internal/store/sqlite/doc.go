// Package sqlite is the embedded history backend: SQLite in pure Go
// (modernc.org/sqlite, so the binary needs no C library), in WAL mode with
// a busy timeout, one writer connection and readers in parallel.
//
// It must not hold SQL beyond opening and migrating; sqlstore has the rest.
package sqlite
