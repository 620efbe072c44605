package replica

import (
	"testing"

	"nodelist/internal/simfleet"
)

// What the tests outside the package (those that serve a replica through
// the server) start replicas with.

// StartNode runs a replica named id on the database of dsn (see
// startNode) until the test ends.
func StartNode(t testing.TB, dsn string, fleet *simfleet.Fleet, id string, tweak func(*Options)) *Replica {
	return startNode(t, dsn, fleet, id, tweak).rep
}

// Migrated is a new database of the test's own, migrated.
var Migrated = migrated
