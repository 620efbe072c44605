package simfleet

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func start(t *testing.T, o Options) *Fleet {
	t.Helper()
	f, err := Start(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := f.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return f
}

// newClient is a keep-alive client of its own, so connection counts do not
// depend on other tests.
func newClient(t *testing.T) *http.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 4}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 5 * time.Second}
}

func get(t *testing.T, c *http.Client, url string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read: %v", url, err)
	}
	return resp.StatusCode, resp.Header, b
}

func base(n Node) string { return strings.TrimRight(n.Address, "/") }

func registryURL(f *Fleet) string {
	return f.APIURL() + "/api/v0/aggregates/" + RegistryAddress + ".json?keys=corechannel"
}

// registryNodes fetches the registry and returns its resource nodes, each
// as its raw fields.
func registryNodes(t *testing.T, f *Fleet) ([]map[string]json.RawMessage, []byte) {
	t.Helper()
	status, _, body := get(t, newClient(t), registryURL(f))
	var reg struct {
		Address string `json:"address"`
		Data    struct {
			Corechannel struct {
				Nodes         []map[string]json.RawMessage `json:"nodes"`
				ResourceNodes []map[string]json.RawMessage `json:"resource_nodes"`
			} `json:"corechannel"`
		} `json:"data"`
	}
	if status != http.StatusOK {
		t.Fatalf("registry answered %d", status)
	}
	if err := json.Unmarshal(body, &reg); err != nil {
		t.Fatalf("registry: %v", err)
	}
	if reg.Address != RegistryAddress || len(reg.Data.Corechannel.Nodes) == 0 {
		t.Fatalf("registry address %q, %d core channel nodes", reg.Address, len(reg.Data.Corechannel.Nodes))
	}
	return reg.Data.Corechannel.ResourceNodes, body
}

func TestSharesAreExact(t *testing.T) {
	f := start(t, Options{Nodes: 50, Seed: 9, Failing: 0.1, Hung: 0.06, InvalidJSON: 0.08, InvalidAddress: 0.12,
		OldVersion: 0.3, GPU: 0.2, Inactive: 0.2})
	kinds := map[Kind]int{}
	old, gpu, inactive := 0, 0, 0
	for _, n := range f.Nodes() {
		kinds[n.Kind]++
		if slices.Contains(oldVersions, n.Version) {
			old++
		}
		if n.GPU {
			gpu++
		}
		if n.Inactive {
			inactive++
		}
	}
	want := map[Kind]int{KindOK: 32, KindFailing: 5, KindHung: 3, KindInvalidJSON: 4, KindInvalidAddress: 6}
	for k, c := range want {
		if kinds[k] != c {
			t.Errorf("%s: %d nodes, want %d", k, kinds[k], c)
		}
	}
	if old != 15 || gpu != 10 || inactive != 10 {
		t.Errorf("old %d, gpu %d, inactive %d; want 15, 10, 10", old, gpu, inactive)
	}
}

