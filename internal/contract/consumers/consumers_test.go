package consumers

import (
	"encoding/json"
	"strings"
	"testing"
)

// goodEntry is a CRN as the service writes it, every consumer's keys set.
const goodEntry = `{"hash":"5b1d8a2c9e47f0d3b6a18c2e94f7d05a3c6b8e1f2d4a7c9b0e3f5a8d1c2b4e6f","name":"crn",` +
	`"owner":"0x4D52380D3191274a04846c89c069E6C3F2Ed94e4","reward":"0x4D52380D3191274a04846c89c069E6C3F2Ed94e4",` +
	`"parent":null,"status":"linked","locked":false,"score_updated":true,"terms_and_conditions":"",` +
	`"time":1717603200.123,"type":"compute","decentralization":0.85,"performance":0.87,` +
	`"stream_reward":"0x4D52380D3191274a04846c89c069E6C3F2Ed94e4",` +
	`"address":"https://crn.example.org","score":0.96,"inactive_since":null,"config_from_crn":true,` +
	`"version":"1.7.2","payment_receiver_address":"0x4D52380D3191274a04846c89c069E6C3F2Ed94e4",` +
	`"gpu_support":true,"confidential_support":false,"qemu_support":true,"node_hash":null,` +
	`"system_usage":{"cpu":{"count":20,"load_average":{"load1":0.3,"load5":0.3,"load15":0.3},"core_frequencies":{"min":800,"max":4280}},` +
	`"mem":{"total_kB":67219530,"available_kB":61972037},"disk":{"total_kB":1853812338,"available_kB":1320664518},` +
	`"period":{"start_timestamp":"2026-11-22T14:38:00Z","duration_seconds":60},` +
	`"properties":{"cpu":{"architecture":"x86_64","vendor":"GenuineIntel","features":[]}},` +
	`"gpu":{"devices":[],"available_devices":[]},"active":true},` +
	`"compatible_gpus":[],"compatible_available_gpus":[{"vendor":"NVIDIA","model":"RTX 4000 ADA","device_name":"AD104GL",` +
	`"device_class":"0300","pci_host":"01:00.0","device_id":"10de:27b0","compatible":true}],` +
	`"ipv6_check":{"host":true,"vm":true},"x_unknown":{"nested":[1]}}`

