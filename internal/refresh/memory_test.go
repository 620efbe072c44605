package refresh

import (
	"context"
	rtmetrics "runtime/metrics"
	"testing"
	"time"

	"nodelist/internal/simfleet"
)

func forcedCycles() uint64 {
	s := []rtmetrics.Sample{{Name: "/gc/cycles/forced:gc-cycles"}}
	rtmetrics.Read(s)
	return s[0].Value.Uint64()
}

// With ReturnMemory a round ends with a forced collection that returns
// the freed heap to the OS (debug.FreeOSMemory); without, it forces none.
func TestReturnMemory(t *testing.T) {
	f := startFleet(t, simfleet.Options{Nodes: 8, Seed: 2})
	for _, on := range []bool{false, true} {
		r := newRefresher(t, f, 2*time.Second, nil)
		r.opts.ReturnMemory = on
		before := forcedCycles()
		for range 2 {
			if err := r.Refresh(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		got := forcedCycles() - before
		if (on && got < 2) || (!on && got != 0) {
			t.Errorf("ReturnMemory %v: %d forced collections in 2 rounds", on, got)
		}
	}
}
