package simfleet

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestEraAnswers checks that each era's node answers in its release's
// shape, as aleph-vm's models write it.
func TestEraAnswers(t *testing.T) {
	f := start(t, Options{Nodes: 30, Seed: 4, Eras: true, Failing: 0.2, GPU: 0.3, OldVersion: 0.3})
	c := newClient(t)
	seen := map[string]int{}
	for _, n := range f.Nodes() {
		if n.Era == "" {
			continue
		}
		seen[n.Era]++
		if n.Kind != KindOK {
			t.Errorf("era %s on a %s node", n.Era, n.Kind)
		}
		_, _, cfg := get(t, c, base(n)+"/status/config")
		_, _, usage := get(t, c, base(n)+"/about/usage/system")
		var top map[string]json.RawMessage
		if json.Unmarshal(cfg, &top) != nil || !json.Valid(usage) {
			t.Fatalf("era %s: config %s, usage %s", n.Era, cfg, usage)
		}
		if string(top["version"]) != `"`+n.Version+`"` {
			t.Errorf("era %s: version %s, want %s", n.Era, top["version"], n.Version)
		}
		has := func(body []byte, s string) bool { return strings.Contains(string(body), s) }
		// Python's json.dumps spacing for the config of every era, and for
		// the usage of pydantic 1 releases.
		if !has(cfg, `, "version": `) {
			t.Errorf("era %s: config not spaced as json.dumps writes it: %.80s", n.Era, cfg)
		}
		checks := map[string][]bool{
			"0.4": {top["computing"] == nil, has(cfg, `"PAYMENT_SUPER_TOKEN": `), has(cfg, `"PAYMENT_CHAIN_ID": 43114`),
				!has(cfg, "AVAILABLE_PAYMENTS"), !has(usage, `"gpu"`), has(usage, `"start_timestamp": "2026-11-22T14:38:00+00:00"`)},
			"1.3": {top["computing"] != nil, !has(cfg, "ENABLE_GPU_SUPPORT"), has(cfg, `"CHECK_FASTAPI_VM_ID": "`+n.VMID+`"`),
				has(usage, `"device_id": "10de:27b0"`), !has(usage, `"model"`), !has(usage, `"compatible"`)},
			"1.4": {has(cfg, `"ENABLE_GPU_SUPPORT": true`), has(usage, `"model": "RTX 4090"`),
				has(usage, `{"vendor": "Intel", "device_name": `), has(usage, `"compatible": false`)},
			"1.5": {has(usage, `"start_timestamp":"2026-11-22T14:38:00Z"`), has(usage, `"duration_seconds":60.0`),
				has(usage, `"min":800.0`), has(usage, `"device_name":"AD102 [GeForce RTX 4090 D]","device_class":"0300","pci_host":"02:00.0","device_id":"10de:2685","compatible":false`)},
			"prerelease":     {has(usage, `"gpu":{"devices":[],"available_devices":[]}`)},
			"diagnostic-503": {n.IPv6Host == false},
			"model-null":     {has(usage, `"model":null`), has(usage, `"model":"H100"`)},
			"1.11": {has(cfg, `"PAYMENT_RECEIVER_ADDRESS": null`), has(cfg, `"node_hash": "`+n.Hash+`"`),
				has(usage, `"model":"Tesla T4"`), has(cfg, `"ENABLE_CONFIDENTIAL_COMPUTING": true`)},
			"version-unavailable": {!n.IPv6Host, n.IPv6VM},
			"1.14": {has(cfg, `"node_hash": "`+n.Hash+`"`), has(cfg, `"version": "1.14.0"`),
				has(usage, `"architecture":"x86_64","vendor":"AuthenticAMD"`), has(usage, `"model":"H100"`)},
			"unknown-arch": {has(cfg, `"node_hash": null`), !has(usage, `"architecture"`),
				has(usage, `"properties":{"cpu":{"vendor":"ARM"}}`)},
			"node-hash-mismatch": {has(cfg, `"node_hash": "`+ForeignNodeHash+`"`), ForeignNodeHash != n.Hash},
		}[n.Era]
		if checks == nil {
			t.Errorf("era %s has no checks", n.Era)
		}
		for i, ok := range checks {
			if !ok {
				t.Errorf("era %s: check %d fails; config %s\nusage %s", n.Era, i, cfg, usage)
			}
		}
		// The IPv6 route the release has.
		checkStatus, _, check := get(t, c, base(n)+"/status/check/ipv6")
		vmStatus, _, vm := get(t, c, base(n)+"/vm/"+n.VMID+"/ip/6")
		switch {
		case n.Era == "diagnostic-503":
			if vmStatus != 503 || !has(vm, `"result": false`) || !has(vm, `"failures"`) || checkStatus != 404 {
				t.Errorf("era %s: /ip/6 %d %s", n.Era, vmStatus, vm)
			}
		case f.nodes[n.Index].legacy():
			if vmStatus != 200 || checkStatus != 404 {
				t.Errorf("era %s: /ip/6 %d, /status/check/ipv6 %d", n.Era, vmStatus, checkStatus)
			}
		default:
			if vmStatus != 404 || checkStatus != 200 || !has(check, `"host":`) {
				t.Errorf("era %s: /ip/6 %d, /status/check/ipv6 %d %s", n.Era, vmStatus, checkStatus, check)
			}
		}
	}
	for _, e := range EraNames() {
		if seen[e] != 1 {
			t.Errorf("era %s: %d nodes, want 1", e, seen[e])
		}
	}
	plain := start(t, Options{Nodes: 30, Seed: 4})
	for _, n := range plain.Nodes() {
		if n.Era != "" {
			t.Errorf("a fleet without Eras has a node of era %s", n.Era)
		}
	}
}

// TestEraFleetSpellsLocked: an eras fleet's registry holds "locked" in
// every spelling of LockedSpellings, the missing key included, and each
// node says which.
func TestEraFleetSpellsLocked(t *testing.T) {
	f := start(t, Options{Nodes: 30, Seed: 4, Eras: true})
	_, _, body := get(t, newClient(t), f.APIURL()+"/api/v0/aggregates/"+RegistryAddress+".json?keys=corechannel")
	var doc struct {
		Data struct {
			Corechannel struct {
				ResourceNodes []map[string]json.RawMessage `json:"resource_nodes"`
			} `json:"corechannel"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	byHash := map[string]Node{}
	for _, n := range f.Nodes() {
		byHash[n.Hash] = n
	}
	seen := map[string]int{}
	for _, e := range doc.Data.Corechannel.ResourceNodes {
		var hash string
		_ = json.Unmarshal(e["hash"], &hash)
		v, ok := e["locked"]
		got := string(v)
		if !ok {
			got = ""
		}
		if want := byHash[hash].Locked; got != want {
			t.Errorf("node %s: registry locked %q, node says %q", hash, got, want)
		}
		if !ok {
			got = "(missing)"
		}
		seen[got]++
	}
	for _, s := range []string{`""`, `null`, `"false"`, `"true"`, `"1"`, `"0"`, "(missing)", "true", "false"} {
		if seen[s] == 0 {
			t.Errorf("no registry entry has locked %s: %v", s, seen)
		}
	}
}
