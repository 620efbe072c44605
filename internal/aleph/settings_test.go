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
