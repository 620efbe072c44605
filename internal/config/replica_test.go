package config

import (
	"testing"
	"time"
)

func TestReplicaConfig(t *testing.T) {
	for _, c := range []struct {
		ttl        time.Duration
		db         string
		ok, shared bool
	}{
		{6 * time.Second, "mysql://u:p@h/db", true, true},
		{6 * time.Second, "sqlite:x.db", true, false},
		{0, "mysql://u:p@h/db", true, false},
		{500 * time.Millisecond, "mysql://u:p@h/db", false, true},
		{time.Hour, "mysql://u:p@h/db", false, true},
	} {
		r := DefaultReplica()
		r.LeaseTTL = c.ttl
		if err := r.Validate(); (err == nil) != c.ok {
			t.Errorf("--lease-ttl %s: %v", c.ttl, err)
		}
		db, err := ParseDB(c.db)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Replicated(History{DB: db}); got != c.shared {
			t.Errorf("--lease-ttl %s --db %s: replicated %v", c.ttl, c.db, got)
		}
	}
}
