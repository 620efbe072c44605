package refresh

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"nodelist/internal/config"
	"nodelist/internal/contract"
	"nodelist/internal/probe"
	"nodelist/internal/simfleet"
	"nodelist/internal/snapshot"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files of testdata/eras")

// verdict is what the service must write of one GPU entry: judged against
// today's settings (simfleet.TodayGPUs), not the node's boot-time verdict.
type verdict struct {
	ID, Model  string
	Compatible bool
}

// eraWant is what the service must list for one era's node.
type eraWant struct {
	version            string
	gpu, conf, qemu    *bool
	receiver           *string
	host, vm           bool
	devices, available []verdict
	// nodeHash: the config's node_hash is the node's own hash ("own"),
	// simfleet.ForeignNodeHash ("foreign"), or absent or null ("").
	nodeHash string
	// arch and vendor are properties.cpu's; "" for x86_64 and AuthenticAMD.
	arch, vendor string
}

func ptr[T any](v T) *T { return &v }

const uhd630 = "CoffeeLake-S GT2 [UHD Graphics 630]"

// eraWants is written from aleph-vm's releases and today's settings, not
// from the fleet's code: each line is what a client must read.
var eraWants = map[string]eraWant{
	"0.4": {version: "0.4.1", receiver: ptr("0x7D6a8b4D2f3c1E9a0B5c6d7E8f9A0b1C2d3E4f5A"), host: true, vm: true},
	"1.3": {version: "1.3.0-41-g7303587", conf: ptr(false), qemu: ptr(true),
		receiver: ptr("0x2B5AD5c4795c026514f8317c7a215E218DcCD6cF"), host: true, vm: true,
		devices:   []verdict{{"10de:27b0", "RTX 4000 ADA", true}, {"8086:3e92", uhd630, false}},
		available: []verdict{{"10de:27b0", "RTX 4000 ADA", true}}},
	"1.4": {version: "1.4.0", gpu: ptr(true), conf: ptr(false), qemu: ptr(true),
		receiver:  ptr("0x9f1E2d3C4b5A69788796a5B4c3D2e1F0a9B8c7D6"),
		devices:   []verdict{{"10de:2684", "RTX 4090", true}, {"8086:3e92", uhd630, false}},
		available: []verdict{{"10de:2684", "RTX 4090", true}, {"8086:3e92", uhd630, false}}},
	"1.5": {version: "1.5.1", gpu: ptr(true), conf: ptr(false), qemu: ptr(true),
		receiver: ptr("0x4c3B2a1908F7e6D5c4B3a29180f7E6d5C4b3A291"), host: true, vm: true,
		devices:   []verdict{{"10de:2685", "RTX 4090", true}, {"10de:26b9", "L40S", true}},
		available: []verdict{{"10de:2685", "RTX 4090", true}}},
	"prerelease": {version: "1.6.0-rc1", gpu: ptr(false), conf: ptr(false), qemu: ptr(true),
		receiver: ptr(""), host: true, vm: true},
	"diagnostic-503": {version: "1.8.1", gpu: ptr(false), conf: ptr(false), qemu: ptr(true),
		receiver: ptr("0x5E6f7A8b9C0d1E2f3A4b5C6d7E8f9A0b1C2d3E4f")},
	"model-null": {version: "1.10.0", gpu: ptr(true), conf: ptr(false), qemu: ptr(true),
		receiver: ptr("0x0A1b2C3d4E5f6A7b8C9d0E1f2A3b4C5d6E7f8A9b"), host: true,
		devices:   []verdict{{"10de:2331", "H100", true}, {"1002:744c", "Navi 31 [Radeon RX 7900 XTX]", false}},
		available: []verdict{{"1002:744c", "Navi 31 [Radeon RX 7900 XTX]", false}}},
	"1.11": {version: "1.11.0", gpu: ptr(true), conf: ptr(true), qemu: ptr(true), host: true, vm: true, nodeHash: "own",
		devices:   []verdict{{"10de:1eb8", "Tesla T4", false}, {"10de:2684", "RTX 4090", true}},
		available: []verdict{{"10de:1eb8", "Tesla T4", false}, {"10de:2684", "RTX 4090", true}}},
	"version-unavailable": {version: "version-unavailable", gpu: ptr(false), conf: ptr(false), qemu: ptr(true),
		receiver: ptr("0x3D4e5F6a7B8c9D0e1F2a3B4c5D6e7F8a9B0c1D2e"), vm: true},
	"1.14": {version: "1.14.0", gpu: ptr(true), conf: ptr(true), qemu: ptr(true), host: true, vm: true, nodeHash: "own",
		receiver:  ptr("0x6F7a8B9c0D1e2F3a4B5c6D7e8F9a0B1c2D3e4F5a"),
		devices:   []verdict{{"10de:2331", "H100", true}},
		available: []verdict{{"10de:2331", "H100", true}}},
	// A CPU aleph-vm does not name: the usage is kept, architecture "unknown".
	"unknown-arch": {version: "1.14.0", gpu: ptr(false), conf: ptr(false), qemu: ptr(true), host: true, vm: true,
		receiver: ptr("0x7A8b9C0d1E2f3A4b5C6d7E8f9A0b1C2d3E4f5A6b"), arch: "unknown", vendor: "ARM"},
	// Listed as before, flagged as serving another node's config.
	"node-hash-mismatch": {version: "1.14.0", gpu: ptr(false), conf: ptr(false), qemu: ptr(true), host: true, vm: true,
		receiver: ptr("0x8B9c0D1e2F3a4B5c6D7e8F9a0B1c2D3e4F5a6B7c"), nodeHash: "foreign"},
}

