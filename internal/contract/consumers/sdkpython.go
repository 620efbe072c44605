package consumers

import "strings"

// aleph-sdk-python (aleph-im/aleph-sdk-python): Crn.get_crns_list builds
// CrnList.from_api, which validates every entry as CRN
// (src/aleph/sdk/client/services/crn.py) in one list: one entry refused
// fails the call. CRN is a DictLikeModel (src/aleph/sdk/types.py,
// extra="allow"): unknown keys are kept, never refused.

// sdkSystemUsage is the SystemUsage model aleph-sdk-python 2.3.0 types
// CRN.system_usage with, and aleph-client's models.py imports (from
// aleph.sdk.client.services.crn import SystemUsage). The stored crn.py
// predates it; it is written here as the review found it: a copy of
// aleph-vm's MachineUsage (src/aleph/vm/orchestrator/resources.py) whose
// CPU properties require architecture and vendor as strings, so that a
// usage without architecture fails the whole list. Nested models ignore
// unknown keys (pydantic's default).
var sdkSystemUsage = object(
	req("cpu", object(
		req("count", pyInt),
		req("load_average", object(req("load1", pyFloat), req("load5", pyFloat), req("load15", pyFloat))),
		req("core_frequencies", object(req("min", pyFloat), req("max", pyFloat))))),
	req("mem", object(req("total_kB", pyInt), req("available_kB", pyInt))),
	req("disk", object(req("total_kB", pyInt), req("available_kB", pyInt))),
	req("period", object(req("start_timestamp", pyDatetime), req("duration_seconds", pyFloat))),
	req("properties", object(req("cpu", object(
		req("architecture", pyStr), req("vendor", pyStr), opt("features", nullable(list(pyStr))))))),
	opt("active", pyBool),
)

// sdkCRN is CRN: hash, name and address are required strings; the flags
// Optional[bool] = False; version Optional[str] = "0.0.0";
// payment_receiver_address Optional[str] without default, so the key is
// required (pydantic 2) though it may be null.
var sdkCRN = object(
	req("hash", pyStr), req("name", pyStr), req("address", pyStr),
	opt("gpu_support", nullable(pyBool)), opt("confidential_support", nullable(pyBool)), opt("qemu_support", nullable(pyBool)),
	opt("version", nullable(pyStr)),
	req("payment_receiver_address", nullable(pyStr)),
	opt("system_usage", nullable(sdkSystemUsage)),
)

// SDKPython is aleph-sdk-python's reading of crns.json.
func SDKPython() Consumer {
	return Consumer{
		Name:   "aleph-sdk-python",
		Source: "aleph-im/aleph-sdk-python src/aleph/sdk/client/services/crn.py (CRN, CrnList.from_api, filter_crn), src/aleph/sdk/types.py (DictLikeModel)",
		List:   func(e Object) error { return sdkCRN(e) },
		Filters: []Filter{
			{"filter_crn()", func(Object) bool { return true }},
			{"filter_crn(latest_crn_version, ipv6, stream_address)", func(e Object) bool {
				return filterCRN(e, filterOptions{latestVersion: true, ipv6: true, streamAddress: true})
			}},
			{"filter_crn(gpu)", func(e Object) bool { return filterCRN(e, filterOptions{gpu: true}) }},
		},
	}
}

type filterOptions struct{ latestVersion, ipv6, streamAddress, confidential, gpu bool }

// sdkMinVersion is filter_crn's floor with latest_crn_version: "relax
// current filter to allow use aleph-vm versions since 1.5.1".
const sdkMinVersion = "1.5.1"

// filterCRN is CrnList.filter_crn, on an entry CRN accepted.
func filterCRN(e Object, o filterOptions) bool {
	if o.latestVersion {
		// (crn_.version or "0.0.0") < "1.5.1": Python compares the
		// strings, so "1.10.0" sorts before "1.5.1" and is dropped.
		v, _ := e["version"].(string)
		if v == "" {
			v = "0.0.0"
		}
		if strings.Compare(v, sdkMinVersion) < 0 {
			return false
		}
	}
	if o.ipv6 {
		v6, _ := e["ipv6_check"].(Object)
		if len(v6) == 0 {
			return false
		}
		for _, ok := range v6 {
			if !truthy(ok) {
				return false
			}
		}
	}
	if o.streamAddress {
		r, _ := e["payment_receiver_address"].(string)
		if extractValidEthAddress(r) == "" {
			return false
		}
	}
	if o.confidential && !truthy(e["confidential_support"]) {
		return false
	}
	if o.gpu && (!truthy(e["gpu_support"]) || !truthy(e["compatible_available_gpus"])) {
		return false
	}
	return true
}