// doc builds a crns.json of the good entry and one changed by edit.
func doc(t *testing.T, edit func(e map[string]any)) []byte {
	t.Helper()
	var good, bad map[string]any
	if err := json.Unmarshal([]byte(goodEntry), &good); err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal([]byte(goodEntry), &bad)
	bad["hash"] = "6b1d8a2c9e47f0d3b6a18c2e94f7d05a3c6b8e1f2d4a7c9b0e3f5a8d1c2b4e6f"
	edit(bad)
	b, err := json.Marshal(map[string]any{"last_refresh": nil, "crns": []any{good, bad}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestConsumersRules: each consumer's verdict on one changed entry beside
// a good one: "ok" (both built), "entry" (the changed one lost alone),
// "list" (the whole list fails).
func TestConsumersRules(t *testing.T) {
	usage := func(e map[string]any) map[string]any { return e["system_usage"].(map[string]any) }
	cpuProps := func(e map[string]any) map[string]any {
		return usage(e)["properties"].(map[string]any)["cpu"].(map[string]any)
	}
	tests := []struct {
		name string
		edit func(e map[string]any)
		want map[string]string // by consumer
	}{
		{"unchanged", func(map[string]any) {},
			map[string]string{"aleph-sdk-python": "ok", "aleph-rs": "ok", "console": "ok", "aleph-client": "ok"}},
		{`locked ""`, func(e map[string]any) { e["locked"] = "" },
			map[string]string{"aleph-sdk-python": "ok", "aleph-rs": "ok", "console": "entry", "aleph-client": "ok"}},
		{"locked null", func(e map[string]any) { e["locked"] = nil },
			map[string]string{"aleph-sdk-python": "ok", "aleph-rs": "ok", "console": "entry", "aleph-client": "ok"}},
		{"architecture missing", func(e map[string]any) { delete(cpuProps(e), "architecture") },
			map[string]string{"aleph-sdk-python": "list", "aleph-rs": "ok", "console": "entry", "aleph-client": "list"}},
		{"system_usage null", func(e map[string]any) { e["system_usage"] = nil },
			map[string]string{"aleph-sdk-python": "ok", "aleph-rs": "ok", "console": "entry", "aleph-client": "ok"}},
		{"cpu count 20.0", func(e map[string]any) { usage(e)["cpu"].(map[string]any)["count"] = json.Number("20.0") },
			map[string]string{"aleph-sdk-python": "ok", "aleph-rs": "list", "console": "ok", "aleph-client": "ok"}},
		{"payment_receiver_address missing", func(e map[string]any) { delete(e, "payment_receiver_address") },
			map[string]string{"aleph-sdk-python": "list", "aleph-rs": "ok", "console": "ok", "aleph-client": "list"}},
		{"name a number", func(e map[string]any) { e["name"] = 7 },
			map[string]string{"aleph-sdk-python": "list", "aleph-rs": "list", "console": "entry", "aleph-client": "list"}},
		{"owner missing", func(e map[string]any) { delete(e, "owner") },
			map[string]string{"aleph-sdk-python": "ok", "aleph-rs": "ok", "console": "entry", "aleph-client": "entry"}},
		{"gpu model null", func(e map[string]any) {
			e["compatible_available_gpus"].([]any)[0].(map[string]any)["model"] = nil
		}, map[string]string{"aleph-sdk-python": "ok", "aleph-rs": "list", "console": "entry", "aleph-client": "ok"}},
		{"qemu_support null", func(e map[string]any) { e["qemu_support"] = nil },
			map[string]string{"aleph-sdk-python": "ok", "aleph-rs": "ok", "console": "entry", "aleph-client": "ok"}},
		{"score_updated missing", func(e map[string]any) { delete(e, "score_updated") },
			map[string]string{"aleph-sdk-python": "ok", "aleph-rs": "ok", "console": "entry", "aleph-client": "ok"}},
		{"unknown keys everywhere", func(e map[string]any) {
			e["capability"] = map[string]any{"x": 1}
			usage(e)["extra"] = true
			usage(e)["cpu"].(map[string]any)["extra"] = "s"
		}, map[string]string{"aleph-sdk-python": "ok", "aleph-rs": "ok", "console": "ok", "aleph-client": "ok"}},
	}
	for _, tt := range tests {
		body := doc(t, tt.edit)
		for _, c := range All() {
			v, err := Judge(c, body)
			if err != nil {
				t.Fatal(err)
			}
			got := "ok"
			if c.Name == "console" {
				// The console lists every entry; nodeSpecsSchema refuses the
				// changed one once picked.
				if v.Built != 2 || v.Selected[ConsoleOffered] < 1 || v.Selected[ConsoleAccepted] < 1 {
					t.Errorf("%s, console: the good entry is not offered and accepted: %+v", tt.name, v.Selected)
				}
				var bad Object
				dec := json.NewDecoder(strings.NewReader(string(body)))
				dec.UseNumber()
				var d struct{ CRNs []Object }
				if err := dec.Decode(&d); err != nil {
					t.Fatal(err)
				}
				bad = d.CRNs[1]
				if ConsoleRefusal(bad) != nil {
					got = "entry"
				}
			}
			switch {
			case !v.ListOK:
				got = "list"
			case v.Built == 1:
				got = "entry"
			case v.Built != 2:
				got = "?"
			}
			if got != tt.want[c.Name] {
				t.Errorf("%s, %s: %s, want %s%s", tt.name, c.Name, got, tt.want[c.Name], v.Reasons())
			}
		}
	}
}

// TestConsumersFilters checks the filters on entries built to pass or
// fail each of their conditions.
func TestConsumersFilters(t *testing.T) {
	var e Object
	dec := json.NewDecoder(strings.NewReader(goodEntry))
	dec.UseNumber()
	if err := dec.Decode(&e); err != nil {
		t.Fatal(err)
	}
	if !filterCRN(e, filterOptions{latestVersion: true, ipv6: true, streamAddress: true, gpu: true}) {
		t.Error("filter_crn drops a recent node with IPv6, a receiver and a GPU")
	}
	for _, tt := range []struct {
		key  string
		val  any
		opts filterOptions
	}{
		{"version", "1.5.0", filterOptions{latestVersion: true}},
		{"version", "1.10.0", filterOptions{latestVersion: true}}, // compared as strings, as Python does
		{"version", nil, filterOptions{latestVersion: true}},
		{"ipv6_check", Object{"host": true, "vm": false}, filterOptions{ipv6: true}},
		{"payment_receiver_address", "0xabc", filterOptions{streamAddress: true}},
		{"gpu_support", false, filterOptions{gpu: true}},
		{"compatible_available_gpus", []any{}, filterOptions{gpu: true}},
	} {
		was := e[tt.key]
		e[tt.key] = tt.val
		if filterCRN(e, tt.opts) {
			t.Errorf("filter_crn keeps %s = %v", tt.key, tt.val)
		}
		e[tt.key] = was
	}
	if !rsMatches(e, rsFilter{minVCPUs: 20, ipv6: true, gpu: true, gpuIDs: []string{"10DE:27B0"}}) {
		t.Error("matches_filter drops a matching node")
	}
	if rsMatches(e, rsFilter{minVCPUs: 21}) || rsMatches(e, rsFilter{gpu: true, gpuIDs: []string{"10de:2204"}}) {
		t.Error("matches_filter keeps a node short of a requirement")
	}
	e["system_usage"] = nil
	if rsMatches(e, rsFilter{minVCPUs: 1}) {
		t.Error("matches_filter keeps a node without usage under a resource filter")
	}
	for v, want := range map[string]float64{"1.1.0": 1001000, "1.3.0-41-g7303587": 1003000 + 417303587,
		"1.6.0-rc1": 1006001, "version-unavailable": 0, "v1.14.0": 1014000} {
		if got := consoleVersionNumber(v); got != want {
			t.Errorf("getVersionNumber(%q) = %v, want %v", v, got, want)
		}
	}
	var c Object
	dec = json.NewDecoder(strings.NewReader(goodEntry))
	dec.UseNumber()
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	if !consoleOffered(consoleSpread(c)) || ConsoleRefusal(c) != nil {
		t.Errorf("the console does not offer and accept a good node: %v", ConsoleRefusal(c))
	}
	for _, tt := range []struct {
		key string
		val any
	}{
		{"stream_reward", ""}, {"version", "1.0.9"}, {"version", "version-unavailable"}, {"system_usage", nil},
		{"ipv6_check", Object{"host": true, "vm": false}},
	} {
		was := c[tt.key]
		c[tt.key] = tt.val
		if consoleOffered(consoleSpread(c)) {
			t.Errorf("the console offers a node with %s = %v", tt.key, tt.val)
		}
		c[tt.key] = was
	}
	c["system_usage"].(Object)["mem"].(Object)["available_kB"] = json.Number("2000000") // under 2 GiB
	if consoleOffered(consoleSpread(c)) {
		t.Error("the console offers a node short of the smallest tier's RAM")
	}
	if !strings.Contains(AlephRS().Source, "crns_list.rs") {
		t.Error("the aleph-rs rules do not cite their file")
	}
}
