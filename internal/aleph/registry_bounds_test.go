package aleph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"
)

// nested is a registry entry nesting depth levels deep (the entry object
// itself is level 1), with a hash and a name.
func nested(hash string, depth int) string {
	return `{"hash":"` + hash + `","name":"deep ` + hash + `","x":` +
		strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + `}`
}

func goodEntry(i int) string {
	return fmt.Sprintf(`{"hash":"good%d","name":"node %d","address":"http://n%d.example/","score":0.%d,`+
		`"inactive_since":null,"authorized":["0xabc"],"x_extra":{"nested":[1, 2.50, "s\u00e9"]}}`, i, i, i, i)
}

func aggregate(ccns string, entries ...string) []byte {
	return []byte(`{"address":"0xa1B3","data":{"corechannel":{"nodes":[` + ccns + `],"resource_nodes":[` +
		strings.Join(entries, ",\n") + `]}},"info":{}}`)
}

// TestParseRegistryBoundsEntries checks that hostile entries (nested
// 10 001 and 5000 deep, a 20 MB field) are listed with an error, their
// hash and name kept, and cost neither the good entries nor memory.
func TestParseRegistryBoundsEntries(t *testing.T) {
	huge := `{"name":"huge","description":"` + strings.Repeat("a", 20<<20) + `","hash":"huge"}`
	// An entry exactly at each bound, and one just over it.
	atSize := `{"hash":"at-size","name":"s","pad":"` + strings.Repeat("b", MaxEntryBytes-len(`{"hash":"at-size","name":"s","pad":""}`)) + `"}`
	overSize := `{"hash":"over-size","name":"s","pad":"` + strings.Repeat("b", MaxEntryBytes-len(`{"hash":"over-size","name":"s","pad":""}`)+1) + `"}`
	body := aggregate(
		// A core channel node nested past encoding/json's own limit must
		// not fail the aggregate: it is skipped unread.
		nested("ccn", 20000),
		goodEntry(1), nested("deep10001", 10001), goodEntry(2), nested("deep5000", 5000), huge, goodEntry(3),
		nested("at-depth", MaxEntryDepth), nested("over-depth", MaxEntryDepth+1), atSize, overSize,
		`{"hash":"broken","name":"b","score":01}`,                                      // not JSON inside: listed with its error
		`{"name":"no hash","x":`+strings.Repeat("[", 100)+strings.Repeat("]", 100)+`}`, // skipped
	)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	nodes, skipped, err := ParseRegistry(body)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	// The 20 MB entry is measured in place, never copied.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("parsing a %d-byte aggregate allocated %d bytes", len(body), alloc)
	}
	if skipped != 1 {
		t.Errorf("skipped %d, want 1 (the entry without a hash)", skipped)
	}
	want := []struct{ hash, name, err string }{
		{"good1", "node 1", ""},
		{"deep10001", "deep deep10001", "nested deeper than 32 levels"},
		{"good2", "node 2", ""},
		{"deep5000", "deep deep5000", "nested deeper than 32 levels"},
		{"huge", "huge", fmt.Sprintf("registry entry of %d bytes, more than 65536", len(huge))},
		{"good3", "node 3", ""},
		{"at-depth", "deep at-depth", ""},
		{"over-depth", "deep over-depth", "nested deeper than 32 levels"},
		{"at-size", "s", ""},
		{"over-size", "s", "registry entry of 65537 bytes, more than 65536"},
		{"broken", "b", "registry entry unreadable"},
	}
	if len(nodes) != len(want) {
		t.Fatalf("%d nodes, want %d", len(nodes), len(want))
	}
	for i, w := range want {
		n := nodes[i]
		if n.Hash != w.hash || n.Name != w.name {
			t.Errorf("node %d: hash %q name %q, want %q %q", i, n.Hash, n.Name, w.hash, w.name)
		}
		if w.err == "" {
			if n.Err != nil {
				t.Errorf("%s: refused: %v", w.hash, n.Err)
			}
			continue
		}
		if n.Err == nil || !strings.Contains(n.Err.Error(), w.err) {
			t.Errorf("%s: error %v, want %q", w.hash, n.Err, w.err)
		}
		var keys []string
		for _, f := range n.Fields {
			keys = append(keys, f.Key+"="+string(f.Value))
		}
		wantKeys := fmt.Sprintf(`hash="%s",name="%s",address="",score=0,inactive_since=null`, w.hash, w.name)
		if got := strings.Join(keys, ","); got != wantKeys {
			t.Errorf("%s: fields %s, want %s", w.hash, got, wantKeys)
		}
	}
	if got := string(nodes[0].Field("x_extra")); got != `{"nested":[1,2.50,"s\u00e9"]}` {
		t.Errorf("pass-through field changed: %s", got)
	}
}

