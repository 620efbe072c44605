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
	DefaultSettingsAddress = "0xA07B1214bAe0D5ccAA25449C3149c0aC83658874"
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
	// Err, when set, says why the registry entry was refused (over a
	// bound, or not decodable). Such a node is listed with this error and
	// never probed; Fields then holds only its hash and name, when they
	// were readable, and the typed fields' defaults.
	Err error
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

// Bounds on one registry entry. Anyone who registers a node writes one,
// and every field of it is passed on in crns.json, so it is measured
// before it is decoded. A real resource node entry is about 1 KiB (some
// 24 fields, the longest a free-text description, two picture hashes and
// a terms URL) and nests two levels: the bounds leave some 60 times that
// room, yet keep an entry small next to the whole list and far below the
// nesting clients' decoders refuse (Python's json.loads recurses once per
// level, and gives up near 1000).
const (
	MaxEntryBytes = 64 << 10
	MaxEntryDepth = 32
)

// maxKeptString bounds the hash and name kept of a refused entry: a real
// hash is 64 characters and a real name a few dozen.
const maxKeptString = 1 << 10

// ParseRegistry decodes the corechannel aggregate and returns its resource
// nodes. Each entry is measured, then decoded on its own: one bad entry
// never loses the rest. An entry over MaxEntryBytes or MaxEntryDepth, or
// one that does not decode, is returned with Err set and its hash and name
// when they are readable; entries that are not objects, have no readable
// hash or repeat an earlier hash are skipped and counted in skipped.
// Only the aggregate's structure (an object holding
// data.corechannel.resource_nodes, a list) can fail the whole parse.
func ParseRegistry(body []byte) (nodes []Node, skipped int, err error) {
	list, err := resourceNodes(body)
	if err != nil {
		return nil, 0, fmt.Errorf("decode registry aggregate: %w", err)
	}
	seen := map[string]bool{}
	err = eachElement(list, func(raw []byte, depth int) {
		n, ok := parseEntry(raw, depth)
		if !ok || seen[n.Hash] {
			skipped++
			return
		}
		seen[n.Hash] = true
		nodes = append(nodes, n)
	})
	if err != nil {
		return nil, 0, fmt.Errorf("decode registry aggregate: resource_nodes: %w", err)
	}
	return nodes, skipped, nil
}

var errNoList = errors.New("no data.corechannel.resource_nodes list")

// resourceNodes finds the span of data.corechannel.resource_nodes in the
// aggregate, skipping everything else (the core channel nodes included)
// unread.
func resourceNodes(body []byte) ([]byte, error) {
	v := body
	for _, key := range []string{"data", "corechannel", "resource_nodes"} {
		next, err := member(v, key)
		if err != nil {
			return nil, err
		}
		if next == nil {
			return nil, errNoList
		}
		v = next
	}
	if v[0] != '[' {
		return nil, errNoList
	}
	return v, nil
}

// parseEntry decodes one entry whose span and depth the scanner measured.
// It reports false when the entry cannot be listed at all.
func parseEntry(raw []byte, depth int) (Node, bool) {
	if raw[0] != '{' {
		return Node{}, false
	}
	var why error
	switch {
	case len(raw) > MaxEntryBytes:
		why = fmt.Errorf("registry entry of %d bytes, more than %d", len(raw), MaxEntryBytes)
	case depth > MaxEntryDepth:
		why = fmt.Errorf("registry entry nested deeper than %d levels", MaxEntryDepth)
	default:
		n, err := ParseNode(raw)
		if err == nil {
			return n, true
		}
		why = fmt.Errorf("registry entry unreadable: %v", err)
	}
	return refusedNode(raw, why)
}

// refusedNode keeps what can be read cheaply of a refused entry: its
// top-level hash and name, when they are short scalars. It reports false
// when there is no hash to list the node under.
func refusedNode(raw []byte, why error) (Node, bool) {
	var hash, name []byte
	// A malformed entry still yields the members read before the fault.
	_ = eachMember(raw, func(key, value []byte) error {
		if len(value) > maxKeptString || value[0] == '{' || value[0] == '[' || !json.Valid(value) {
			return nil
		}
		switch {
		case keyIs(key, "hash"):
			hash = value
		case keyIs(key, "name"):
			name = value
		}
		return nil
	})
	if hash == nil {
		return Node{}, false
	}
	n := Node{Err: why, Fields: []Field{{Key: "hash", Value: hash}}}
	index := map[string]int{"hash": 0}
	if name != nil {
		index["name"] = 1
		n.Fields = append(n.Fields, Field{Key: "name", Value: name})
	}
	n.setTyped(index)
	if n.Hash == "" {
		return Node{}, false
	}
	return n, true
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
	n.setTyped(index)
	if n.Hash == "" {
		return Node{}, errors.New("registry entry has no hash")
	}
	return n, nil
}

// setTyped reads the typed fields and rewrites them in Fields to the types
// strict clients expect, adding the missing ones.
func (n *Node) setTyped(index map[string]int) {
	n.Hash = n.setString(index, "hash")
	n.Name = n.setString(index, "name")
	n.Address = n.setString(index, "address")
	n.Score = n.setNumber(index, "score")
	n.Inactive = n.setNullableNumber(index, "inactive_since")
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
