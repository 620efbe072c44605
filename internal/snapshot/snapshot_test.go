package snapshot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"nodelist/internal/aleph"
	"nodelist/internal/contract"
)

func node(t *testing.T, raw string) *aleph.Node {
	t.Helper()
	nodes, _, err := aleph.ParseRegistry([]byte(`{"data":{"corechannel":{"resource_nodes":[` + raw + `]}}}`))
	if err != nil || len(nodes) != 1 {
		t.Fatalf("parse node: %v", err)
	}
	return &nodes[0]
}

func TestRenderWithoutData(t *testing.T) {
	n := node(t, `{"hash":"h1","name":"a <b> & \"c\"","address":"","score":0.1,"inactive_since":null,"version":"registry's","x":[1]}`)
	out := Render(nil, &Entry{Node: n, AddrErr: "invalid_address: empty address"})
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("render is not JSON: %v\n%s", err, out)
	}
	want := map[string]any{
		"config_from_crn": false, "debug_config_from_crn_at": nil, "version": nil,
		"debug_config_from_crn_error": "invalid_address: empty address", "system_usage": nil,
		"ipv6_check": map[string]any{"host": false, "vm": false}, "name": `a <b> & "c"`,
	}
	for k, v := range want {
		got, _ := json.Marshal(m[k])
		exp, _ := json.Marshal(v)
		if string(got) != string(exp) {
			t.Errorf("%s = %s, want %s", k, got, exp)
		}
	}
	if strings.Count(string(out), `"version":`) != 1 {
		t.Errorf("registry field shadowing a computed one is duplicated: %s", out)
	}
	if lr, ok := m["compatible_gpus"].([]any); !ok || len(lr) != 0 {
		t.Errorf("compatible_gpus = %v, want []", m["compatible_gpus"])
	}
}

func TestBuildSortsFiltersAndValidates(t *testing.T) {
	at := time.Date(2026, 11, 22, 14, 38, 25, 496288000, time.UTC)
	var crns []CRN
	for i, raw := range []string{
		`{"hash":"low","name":"l","address":"https://l","score":0.1,"inactive_since":null}`,
		`{"hash":"high","name":"h","address":"https://h","score":0.9,"inactive_since":1700000000}`,
		`{"hash":"mid","name":"m","address":"https://m","score":0.5,"inactive_since":null}`,
	} {
		n := node(t, raw)
		ver := "1.9.0"
		e := &Entry{Node: n, Probes: []ProbeData{
			{At: at, Values: [][]byte{quote(ver), []byte("null"), []byte("null"), []byte("null"), []byte("null")}},
			{Err: "timeout: x"},
			{Values: [][]byte{[]byte(`{"host":true,"vm":false}`)}},
		}}
		crns = append(crns, CRN{Hash: n.Hash, Score: n.Score, Inactive: n.Inactive, JSON: Render(nil, e)})
		_ = i
	}
	s := Build(at, crns)
	for name, body := range map[string][]byte{"all": s.All.Identity, "active": s.Active.Identity} {
		if err := contract.Validate(body); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	var doc struct {
		LastRefresh string `json:"last_refresh"`
		CRNs        []struct{ Hash string }
	}
	if err := json.Unmarshal(s.All.Identity, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.LastRefresh != "2026-11-22T14:38:25.496288+00:00" {
		t.Errorf("last_refresh %q", doc.LastRefresh)
	}
	if got := []string{doc.CRNs[0].Hash, doc.CRNs[1].Hash, doc.CRNs[2].Hash}; strings.Join(got, ",") != "high,mid,low" {
		t.Errorf("order %v", got)
	}
	if s.Count != 3 || s.ActiveCount != 2 || strings.Contains(string(s.Active.Identity), `"high"`) {
		t.Errorf("filter: %d/%d %s", s.Count, s.ActiveCount, s.Active.Identity)
	}
	if s.All.ETag == s.Active.ETag || !strings.HasPrefix(s.All.ETag, `"`) {
		t.Errorf("etags %s %s", s.All.ETag, s.Active.ETag)
	}
	if string(s.CRN("mid")) != string(crns[2].JSON) {
		t.Error("CRN lookup by hash")
	}
	empty := Build(time.Time{}, nil)
	if string(empty.All.Identity) != `{"last_refresh":null,"crns":[]}` {
		t.Errorf("empty snapshot %s", empty.All.Identity)
	}
}

// TestHolderConcurrentSwaps runs readers against a writer swapping
// snapshots; -race checks that no reader sees a snapshot being built.
func TestHolderConcurrentSwaps(t *testing.T) {
	var h Holder
	h.Store(Build(time.Time{}, nil))
	n := node(t, `{"hash":"a","name":"a","address":"https://a","score":1}`)
	frag := Render(nil, &Entry{Node: n})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				s := h.Load()
				if !json.Valid(s.All.Identity) {
					t.Error("reader saw invalid JSON")
					return
				}
			}
		}()
	}
	for i := range 200 {
		h.Store(Build(time.Unix(int64(i), 0), []CRN{{Hash: "a", Score: 1, JSON: frag}}))
	}
	close(stop)
	wg.Wait()
}