// referenceParse is how the registry was parsed before entries were
// bounded: the whole aggregate decoded at once, then each entry by the
// token stream.
func referenceParse(t *testing.T, body []byte) []Node {
	t.Helper()
	var agg struct {
		Data struct {
			Corechannel struct {
				ResourceNodes []json.RawMessage `json:"resource_nodes"`
			} `json:"corechannel"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &agg); err != nil {
		t.Fatal(err)
	}
	var nodes []Node
	for _, r := range agg.Data.Corechannel.ResourceNodes {
		if n, err := referenceParseNode(r); err == nil {
			nodes = append(nodes, n)
		}
	}
	return nodes
}

// TestParseRegistryMatchesWholeDecode checks that entries within the
// bounds come out byte for byte as the whole-aggregate decode gave them,
// whitespace, escapes and number spellings included.
func TestParseRegistryMatchesWholeDecode(t *testing.T) {
	entries := []string{goodEntry(1), goodEntry(2),
		"{ \"hash\" : \"sp\" ,\n\t\"name\":\"a \\\"q\\\" \\\\ \\/ \\u2028\",\"score\":1e-3,\"n\":-0.0, \"t\":true,\"f\":false,\"z\":null}",
		`{"h\u0061sh":"escaped-key","name":"ノード","address":7,"score":"0.7","inactive_since":1700000000.5,"o":{}, "a":[]}`,
		`{"hash":"dup","name":"first","name":"second","x":[[[[{"y":[1,2,{"z":"]}{["}]}]]]]}`,
	}
	body := aggregate(nested("ccn", 3), entries...)
	got, skipped, err := ParseRegistry(body)
	if err != nil || skipped != 0 {
		t.Fatalf("ParseRegistry: %v (%d skipped)", err, skipped)
	}
	want := referenceParse(t, body)
	if len(got) != len(want) {
		t.Fatalf("%d nodes, reference %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Err != nil {
			t.Errorf("node %d refused: %v", i, got[i].Err)
		}
		if d := nodeDiff(got[i], want[i]); d != "" {
			t.Errorf("node %d: %s", i, d)
		}
	}
}

// nodeDiff says how g differs from the reference w, or "".
func nodeDiff(g, w Node) string {
	if g.Hash != w.Hash || g.Name != w.Name || g.Address != w.Address || g.Inactive != w.Inactive ||
		g.Score != w.Score && !(math.IsNaN(g.Score) && math.IsNaN(w.Score)) || len(g.Fields) != len(w.Fields) {
		return fmt.Sprintf("%+v, reference %+v", g, w)
	}
	for j := range w.Fields {
		if g.Fields[j].Key != w.Fields[j].Key || !bytes.Equal(g.Fields[j].Value, w.Fields[j].Value) {
			return fmt.Sprintf("field %d: %s=%s, reference %s=%s", j, g.Fields[j].Key, g.Fields[j].Value,
				w.Fields[j].Key, w.Fields[j].Value)
		}
	}
	return ""
}

func TestParseRegistryRejectsBrokenStructure(t *testing.T) {
	for _, body := range []string{
		`{"data":{"corechannel":{"resource_nodes":[{"hash":"a"}`,       // truncated
		`{"data":{"corechannel":{"resource_nodes":[{"hash":"a"]]}}}`,   // mismatched
		`{"data":{"corechannel":{"resource_nodes":[{"hash":"a"}]}}} x`, // trailing data
		`{"data":{"corechannel":{"resource_nodes":[{"hash":"a"} {"hash":"b"}]}}}`,
		`{"data":{"corechannel":{"resource_nodes":null}}}`,
		`{"data":{"corechannel":{"resource_nodes":"[]"}}}`,
		`{"data":[],"x":1}`,
		`{"data":{"corechannel":{"resource_nodes":["\"]}}}`,
		``,
	} {
		if _, _, err := ParseRegistry([]byte(body)); err == nil {
			t.Errorf("ParseRegistry(%q) succeeded", body)
		}
	}
}

// TestParseRegistryRefusesBadText: an entry holding invalid UTF-8 or an
// unpaired surrogate escape, in any field or key, is listed with an error
// naming the field and only its hash and name, when those are good text;
// the other entries are not affected.
func TestParseRegistryRefusesBadText(t *testing.T) {
	body := aggregate("",
		goodEntry(1),
		`{"hash":"bad-description","name":"n","address":"http://a.example/","description":"caf`+"\xe9"+`"}`,
		`{"hash":"bad-escape","name":"n","x_extra":{"tags":["ok","\udc00"]}}`,
		`{"hash":"bad-key","name":"n","`+"\xc0\xaf"+`":1}`,
		`{"hash":"bad-name","name":"`+"\xed\xa0\x80"+`","score":1}`,
		`{"hash":"`+"\xff"+`","name":"no usable hash"}`,
		`{"hash":"\ud83d\ude00","name":"a pair is good text"}`,
		goodEntry(2),
	)
	nodes, skipped, err := ParseRegistry(body)
	if err != nil {
		t.Fatal(err)
	}
	if skipped != 1 {
		t.Errorf("skipped %d, want 1 (the entry whose hash is not text)", skipped)
	}
	got := map[string]string{}
	names := map[string]string{}
	for _, n := range nodes {
		got[n.Hash], names[n.Hash] = "", n.Name
		if n.Err != nil {
			got[n.Hash] = n.Err.Error()
		}
	}
	want := map[string]string{
		"good1":           "",
		"good2":           "",
		"\U0001F600":      "",
		"bad-description": "registry entry field description: invalid UTF-8",
		"bad-escape":      `registry entry field x_extra.tags[1]: unpaired surrogate \udc00`,
		"bad-key":         "registry entry a key: invalid UTF-8",
		"bad-name":        "registry entry field name: invalid UTF-8",
	}
	if len(got) != len(want) {
		t.Errorf("listed %v, want %d entries", got, len(want))
	}
	for hash, w := range want {
		if g, ok := got[hash]; !ok || g != w {
			t.Errorf("%q: listed %v with error %q, want %q", hash, ok, g, w)
		}
	}
	if names["bad-description"] != "n" || names["bad-name"] != "" {
		t.Errorf("names kept: %q and %q", names["bad-description"], names["bad-name"])
	}
}
