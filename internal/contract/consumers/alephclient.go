package consumers

import (
	"fmt"
	"regexp"
)

// aleph-client (aleph-im/aleph-client): the CRN list comes from
// aleph-sdk-python's get_crns_list (so its list model applies first),
// then each entry is built with CRNInfo.from_unsanitized_input
// (src/aleph_client/models.py), and the choice offered is
// aleph-sdk-python's filter_crn. from_unsanitized_input reads keys with
// crn["..."] (a missing key raises), validates system_usage with the SDK's
// SystemUsage when it is truthy, and types the rest with pydantic.

// itemHash is aleph_message's ItemHash: 64 hex digits (a storage hash) or
// an IPFS CID.
var itemHash = regexp.MustCompile(`^([0-9a-fA-F]{64}|Qm[1-9A-HJ-NP-Za-km-z]{44}|b[a-z2-7]{58,})$`)

func pyItemHash(v any) error {
	s, ok := v.(string)
	if !ok || !itemHash.MatchString(s) {
		return fmt.Errorf("want an item hash, got %s", kind(v))
	}
	return nil
}

// clientCRNInfo is what from_unsanitized_input reads and CRNInfo types.
var clientCRNInfo = object(
	req("hash", pyItemHash), req("name", pyStr), req("owner", pyStr),
	req("address", anything), // sanitize_url: an invalid URL becomes ""
	req("version", nullable(pyStr)), req("parent", nullable(pyStr)), req("status", nullable(pyStr)),
	req("score", pyFloat), req("reward", pyStr),
	req("qemu_support", anything), req("confidential_support", anything), req("gpu_support", anything), // bool(...)
	req("terms_and_conditions", nullable(pyStr)),
	req("compatible_available_gpus", nullable(list(anything))),
)

func clientEntry(e Object) error {
	if err := clientCRNInfo(e); err != nil {
		return err
	}
	if u := e["system_usage"]; truthy(u) {
		if err := sdkSystemUsage(u); err != nil {
			return fmt.Errorf("system_usage: %w", err)
		}
	}
	return nil
}

// AlephClient is aleph-client's reading of crns.json.
func AlephClient() Consumer {
	return Consumer{
		Name: "aleph-client",
		Source: "aleph-im/aleph-client src/aleph_client/models.py (CRNInfo.from_unsanitized_input), " +
			"through aleph-sdk-python's get_crns_list and filter_crn",
		List:  func(e Object) error { return sdkCRN(e) },
		Entry: clientEntry,
		Filters: []Filter{
			{"filter_crn(latest_crn_version, ipv6, stream_address)", func(e Object) bool {
				return filterCRN(e, filterOptions{latestVersion: true, ipv6: true, streamAddress: true})
			}},
			{"filter_crn(latest_crn_version, ipv6, stream_address, gpu)", func(e Object) bool {
				return filterCRN(e, filterOptions{latestVersion: true, ipv6: true, streamAddress: true, gpu: true})
			}},
		},
	}
}
