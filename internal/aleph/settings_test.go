package aleph

import "testing"

func TestParseSettingsKeepsLastCRNVersion(t *testing.T) {
	for body, want := range map[string]string{
		`{"data":{"settings":{"compatible_gpus":[],"last_crn_version":"1.7.2","community_wallet_timestamp":1739996239}}}`: "1.7.2",
		`{"data":{"settings":{"compatible_gpus":[]}}}`:                                                                    "",
		`{"data":{"settings":{"compatible_gpus":[],"last_crn_version":172}}}`:                                             "",
	} {
		s, err := ParseSettings([]byte(body))
		if err != nil || s.LastCRNVersion != want {
			t.Errorf("%s: last_crn_version %q (%v), want %q", body, s.LastCRNVersion, err, want)
		}
	}
}

// TestParseSettingsRefusesBadText: a GPU list whose text would decode to
// U+FFFD is refused, naming the field, so that the last good list stays
// and no model the owner never wrote is published; a bad
// last_crn_version is ignored.
func TestParseSettingsRefusesBadText(t *testing.T) {
	for body, want := range map[string]string{
		`{"data":{"settings":{"compatible_gpus":[{"model":"RTX 4090","device_id":"10de:2684"},{"model":"L40` + "\xff" + `","device_id":"10de:26b9"}]}}}`: "decode settings aggregate: compatible_gpus field [1].model: invalid UTF-8",
		`{"data":{"settings":{"compatible_gpus":[{"name":"\udc00","device_id":"10de:2684"}]}}}`:                                                          `decode settings aggregate: compatible_gpus field [0].name: unpaired surrogate \udc00`,
		`{"data":{"settings":{"compatible_gpus":null}}}`:                                                                                                 "decode settings aggregate: no data.settings.compatible_gpus list",
	} {
		if _, err := ParseSettings([]byte(body)); err == nil || err.Error() != want {
			t.Errorf("%s: %v, want %q", body, err, want)
		}
	}
	s, err := ParseSettings([]byte(`{"data":{"settings":{"compatible_gpus":[{"model":"H100","device_id":"10de:2331"}],"last_crn_version":"1.7` + "\xc0\xaf" + `"}}}`))
	if err != nil || s.LastCRNVersion != "" || s.Lookup("10de:2331") == nil {
		t.Errorf("a bad last_crn_version: %v, %q", err, s.LastCRNVersion)
	}
}
