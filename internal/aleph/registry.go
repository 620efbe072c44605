package aleph

import (
	"encoding/json"
	"errors"
	"fmt"
)

// RegistryPath is where the corechannel aggregate of address lives on the
// API host.
func RegistryPath(address string) string {
	return "/api/v0/aggregates/" + address + ".json?keys=corechannel"
}

// SettingsPath is where the settings aggregate of address lives on the
// API host.
func SettingsPath(address string) string {
	return "/api/v0/aggregates/" + address + ".json?keys=settings"
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
// before it is decoded. A real resource node entry has some 24 fields
// (hashes, addresses, scores, a free-text description, picture and banner
// hashes, URLs), typically under 1 KiB, and nests two levels: the bounds
// leave over 60 times that room, yet keep an entry small next to the list
// and far below the nesting clients' decoders refuse (Python's json.loads
// recurses once per level, and gives up near 1000).
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
// one that does not decode or holds text that is not valid Unicode (see
// CheckText), is returned with Err set and its hash and name when they are
// readable; entries that are not objects, have no readable
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
	case CheckText(raw) != nil:
		// Passed on, the bytes would make crns.json invalid for every
		// client; decoded, the service would publish U+FFFD instead.
		why = fmt.Errorf("registry entry %v", CheckText(raw))
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
		if len(value) > maxKeptString || value[0] == '{' || value[0] == '[' || !json.Valid(value) || CheckText(value) != nil {
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
	if name != nil {
		n.Fields = append(n.Fields, Field{Key: "name", Value: name})
	}
	n.setTyped()
	if n.Hash == "" {
		return Node{}, false
	}
	return n, true
}
