package sqlstore

// Dialect is what differs between the SQL of the backends.
type Dialect struct {
	Name         string
	InsertIgnore string                    // "INSERT OR IGNORE" or "INSERT IGNORE"
	OnConflict   func(keys string) string  // the clause that turns an insert into an upsert
	Excluded     func(col string) string   // the inserted value of col, inside that clause
	Greatest     string                    // the two-argument maximum function
	PruneRollup  func(table string) string // deletes up to ? rows with bucket < ?; args: (before, limit)
}

// SQLite is SQLite's dialect.
var SQLite = Dialect{
	Name:         "sqlite",
	InsertIgnore: "INSERT OR IGNORE",
	OnConflict:   func(keys string) string { return "ON CONFLICT(" + keys + ") DO UPDATE SET" },
	Excluded:     func(col string) string { return "excluded." + col },
	Greatest:     "MAX",
	PruneRollup: func(t string) string {
		return "DELETE FROM " + t + " WHERE (node_id, probe, bucket) IN (SELECT node_id, probe, bucket FROM " + t +
			" WHERE bucket < ? ORDER BY bucket LIMIT ?)"
	},
}

// MySQL is MySQL's and MariaDB's dialect.
var MySQL = Dialect{
	Name:         "mysql",
	InsertIgnore: "INSERT IGNORE",
	OnConflict:   func(string) string { return "ON DUPLICATE KEY UPDATE" },
	Excluded:     func(col string) string { return "VALUES(" + col + ")" },
	Greatest:     "GREATEST",
	PruneRollup: func(t string) string {
		return "DELETE FROM " + t + " WHERE bucket < ? ORDER BY bucket LIMIT ?"
	},
}
