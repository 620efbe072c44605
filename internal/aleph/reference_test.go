package aleph

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
)

// referenceParseNode is ParseNode as it was before entries were read by
// the span scanner: encoding/json's token stream, one buffer per field.
// The tests hold the new parser to its output.
func referenceParseNode(raw json.RawMessage) (Node, error) {
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
	n.Hash = refSetString(&n, index, "hash")
	n.Name = refSetString(&n, index, "name")
	n.Address = refSetString(&n, index, "address")
	n.Score = refSetNumber(&n, index, "score")
	n.Inactive = refSetNullableNumber(&n, index, "inactive_since")
	refSetFlag(&n, index, "locked")
	refSetFlag(&n, index, "score_updated")
	if n.Hash == "" {
		return Node{}, errors.New("registry entry has no hash")
	}
	return n, nil
}

// refSetString makes key a JSON string field (added when missing) and returns it.
func refSetString(n *Node, index map[string]int, key string) string {
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

// refSetNumber makes key a JSON number (0 when missing or not a number).
func refSetNumber(n *Node, index map[string]int, key string) float64 {
	i, ok := index[key]
	if !ok {
		index[key] = len(n.Fields)
		n.Fields = append(n.Fields, Field{Key: key, Value: json.RawMessage(`0`)})
		return 0
	}
	f, ok := refNumberOf(n.Fields[i].Value)
	if !ok {
		n.Fields[i].Value = json.RawMessage(`0`)
	}
	return f
}

// refSetNullableNumber makes key a number or null; it reports whether it is a number.
func refSetNullableNumber(n *Node, index map[string]int, key string) bool {
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
	if f, ok := refNumberOf(v); ok {
		n.Fields[i].Value = json.RawMessage(strconv.FormatFloat(f, 'f', -1, 64))
		return true
	}
	n.Fields[i].Value = json.RawMessage(`null`)
	return false
}

// refNumberOf reads a JSON number, or a string holding one.
func refNumberOf(v json.RawMessage) (float64, bool) {
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

// refSetFlag makes key a JSON boolean (false when missing), reading the
// value decoded rather than from its bytes.
func refSetFlag(n *Node, index map[string]int, key string) {
	i, ok := index[key]
	if !ok {
		n.Fields = append(n.Fields, Field{Key: key, Value: json.RawMessage(`false`)})
		return
	}
	var v any
	if json.Unmarshal(n.Fields[i].Value, &v) != nil {
		v = struct{}{} // a number past float64 (1e999): not null, not zero
	}
	truth := true
	switch t := v.(type) {
	case nil:
		truth = false
	case bool:
		truth = t
	case float64:
		truth = t != 0
	case string:
		switch strings.ToLower(strings.TrimSpace(t)) {
		case "", "false", "0", "no", "off", "f", "n":
			truth = false
		}
	}
	n.Fields[i].Value = json.RawMessage(strconv.FormatBool(truth))
}
