package contract

import (
	"os"
	"strings"
	"testing"
)

func TestSchemaMatchesSharedContract(t *testing.T) {
	shared, err := os.ReadFile("../../../shared/contract/crns.schema.json")
	if err != nil {
		t.Skipf("shared contract not beside the repository: %v", err)
	}
	if string(shared) != string(schemaJSON) {
		t.Fatal("internal/contract/crns.schema.json differs from the shared contract: copy it again")
	}
}

const validCRN = `{"hash":"h","name":"n","address":"https://a","score":0.5,"inactive_since":null,
"config_from_crn":false,"debug_config_from_crn_at":null,"debug_config_from_crn_error":"None",
"debug_usage_from_crn_at":null,"usage_from_crn_error":"None","version":null,"payment_receiver_address":null,
"gpu_support":null,"confidential_support":null,"qemu_support":null,"node_hash":null,"system_usage":SU,
"compatible_gpus":[],"compatible_available_gpus":[],"ipv6_check":{"host":false,"vm":false}}`

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
	bad := map[string][]byte{
		"count written 8.0":   doc(strings.Replace(usage, "COUNT", "8.0", 1)),
		"count zero":          doc(strings.Replace(usage, "COUNT", "0", 1)),
		"Z instead of +00:00": []byte(strings.Replace(string(doc("null")), "+00:00", "Z", 1)),
		"ipv6 null":           []byte(strings.Replace(string(doc("null")), `{"host":false,"vm":false}`, "null", 1)),
		"hash null":           []byte(strings.Replace(string(doc("null")), `"hash":"h"`, `"hash":null`, 1)),
		"missing payment key": []byte(strings.Replace(string(doc("null")), `"payment_receiver_address":null,`, ``, 1)),
	}
	for name, body := range bad {
		if err := Validate(body); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
