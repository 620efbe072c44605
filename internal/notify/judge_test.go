package notify

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"nodelist/internal/probe"
	"nodelist/internal/refresh"
)

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// step is one round of a node in a judge case.
type step struct {
	ok, notProbed, inactive bool
	version, last           string
	outage                  bool
	want                    []Kind
}

// run judges the steps from a first sight (itself a step) and checks
// the events of each.
func run(t *testing.T, after int, steps []step) []Event {
	t.Helper()
	var st *State
	var all []Event
	for i, s := range steps {
		at := t0.Add(time.Duration(i) * 30 * time.Second)
		n := Node{Hash: "h", Name: "n", Probed: !s.notProbed, OK: s.ok, Inactive: s.inactive, Version: s.version}
		if !s.ok {
			n.Err = "timeout: no answer in 10s"
		}
		next, evs := Judge(st, n, at, Rules{After: after, LastVersion: s.last, Outage: s.outage})
		var kinds []Kind
		for _, e := range evs {
			kinds = append(kinds, e.Kind)
		}
		if !slices.Equal(kinds, s.want) {
			t.Fatalf("round %d (%+v): events %v, want %v", i, s, kinds, s.want)
		}
		st = &next
		all = append(all, evs...)
	}
	return all
}

func TestJudge(t *testing.T) {
	up, fail := step{ok: true}, step{}
	for _, tc := range []struct {
		name  string
		after int
		steps []step
	}{
		{"first sight tells nothing", 2, []step{{inactive: true, version: "1.0.0", last: "1.5.0"}, {inactive: true}, {inactive: true}, {inactive: true}}},
		{"down after two failed rounds, once", 2, []step{up, fail, {want: []Kind{Down}}, fail, fail}},
		{"recovered once", 2, []step{up, fail, {want: []Kind{Down}}, {ok: true, want: []Kind{Recovered}}, up}},
		{"one failure is no alarm", 2, []step{up, fail, up, fail, up, fail, up}},
		{"after 1", 1, []step{up, {want: []Kind{Down}}, {ok: true, want: []Kind{Recovered}}}},
		{"not probed keeps the count", 3, []step{up, fail, {notProbed: true}, fail, {want: []Kind{Down}}}},
		{"outage holds the down back", 2, []step{up, fail, {outage: true}, {outage: true}, {want: []Kind{Down}}}},
		{"outage that ends with the node back", 2, []step{up, fail, {outage: true}, up, fail}},
		{"behind once", 2, []step{{ok: true, version: "1.5.0", last: "1.5.0"}, {ok: true, version: "1.5.0", last: "1.6.0", want: []Kind{Behind}},
			{ok: true, version: "1.5.0", last: "1.6.0"}, {ok: true, version: "1.6.0", last: "1.6.0"},
			{ok: true, version: "1.6.0", last: "1.7.0-rc1", want: []Kind{Behind}}}},
		{"unknown versions change nothing", 2, []step{{ok: true, version: "1.5.0", last: "1.6.0"}, {ok: true, version: "version-unavailable", last: "1.6.0"},
			{ok: true, version: "1.5.0", last: ""}, {ok: true, version: "1.5.0", last: "1.6.0"}}},
		{"inactive and active", 2, []step{up, {ok: true, inactive: true, want: []Kind{Inactive}}, {ok: true, inactive: true},
			{ok: true, want: []Kind{Active}}}},
		{"down and inactive at once", 1, []step{up, {inactive: true, want: []Kind{Down, Inactive}}}},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc.after, tc.steps) })
	}
}

// A down event carries the error of its last round and the time of the
// first failed one; a recovered one its own time.
func TestJudgeTimes(t *testing.T) {
	evs := run(t, 3, []step{{ok: true}, {}, {}, {want: []Kind{Down}}, {ok: true, want: []Kind{Recovered}}})
	down, rec := evs[0], evs[1]
	if !down.Since.Equal(t0.Add(30*time.Second)) || !down.At.Equal(t0.Add(90*time.Second)) || down.Error != "timeout: no answer in 10s" {
		t.Fatalf("down %+v: want since the first failure, at the third, with its error", down)
	}
	if !rec.Since.Equal(rec.At) || !rec.At.Equal(t0.Add(120*time.Second)) || rec.Error != "" {
		t.Fatalf("recovered %+v", rec)
	}
	if down.Hash != "h" || down.Name != "n" {
		t.Fatalf("down %+v: want the node's hash and name", down)
	}
}

func TestOutage(t *testing.T) {
	for _, tc := range []struct {
		r    Round
		want bool
	}{
		{Round{Probed: 4, Failed: 4}, false}, // too few to judge
		{Round{Probed: 5, Failed: 3}, true},
		{Round{Probed: 10, Failed: 5}, false}, // half is not more than half
		{Round{Probed: 10, Failed: 6}, true},
		{Round{Probed: 0, RegistryErr: "timeout"}, true},
		{Round{Probed: 100, Failed: 0}, false},
	} {
		if got, why := IsOutage(tc.r); got != tc.want || (got && why == "") {
			t.Errorf("%+v: outage %v (%q), want %v", tc.r, got, why, tc.want)
		}
	}
	var st ServiceState
	var kinds []string
	for i, r := range []Round{{Probed: 10}, {Probed: 10, Failed: 9}, {Probed: 10, Failed: 8}, {Probed: 10, Failed: 1}, {Probed: 10}} {
		var e *Event
		st, e = JudgeService(st, r, t0.Add(time.Duration(i)*time.Minute))
		if e != nil {
			kinds = append(kinds, fmt.Sprintf("%d:%s", i, e.Kind))
		}
	}
	if want := []string{"1:probe_outage", "3:probe_restored"}; !slices.Equal(kinds, want) {
		t.Fatalf("service events %v, want %v", kinds, want)
	}
}

// A round's outcomes that are no answer (skipped, never sent, or not
// recorded) leave the node unprobed: it keeps its state.
func TestObserveNotProbed(t *testing.T) {
	f := &fleet{n: 7}
	r := f.next(func(i int) bool { return i > 0 })
	outs := []refresh.Outcome{{}, {Skipped: true}, {Class: probe.ClassDeferred}, {Class: probe.ClassCanceled}, {Class: probe.ClassInvalidAddress}}
	for i, o := range outs {
		r.Nodes[i+1].Outcomes[probe.Gate.Index] = o
	}
	nodes, sum := observe(r)
	if sum.Probed != 2 || sum.Failed != 1 {
		t.Fatalf("probed %d, failed %d: want 2 and 1", sum.Probed, sum.Failed)
	}
	for i, n := range nodes {
		if want := i == 0 || i == 6; n.Probed != want {
			t.Errorf("node %d probed %v, want %v", i, n.Probed, want)
		}
	}
	if nodes[0].Name != "crn-0" || nodes[0].Owner != fmt.Sprintf("0x%040d", 0) || nodes[0].Version != "1.5.0" || nodes[0].Inactive {
		t.Errorf("node 0 %+v: want what the snapshot lists", nodes[0])
	}
}