// eraCRN is the part of a served CRN the era tests read.
type eraCRN struct {
	crn
	Confidential *bool           `json:"confidential_support"`
	QEMU         *bool           `json:"qemu_support"`
	NodeHash     *string         `json:"node_hash"`
	Locked       json.RawMessage `json:"locked"`
	Usage        *struct {
		GPU struct {
			Devices   []verdict `json:"devices"`
			Available []verdict `json:"available_devices"`
		} `json:"gpu"`
		Properties struct {
			CPU struct{ Architecture, Vendor string }
		} `json:"properties"`
	} `json:"system_usage"`
}

func (v *verdict) UnmarshalJSON(b []byte) error {
	var d struct {
		DeviceID   string `json:"device_id"`
		Model      string `json:"model"`
		Compatible bool   `json:"compatible"`
	}
	err := json.Unmarshal(b, &d)
	*v = verdict{d.DeviceID, d.Model, d.Compatible}
	return err
}

// eraFleet runs one round against a fleet with every era beside ordinary
// nodes (36 of 60 with GPUs, some with a null model) and returns it.
func eraFleet(t *testing.T) (*simfleet.Fleet, *Refresher, *Round) {
	t.Helper()
	f := startFleet(t, simfleet.Options{Nodes: 60, Seed: 21, Eras: true, GPU: 0.6, OldVersion: 0.4, Inactive: 0.1})
	var rounds []*Round
	r := newRefresher(t, f, 2*time.Second, func(rd *Round) { rounds = append(rounds, rd) })
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	return f, r, rounds[0]
}

