package aleph

import (
	"strings"
	"testing"
)

func TestParseRegistryKeepsFieldsInOrder(t *testing.T) {
	body := `{"data":{"corechannel":{"resource_nodes":[
	  {"hash":"h1","zeta":{"a": [1, 2.50]},"name":"one","address":"http://a/","score":0.5,"inactive_since":null,"alpha":true},
	  {"hash":"h2","name":null,"address":7,"score":"0.7","inactive_since":1700000000.5},
	  "not an object",
	  {"name":"no hash"},
	  {"hash":"h1","name":"duplicate"}
	]}}}`
	nodes, skipped, err := ParseRegistry([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 2 || skipped != 3 {
		t.Fatalf("got %d nodes, %d skipped; want 2 and 3", len(nodes), skipped)
	}
	n := nodes[0]
	var keys []string
	for _, f := range n.Fields {
		keys = append(keys, f.Key)
	}
	if got := strings.Join(keys, ","); got != "hash,zeta,name,address,score,inactive_since,alpha,locked,score_updated" {
		t.Errorf("field order %s", got)
	}
	if got := string(n.Field("zeta")); got != `{"a":[1,2.50]}` {
		t.Errorf("unknown field not passed through: %s", got)
	}
	if n.Address != "http://a/" || n.Score != 0.5 || n.Inactive {
		t.Errorf("typed fields: %+v", n)
	}
	m := nodes[1]
	if m.Name != "" || string(m.Field("name")) != `""` {
		t.Errorf("null name not made a string: %q %s", m.Name, m.Field("name"))
	}
	if m.Address != "7" || string(m.Field("address")) != `"7"` {
		t.Errorf("numeric address not made a string: %q %s", m.Address, m.Field("address"))
	}
	if m.Score != 0.7 || string(m.Field("score")) != `"0.7"` && string(m.Field("score")) != `0.7` {
		t.Errorf("score: %v %s", m.Score, m.Field("score"))
	}
	if !m.Inactive {
		t.Error("inactive_since set but node not inactive")
	}
}

func TestParseRegistryRejectsWrongShape(t *testing.T) {
	for _, body := range []string{`{"data":{}}`, `[]`, `not json`, `{"data":{"corechannel":{"resource_nodes":{}}}}`} {
		if _, _, err := ParseRegistry([]byte(body)); err == nil {
			t.Errorf("ParseRegistry(%s) succeeded", body)
		}
	}
}

func TestParseSettings(t *testing.T) {
	s, err := ParseSettings([]byte(`{"data":{"settings":{"compatible_gpus":[{"name":"RTX 4090","model":"RTX 4090","vendor":"NVIDIA","device_id":"10de:2684"}]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if g := s.Lookup("10de:2684"); g == nil || g.Model != "RTX 4090" {
		t.Errorf("lookup: %+v", g)
	}
	if s.Lookup("8086:3e92") != nil {
		t.Error("unknown device found")
	}
	if _, err := ParseSettings([]byte(`{"data":{"settings":{}}}`)); err == nil {
		t.Error("settings without compatible_gpus accepted")
	}
}
