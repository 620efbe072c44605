package replica

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"nodelist/internal/refresh"
)

// TestWireStatusRoundTrip: what a follower shows of the leader's status
// is what the leader had, through the JSON the database holds.
func TestWireStatusRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 22, 14, 38, 0, 123456000, time.UTC)
	st := refresh.Status{Mode: "background", Running: true, Round: 7, Started: at, Finished: at.Add(time.Second),
		LastDuration: 1500 * time.Millisecond, LastError: "e", SettingsError: "s", Nodes: 12, Responsive: 9, Probed: 11,
		Targets: 12, LastCRNVersion: "1.14.0", IdentityMismatches: 2, IdentityMismatchHashes: []string{"a", "b"}}
	b, err := json.Marshal(toWire(st))
	if err != nil {
		t.Fatal(err)
	}
	var w wireStatus
	if err := json.Unmarshal(b, &w); err != nil {
		t.Fatal(err)
	}
	if got := w.status(); !reflect.DeepEqual(got, st) {
		t.Errorf("a follower shows\n%+v\nthe leader had\n%+v", got, st)
	}
}
