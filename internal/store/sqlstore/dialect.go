package sqlstore

import "github.com/pressly/goose/v3"

// Dialect is what differs between the SQL of the backends.
type Dialect struct {
	Name         string
	Goose        goose.Dialect
	InsertIgnore string                   // "INSERT OR IGNORE" or "INSERT IGNORE"
	OnConflict   func(keys string) string // the clause that turns an insert into an upsert
	Excluded     func(col string) string  // the inserted value of col, inside that clause
	Greatest     string                   // the two-argument maximum function
	Concat       func(a, b string) string // the concatenation of two blobs
	// PruneOld deletes up to ? rows whose col is below ?; args: (before, limit).
	PruneOld func(table, col string) string
	// PacketQuery reads the largest statement a connection accepts; ""
	// where only the blob bound applies (see Dialect.Packet).
	PacketQuery string
	// FenceQuery reads the leader lease's holder and epoch, locking its
	// row until the commit (see Dialect.fence); "" where the database
	// holds no lease, which then refuses every fenced write.
	FenceQuery string
}

// SQLite is SQLite's dialect.
var SQLite = Dialect{
	Name:         "sqlite",
	Goose:        goose.DialectSQLite3,
	InsertIgnore: "INSERT OR IGNORE",
	OnConflict:   func(keys string) string { return "ON CONFLICT(" + keys + ") DO UPDATE SET" },
	Excluded:     func(col string) string { return "excluded." + col },
	Greatest:     "MAX",
	Concat:       func(a, b string) string { return a + " || " + b },
	PruneOld: func(t, col string) string {
		return "DELETE FROM " + t + " WHERE rowid IN (SELECT rowid FROM " + t + " WHERE " + col + " < ? ORDER BY " + col + " LIMIT ?)"
	},
}

// MySQL is MySQL's and MariaDB's dialect.
var MySQL = Dialect{
	Name:         "mysql",
	Goose:        goose.DialectMySQL,
	InsertIgnore: "INSERT IGNORE",
	OnConflict:   func(string) string { return "ON DUPLICATE KEY UPDATE" },
	Excluded:     func(col string) string { return "VALUES(" + col + ")" },
	Greatest:     "GREATEST",
	Concat:       func(a, b string) string { return "CONCAT(" + a + ", " + b + ")" },
	PruneOld: func(t, col string) string {
		return "DELETE FROM " + t + " WHERE " + col + " < ? ORDER BY " + col + " LIMIT ?"
	},
	PacketQuery: "SELECT @@session.max_allowed_packet",
	FenceQuery:  "SELECT holder, epoch FROM replica_lease WHERE id = 1 FOR UPDATE",
}
