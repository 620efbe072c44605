package refresh

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestStatusJSON: the status's JSON form is /debug/task's (null before the
// first round, seconds, every key present; the keys in any order) and
// reads back as it was.
func TestStatusJSON(t *testing.T) {
	at := time.Date(2026, 11, 22, 14, 38, 0, 123456000, time.UTC)
	for _, c := range []struct {
		st   Status
		want string
	}{
		{Status{Mode: "background"}, `{"mode":"background","running":false,"round":0,"started":null,"finished":null,` +
			`"last_duration_seconds":null,"last_error":null,"settings_error":null,"nodes":0,"responsive":0,"probed":0,` +
			`"targets":0,"last_crn_version":null,"identity_mismatch":0,"identity_mismatch_nodes":[]}`},
		{Status{Mode: "on-demand", Running: true, Round: 7, Started: at, Finished: at.Add(time.Second),
			LastDuration: 1500 * time.Millisecond, LastError: "e", SettingsError: "s", Nodes: 12, Responsive: 9, Probed: 11,
			Targets: 12, LastCRNVersion: "1.14.0", IdentityMismatches: 2, IdentityMismatchHashes: []string{"a", "b"}},
			`{"mode":"on-demand","running":true,"round":7,"started":"2026-11-22T14:38:00.123456+00:00",` +
				`"finished":"2026-11-22T14:38:01.123456+00:00","last_duration_seconds":1.5,"last_error":"e",` +
				`"settings_error":"s","nodes":12,"responsive":9,"probed":11,"targets":12,"last_crn_version":"1.14.0",` +
				`"identity_mismatch":2,"identity_mismatch_nodes":["a","b"]}`},
	} {
		b, err := json.Marshal(c.st)
		var got, want map[string]any
		if err == nil {
			err = json.Unmarshal(b, &got)
		}
		if err := json.Unmarshal([]byte(c.want), &want); err != nil {
			t.Fatal(err)
		}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%+v written as\n%s (%v), want\n%s", c.st, b, err, c.want)
			continue
		}
		var back Status
		if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, c.st) {
			t.Errorf("%s read back as\n%+v (%v), want\n%+v", b, back, err, c.st)
		}
	}
}

// TestStatusJSONRefused: a status that cannot be read is an error, and
// the status read into is left as it was.
func TestStatusJSONRefused(t *testing.T) {
	for _, in := range []string{
		`{"started":"yesterday"}`,
		`{"finished":"2026-11-22 14:38:00"}`,
		`{"started":12}`,
		`{"last_duration_seconds":-1}`,
		`{"last_duration_seconds":1e300}`,
		`{"last_duration_seconds":"1"}`,
		`{"last_duration_us":"1"}`,
		`{"round":-1}`,
		`{"identity_mismatch_nodes":"a"}`,
		`{"identity_mismatch_hashes":{}}`,
		`[]`,
		`{"mode":"background"`,
	} {
		st := Status{Mode: "kept", Round: 4}
		if err := json.Unmarshal([]byte(in), &st); err == nil {
			t.Errorf("%s read as %+v", in, st)
		} else if st.Mode != "kept" || st.Round != 4 {
			t.Errorf("%s: %v, and the status changed: %+v", in, err, st)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: a multi-line error %q", in, err)
		}
	}
}
