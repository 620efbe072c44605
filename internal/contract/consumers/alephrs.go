package consumers

import (
	"encoding/json"
	"strconv"
	"strings"
)

// aleph-rs (aleph-im/aleph-rs, crates/aleph-sdk/src/crns_list.rs):
// fetch_crns_list parses the body as CrnListResponse { crns:
// Vec<CrnListEntry> } with serde_json: one entry refused fails the parse.
// CrnListEntry has no deny_unknown_fields and flattens every other key
// into `extra`, so unknown keys are kept; the nested structs ignore them.

// rsBoolOrNull is deserialize_bool_or_null: a boolean, or null for false.
var rsBoolOrNull = nullable(strictBool)

// rsGPU is Gpu: six strings, compatible a boolean or null (default false).
var rsGPU = object(
	req("vendor", strictString), req("model", strictString), req("device_name", strictString),
	req("device_class", strictString), req("pci_host", strictString), req("device_id", strictString),
	opt("compatible", rsBoolOrNull),
)

// rsEntry is CrnListEntry: hash, name and address required strings; the
// rest #[serde(default)] Options. SystemUsage reads cpu.count (u32) and
// mem and disk's available_kB (u64): an integer written 8.0 is refused.
var rsEntry = object(
	req("hash", strictString), req("name", strictString), req("address", strictString),
	opt("score", nullable(strictNumber)),
	opt("version", nullable(strictString)),
	opt("payment_receiver_address", nullable(strictString)),
	opt("gpu_support", rsBoolOrNull), opt("confidential_support", rsBoolOrNull), opt("qemu_support", rsBoolOrNull),
	opt("ipv6_check", nullable(boolMap)),
	opt("system_usage", nullable(object(
		req("cpu", object(req("count", unsigned(32)))),
		req("mem", object(req("available_kB", unsigned(64)))),
		req("disk", object(req("available_kB", unsigned(64))))))),
	opt("compatible_available_gpus", nullable(list(rsGPU))),
	opt("terms_and_conditions", nullable(strictString)),
)

// boolMap is HashMap<String, bool>.
func boolMap(v any) error {
	o, ok := v.(Object)
	if !ok {
		return object()(v)
	}
	for k, b := range o {
		if err := strictBool(b); err != nil {
			return &keyError{k, err}
		}
	}
	return nil
}

type keyError struct {
	key string
	err error
}

func (e *keyError) Error() string { return e.key + ": " + e.err.Error() }

// AlephRS is aleph-rs's reading of crns.json.
func AlephRS() Consumer {
	return Consumer{
		Name:   "aleph-rs",
		Source: "aleph-im/aleph-rs crates/aleph-sdk/src/crns_list.rs (CrnListResponse, CrnListEntry, matches_filter)",
		List:   func(e Object) error { return rsEntry(e) },
		Filters: []Filter{
			{"no filter", func(Object) bool { return true }},
			{"min_vcpus=1", func(e Object) bool { return rsMatches(e, rsFilter{minVCPUs: 1}) }},
			{"ipv6", func(e Object) bool { return rsMatches(e, rsFilter{ipv6: true}) }},
			{"gpu=[] (any compatible)", func(e Object) bool { return rsMatches(e, rsFilter{gpu: true}) }},
		},
	}
}

type rsFilter struct {
	ipv6, confidential, gpu bool
	minVCPUs                uint64
	gpuIDs                  []string
}

// rsMatches is matches_filter, on an entry rsEntry accepted.
func rsMatches(e Object, f rsFilter) bool {
	if f.ipv6 {
		v6, ok := e["ipv6_check"].(Object)
		if !ok {
			return false
		}
		for _, b := range v6 {
			if b != true {
				return false
			}
		}
	}
	if f.confidential && e["confidential_support"] != true {
		return false
	}
	if f.gpu {
		avail, _ := e["compatible_available_gpus"].([]any)
		if e["gpu_support"] != true || len(avail) == 0 {
			return false
		}
		for _, want := range f.gpuIDs {
			found := false
			for _, g := range avail {
				id, _ := g.(Object)["device_id"].(string)
				found = found || strings.EqualFold(id, want)
			}
			if !found {
				return false
			}
		}
	}
	if f.minVCPUs > 0 {
		u, ok := e["system_usage"].(Object)
		if !ok {
			return false
		}
		n, _ := u["cpu"].(Object)["count"].(json.Number)
		count, _ := strconv.ParseUint(string(n), 10, 32)
		if count < f.minVCPUs {
			return false
		}
	}
	return true
}
