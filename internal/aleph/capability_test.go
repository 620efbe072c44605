package aleph

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestNormalizeCapability(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"integers (later releases)",
			`{"cpu":{"architecture":"x86_64","vendor":"AuthenticAMD","features":["sev"],"model":"AMD EPYC 7443P 24-Core Processor","frequency":4035000000,"count":48},` +
				`"memory":{"size":270582939648,"units":"bytes","type":"DDR4","clock":3200000000,"clock_units":null},"tee":null}`,
			`{"cpu":{"architecture":"x86_64","count":48,"features":["sev"],"frequency":4035000000,"model":"AMD EPYC 7443P 24-Core Processor","vendor":"AuthenticAMD"},` +
				`"memory":{"clock":3200000000,"clock_units":null,"size":270582939648,"type":"DDR4","units":"bytes"},"tee":null}`},
		{"numbers as strings (the first models)",
			`{"cpu": {"architecture": "x86_64", "vendor": "GenuineIntel", "model": "Intel(R) Xeon(R) E-2386G", "frequency": "5100000000", "count": "12"}, ` +
				`"memory": {"size": "68719476736", "units": "bytes", "type": "DDR4", "clock": "", "clock_units": null}}`,
			`{"cpu":{"architecture":"x86_64","count":12,"features":[],"frequency":5100000000,"model":"Intel(R) Xeon(R) E-2386G","vendor":"GenuineIntel"},` +
				`"memory":{"clock":null,"clock_units":null,"size":68719476736,"type":"DDR4","units":"bytes"}}`},
		{"whole floats, a block missing, unknown keys kept",
			`{"cpu":{"frequency":3.4e9,"count":16.0,"cache":{"l3":3.2e7}},"extra":[1.5]}`,
			`{"cpu":{"architecture":null,"cache":{"l3":32000000},"count":16,"features":[],"frequency":3400000000,"model":null,"vendor":null},` +
				`"extra":[1.5],"memory":{"clock":null,"clock_units":null,"size":null,"type":null,"units":null}}`},
		{"null cpu, empty memory type, tee object",
			`{"cpu":null,"memory":{"size":1e10,"units":"bytes","type":"","clock":null},"tee":{"sev_snp":{"supported_vcpu_types":["EPYC-v4"]}}}`,
			`{"cpu":{"architecture":null,"count":null,"features":[],"frequency":null,"model":null,"vendor":null},` +
				`"memory":{"clock":null,"clock_units":null,"size":10000000000,"type":"","units":"bytes"},"tee":{"sev_snp":{"supported_vcpu_types":["EPYC-v4"]}}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := NormalizeCapability([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
			// Normalising again changes nothing: a warm restart has only this.
			again, err := NormalizeCapability(got)
			if err != nil || string(again) != string(got) {
				t.Errorf("not stable: %s (%v)", again, err)
			}
		})
	}
}

func TestNormalizeCapabilityRejects(t *testing.T) {
	tests := []struct{ body, wantErr string }{
		{`[]`, "not a JSON object"},
		{`"cpu"`, "not a JSON object"},
		{`{}`, "neither cpu nor memory"},
		{`{"cpu":null,"memory":null}`, "neither cpu nor memory"},
		{`{"cpu":{}} {}`, "data after"},
		{`{"cpu":"EPYC"}`, `cpu: want an object, got "EPYC"`},
		{`{"memory":[1]}`, "memory: want an object, got a list"},
		{`{"cpu":{"count":-1}}`, "cpu.count: want a whole number >= 0, got -1"},
		{`{"cpu":{"count":2.5}}`, "cpu.count: want a whole number >= 0, got 2.5"},
		{`{"cpu":{"frequency":"3.4 GHz"}}`, `cpu.frequency: want a whole number >= 0, got "3.4 GHz"`},
		{`{"cpu":{"frequency":"+34"}}`, `cpu.frequency`},
		{`{"cpu":{"frequency":"-34"}}`, `cpu.frequency`},
		{`{"cpu":{"frequency":" 34"}}`, `cpu.frequency`},
		{`{"cpu":{"frequency":"0x22"}}`, `cpu.frequency`},
		{`{"cpu":{"frequency":"99999999999999999999"}}`, `cpu.frequency`},
		{`{"cpu":{"frequency":99999999999999999999}}`, `cpu.frequency`},
		{`{"cpu":{"frequency":true}}`, `cpu.frequency: want a whole number >= 0, got true`},
		{`{"memory":{"size":{"v":1}}}`, `memory.size: want a whole number >= 0, got an object`},
		{`{"cpu":{"model":42}}`, "cpu.model: want a string, got 42"},
		{`{"memory":{"type":["DDR4"]}}`, "memory.type: want a string, got a list"},
		{`{"cpu":{"features":"sev"}}`, `cpu.features: want a list of strings, got "sev"`},
		{`{"cpu":{"features":["sev",1]}}`, "cpu.features: want a list of strings, got 1 in it"},
		{`{"cpu":` + strings.Repeat(`{"a":`, 70) + `1` + strings.Repeat(`}`, 71), "nest"},
		{`{"cpu":{`, "not JSON"},
	}
	for _, tc := range tests {
		_, err := NormalizeCapability([]byte(tc.body))
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%.60s: error %v, want one with %q", tc.body, err, tc.wantErr)
		}
	}
}

func FuzzNormalizeCapability(f *testing.F) {
	for _, s := range []string{
		`{"cpu":{"model":"x","frequency":"1","count":2.0},"memory":{"size":1e3,"type":""}}`,
		`{"cpu":null,"memory":{"clock":null}}`, `{"tee":{}}`, `[]`, `{"cpu":{"features":[null]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		out, err := NormalizeCapability(body)
		if err != nil {
			return
		}
		// What is published is valid JSON, normalises to itself, and its
		// known numbers are integers or null.
		var v struct {
			CPU    map[string]json.RawMessage `json:"cpu"`
			Memory map[string]json.RawMessage `json:"memory"`
		}
		if err := json.Unmarshal(out, &v); err != nil || v.CPU == nil || v.Memory == nil {
			t.Fatalf("%s -> %s (%v)", body, out, err)
		}
		for block, keys := range capabilityNumbers {
			m := map[string]map[string]json.RawMessage{"cpu": v.CPU, "memory": v.Memory}[block]
			for _, k := range keys {
				raw := string(m[k])
				if raw != "null" && strings.ContainsAny(raw, ".eE-\"") {
					t.Fatalf("%s.%s = %s in %s", block, k, raw, out)
				}
			}
		}
		if again, err := NormalizeCapability(out); err != nil || string(again) != string(out) {
			t.Fatalf("%s normalises to %s (%v)", out, again, err)
		}
	})
}
