package aleph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Default upstream locations. All of them can be changed by configuration.
const (
	DefaultAPIURL          = "https://official.aleph.cloud"
	DefaultRegistryAddress = "0xa1B3bb7d2332383D96b7796B908fB7f7F3c2Be10"
	DefaultSettingsAddress = "0xFba561a84A537fCaa567bb7A2257e7142701ae2A"
)

// RegistryURL is where the corechannel aggregate of address lives on api.
func RegistryURL(api, address string) string {
	return api + "/api/v0/aggregates/" + address + ".json?keys=corechannel"
}

// SettingsURL is where the settings aggregate of address lives on api.
func SettingsURL(api, address string) string {
	return api + "/api/v0/aggregates/" + address + ".json?keys=settings"
}

// Field is one registry field exactly as received (compacted JSON).
type Field struct {
	Key   string
	Value json.RawMessage
}

// Node is one compute resource node of the registry. Fields keeps every
// field in the order received, unknown ones included, so that they pass
// through untouched; the typed fields are the few the service reads.
// Hash, Name and Address are always strings (strict clients reject
// anything else), and Fields is rewritten to match.
type Node struct {
	Hash     string
	Name     string
	Address  string
	Score    float64
	Inactive bool // inactive_since is not null
	Fields   []Field
}

// Field returns the raw value of key, or nil.
func (n *Node) Field(key string) json.RawMessage {
	for _, f := range n.Fields {
		if f.Key == key {
			return f.Value
		}
	}
	return nil
}

// ParseRegistry decodes the corechannel aggregate and returns its resource
// nodes. Entries that are not JSON objects are skipped and counted in the
// returned error-free skipped number, so one bad entry never loses the rest.
func ParseRegistry(body []byte) (nodes []Node, skipped int, err error) {
	var agg struct {
		Data struct {
			Corechannel struct {
				ResourceNodes []json.RawMessage `json:"resource_nodes"`
			} `json:"corechannel"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &agg); err != nil {
		return nil, 0, fmt.Errorf("decode registry aggregate: %w", err)
	}
	raw := agg.Data.Corechannel.ResourceNodes
	if raw == nil {
		return nil, 0, errors.New("decode registry aggregate: no data.corechannel.resource_nodes list")
	}
	nodes = make([]Node, 0, len(raw))
	seen := make(map[string]bool, len(raw))
	for _, r := range raw {
		n, err := ParseNode(r)
		if err != nil || seen[n.Hash] {
			skipped++
			continue
		}
		seen[n.Hash] = true
		nodes = append(nodes, n)
	}
	return nodes, skipped, nil
}

// ParseNode parses one registry entry, keeping every field as received.
func ParseNode(raw json.RawMessage) (Node, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return Node{}, errors.New("registry entry is not an object")
	}
	var n Node
	index := map[string]int{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return Node{}, err
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return Node{}, err
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, v); err != nil {
			return Node{}, err
		}
		v = buf.Bytes()
		if i, dup := index[key]; dup {
			n.Fields[i].Value = v // the last duplicate wins, as in most decoders
			continue
		}
		index[key] = len(n.Fields)
		n.Fields = append(n.Fields, Field{Key: key, Value: v})
	}
	n.Hash = n.setString(index, "hash")
	n.Name = n.setString(index, "name")
	n.Address = n.setString(index, "address")
	n.Score = n.setNumber(index, "score")
	n.Inactive = n.setNullableNumber(index, "inactive_since")
	if n.Hash == "" {
		return Node{}, errors.New("registry entry has no hash")
	}
	return n, nil
}

// setString makes key a JSON string field (added when missing) and returns it.
func (n *Node) setString(index map[string]int, key string) string {
	i, ok := index[key]
	if !ok {
		index[key] = len(n.Fields)
		n.Fields = append(n.Fields, Field{Key: key, Value: json.RawMessage(`""`)})
		return ""
	}
	v := n.Fields[i].Value
	var s string
	if bytes.Equal(v, []byte("null")) {
		s = ""
	} else if json.Unmarshal(v, &s) == nil {
		return s
	} else {
		s = string(v) // a number, bool or object keeps its literal text
	}
	n.Fields[i].Value, _ = json.Marshal(s)
	return s
}

// setNumber makes key a JSON number (0 when missing or not a number).
func (n *Node) setNumber(index map[string]int, key string) float64 {
	i, ok := index[key]
	if !ok {
		index[key] = len(n.Fields)
		n.Fields = append(n.Fields, Field{Key: key, Value: json.RawMessage(`0`)})
		return 0
	}
	f, ok := numberOf(n.Fields[i].Value)
	if !ok {
		n.Fields[i].Value = json.RawMessage(`0`)
	}
	return f
}

// setNullableNumber makes key a number or null; it reports whether it is a number.
func (n *Node) setNullableNumber(index map[string]int, key string) bool {
	i, ok := index[key]
	if !ok {
		index[key] = len(n.Fields)
		n.Fields = append(n.Fields, Field{Key: key, Value: json.RawMessage(`null`)})
		return false
	}
	v := n.Fields[i].Value
	if bytes.Equal(v, []byte("null")) {
		return false
	}
	if f, ok := numberOf(v); ok {
		n.Fields[i].Value = json.RawMessage(strconv.FormatFloat(f, 'f', -1, 64))
		return true
	}
	n.Fields[i].Value = json.RawMessage(`null`)
	return false
}

// numberOf reads a JSON number, or a string holding one.
func numberOf(v json.RawMessage) (float64, bool) {
	if bytes.Equal(v, []byte("null")) {
		return 0, false
	}
	var f float64
	if json.Unmarshal(v, &f) == nil {
		return f, true
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f, true
		}
	}
	return 0, false
}