// TestAppendJSONStringAsMarshal: the fast path writes what json.Marshal
// writes, for plain keys and for every kind of string it must escape.
func TestAppendJSONStringAsMarshal(t *testing.T) {
	for _, s := range []string{"", "version", "debug_config_from_crn_at", "a b~", `q"uote`, `back\slash`,
		"<tag>", "a&b", "tab\t", "nl\n", "\x00", "\x7f", "é", "\xff\xfe", "\u2028", "emoji 😀"} {
		want, _ := json.Marshal(s)
		if got := appendJSONString([]byte("x"), s); string(got) != "x"+string(want) {
			t.Errorf("%q: %s, want %s", s, got[1:], want)
		}
	}
}

// within reports whether b is a slice of body's array.
func within(b, body []byte) bool {
	if len(b) == 0 || len(body) == 0 {
		return false
	}
	for i := range body {
		if &body[i] == &b[0] {
			return i+len(b) <= len(body)
		}
	}
	return false
}

// Build points the CRNs, the snapshot's and the caller's, at their bytes
// in the All body, with no room to append into it; Reuse, when it keeps
// the previous body, points the snapshot's CRNs at that one.
func TestBuildSharesTheBody(t *testing.T) {
	var crns []CRN
	for i, score := range []float64{0.2, 0.9, 0.5} {
		raw := fmt.Sprintf(`{"hash":"h%d","name":"n%d","address":"https://n%d","score":%v,"inactive_since":null}`, i, i, i, score)
		n := node(t, raw)
		crns = append(crns, CRN{Hash: n.Hash, Score: n.Score, JSON: Render(nil, &Entry{Node: n})})
	}
	own := make([]string, len(crns))
	for i, c := range crns {
		own[i] = string(c.JSON)
	}
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	s := Build(at, crns)
	for i, c := range crns {
		if string(c.JSON) != own[i] || !within(c.JSON, s.All.Identity) || cap(c.JSON) != len(c.JSON) {
			t.Errorf("crn %d: %q (cap %d), in the body %v", i, c.JSON, cap(c.JSON), within(c.JSON, s.All.Identity))
		}
		if got := s.CRN(c.Hash); string(got) != own[i] || !within(got, s.All.Identity) {
			t.Errorf("snapshot's crn %s: %q, in the body %v", c.Hash, got, within(got, s.All.Identity))
		}
	}
	again := Build(at, slices.Clone(crns)).Reuse(s)
	if &again.All.Identity[0] != &s.All.Identity[0] {
		t.Fatal("an equal body was not reused")
	}
	for _, c := range crns {
		if got := again.CRN(c.Hash); !within(got, s.All.Identity) || !bytes.Equal(got, c.JSON) {
			t.Errorf("after Reuse, crn %s: %q, in the body kept %v", c.Hash, got, within(got, s.All.Identity))
		}
	}
}

// The snapshot served before any round is the same, Built included, in
// every process: replicas started at different times give it one
// Last-Modified.
func TestEmptyIsTheSameEverywhere(t *testing.T) {
	a := Empty()
	time.Sleep(10 * time.Millisecond)
	b := Empty()
	if !a.Built.Equal(b.Built) || a.All.ETag != b.All.ETag || a.Count != 0 || !a.LastRefresh.IsZero() {
		t.Errorf("built %v and %v, ETags %s and %s, %d CRNs", a.Built, b.Built, a.All.ETag, b.All.ETag, a.Count)
	}
	if string(a.All.Identity) != `{"last_refresh":null,"crns":[]}` {
		t.Errorf("body %s", a.All.Identity)
	}
}