// TestEveryEraListed checks what the service lists for each era's node,
// field by field, and that no valid answer of any node is recorded as an
// error or dropped.
func TestEveryEraListed(t *testing.T) {
	f, r, round := eraFleet(t)
	snap := r.Holder().Load()
	validateVariants(t, snap)
	var doc struct{ CRNs []eraCRN }
	if err := json.Unmarshal(snap.All.Identity, &doc); err != nil {
		t.Fatal(err)
	}
	served := map[string]eraCRN{}
	for _, c := range doc.CRNs {
		served[c.Hash] = c
	}
	reports := map[string]NodeReport{}
	for _, n := range round.Nodes {
		reports[n.Hash] = n
	}
	seen := map[string]bool{}
	var mismatched []string
	for _, n := range f.Nodes() {
		c, ok := served[n.Hash]
		if !ok {
			t.Errorf("node %d (era %q) not listed", n.Index, n.Era)
			continue
		}
		rep := reports[n.Hash]
		if !rep.Of(probe.Config).OK || !rep.Of(probe.Usage).OK || !rep.Of(probe.IPv6).OK || c.ConfigErr != "None" || c.UsageErr != "None" || c.Usage == nil {
			t.Errorf("node %d (era %q): a valid answer recorded as an error: config %+v, usage %+v, ipv6 %+v, %q, %q",
				n.Index, n.Era, rep.Of(probe.Config), rep.Of(probe.Usage), rep.Of(probe.IPv6), c.ConfigErr, c.UsageErr)
		}
		if want := fmt.Sprint(lockedWant(n.Locked)); string(c.Locked) != want {
			t.Errorf("node %d: registry locked %q published as %s, want %s", n.Index, n.Locked, c.Locked, want)
		}
		if n.Era == "" {
			continue
		}
		seen[n.Era] = true
		if c.Usage == nil {
			continue // reported above
		}
		w, ok := eraWants[n.Era]
		if !ok {
			t.Errorf("era %s has no expectation", n.Era)
			continue
		}
		checkEra(t, n.Era, c, w)
		if w.nodeHash == "foreign" {
			mismatched = append(mismatched, n.Hash)
		}
	}
	if st := r.Status(); st.IdentityMismatches != len(mismatched) || !slices.Equal(st.IdentityMismatchHashes, mismatched) {
		t.Errorf("identity mismatches %d %v, want %v", st.IdentityMismatches, st.IdentityMismatchHashes, mismatched)
	}
	for _, e := range simfleet.EraNames() {
		if !seen[e] {
			t.Errorf("era %s not in the fleet", e)
		}
	}
	if v := r.Status().LastCRNVersion; v != simfleet.LastCRNVersion {
		t.Errorf("last_crn_version %q, want %q", v, simfleet.LastCRNVersion)
	}
}

func checkEra(t *testing.T, era string, c eraCRN, w eraWant) {
	t.Helper()
	same := func(field string, got, want any) {
		if !reflect.DeepEqual(got, want) {
			t.Errorf("era %s: %s = %s, want %s", era, field, show(got), show(want))
		}
	}
	same("version", c.Version, &w.version)
	same("gpu_support", c.GPUSupport, w.gpu)
	same("confidential_support", c.Confidential, w.conf)
	same("qemu_support", c.QEMU, w.qemu)
	same("payment_receiver_address", c.PaymentReceiver, w.receiver)
	same("ipv6_check", [2]bool{c.IPv6.Host, c.IPv6.VM}, [2]bool{w.host, w.vm})
	same("gpu.devices", c.Usage.GPU.Devices, orEmpty(w.devices))
	same("gpu.available_devices", c.Usage.GPU.Available, orEmpty(w.available))
	same("compatible_gpus", verdicts(c.CompatibleGPUs), onlyCompatible(w.devices))
	same("compatible_available_gpus", verdicts(c.CompatibleAvailableGPUs), onlyCompatible(w.available))
	var nodeHash *string
	switch w.nodeHash {
	case "own":
		nodeHash = &c.Hash
	case "foreign":
		nodeHash = ptr(simfleet.ForeignNodeHash)
	}
	same("node_hash", c.NodeHash, nodeHash)
	arch, vendor := cmp.Or(w.arch, "x86_64"), cmp.Or(w.vendor, "AuthenticAMD")
	same("properties.cpu", c.Usage.Properties.CPU, struct{ Architecture, Vendor string }{arch, vendor})
}

// lockedWant is what a client must read of the registry's locked, given
// as JSON text ("" when missing): simfleet.LockedWant for its spelling.
func lockedWant(raw string) bool {
	for i, s := range simfleet.LockedSpellings {
		if string(s) == raw {
			return simfleet.LockedWant[i]
		}
	}
	return raw == "true"
}

func orEmpty(v []verdict) []verdict {
	if v == nil {
		return []verdict{}
	}
	return v
}

func onlyCompatible(v []verdict) []verdict {
	out := []verdict{}
	for _, d := range v {
		if d.Compatible {
			out = append(out, d)
		}
	}
	return out
}

func verdicts(g []gpu) []verdict {
	out := []verdict{}
	for _, d := range g {
		out = append(out, verdict{d.DeviceID, d.Model, d.Compatible})
	}
	return out
}

