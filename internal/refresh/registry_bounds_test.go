package refresh

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"nodelist/internal/aleph"
	"nodelist/internal/config"
	"nodelist/internal/contract"
	"nodelist/internal/probe"
	"nodelist/internal/simfleet"
)

func get(t testing.TB, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return b
}

// hostileAPI serves a registry made of the fleet's own entries plus the
// extra ones given, and the fleet's settings.
func hostileAPI(t testing.TB, f *simfleet.Fleet, extra ...string) string {
	t.Helper()
	var agg struct {
		Data struct {
			Corechannel struct {
				Nodes         json.RawMessage   `json:"nodes"`
				ResourceNodes []json.RawMessage `json:"resource_nodes"`
			} `json:"corechannel"`
		} `json:"data"`
	}
	if err := json.Unmarshal(get(t, f.APIURL()+aleph.RegistryPath(config.DefaultRegistryAddress)), &agg); err != nil {
		t.Fatal(err)
	}
	entries := extra
	for _, e := range agg.Data.Corechannel.ResourceNodes {
		entries = append(entries, string(e))
	}
	registry := []byte(`{"address":"` + config.DefaultRegistryAddress + `","data":{"corechannel":{"nodes":` +
		string(agg.Data.Corechannel.Nodes) + `,"resource_nodes":[` + strings.Join(entries, ",") + `]}},"info":{}}`)
	settings := get(t, f.APIURL()+aleph.SettingsPath(config.DefaultSettingsAddress))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("keys") == "corechannel" {
			w.Write(registry)
			return
		}
		w.Write(settings)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func deepEntry(hash string, depth int) string {
	return `{"hash":"` + hash + `","name":"deep ` + hash + `","address":"http://127.0.0.1:1/","x":` +
		strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + `}`
}

// TestHostileRegistryEntriesAreListedWithAnError serves a registry with
// an entry nested 10 001 deep (past encoding/json's own limit, which
// failed the whole aggregate), one 5000 deep (which Python clients cannot
// load) and one with a 20 MB field, beside the fleet's three good nodes.
func TestHostileRegistryEntriesAreListedWithAnError(t *testing.T) {
	f := startFleet(t, simfleet.Options{Nodes: 3, Seed: 21})
	huge := `{"hash":"huge","name":"huge","address":"http://127.0.0.1:1/","description":"` + strings.Repeat("a", 20<<20) + `"}`
	api := hostileAPI(t, f, deepEntry("deep10001", 10001), deepEntry("deep5000", 5000), huge)
	c := probe.NewClient(probe.Options{APIURL: api, Timeout: 2 * time.Second, Concurrency: 8})
	t.Cleanup(c.CloseIdleConnections)
	var rounds []*Round
	r := New(Options{Client: c, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Sink: SinkFunc(func(rd *Round) { rounds = append(rounds, rd) })})
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatalf("round: %v", err)
	}
	snap := r.Holder().Load()
	validateVariants(t, snap)
	body := snap.All.Identity
	if len(body) > 1<<20 {
		t.Errorf("crns.json is %d bytes: the 20 MB field was passed on", len(body))
	}
	// What Python's json.loads, recursing once per level, can read.
	if err := aleph.CheckDepth(body, 100); err != nil {
		t.Errorf("crns.json: %v", err)
	}
	served := byHash(decode(t, body))
	if len(served) != 6 {
		t.Fatalf("%d CRNs served, want 6", len(served))
	}
	for _, n := range f.Nodes() {
		if c := served[n.Hash]; !c.ConfigFromCRN || c.ConfigErr != "None" || string(c.Extra) == "" {
			t.Errorf("good node %s: config %v, error %q", n.Hash, c.ConfigFromCRN, c.ConfigErr)
		}
	}
	for hash, want := range map[string]string{
		"deep10001": "invalid_data: registry entry nested deeper than 32 levels",
		"deep5000":  "invalid_data: registry entry nested deeper than 32 levels",
		"huge":      fmt.Sprintf("invalid_data: registry entry of %d bytes, more than 65536", len(huge)),
	} {
		c, ok := served[hash]
		if !ok {
			t.Errorf("%s not listed", hash)
			continue
		}
		if c.ConfigErr != want || c.UsageErr != want || c.ConfigFromCRN || c.Address != "" ||
			!strings.HasSuffix(c.Name, strings.TrimPrefix(hash, "deep")) {
			t.Errorf("%s: name %q address %q, errors %q / %q, want %q", hash, c.Name, c.Address, c.ConfigErr, c.UsageErr, want)
		}
	}
	// Refused entries are never probed.
	for _, n := range rounds[0].Nodes {
		if strings.HasPrefix(n.Hash, "deep") || n.Hash == "huge" {
			if n.Of(probe.Config).Class != probe.ClassInvalidData || n.Of(probe.Config).Latency != 0 {
				t.Errorf("%s: outcome %+v", n.Hash, n.Of(probe.Config))
			}
		}
	}
	if err := contract.Validate(snap.Active.Identity); err != nil {
		t.Fatal(err)
	}
}

