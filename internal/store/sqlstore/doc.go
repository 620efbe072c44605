// Package sqlstore implements store.Store on database/sql, for the SQL
// both backends speak; a Dialect holds the few phrases where SQLite and
// MySQL differ. The backends open the databases, apply their migrations
// and hand them here. Large bodies are cut into parts that each fit in
// one statement (parts.go), for the store and for the replicas.
// Replicas is store.Replicas on MySQL's replica tables (lease.go,
// publications.go): the leader lease, fenced writes, the publications.
//
// It must not open or close databases it was given, but in Close.
package sqlstore
