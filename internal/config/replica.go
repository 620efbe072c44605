package config

import (
	"flag"
	"fmt"
	"time"
)

// Replica is the configuration of one replica among several on a MySQL
// or MariaDB database; it takes effect with --db mysql://…, and needs no
// setting there.
type Replica struct {
	ID       string        // this replica's name in the lease ("": host name and a random suffix)
	LeaseTTL time.Duration // the leader lease's time to live
}

// DefaultReplica is the replica configuration used when nothing is set.
func DefaultReplica() Replica { return Replica{LeaseTTL: 6 * time.Second} }

// RegisterReplica adds the replica's flags.
func (r *Replica) RegisterReplica(fs *flag.FlagSet) {
	fs.StringVar(&r.ID, "replica-id", r.ID, "this replica's name in the leader lease, with --db mysql://…; unique among replicas (default: host name and a random suffix)")
	fs.DurationVar(&r.LeaseTTL, "lease-ttl", r.LeaseTTL, "leader lease's time to live, with --db mysql://…: renewed every third of it; a replica takes over within about 1.2 times it of a leader's loss (0: no lease, for a single instance only)")
}

// Validate checks the replica configuration.
func (r *Replica) Validate() error {
	if r.LeaseTTL != 0 && (r.LeaseTTL < time.Second || r.LeaseTTL > 5*time.Minute) {
		return fmt.Errorf("--lease-ttl %s: want 1s to 5m, or 0 (no lease)", r.LeaseTTL)
	}
	if len(r.ID) > 191 {
		return fmt.Errorf("--replica-id: at most 191 bytes")
	}
	return nil
}

// Replicated reports whether the service runs as one replica among
// several: its history store is one they may share (MySQL or MariaDB),
// and the lease is not turned off.
func (r *Replica) Replicated(h History) bool {
	return h.DB.Kind == DBMySQL && r.LeaseTTL > 0
}