// TestHugeRegistryFieldCostsLittle measures what a round allocates when
// one registry entry carries a 20 MB field: the body is read once, and
// the entry is measured in place, refused, and never rendered.
func TestHugeRegistryFieldCostsLittle(t *testing.T) {
	f := startFleet(t, simfleet.Options{Nodes: 3, Seed: 22})
	api := hostileAPI(t, f, `{"hash":"huge","name":"huge","description":"`+strings.Repeat("a", 20<<20)+`"}`)
	c := probe.NewClient(probe.Options{APIURL: api, Timeout: 2 * time.Second, Concurrency: 8})
	t.Cleanup(c.CloseIdleConnections)
	r := New(Options{Client: c, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("a round with a 20 MB registry field allocated %.1f MiB", float64(alloc)/(1<<20))
	// Reading the 20 MB body costs a few times its size (the buffer grows
	// as it fills: 49 MiB in all, 97 MiB under the race detector); a copy
	// per stage, as before entries were bounded, cost 275 MiB.
	if alloc > 160<<20 {
		t.Errorf("a round allocated %.1f MiB for a 20 MB field", float64(alloc)/(1<<20))
	}
	if n := r.Holder().Load().Count; n != 4 {
		t.Errorf("%d CRNs, want 4", n)
	}
}

// TestRegistryEntriesWithBadTextAreListedWithAnError serves a registry
// whose entries hold invalid UTF-8 and unpaired surrogate escapes beside
// the fleet's good nodes: crns.json stays valid UTF-8 with no U+FFFD,
// and each such entry is listed with an error naming the field.
func TestRegistryEntriesWithBadTextAreListedWithAnError(t *testing.T) {
	f := startFleet(t, simfleet.Options{Nodes: 3, Seed: 24})
	api := hostileAPI(t, f,
		`{"hash":"bad-bytes","name":"b","address":"http://127.0.0.1:1/","description":"caf`+"\xe9\xff"+`"}`,
		`{"hash":"bad-escape","name":"e","address":"http://127.0.0.1:1/","banner":"\ud800"}`,
		`{"hash":"bad-key","name":"k","address":"http://127.0.0.1:1/","`+"\xed\xa0\x80"+`":true}`,
	)
	c := probe.NewClient(probe.Options{APIURL: api, Timeout: 2 * time.Second, Concurrency: 8})
	t.Cleanup(c.CloseIdleConnections)
	r := New(Options{Client: c, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	snap := r.Holder().Load()
	validateVariants(t, snap)
	body := snap.All.Identity
	if !utf8.Valid(body) || bytes.Contains(body, []byte("\uFFFD")) || bytes.Contains(bytes.ToLower(body), []byte(`\ufffd`)) {
		t.Errorf("crns.json holds invalid UTF-8 or U+FFFD")
	}
	if err := aleph.CheckText(body); err != nil {
		t.Errorf("crns.json: %v", err)
	}
	served := byHash(decode(t, body))
	for hash, want := range map[string]string{
		"bad-bytes":  "invalid_data: registry entry field description: invalid UTF-8",
		"bad-escape": `invalid_data: registry entry field banner: unpaired surrogate \ud800`,
		"bad-key":    "invalid_data: registry entry a key: invalid UTF-8",
	} {
		if c := served[hash]; c.ConfigErr != want || c.UsageErr != want {
			t.Errorf("%s: errors %q / %q, want %q", hash, c.ConfigErr, c.UsageErr, want)
		}
	}
	for _, n := range f.Nodes() {
		if c := served[n.Hash]; c.ConfigErr != "None" || !c.ConfigFromCRN {
			t.Errorf("good node %s: config error %q", n.Hash, c.ConfigErr)
		}
	}
}
