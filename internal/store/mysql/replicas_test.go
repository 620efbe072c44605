package mysql

import (
	"context"
	"testing"

	"nodelist/internal/store"
	"nodelist/internal/store/storetest"
)

// TestReplicasSuite runs the suite of the replicas' storage: the lease,
// fencing, the requests to the leader, the publications.
func TestReplicasSuite(t *testing.T) {
	storetest.RunReplicas(t, func(t *testing.T) (store.Store, store.Replicas) {
		dsn := testDSN(t)
		st := openStore(t, dsn)
		t.Cleanup(func() { st.Close() })
		rs, err := ConnectReplicas(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rs.Close() })
		return st, rs
	})
}
