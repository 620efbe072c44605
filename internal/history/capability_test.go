package history_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"nodelist/internal/aleph"
	"nodelist/internal/config"
	"nodelist/internal/history"
	"nodelist/internal/probe"
	"nodelist/internal/refresh"
	"nodelist/internal/simfleet"
	"nodelist/internal/snapshot"
	"nodelist/internal/store"
	"nodelist/internal/store/sqlite"
)

// TestCapabilityHistoryAndWarmRestart records three rounds over a fleet:
// the capability, asked in the first only, has one sample per node (its
// skipped rounds are neither successes nor failures) and one event, while
// the config has three samples and uptime counts only the config. After a
// warm restart the capability is served as before, asked once at the
// first round (the cadence is not persisted), then not again.
func TestCapabilityHistoryAndWarmRestart(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f, err := simfleet.Start(ctx, simfleet.Options{Nodes: 12, Seed: 21, OldVersion: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var mu sync.Mutex
	asked := 0
	f.SetRequestHook(func(_ int, path string) {
		if path == probe.CapabilityPath {
			mu.Lock()
			asked++
			mu.Unlock()
		}
	})
	take := func() int { mu.Lock(); defer mu.Unlock(); n := asked; asked = 0; return n }

	path := filepath.Join(t.TempDir(), "history.db")
	st, err := sqlite.Open(ctx, path, probe.Names()...)
	if err != nil {
		t.Fatal(err)
	}
	rec := history.New(st, config.DefaultHistory(), log)
	rec.Start()
	client := probe.NewClient(probe.Options{APIURL: f.APIURL(), Timeout: 5 * time.Second})
	defer client.CloseIdleConnections()
	ref := refresh.New(refresh.Options{Client: client, Sink: rec, Logger: log})
	for range 3 {
		if err := ref.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := take(); n != 12 {
		t.Errorf("three rounds asked the capability %d times, want once per node (12)", n)
	}
	served := ref.Holder().Load()
	rec.Stop(10 * time.Second) // flushes, closes the store

	st, err = sqlite.Open(ctx, path, probe.Names()...)
	if err != nil {
		t.Fatal(err)
	}
	rec = history.New(st, config.DefaultHistory(), log)
	defer rec.Stop(time.Second)
	since16 := aleph.Version{1, 6, 0}
	now := time.Now()
	up, err := st.Uptime(ctx, now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range f.Nodes() {
		h, err := st.History(ctx, n.Hash, now.Add(-time.Hour), now.Add(time.Minute), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		v, _ := aleph.ParseVersion(n.Version)
		wantOK := 0
		if v.Compare(since16) >= 0 {
			wantOK = 1
		}
		cfg, capa := sum(h[probe.Config.Index]), sum(h[probe.Capability.Index])
		if cfg.Total != 3 || cfg.OK != 3 || capa.Total != 1 || capa.OK != wantOK {
			t.Errorf("node %d (%s): config %d/%d, capability %d/%d samples ok; want 3/3 and %d/1",
				n.Index, n.Version, cfg.OK, cfg.Total, capa.OK, capa.Total, wantOK)
		}
		ev, err := st.Events(ctx, n.Hash, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		events := 0
		for _, e := range ev {
			if e.Probe == "capability" {
				events++
			}
		}
		if events != 1 {
			t.Errorf("node %d: %d capability events, want the first one only", n.Index, events)
		}
		if u := up[n.Hash]; u.Day == nil || *u.Day != 1 {
			t.Errorf("node %d: uptime %v, want 1 (the config answered every round)", n.Index, u.Day)
		}
	}

	// The warm restart: the same bytes, the capability included; asked
	// once, at the next round.
	again := refresh.New(refresh.Options{Client: client, Logger: log, Holder: &snapshot.Holder{}})
	rec.Seed(ctx, again)
	seeded := again.Holder().Load()
	if !bytes.Equal(seeded.All.Identity, served.All.Identity) {
		t.Fatal("the warm restart serves other bytes")
	}
	for _, n := range f.Nodes() {
		var c struct{ Capability json.RawMessage }
		if json.Unmarshal(seeded.CRN(n.Hash), &c) != nil {
			t.Fatalf("node %d: %s", n.Index, seeded.CRN(n.Hash))
		}
		v, _ := aleph.ParseVersion(n.Version)
		if (string(c.Capability) == "null") != (v.Compare(since16) < 0) {
			t.Errorf("node %d (%s) after a warm restart: capability %s", n.Index, n.Version, c.Capability)
		}
	}
	for i, want := range []int{12, 0} {
		if err := again.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if n := take(); n != want {
			t.Errorf("round %d after the restart asked the capability %d times, want %d", i+1, n, want)
		}
	}
	if !bytes.Equal(capabilities(t, again.Holder().Load()), capabilities(t, served)) {
		t.Error("the capabilities changed across the restart")
	}
}

func sum(points []store.Point) store.Point {
	var s store.Point
	for _, p := range points {
		s.OK += p.OK
		s.Total += p.Total
	}
	return s
}

// capabilities is every CRN's capability, by hash, as JSON.
func capabilities(t *testing.T, s *snapshot.Snapshot) []byte {
	t.Helper()
	var d struct {
		CRNs []struct {
			Hash       string
			Capability json.RawMessage
		}
	}
	if err := json.Unmarshal(s.All.Identity, &d); err != nil {
		t.Fatal(err)
	}
	m := map[string]json.RawMessage{}
	for _, c := range d.CRNs {
		m[c.Hash] = c.Capability
	}
	b, _ := json.Marshal(m)
	return b
}
