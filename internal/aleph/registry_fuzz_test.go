package aleph

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseRegistry checks that any body parses without panicking, and
// that what comes out can be listed: unique non-empty hashes, fields that
// are compact JSON, and good entries within the bounds.
func FuzzParseRegistry(f *testing.F) {
	for _, s := range []string{
		string(aggregate(nested("c", 40), goodEntry(1), nested("d", 40), `{"hash":"b","score":01}`, `7`, `{}`)),
		`{"data":{"corechannel":{"resource_nodes":[{"hash":"a","name":"\"]}"},{"hash":1.5e3},{"hash":{"x":1}}]}}}`,
		`{"data":{"corechannel":{"resource_nodes":[{"h\u0061sh":"e","hash":"f"}]}}}`,
		`{"data":{"corechannel":{"resource_nodes":[{"hash":"a"}]}},"data":{}}`,
		`{"data":{"corechannel":{"resource_nodes":[` + strings.Repeat("[", 50) + `]}}}`,
		`{"data":{"corechannel":{"resource_nodes":[{"hash":"a","x":[1,}]}}}`,
		`{"data":{"corechannel":{"resource_nodes":[{"hash":"a\`,
		"{\"data\":{\"corechannel\":{\"resource_nodes\":[{\"hash\":\"a\",\"d\":\"\xff\"},{\"hash\":\"\\ud800\"}]}}}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		nodes, _, err := ParseRegistry(body)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, n := range nodes {
			if n.Hash == "" || seen[n.Hash] {
				t.Fatalf("hash %q empty or repeated", n.Hash)
			}
			seen[n.Hash] = true
			size := 2
			for _, fl := range n.Fields {
				var buf bytes.Buffer
				if err := json.Compact(&buf, fl.Value); err != nil || !bytes.Equal(buf.Bytes(), fl.Value) {
					t.Fatalf("%s: field %s is not compact JSON: %s", n.Hash, fl.Key, fl.Value)
				}
				size += len(fl.Key) + len(fl.Value)
				if err := CheckText(fl.Value); err != nil || !utf8.ValidString(fl.Key) {
					t.Fatalf("%s: field %q holds text that is not valid Unicode: %v", n.Hash, fl.Key, err)
				}
				if err := CheckDepth(fl.Value, MaxEntryDepth-1); err != nil {
					t.Fatalf("%s: field %s: %v", n.Hash, fl.Key, err)
				}
			}
			if n.Err == nil && size > 2*MaxEntryBytes {
				t.Fatalf("%s: %d bytes of fields passed the bound", n.Hash, size)
			}
			if n.Err != nil && len(n.Fields) != 5 {
				t.Fatalf("refused %s keeps %d fields", n.Hash, len(n.Fields))
			}
		}
	})
}

// FuzzParseNode holds ParseNode to the token-stream parser it replaced:
// on any valid JSON the two agree field for field, byte for byte.
func FuzzParseNode(f *testing.F) {
	for _, s := range []string{goodEntry(1), `{"hash":"a","hash":"b","name":null,"address":7,"score":"1e3"}`,
		`{"h\u0061sh":"\u00e9","name":{"a":[1, 2.0]},"score":1e400,"inactive_since":"12"}`,
		`{"hash":"x","score":-0,"inactive_since":-1.5e-7,"address":true}`, `{"hash":"\ud800"}`, `{}`, `[]`,
		"{\"hash\":\"\xff\",\"\xfe\":1}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) {
			_, _ = ParseNode(raw)
			return
		}
		w, werr := referenceParseNode(raw)
		g, gerr := ParseNode(raw)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("ParseNode error %v, reference %v", gerr, werr)
		}
		if werr == nil {
			if d := nodeDiff(g, w); d != "" {
				t.Fatal(d)
			}
		}
	})
}
