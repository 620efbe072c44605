package snapshot

import (
	"testing"
	"time"

	"nodelist/internal/probe"
)

// TestState: a snapshot says of each listed CRN whether it is up and what
// its gate probe last said, from the CRNs it rendered; nothing of a CRN
// it does not list.
func TestState(t *testing.T) {
	at := time.Date(2026, 11, 22, 14, 38, 0, 123456000, time.UTC)
	good := make([][]byte, len(probe.Gate.Fields))
	for i, f := range probe.Gate.Fields {
		good[i] = f.Default
	}
	gate := func(d ProbeData) []ProbeData {
		ps := make([]ProbeData, len(probe.All))
		ps[probe.Gate.Index] = d
		return ps
	}
	cases := []struct {
		hash, raw  string
		addrErr    string
		probes     []ProbeData
		up, probed bool
		inactive   bool
		err        string
		wantAt     time.Time
	}{
		{hash: "new", raw: `{"hash":"new","address":"https://n.example","score":0.5}`},
		{hash: "up", raw: `{"hash":"up","address":"https://u.example","score":0.4}`,
			probes: gate(ProbeData{At: at, Values: good}), up: true, probed: true, wantAt: at},
		{hash: "down", raw: `{"hash":"down","address":"https://d.example","score":0.3}`,
			probes: gate(ProbeData{At: at, Err: "timeout: timed out", Values: good}), probed: true, err: "timeout: timed out", wantAt: at},
		{hash: "never", raw: `{"hash":"never","address":"https://e.example","score":0.2}`,
			probes: gate(ProbeData{Err: "refused: connection refused"}), probed: true, err: "refused: connection refused"},
		{hash: "bad", raw: `{"hash":"bad","address":"ftp://x","score":0.1}`, addrErr: "invalid_address: not http(s)",
			probed: true, err: "invalid_address: not http(s)"},
		{hash: "gone", raw: `{"hash":"gone","address":"https://g.example","score":0.1,"inactive_since":1}`,
			probes: gate(ProbeData{At: at, Values: good}), inactive: true, probed: true, wantAt: at},
	}
	var crns []CRN
	for _, c := range cases {
		n := node(t, c.raw)
		e := &Entry{Node: n, AddrErr: c.addrErr, Probes: c.probes}
		if e.Probes == nil {
			e.Probes = make([]ProbeData, len(probe.All))
		}
		crns = append(crns, CRN{Hash: n.Hash, Score: n.Score, Inactive: n.Inactive, Up: c.up, JSON: Render(nil, e)})
	}
	snap := Build(at, crns)
	for _, c := range cases {
		st, listed := snap.State(c.hash)
		if !listed || st.Up != c.up || st.Probed() != c.probed || st.Inactive != c.inactive || st.Gate.Err != c.err || !st.Gate.At.Equal(c.wantAt) {
			t.Errorf("%s: listed %v, %+v, probed %v; want up %v, probed %v, inactive %v, error %q, at %v",
				c.hash, listed, st, st.Probed(), c.up, c.probed, c.inactive, c.err, c.wantAt)
		}
	}
	if st, listed := snap.State("nobody"); listed || st.Probed() {
		t.Errorf("a CRN not listed: %+v, listed %v", st, listed)
	}
}
