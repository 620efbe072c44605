package aleph

import (
	"fmt"
	"testing"
)

// TestRegistryFlagsAreBooleans: locked and score_updated are published as
// booleans whatever the registry holds, and every other field as
// registered. Before, "locked": "" was passed on and the console refused
// the node ("locked: Expected boolean, received string").
func TestRegistryFlagsAreBooleans(t *testing.T) {
	tests := []struct {
		raw  string // the registry's value; "" for no key
		want string
	}{
		{"", "false"}, {"null", "false"}, {"true", "true"}, {"false", "false"},
		{`""`, "false"}, {`" "`, "false"}, {`"false"`, "false"}, {`"False"`, "false"}, {`"FALSE"`, "false"},
		{`"0"`, "false"}, {`"no"`, "false"}, {`"off"`, "false"}, {`"f"`, "false"}, {`"N"`, "false"},
		{`"true"`, "true"}, {`"True"`, "true"}, {`"1"`, "true"}, {`"yes"`, "true"}, {`"on"`, "true"},
		{`" true "`, "true"}, {`"locked"`, "true"}, {`"\u0066alse"`, "false"}, {`"\u00e9"`, "true"},
		{"0", "false"}, {"0.0", "false"}, {"-0", "false"}, {"1", "true"}, {"2", "true"}, {"-1", "true"},
		{"1e999", "true"}, {"{}", "true"}, {"[]", "true"}, {`{"a":false}`, "true"}, {"[false]", "true"},
	}
	for _, tt := range tests {
		for _, key := range []string{"locked", "score_updated"} {
			entry := `{"hash":"h","description":"kept \"as is\"","reward":"",`
			if tt.raw != "" {
				entry += fmt.Sprintf("%q:%s,", key, tt.raw)
			}
			entry += `"status":null}`
			n, err := ParseNode([]byte(entry))
			if err != nil {
				t.Fatalf("%s: %v", entry, err)
			}
			if got := string(n.Field(key)); got != tt.want {
				t.Errorf("%s = %s: published %s, want %s", key, tt.raw, got, tt.want)
			}
			if got := string(n.Field("reward")); got != `""` {
				t.Errorf("reward changed to %s", got)
			}
			if got := string(n.Field("status")); got != "null" {
				t.Errorf("status changed to %s", got)
			}
			if got := string(n.Field("description")); got != `"kept \"as is\""` {
				t.Errorf("description changed to %s", got)
			}
			ref, err := referenceParseNode([]byte(entry))
			if err != nil || string(ref.Field(key)) != tt.want {
				t.Errorf("%s = %s: the reference reads %s (%v)", key, tt.raw, ref.Field(key), err)
			}
			// Read back (a warm restart parses crns.json again): unchanged.
			again, err := ParseNode([]byte(`{"hash":"h","` + key + `":` + string(n.Field(key)) + `}`))
			if err != nil || string(again.Field(key)) != tt.want {
				t.Errorf("%s read back as %s", key, again.Field(key))
			}
		}
	}
}
