package aleph

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"
)

// ParseNode parses one registry entry, keeping every field as received
// (compacted). It reads the entry with the span scanner: the values are
// compacted into one buffer per entry and the fields point into it, so a
// node costs about its own size, and the registry's keys are not
// allocated again for every node.
func ParseNode(raw json.RawMessage) (Node, error) { return ParseNodeKeys(raw, nil) }

// ParseNodeKeys parses like ParseNode; the keys of known (each mapped to
// itself) are not allocated again for every node either: those of an
// entry of a list the service rendered, which snapshot knows.
func ParseNodeKeys(raw json.RawMessage, known map[string]string) (Node, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' || !json.Valid(raw) {
		return Node{}, errors.New("registry entry is not a JSON object")
	}
	members := 0
	if err := eachMember(raw, func(_, _ []byte) error { members++; return nil }); err != nil {
		return Node{}, err
	}
	values := scratchBuffers.Get().(*bytes.Buffer) // a scratch buffer: the values are copied out below
	defer func() {
		if values.Cap() <= 64<<10 {
			values.Reset()
			scratchBuffers.Put(values)
		}
	}()
	values.Grow(len(raw)) // compacted values never exceed the entry: no regrowth below
	type span struct{ start, end int }
	spans := make([]span, 0, members)
	n := Node{Fields: make([]Field, 0, members+5+len(flagKeys))} // room for the typed fields and flags added
	var index map[string]int                                     // only for entries with many fields
	err := eachMember(raw, func(k, v []byte) error {
		key, err := keyString(k, known)
		if err != nil {
			return err
		}
		start := values.Len()
		if err := json.Compact(values, v); err != nil {
			return err
		}
		if i := n.find(key, index); i >= 0 {
			spans[i] = span{start, values.Len()} // the last duplicate wins, as in most decoders
			return nil
		}
		n.Fields = append(n.Fields, Field{Key: key})
		spans = append(spans, span{start, values.Len()})
		if len(n.Fields) > smallEntry {
			if index == nil {
				index = make(map[string]int, 2*len(n.Fields))
				for i, f := range n.Fields[:len(n.Fields)-1] {
					index[f.Key] = i
				}
			}
			index[key] = len(n.Fields) - 1
		}
		return nil
	})
	if err != nil {
		return Node{}, err
	}
	// The values are kept as long as the node is listed: cut to their
	// length, not the entry's (keys, spaces) the buffer was grown to.
	b := bytes.Clone(values.Bytes())
	for i, s := range spans {
		n.Fields[i].Value = b[s.start:s.end:s.end]
	}
	n.setTyped()
	for _, key := range flagKeys {
		n.setFlag(key)
	}
	if n.Hash == "" {
		return Node{}, errors.New("registry entry has no hash")
	}
	return n, nil
}

// smallEntry is the number of fields up to which keys are found by a scan
// rather than a map; a real entry has about 24.
const smallEntry = 32

// find returns the position of key in n.Fields, or -1.
func (n *Node) find(key string, index map[string]int) int {
	if index != nil {
		if i, ok := index[key]; ok {
			return i
		}
		return -1
	}
	for i := range n.Fields {
		if n.Fields[i].Key == key {
			return i
		}
	}
	return -1
}

// registryKeys are the registry's own keys: read back from the body, they
// share one string instead of one per node.
var registryKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{"hash", "name", "time", "type", "owner", "score", "banner", "locked", "parent",
		"reward", "status", "address", "manager", "picture", "authorized", "description", "performance",
		"multiaddress", "score_updated", "stream_reward", "inactive_since", "decentralization",
		"registration_url", "terms_and_conditions"} {
		m[k] = k
	}
	return m
}()

// keyString decodes a raw JSON string key, sharing the string of a key
// of the registry's or of known.
func keyString(k []byte, known map[string]string) (string, error) {
	if s, ok := plainString(k); ok {
		if key, ok := registryKeys[string(s)]; ok {
			return key, nil
		}
		if key, ok := known[string(s)]; ok {
			return key, nil
		}
		return string(s), nil
	}
	var s string
	if err := json.Unmarshal(k, &s); err != nil {
		return "", err
	}
	return s, nil
}

// plainString returns the contents of a raw JSON string that needs no
// decoding: no escape, valid UTF-8.
func plainString(v []byte) ([]byte, bool) {
	if len(v) < 2 || v[0] != '"' || bytes.IndexByte(v, '\\') >= 0 {
		return nil, false
	}
	s := v[1 : len(v)-1]
	return s, utf8.Valid(s)
}

// decodeString decodes a raw JSON value that is a string.
func decodeString(v []byte) (string, bool) {
	if s, ok := plainString(v); ok {
		return string(s), true
	}
	var s string
	return s, len(v) > 0 && v[0] == '"' && json.Unmarshal(v, &s) == nil
}

// setTyped reads the typed fields and rewrites them in Fields to the types
// strict clients expect, adding the missing ones.
func (n *Node) setTyped() {
	n.Hash = n.setString("hash")
	n.Name = n.setString("name")
	n.Address = n.setString("address")
	n.Score = n.setNumber("score")
	n.Inactive = n.setNullableNumber("inactive_since")
}

// setString makes key a JSON string field (added when missing) and returns it.
func (n *Node) setString(key string) string {
	i := n.find(key, nil)
	if i < 0 {
		n.Fields = append(n.Fields, Field{Key: key, Value: json.RawMessage(`""`)})
		return ""
	}
	v := n.Fields[i].Value
	s, ok := decodeString(v)
	if ok {
		return s
	}
	if !bytes.Equal(v, []byte("null")) {
		s = string(v) // a number, bool or object keeps its literal text
	}
	n.Fields[i].Value, _ = json.Marshal(s)
	return s
}

// setNumber makes key a JSON number (0 when missing or not a number).
func (n *Node) setNumber(key string) float64 {
	i := n.find(key, nil)
	if i < 0 {
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
func (n *Node) setNullableNumber(key string) bool {
	i := n.find(key, nil)
	if i < 0 {
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
	if len(v) == 0 {
		return 0, false
	}
	if c := v[0]; c == '-' || c >= '0' && c <= '9' {
		if f, err := strconv.ParseFloat(string(v), 64); err == nil {
			return f, true
		}
		return 0, false
	}
	if s, ok := decodeString(v); ok {
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f, true
		}
	}
	return 0, false
}
