package snapshot

import (
	"encoding/json"
	"strconv"
	"sync"
	"time"

	"nodelist/internal/aleph"
	"nodelist/internal/probe"
)

// crns.json has one owner: this file writes a CRN and parse.go reads it
// back (a warm restart), both from the same list, probe.All: each probe's
// FromKey, AtKey, ErrKey and Fields, in that order, after the registry's
// own fields.

// Entry is everything the contract says about one CRN.
type Entry struct {
	Node *aleph.Node
	// Probes are the probes' data in the order of probe.All; missing
	// ones are written as never answered.
	Probes []ProbeData
	// AddrErr, when set, is every probe's error: the address is invalid.
	AddrErr string
}

// ProbeData is what a CRN says of one probe.
type ProbeData struct {
	At     time.Time // last good answer; zero if none
	Err    string    // last error; "" when none
	Note   string    // a problem with the last good answer, written when there is no error
	Values [][]byte  // the probe's Fields, nil when never answered
}

// computedKeys are the keys the service writes; a registry field of the
// same name is replaced, never duplicated. They are gathered from
// probe.All at first use, once every probe has registered.
var computedKeys = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, p := range probe.All {
		for _, k := range []string{p.FromKey, p.AtKey, p.ErrKey} {
			if k != "" {
				m[k] = true
			}
		}
		for _, f := range p.Fields {
			m[f.Key] = true
		}
	}
	return m
})

// Computed reports whether key is written by the service rather than
// passed through from the registry.
func Computed(key string) bool { return computedKeys()[key] }

// Render appends the JSON object of one CRN to buf: every registry field
// as received, then each probe's fields.
func Render(buf []byte, e *Entry) []byte {
	buf = append(buf, '{')
	computed := computedKeys()
	for _, f := range e.Node.Fields {
		if computed[f.Key] {
			continue
		}
		buf = appendJSONString(buf, f.Key)
		buf = append(buf, ':')
		buf = append(buf, f.Value...)
		buf = append(buf, ',')
	}
	first := true
	key := func(k string) {
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = appendJSONString(buf, k)
		buf = append(buf, ':')
	}
	for _, p := range probe.All {
		var d ProbeData
		if p.Index < len(e.Probes) {
			d = e.Probes[p.Index]
		}
		if p.FromKey != "" {
			key(p.FromKey)
			buf = strconv.AppendBool(buf, d.Values != nil)
		}
		if p.AtKey != "" {
			key(p.AtKey)
			buf = AppendTime(buf, d.At)
		}
		if p.ErrKey != "" {
			key(p.ErrKey)
			buf = appendError(buf, firstOf(e.AddrErr, d.Err, d.Note))
		}
		for i, f := range p.Fields {
			key(f.Key)
			if d.Values != nil && i < len(d.Values) {
				buf = append(buf, d.Values[i]...)
			} else {
				buf = append(buf, f.Default...)
			}
		}
	}
	return append(buf, '}')
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// TimeLayout is how every time is written: RFC 3339 in UTC with
// microseconds and a +00:00 offset, as Python's isoformat writes it.
const TimeLayout = "2006-01-02T15:04:05.000000+00:00"

// AppendTime appends t as a JSON string, or null for the zero time.
func AppendTime(buf []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(buf, "null"...)
	}
	buf = append(buf, '"')
	buf = t.UTC().AppendFormat(buf, TimeLayout)
	return append(buf, '"')
}

// FormatTime is AppendTime's text without quotes ("" for the zero time).
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(TimeLayout)
}

// appendError writes an error as the Python service did: "None" when
// there is none.
func appendError(buf []byte, s string) []byte {
	if s == "" {
		s = "None"
	}
	return appendJSONString(buf, s)
}

// appendJSONString writes s as a JSON string, as encoding/json does:
// it replaces invalid UTF-8, which strconv.Quote would escape in a way
// JSON lacks, and escapes <, > and &. Keys and errors are nearly always
// plain printable ASCII, which needs no escaping and is written as is:
// a render writes some forty keys per CRN, and json.Marshal for each was
// about 5% of a steady round's CPU at 1000 nodes.
func appendJSONString(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s)
			return append(buf, b...)
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}
