package refresh

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"nodelist/internal/config"
	"nodelist/internal/probe"
	"nodelist/internal/simfleet"
)

// errorsOf returns each CRN's config error.
func errorsOf(t *testing.T, r *Refresher) []string {
	t.Helper()
	d := decode(t, r.Holder().Load().All.Identity)
	out := make([]string, len(d.CRNs))
	for i, c := range d.CRNs {
		out[i] = c.ConfigErr
	}
	return out
}

// A host name forbidden by a reload is refused from the next round on,
// for nodes already listed (the registry did not change); forbidden no
// more, they are probed again.
func TestReconfigureForbiddenHostsAtTheNextRound(t *testing.T) {
	f := startFleet(t, simfleet.Options{Nodes: 6, Seed: 4})
	r := newRefresher(t, f, 5*time.Second, nil)
	round := func() []string {
		if err := r.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		return errorsOf(t, r)
	}
	for _, e := range round() {
		if e != "None" {
			t.Fatalf("before: %s", e)
		}
	}
	opts := Options{Forbidden: append(config.List{"127.0.0.1"}, config.DefaultForbiddenHosts...)}
	if !r.Reconfigure(opts) {
		t.Fatal("new forbidden names were not taken")
	}
	if r.Reconfigure(opts) {
		t.Error("the same options again count as a change")
	}
	for _, e := range round() {
		if !strings.HasPrefix(e, "invalid_address: host 127.0.0.1 is forbidden") {
			t.Errorf("after forbidding 127.0.0.1: %s", e)
		}
	}
	r.Reconfigure(Options{Forbidden: config.DefaultForbiddenHosts})
	for _, e := range round() {
		if e != "None" {
			t.Errorf("allowed again: %s", e)
		}
	}
}

// A new interval or mode takes effect in the wait under way, not after
// it: from an hour to a few milliseconds, rounds follow at once.
func TestReconfigureScheduleInTheCurrentWait(t *testing.T) {
	f := startFleet(t, simfleet.Options{Nodes: 3, Seed: 4})
	c := probe.NewClient(probe.Options{APIURL: f.APIURL(), Timeout: 5 * time.Second})
	t.Cleanup(c.CloseIdleConnections)
	r := New(Options{Client: c, Interval: time.Hour, Logger: slog.New(slog.DiscardHandler)})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = r.Run(ctx) }()
	defer func() { cancel(); wg.Wait() }()
	waitRounds := func(n uint64) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for st := r.Status(); st.Round < n || st.Running; st = r.Status() {
			if time.Now().After(deadline) {
				t.Fatalf("round %d not finished within 20 s: %+v", n, st)
			}
			time.Sleep(5 * time.Millisecond) // polling with a deadline
		}
	}
	waitRounds(1) // the first round starts at once, then an hour's wait
	r.Reconfigure(Options{Interval: 10 * time.Millisecond})
	waitRounds(3)

	r.Reconfigure(Options{Mode: OnDemand, Interval: 10 * time.Millisecond})
	if st := r.Status(); st.Mode != "on-demand" {
		t.Errorf("mode %s", st.Mode)
	}
	waitRounds(r.Status().Round) // the round running, if any, ends
	before := r.Status().Round
	r.Fresh(context.Background()) // on demand, data seconds old is fresh: no round
	if st := r.Status(); st.Round != before {
		t.Errorf("fresh data started a round on demand: %d then %d", before, st.Round)
	}
	r.Reconfigure(Options{Mode: Background, Interval: 10 * time.Millisecond})
	waitRounds(before + 2)
}
