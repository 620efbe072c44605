package aleph

import (
	"encoding/json"
	"strings"
	"testing"
)

// todaySettings lists 10de:2685 and 10de:27b0, but no longer 10de:1eb8
// (a card some nodes were told was compatible at boot).
var todaySettings = NewSettings([]GPU{
	{Name: "AD102 [GeForce RTX 4090 D]", Model: "RTX 4090", Vendor: "NVIDIA", DeviceID: "10de:2685"},
	{Name: "AD104GL [RTX 4000 SFF Ada Generation]", Model: "RTX 4000 ADA", Vendor: "NVIDIA", DeviceID: "10de:27b0"},
})

func TestJudgeGPU(t *testing.T) {
	const base = `"vendor":"NVIDIA","device_name":"NAME","device_class":"0300","pci_host":"01:00.0"`
	tests := []struct {
		name     string
		fields   string // the entry's model/compatible/device_id, as a node writes them
		settings *Settings
		model    string
		compat   bool
	}{
		{"before 1.4, listed", `"device_id":"10de:27b0"`, todaySettings, "RTX 4000 ADA", true},
		{"before 1.4, not listed", `"device_id":"10de:1eb8"`, todaySettings, "NAME", false},
		{"stale false, listed today", `"device_id":"10de:2685","compatible":false`, todaySettings, "RTX 4090", true},
		{"stale true, dropped today", `"device_id":"10de:1eb8","model":"Tesla T4","compatible":true`, todaySettings, "Tesla T4", false},
		{"model null", `"device_id":"8086:3e92","model":null,"compatible":false`, todaySettings, "NAME", false},
		{"model null, listed", `"device_id":"10de:27b0","model":null,"compatible":false`, todaySettings, "RTX 4000 ADA", true},
		{"model of another type", `"device_id":"8086:3e92","model":7,"compatible":"no"`, todaySettings, "NAME", false},
		{"no settings, node says compatible", `"device_id":"10de:1eb8","model":null,"compatible":true`, nil, "NAME", true},
		{"no settings, node says nothing", `"device_id":"10de:27b0"`, nil, "NAME", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entry := `{` + base + `,` + tt.fields + `}`
			body := strings.Replace(goodUsage, `"available_devices":null`, `"available_devices":[`+entry+`]`, 1)
			body = strings.Replace(body, `"devices":[`, `"devices":[`+entry+`,`, 1)
			u, err := NormalizeUsage([]byte(body), tt.settings)
			if err != nil {
				t.Fatal(err)
			}
			var got struct {
				GPU struct{ Devices []map[string]any } `json:"gpu"`
			}
			if err := json.Unmarshal(u.JSON, &got); err != nil {
				t.Fatal(err)
			}
			d := got.GPU.Devices[0]
			if d["model"] != tt.model || d["compatible"] != tt.compat {
				t.Errorf("verdict model=%v compatible=%v, want %q %v", d["model"], d["compatible"], tt.model, tt.compat)
			}
			for _, e := range got.GPU.Devices {
				if _, ok := e["model"].(string); !ok {
					t.Errorf("entry without a string model: %v", e)
				}
				if _, ok := e["compatible"].(bool); !ok {
					t.Errorf("entry without a boolean compatible: %v", e)
				}
			}
			// Both lists follow the verdict: the entry is the only one of
			// available_devices.
			wantAvail := "[]"
			if tt.compat {
				wantAvail = "[" + string(encode(d)) + "]"
			}
			if string(u.CompatibleAvailable) != wantAvail {
				t.Errorf("compatible_available_gpus = %s, want %s", u.CompatibleAvailable, wantAvail)
			}
			if strings.Contains(string(u.Compatible), `"pci_host":"01:00.0"`) != tt.compat {
				t.Errorf("compatible_gpus = %s, want the entry listed: %v", u.Compatible, tt.compat)
			}
		})
	}
}

