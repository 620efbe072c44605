package contract

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestSchemaRefinesSharedContract: the service's schema is the shared
// contract plus what the service promises beyond it (keys it adds, such as
// node_hash and capability, and registry fields it types, such as locked),
// never less: every constraint of the shared contract is in it unchanged,
// and every key the contract requires is required. A document valid under
// the service's schema is then valid under the shared contract.
func TestSchemaRefinesSharedContract(t *testing.T) {
	shared, err := os.ReadFile("../../../shared/contract/crns.schema.json")
	if err != nil {
		t.Skipf("shared contract not beside the repository: %v", err)
	}
	var want, got any
	if err := json.Unmarshal(shared, &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(schemaJSON, &got); err != nil {
		t.Fatal(err)
	}
	for _, p := range refinementGaps("", want, got) {
		t.Errorf("internal/contract/crns.schema.json loosens the shared contract at %s", p)
	}
}

// refinementGaps lists the paths where got does not keep want: an object
// must keep every key of want's (it may add others), a "required" list
// every name of want's, and anything else must be equal.
func refinementGaps(path string, want, got any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{path}
		}
		var gaps []string
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				gaps = append(gaps, path+"/"+k+" (missing)")
				continue
			}
			if k == "required" {
				gaps = append(gaps, requiredGaps(path+"/required", wv, gv)...)
				continue
			}
			gaps = append(gaps, refinementGaps(path+"/"+k, wv, gv)...)
		}
		return gaps
	default:
		if !reflect.DeepEqual(want, got) {
			return []string{path}
		}
		return nil
	}
}

func requiredGaps(path string, want, got any) []string {
	w, _ := want.([]any)
	g, _ := got.([]any)
	var gaps []string
	for _, name := range w {
		if !slices.Contains(g, name) {
			gaps = append(gaps, fmt.Sprintf("%s: %v no longer required", path, name))
		}
	}
	return gaps
}

func TestRefinementGaps(t *testing.T) {
	base := `{"type":"object","required":["a","b"],"properties":{"a":{"type":"string"},"b":{"type":["number","null"]}}}`
	for _, c := range []struct {
		got  string
		gaps int
	}{
		{base, 0},
		{`{"type":"object","required":["a","b","c"],"properties":{"a":{"type":"string"},"b":{"type":["number","null"]},"c":{"type":"boolean"}}}`, 0},
		{`{"type":"object","required":["a"],"properties":{"a":{"type":"string"},"b":{"type":["number","null"]}}}`, 1},
		{`{"type":"object","required":["a","b"],"properties":{"a":{"type":"string"},"b":{"type":["number","null","string"]}}}`, 1},
		{`{"type":"object","required":["a","b"],"properties":{"a":{"type":"string"}}}`, 1},
		{`{"required":["a","b"],"properties":{"a":{"type":"string"},"b":{"type":["number","null"]}}}`, 1},
	} {
		var want, got any
		_ = json.Unmarshal([]byte(base), &want)
		if err := json.Unmarshal([]byte(c.got), &got); err != nil {
			t.Fatal(err)
		}
		if gaps := refinementGaps("", want, got); len(gaps) != c.gaps {
			t.Errorf("%s: gaps %v, want %d", c.got, gaps, c.gaps)
		}
	}
}

const validCRN = `{"hash":"h","name":"n","address":"https://a","score":0.5,"inactive_since":null,
"config_from_crn":false,"debug_config_from_crn_at":null,"debug_config_from_crn_error":"None",
"debug_usage_from_crn_at":null,"usage_from_crn_error":"None","version":null,"payment_receiver_address":null,
"gpu_support":null,"confidential_support":null,"qemu_support":null,"node_hash":null,"system_usage":SU,
"compatible_gpus":[],"compatible_available_gpus":[],"ipv6_check":{"host":false,"vm":false},"capability":null}`

const capability = `{"cpu":{"architecture":"x86_64","vendor":"AuthenticAMD","features":[],"model":"AMD EPYC 7443P 24-Core Processor",
"frequency":4035000000,"count":48},"memory":{"size":270582939648,"units":"bytes","type":"DDR4","clock":null,"clock_units":null},"tee":null}`

const usage = `{"cpu":{"count":COUNT,"load_average":{"load1":0,"load5":0,"load15":0},"core_frequencies":{"min":1,"max":2}},
"mem":{"total_kB":1,"available_kB":0},"disk":{"total_kB":1,"available_kB":0},
"period":{"start_timestamp":"2026-11-22T14:38:00+00:00","duration_seconds":60},
"properties":{"cpu":{"architecture":"x86_64","vendor":"v","features":[]}},
"gpu":{"devices":[],"available_devices":[]},"active":true}`

func doc(su string) []byte {
	return []byte(`{"last_refresh":"2026-11-22T14:38:25.496288+00:00","crns":[` + strings.Replace(validCRN, "SU", su, 1) + `]}`)
}

func TestValidate(t *testing.T) {
	if err := Validate(doc("null")); err != nil {
		t.Errorf("valid document without usage: %v", err)
	}
	if err := Validate(doc(strings.Replace(usage, "COUNT", "8", 1))); err != nil {
		t.Errorf("valid document with usage: %v", err)
	}
	withCapability := func(c string) []byte {
		return []byte(strings.Replace(string(doc("null")), `"capability":null`, `"capability":`+c, 1))
	}
	if err := Validate(withCapability(capability)); err != nil {
		t.Errorf("valid document with a capability: %v", err)
	}
	bad := map[string][]byte{
		"count written 8.0":             doc(strings.Replace(usage, "COUNT", "8.0", 1)),
		"count zero":                    doc(strings.Replace(usage, "COUNT", "0", 1)),
		"Z instead of +00:00":           []byte(strings.Replace(string(doc("null")), "+00:00", "Z", 1)),
		"ipv6 null":                     []byte(strings.Replace(string(doc("null")), `{"host":false,"vm":false}`, "null", 1)),
		"hash null":                     []byte(strings.Replace(string(doc("null")), `"hash":"h"`, `"hash":null`, 1)),
		"missing payment key":           []byte(strings.Replace(string(doc("null")), `"payment_receiver_address":null,`, ``, 1)),
		"missing capability":            []byte(strings.Replace(string(doc("null")), `,"capability":null`, ``, 1)),
		"capability frequency a string": withCapability(strings.Replace(capability, `4035000000`, `"4035000000"`, 1)),
		"capability count negative":     withCapability(strings.Replace(capability, `"count":48`, `"count":-1`, 1)),
		"capability without memory":     withCapability(strings.Replace(capability, `,"memory":{"size":270582939648,"units":"bytes","type":"DDR4","clock":null,"clock_units":null}`, ``, 1)),
		"capability memory type a list": withCapability(strings.Replace(capability, `"type":"DDR4"`, `"type":["DDR4"]`, 1)),
		"capability a list":             withCapability(`[]`),
	}
	for name, body := range bad {
		if err := Validate(body); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