func show(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestStrictClientsSeeEveryGPUNode counts the GPU nodes a strict client
// (one rejecting any entry off the schema, as aleph-sdk-python's models
// do) sees: a node whose usage lists a GPU and whose entry passes the
// schema. It must be every GPU node of the fleet.
func TestStrictClientsSeeEveryGPUNode(t *testing.T) {
	f, r, _ := eraFleet(t)
	var doc struct{ CRNs []json.RawMessage }
	if err := json.Unmarshal(r.Holder().Load().All.Identity, &doc); err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, raw := range doc.CRNs {
		var c struct {
			Usage *struct {
				GPU struct{ Devices []json.RawMessage } `json:"gpu"`
			} `json:"system_usage"`
		}
		if json.Unmarshal(raw, &c) != nil || c.Usage == nil || len(c.Usage.GPU.Devices) == 0 {
			continue
		}
		one := append(append([]byte(`{"last_refresh":null,"crns":[`), raw...), "]}"...)
		if contract.Validate(one) == nil {
			seen++
		}
	}
	want := 0
	for _, n := range f.Nodes() {
		if n.GPU {
			want++
		}
	}
	t.Logf("strict clients see %d of %d GPU nodes", seen, want)
	if seen != want || want < 30 {
		t.Errorf("strict clients see %d GPU nodes, the fleet has %d", seen, want)
	}
}

// TestEraGolden compares what the service writes for each era's node
// with testdata/eras/<era>.json, so that a change of the normaliser shows
// as a diff. Only the fields the service computes are kept, without the
// times of the probes. go test -run TestEraGolden -update rewrites them.
func TestEraGolden(t *testing.T) {
	f, r, _ := eraFleet(t)
	snap := r.Holder().Load()
	for _, n := range f.Nodes() {
		if n.Era == "" {
			continue
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(snap.CRN(n.Hash), &fields); err != nil {
			t.Fatal(err)
		}
		for k := range fields {
			if !snapshot.Computed(k) || k == "debug_config_from_crn_at" || k == "debug_usage_from_crn_at" {
				delete(fields, k)
			}
		}
		b, err := json.MarshalIndent(fields, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		b = append(b, '\n')
		path := filepath.Join("testdata", "eras", n.Era+".json")
		if *updateGolden {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -run TestEraGolden -update to write it)", err)
		}
		if !bytes.Equal(b, want) {
			t.Errorf("era %s: the service's output differs from %s:\ngot:\n%s", n.Era, path, b)
		}
	}
}

// TestLegacySettingsOwnerJudgesDifferently shows why the settings owner
// matters: the Python service's owner holds an older list, by which the
// 1.5 node's card (10de:2685) is not compatible, while the nodes' owner
// lists it.
func TestLegacySettingsOwnerJudgesDifferently(t *testing.T) {
	f := startFleet(t, simfleet.Options{Nodes: 12, Seed: 21, Eras: true})
	c := probe.NewClient(probe.Options{APIURL: f.APIURL(), Timeout: 2 * time.Second, Concurrency: 32})
	t.Cleanup(c.CloseIdleConnections)
	compatible := map[string]bool{}
	for _, owner := range []string{"", simfleet.LegacySettingsAddress} {
		r := New(Options{Client: c, SettingsAddress: owner, Forbidden: config.DefaultForbiddenHosts,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err := r.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		for _, n := range f.Nodes() {
			if n.Era != "1.5" {
				continue
			}
			var cr struct {
				CompatibleGPUs []gpu `json:"compatible_gpus"`
			}
			if err := json.Unmarshal(r.Holder().Load().CRN(n.Hash), &cr); err != nil {
				t.Fatal(err)
			}
			for _, g := range cr.CompatibleGPUs {
				compatible[owner] = compatible[owner] || g.DeviceID == "10de:2685"
			}
		}
	}
	if !compatible[""] || compatible[simfleet.LegacySettingsAddress] {
		t.Errorf("10de:2685 compatible by the default owner: %v, by the Python service's: %v",
			compatible[""], compatible[simfleet.LegacySettingsAddress])
	}
}