// Usage bodies as each aleph-vm era writes them. pydantic v1 releases
// (before 1.5) write through json.dumps, with spaces, whole floats as 60.0
// and times with +00:00; pydantic v2 releases write compactly, with Z.
var eraUsages = map[string]string{
	"0.4 (no gpu key)": `{"cpu": {"count": 8, "load_average": {"load1": 0.5, "load5": 0.25, "load15": 0.125}, ` +
		`"core_frequencies": {"min": 1200.0, "max": 3400.0}}, "mem": {"total_kB": 32768000, "available_kB": 1000}, ` +
		`"disk": {"total_kB": 500000000, "available_kB": 2000}, "period": {"start_timestamp": "2026-11-22T14:38:00+00:00", ` +
		`"duration_seconds": 60.0}, "properties": {"cpu": {"architecture": "x86_64", "vendor": "GenuineIntel"}}, "active": true}`,
	"1.3 (devices without model or compatible)": `{"cpu": {"count": 8, "load_average": {"load1": 0.5, "load5": 0.25, "load15": 0.125}, ` +
		`"core_frequencies": {"min": 1200.0, "max": 3400.0}}, "mem": {"total_kB": 32768000, "available_kB": 1000}, ` +
		`"disk": {"total_kB": 500000000, "available_kB": 2000}, "period": {"start_timestamp": "2026-11-22T14:38:00+00:00", ` +
		`"duration_seconds": 60.0}, "properties": {"cpu": {"architecture": "x86_64", "vendor": "AuthenticAMD", "features": ["sev"]}}, ` +
		`"gpu": {"devices": [{"vendor": "NVIDIA", "device_name": "AD104GL [RTX 4000 SFF Ada Generation]", "device_class": "0300", ` +
		`"pci_host": "01:00.0", "device_id": "10de:27b0"}], "available_devices": [{"vendor": "NVIDIA", "device_name": ` +
		`"AD104GL [RTX 4000 SFF Ada Generation]", "device_class": "0300", "pci_host": "01:00.0", "device_id": "10de:27b0"}]}, "active": true}`,
	"1.4 (gpu {} from exclude_none)": `{"cpu": {"count": 8, "load_average": {"load1": 0.5, "load5": 0.25, "load15": 0.125}, ` +
		`"core_frequencies": {"min": 1200.0, "max": 3400.0}}, "mem": {"total_kB": 32768000, "available_kB": 1000}, ` +
		`"disk": {"total_kB": 500000000, "available_kB": 2000}, "period": {"start_timestamp": "2026-11-22T14:38:00+00:00", ` +
		`"duration_seconds": 60.0}, "properties": {"cpu": {"architecture": "x86_64", "vendor": "GenuineIntel"}}, "gpu": {}, "active": true}`,
	"1.5 (pydantic v2)": `{"cpu":{"count":16,"load_average":{"load1":1.0,"load5":0.0,"load15":2.5},` +
		`"core_frequencies":{"min":800.0,"max":3000.0}},"mem":{"total_kB":65536000,"available_kB":1000},` +
		`"disk":{"total_kB":1000000000,"available_kB":2000},"period":{"start_timestamp":"2026-11-22T14:38:00Z",` +
		`"duration_seconds":60.0},"properties":{"cpu":{"architecture":"x86_64","vendor":"AuthenticAMD","features":["sev","sev_es"]}},` +
		`"gpu":{"devices":[{"vendor":"NVIDIA","device_name":"AD102 [GeForce RTX 4090 D]","device_class":"0300","pci_host":"01:00.0",` +
		`"device_id":"10de:2685","compatible":false}],"available_devices":[]},"active":true}`,
	"no active": `{"cpu":{"count":16,"load_average":{"load1":1.0,"load5":0.0,"load15":2.5},` +
		`"core_frequencies":{"min":800.0,"max":3000.0}},"mem":{"total_kB":65536000,"available_kB":1000},` +
		`"disk":{"total_kB":1000000000,"available_kB":2000},"period":{"start_timestamp":"2026-11-22T14:38:00Z",` +
		`"duration_seconds":60},"properties":{"cpu":{"architecture":"x86_64","vendor":"AuthenticAMD"}}}`,
}

func TestNormalizeUsageOfEveryEra(t *testing.T) {
	// Keys come out sorted.
	want := map[string][]string{
		"0.4 (no gpu key)": {`"gpu":{"available_devices":[],"devices":[]}`, `"start_timestamp":"2026-11-22T14:38:00+00:00"`,
			`"duration_seconds":60,`, `"min":1200}`, `"features":[]`, `"active":true`},
		"1.3 (devices without model or compatible)": {`"model":"RTX 4000 ADA"`, `"compatible":true`},
		"1.4 (gpu {} from exclude_none)":            {`"gpu":{"available_devices":[],"devices":[]}`},
		"1.5 (pydantic v2)": {`"start_timestamp":"2026-11-22T14:38:00Z"`, `"duration_seconds":60,`, `"load1":1,`,
			`"min":800}`, `"model":"RTX 4090"`, `"compatible":true`},
		"no active": {`"active":true`, `"gpu":{"available_devices":[],"devices":[]}`},
	}
	for era, body := range eraUsages {
		t.Run(era, func(t *testing.T) {
			u, err := NormalizeUsage([]byte(body), todaySettings)
			if err != nil {
				t.Fatalf("a valid usage of its era refused: %v", err)
			}
			for _, w := range want[era] {
				if !strings.Contains(string(u.JSON), w) {
					t.Errorf("normalised usage lacks %s:\n%s", w, u.JSON)
				}
			}
			gpus := strings.Contains(body, `"device_id"`)
			if gpus != (string(u.Compatible) != "[]") {
				t.Errorf("compatible_gpus = %s", u.Compatible)
			}
		})
	}
}