func TestRegistry(t *testing.T) {
	f := start(t, Options{Nodes: 50, Seed: 9, Failing: 0.1, InvalidAddress: 0.12, Inactive: 0.2})
	entries, body := registryNodes(t, f)
	nodes := f.Nodes()
	if len(entries) != len(nodes) {
		t.Fatalf("%d registry entries, %d nodes", len(entries), len(nodes))
	}
	if !regexp.MustCompile(`"resource_nodes":\[\{"hash":"[0-9a-f]{64}","name":`).Match(body) {
		t.Error(`resource nodes do not start with "hash" then "name"`)
	}
	invalid, slash, quoted, inactive := map[string]bool{}, 0, 0, 0
	owned := map[string]int{}
	hashes := map[string]bool{}
	for i, e := range entries {
		n := nodes[i]
		var hash, name, address string
		json.Unmarshal(e["hash"], &hash)
		json.Unmarshal(e["name"], &name)
		json.Unmarshal(e["address"], &address)
		if hash != n.Hash || name != n.Name || address != n.Address || len(hash) != 64 || hashes[hash] {
			t.Errorf("entry %d: hash %q name %q address %q; node %+v", i, hash, name, address, n)
		}
		hashes[hash] = true
		if got := string(e["x_extra"]); got != `{"nested":[1,2.5,"s"]}` {
			t.Errorf("entry %d: x_extra %s", i, got)
		}
		if (string(e["inactive_since"]) != "null") != n.Inactive {
			t.Errorf("entry %d: inactive_since %s, inactive %v", i, e["inactive_since"], n.Inactive)
		}
		if n.Inactive {
			inactive++
		}
		if n.Kind == KindInvalidAddress {
			invalid[address] = true
		} else if strings.HasSuffix(address, "/") {
			slash++
		}
		if strings.Contains(name, `"`) {
			quoted++
		}
		var owner string
		json.Unmarshal(e["owner"], &owner)
		owned[owner]++
		for _, k := range []string{"time", "type", "owner", "score", "parent", "reward", "status", "authorized", "decentralization", "terms_and_conditions"} {
			if e[k] == nil {
				t.Errorf("entry %d has no %q", i, k)
			}
		}
	}
	// 50 nodes: 17 own themselves, the 33 others are in 6 groups (5 of
	// 6 nodes, one of 3), so an owner's page shows several nodes.
	if groups := ownerGroups(owned); groups[6] != 5 || groups[3] != 1 || groups[1] != 17 || len(groups) != 3 {
		t.Errorf("owners by node count %v, want 17 of 1, 5 of 6 and 1 of 3", groups)
	}
	if len(invalid) != len(invalidAddresses) {
		t.Errorf("invalid addresses %v, want all of %q", invalid, invalidAddresses)
	}
	if slash == 0 || quoted == 0 || inactive != 10 {
		t.Errorf("%d addresses with a trailing slash, %d names with quotes, %d inactive", slash, quoted, inactive)
	}
}

var port = regexp.MustCompile(`127\.0\.0\.1:\d+`)

func TestSameSeedSameFleet(t *testing.T) {
	o := Options{Nodes: 40, Seed: 4, Failing: 0.1, Hung: 0.1, InvalidJSON: 0.1, InvalidAddress: 0.1,
		OldVersion: 0.3, GPU: 0.3, Inactive: 0.2}
	a, b := start(t, o), start(t, o)
	_, ra := registryNodes(t, a)
	_, rb := registryNodes(t, b)
	if string(ra) == string(rb) {
		t.Fatal("two fleets share their ports")
	}
	if pa, pb := port.ReplaceAll(ra, []byte("P")), port.ReplaceAll(rb, []byte("P")); string(pa) != string(pb) {
		t.Error("same seed, different registries")
	}
	na, nb := a.Nodes(), b.Nodes()
	for i := range na {
		na[i].Address, nb[i].Address = "", ""
		if na[i] != nb[i] {
			t.Errorf("node %d: %+v vs %+v", i, na[i], nb[i])
		}
		x, y := a.nodes[i], b.nodes[i]
		if string(x.config) != string(y.config) || string(x.usage) != string(y.usage) || string(x.ipv6) != string(y.ipv6) {
			t.Errorf("node %d: answers differ", i)
		}
	}
	o.Seed = 5
	c := start(t, o)
	if c.Nodes()[0].Hash == na[0].Hash {
		t.Error("another seed gave the same hashes")
	}
}

