package snapshot

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"nodelist/internal/aleph"
	"nodelist/internal/probe"
)

// Parse reads back a crns.json that Render wrote (a warm restart): each
// CRN's registry fields and its probes' data, from the same list Render
// writes from. A CRN that is not an object with a hash is skipped, and so
// is a second CRN of the same hash.
func Parse(body []byte) ([]Entry, error) {
	var doc struct {
		CRNs []json.RawMessage `json:"crns"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("parse crns.json: %w", err)
	}
	out := make([]Entry, 0, len(doc.CRNs))
	seen := make(map[string]bool, len(doc.CRNs))
	for _, raw := range doc.CRNs {
		n, err := aleph.ParseNodeKeys(raw, keyStrings())
		if err != nil || n.Hash == "" || seen[n.Hash] {
			continue
		}
		seen[n.Hash] = true
		out = append(out, parseEntry(n))
	}
	return out, nil
}

func parseEntry(n aleph.Node) Entry {
	computed := computedKeys()
	got := make(map[string][]byte, len(computed))
	kept := n.Fields[:0:0]
	for _, f := range n.Fields {
		if computed[f.Key] {
			got[f.Key] = f.Value
		} else {
			kept = append(kept, f)
		}
	}
	n.Fields = kept
	e := Entry{Node: &n, Probes: make([]ProbeData, len(probe.All))}
	for _, p := range probe.All {
		d := &e.Probes[p.Index]
		answered := false
		if p.FromKey != "" {
			answered = string(got[p.FromKey]) == "true"
		} else {
			// Without a key saying so, a probe answered when a field holds
			// more than its default.
			for _, f := range p.Fields {
				if v, ok := got[f.Key]; ok && string(v) != string(f.Default) && string(v) != "null" {
					answered = true
				}
			}
		}
		if answered {
			d.Values = make([][]byte, len(p.Fields))
			for i, f := range p.Fields {
				d.Values[i] = f.Default
				if v, ok := got[f.Key]; ok {
					d.Values[i] = v
				}
			}
		}
		if p.AtKey != "" {
			d.At = parseTime(got[p.AtKey])
		}
		if p.ErrKey != "" {
			var s string
			if json.Unmarshal(got[p.ErrKey], &s) == nil && s != "None" {
				// A problem with an answer still served is a note; the rest
				// is the last error.
				if answered && strings.HasPrefix(s, string(probe.ClassInvalidData)+": ") {
					d.Note = s
				} else {
					d.Err = s
				}
			}
		}
	}
	return e
}

func parseTime(raw []byte) time.Time {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return time.Time{}
	}
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// keyStrings are the computed keys, each mapped to itself: a list read
// back shares one string per key instead of one per node.
var keyStrings = sync.OnceValue(func() map[string]string {
	m := make(map[string]string, len(computedKeys()))
	for k := range computedKeys() {
		m[k] = k
	}
	return m
})
