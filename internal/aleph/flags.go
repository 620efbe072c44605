package aleph

import (
	"bytes"
	"encoding/json"
	"strings"
)

// flagKeys are the registry's boolean fields. The registry holds them as
// whoever wrote the entry spelled them: some nodes have "locked": "" or
// null. The console types them as booleans (BaseNode in
// front-aleph-cloud-page's src/domain/node.ts) and converts them with !!
// only when it reads the registry itself, not crns.json; so they are
// published as booleans.
var flagKeys = []string{"locked", "score_updated"}

// setFlag makes key a JSON boolean, added as false when missing.
//
// A string is read as the spellings of true and false that the service
// accepts for filter_inactive (FastAPI's, in any case, around spaces): ""
// and false, 0, no, off, f, n are false; true, 1, yes, on, t, y are true.
// Any other string is true, as the console's !! and Python's bool() read
// a non-empty string: a node owner who wrote something there meant
// something. null is false; a number is true unless it is zero; an object
// or a list is true, as the console reads them.
func (n *Node) setFlag(key string) {
	i := n.find(key, nil)
	if i < 0 {
		n.Fields = append(n.Fields, Field{Key: key, Value: json.RawMessage(`false`)})
		return
	}
	v := n.Fields[i].Value
	if bytes.Equal(v, []byte("true")) || bytes.Equal(v, []byte("false")) {
		return
	}
	n.Fields[i].Value = json.RawMessage(`false`)
	if truthy(v) {
		n.Fields[i].Value = json.RawMessage(`true`)
	}
}

// truthy reads a registry flag's raw JSON value as setFlag does.
func truthy(v json.RawMessage) bool {
	switch {
	case len(v) == 0 || bytes.Equal(v, []byte("null")) || bytes.Equal(v, []byte("false")):
		return false
	case v[0] == '"':
		s, ok := decodeString(v)
		if !ok {
			return true
		}
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "", "false", "0", "no", "off", "f", "n":
			return false
		}
		return true
	case v[0] == '-' || v[0] >= '0' && v[0] <= '9':
		f, ok := numberOf(v)
		return !ok || f != 0
	}
	return true // true, an object or a list
}