func TestAPIHost(t *testing.T) {
	f := start(t, Options{Nodes: 3, Seed: 1})
	c := newClient(t)
	settings := f.APIURL() + "/api/v0/aggregates/" + SettingsAddress + ".json?keys=settings"
	status, _, body := get(t, c, settings)
	var s struct {
		Data struct {
			Settings struct {
				GPUs []struct{ Model, DeviceID string } `json:"compatible_gpus"`
			} `json:"settings"`
		} `json:"data"`
	}
	if status != 200 || json.Unmarshal(body, &s) != nil || len(s.Data.Settings.GPUs) != len(TodayGPUs) {
		t.Errorf("settings: %d %s", status, body)
	}
	legacy := f.APIURL() + "/api/v0/aggregates/" + LegacySettingsAddress + ".json?keys=settings"
	if status, _, body := get(t, c, legacy); status != 200 || !strings.Contains(string(body), "10de:1eb8") ||
		strings.Contains(string(body), "10de:2685") {
		t.Errorf("legacy settings: %d %s", status, body)
	}
	f.SetRegistryDown(true)
	if status, _, _ := get(t, c, registryURL(f)); status != http.StatusServiceUnavailable {
		t.Errorf("registry down answered %d", status)
	}
	if status, _, _ := get(t, c, settings); status != http.StatusOK {
		t.Errorf("settings answered %d while the registry is down", status)
	}
	f.SetRegistryDown(false)
	if status, _, _ := get(t, c, registryURL(f)); status != http.StatusOK {
		t.Errorf("registry back up answered %d", status)
	}
	if status, _, _ := get(t, c, f.APIURL()+"/api/v0/aggregates/0x00.json"); status != http.StatusNotFound {
		t.Errorf("unknown aggregate answered %d", status)
	}
	status, _, body = get(t, c, f.APIURL()+"/stats")
	var st Stats
	if status != 200 || json.Unmarshal(body, &st) != nil || st.APIRequests != 7 || st.APIConnections != 1 {
		t.Errorf("stats: %d %s", status, body)
	}
}

func TestOptionsRejected(t *testing.T) {
	for _, o := range []Options{
		{Nodes: -1}, {Failing: 1.5}, {GPU: -0.1}, {Failing: 0.6, Hung: 0.6}, {Latency: -time.Second}, {UsagePad: -1},
	} {
		if f, err := Start(context.Background(), o); err == nil {
			f.Close()
			t.Errorf("%+v accepted", o)
		}
	}
}

func TestRegisterFlags(t *testing.T) {
	var o Options
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	o.RegisterFlags(fs)
	if d := fs.Lookup("nodes").DefValue; d != "100" {
		t.Errorf("-nodes default %s", d)
	}
	err := fs.Parse(strings.Fields("-nodes 7 -seed 3 -latency 5ms -jitter 1ms -failing 0.1 -hung 0.2 " +
		"-invalid-json 0.05 -invalid-address 0.01 -old-version 0.3 -gpu 0.4 -inactive 0.5 -shared-listener"))
	if err != nil {
		t.Fatal(err)
	}
	want := Options{Nodes: 7, Seed: 3, Latency: 5 * time.Millisecond, Jitter: time.Millisecond, Failing: 0.1, Hung: 0.2,
		InvalidJSON: 0.05, InvalidAddress: 0.01, OldVersion: 0.3, GPU: 0.4, Inactive: 0.5, SharedListener: true}
	if o != want {
		t.Errorf("parsed %+v", o)
	}
}

// A usage pad adds a field of that many characters to each usage answer,
// its own per node and the same at every answer.
func TestUsagePad(t *testing.T) {
	const pad = 5000
	f := start(t, Options{Nodes: 2, Seed: 1, UsagePad: pad})
	c := newClient(t)
	var first []string
	for range 2 {
		var pads []string
		for _, n := range f.Nodes() {
			code, _, body := get(t, c, base(n)+"/about/usage/system")
			var u struct {
				Padding string `json:"padding"`
			}
			if err := json.Unmarshal(body, &u); code != http.StatusOK || err != nil || len(u.Padding) != pad {
				t.Fatalf("node %d: %d, %v, padding of %d characters, want %d", n.Index, code, err, len(u.Padding), pad)
			}
			pads = append(pads, u.Padding)
		}
		if pads[0] == pads[1] || (first != nil && !slices.Equal(first, pads)) {
			t.Errorf("pads not one per node, the same at every answer")
		}
		first = pads
	}
}

// ownerGroups counts owners by the number of nodes they own.
func ownerGroups(owned map[string]int) map[int]int {
	groups := map[int]int{}
	for _, n := range owned {
		groups[n]++
	}
	return groups
}
