package refresh

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"nodelist/internal/aleph"
	"nodelist/internal/contract"
	"nodelist/internal/probe"
	"nodelist/internal/simfleet"
)

// realUsage is a usage answer in the shape aleph-vm writes, with gpus
// devices listed both in devices and available_devices and the given
// number of CPU features.
func realUsage(gpus, features int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"cpu":{"count":128,"load_average":{"load1":3.51,"load5":3.2,"load15":2.98},` +
		`"core_frequencies":{"min":1500.0,"max":3700.0}},"mem":{"total_kB":1081528112,"available_kB":734215548},` +
		`"disk":{"total_kB":7681467392,"available_kB":6120439412},` +
		`"period":{"start_timestamp":"2026-11-22T14:38:00Z","duration_seconds":60.0},` +
		`"properties":{"cpu":{"architecture":"x86_64","vendor":"AuthenticAMD","features":[`)
	for i := range features {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"feature_%03d"`, i)
	}
	b.WriteString(`]}},"gpu":{`)
	for _, list := range []string{"devices", "available_devices"} {
		if list != "devices" {
			b.WriteByte(',')
		}
		b.WriteString(`"` + list + `":[`)
		for i := range gpus {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"vendor":"NVIDIA","model":"RTX 6000 ADA","device_name":"AD102GL [RTX 6000 Ada Generation]",`+
				`"device_class":"0300","pci_host":"%02x:00.0","device_id":"10de:26b1","compatible":true}`, i+1)
		}
		b.WriteByte(']')
	}
	b.WriteString(`},"active":true}`)
	return b.Bytes()
}

// nestedUsage is a usage answer of about size bytes whose bulk is an
// unknown field holding many values nested depth levels deep: under the
// nesting bound, yet each level decodes into a map of its own.
func nestedUsage(size, depth int) []byte {
	one := strings.Repeat(`{"a":`, depth) + "1" + strings.Repeat("}", depth)
	base := realUsage(1, 3)
	var b bytes.Buffer
	b.Write(base[:len(base)-1])
	b.WriteString(`,"x_nested":[`)
	for i := 0; b.Len() < size-len(one)-3; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(one)
	}
	b.WriteString("]}")
	return b.Bytes()
}

// oversizedNodes serves padded nodes answering a usage with a field of
// pad bytes, and nested nodes answering about nest bytes of nesting; each
// answers a good config and IPv6. Each has a listener of its own: the
// prober keeps one connection per host and port, and a round asks only a
// few of the addresses that share one. It
// returns their registry entries; their hashes start with "padded-" and
// "nested-".
func oversizedNodes(t testing.TB, padded, nested, pad, nest int) []string {
	t.Helper()
	paddedUsage := realUsage(1, 3)
	paddedUsage = append(paddedUsage[:len(paddedUsage)-1:len(paddedUsage)-1],
		[]byte(`,"x_padding":"`+strings.Repeat("a", pad)+`"}`)...)
	nestedBody := nestedUsage(nest, 60)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kind, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		_, path, _ := strings.Cut(rest, "/")
		w.Header().Set("Content-Type", "application/json")
		switch "/" + path {
		case probe.ConfigPath:
			w.Write([]byte(`{"version":"1.9.0","payment":{"PAYMENT_RECEIVER_ADDRESS":"0x5eB4f3A4F8C1A0b2d9F1e3c5a7b9D0E2F4a6C8e1"},` +
				`"computing":{"ENABLE_GPU_SUPPORT":true,"ENABLE_CONFIDENTIAL_COMPUTING":false,"ENABLE_QEMU_SUPPORT":true}}`))
		case probe.UsagePath:
			if kind == "padded" {
				w.Write(paddedUsage)
			} else {
				w.Write(nestedBody)
			}
		case probe.IPv6Path:
			w.Write([]byte(`{"host":true,"vm":true}`))
		default:
			http.NotFound(w, r)
		}
	})
	listeners := padded + nested
	srvs := make([]*httptest.Server, listeners)
	for i := range srvs {
		srvs[i] = httptest.NewServer(handler)
		t.Cleanup(srvs[i].Close)
	}
	var entries []string
	add := func(kind string, n int) {
		for i := range n {
			hash := kind + "-" + strconv.Itoa(i)
			entries = append(entries, fmt.Sprintf(`{"hash":%q,"name":%q,"address":"%s/%s/%d","score":0.5}`,
				hash, hash, srvs[len(entries)%listeners].URL, kind, i))
		}
	}
	add("padded", padded)
	add("nested", nested)
	return entries
}

// TestOversizedNodesAreBounded runs a round over honest nodes beside 100
// nodes whose usage carries a 1 MB unknown field and 60 whose usage is
// 1 MiB of nesting under the depth bound: crns.json stays small, the
// oversized nodes are listed with too_large and no usage, and the honest
// ones are served as always.
func TestOversizedNodesAreBounded(t *testing.T) {
	f := startFleet(t, simfleet.Options{Nodes: 10, Seed: 23, GPU: 0.5})
	api := hostileAPI(t, f, oversizedNodes(t, 100, 60, 1_000_000, 1<<20)...)
	c := probe.NewClient(probe.Options{APIURL: api, Timeout: 5 * time.Second, Concurrency: 32})
	t.Cleanup(c.CloseIdleConnections)
	r := New(Options{Client: c, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	for round := 1; round <= 2; round++ {
		if err := r.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		snap := r.Holder().Load()
		body := snap.All.Identity
		t.Logf("round %d: crns.json of %d CRNs is %d bytes", round, snap.Count, len(body))
		// 170 CRNs of about a kilobyte each, the honest nodes' usage
		// included; before, 161 MiB.
		if len(body) > 256<<10 {
			t.Fatalf("round %d: crns.json is %d bytes, want at most 256 KiB", round, len(body))
		}
		validateVariants(t, snap)
		served := byHash(decode(t, body))
		if len(served) != 170 {
			t.Fatalf("%d CRNs served, want 170", len(served))
		}
		for _, n := range f.Nodes() {
			c := served[n.Hash]
			if c.UsageErr != "None" || string(c.SystemUsage) == "null" || c.ConfigErr != "None" {
				t.Errorf("honest node %s: usage error %q, usage %.40s, config error %q", n.Hash, c.UsageErr, c.SystemUsage, c.ConfigErr)
			}
		}
		for hash, c := range served {
			if !strings.HasPrefix(hash, "padded-") && !strings.HasPrefix(hash, "nested-") {
				continue
			}
			if !strings.HasPrefix(c.UsageErr, "too_large: ") || string(c.SystemUsage) != "null" || c.UsageAt != nil ||
				len(c.CompatibleGPUs) != 0 || c.ConfigErr != "None" || !c.ConfigFromCRN {
				t.Errorf("round %d: %s: usage error %q, usage %.40s, config error %q", round, hash, c.UsageErr, c.SystemUsage, c.ConfigErr)
			}
		}
		if err := contract.Validate(snap.Active.Identity); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRealUsageFitsItsBound holds the usage probe's bounds to aleph-vm's
// largest real answers: a node with 16 GPUs, each listed in devices and
// available_devices, and 200 CPU features is read and published whole.
func TestRealUsageFitsItsBound(t *testing.T) {
	big := realUsage(16, 200)
	if int64(len(big))*4 > probe.Usage.MaxBody {
		t.Errorf("a 16-GPU usage of %d bytes leaves less than 4 times room in a body bound of %d", len(big), probe.Usage.MaxBody)
	}
	u, err := aleph.NormalizeUsage(big, nil)
	if err != nil {
		t.Fatal(err)
	}
	published := len(u.JSON) + len(u.Compatible) + len(u.CompatibleAvailable)
	t.Logf("a usage with 16 GPUs in both lists and 200 CPU features: %d bytes read, %d published; 8 GPUs, 3 features: %d bytes",
		len(big), published, len(realUsage(8, 3)))
	if published*2 > probe.Usage.MaxPublished {
		t.Errorf("it publishes %d bytes, more than half the bound of %d", published, probe.Usage.MaxPublished)
	}
}

// TestOversizedAnswerKeepsTheLastGoodOne: a node whose usage grows past
// the bound after a good round is listed with too_large beside the
// usage of that round, as after any failed probe; nothing of the
// oversized answer is served.
func TestOversizedAnswerKeepsTheLastGoodOne(t *testing.T) {
	f := startFleet(t, simfleet.Options{Nodes: 2, Seed: 25})
	good := realUsage(2, 3)
	var grown atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case probe.ConfigPath:
			w.Write([]byte(`{"version":"1.9.0"}`))
		case probe.UsagePath:
			if grown.Load() {
				w.Write(append(good[:len(good)-1:len(good)-1], []byte(`,"x":"`+strings.Repeat("a", 1_000_000)+`"}`)...))
				return
			}
			w.Write(good)
		case probe.IPv6Path:
			w.Write([]byte(`{"host":true,"vm":false}`))
		}
	}))
	t.Cleanup(srv.Close)
	api := hostileAPI(t, f, `{"hash":"grows","name":"grows","address":"`+srv.URL+`"}`)
	c := probe.NewClient(probe.Options{APIURL: api, Timeout: 5 * time.Second, Concurrency: 8})
	t.Cleanup(c.CloseIdleConnections)
	r := New(Options{Client: c, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	first := byHash(decode(t, r.Holder().Load().All.Identity))["grows"]
	if first.UsageErr != "None" || first.UsageAt == nil || !bytes.Contains(first.SystemUsage, []byte(`"pci_host":"02:00.0"`)) {
		t.Fatalf("first round: usage error %q, usage %.60s", first.UsageErr, first.SystemUsage)
	}
	grown.Store(true)
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	body := r.Holder().Load().All.Identity
	second := byHash(decode(t, body))["grows"]
	if second.UsageErr != "too_large: body larger than 65536 bytes" || !bytes.Equal(second.SystemUsage, first.SystemUsage) ||
		*second.UsageAt != *first.UsageAt || len(body) > 64<<10 {
		t.Errorf("second round: usage error %q, usage kept %v, at %v (first %v), crns.json %d bytes",
			second.UsageErr, bytes.Equal(second.SystemUsage, first.SystemUsage), *second.UsageAt, *first.UsageAt, len(body))
	}
}

// TestSeedDropsFieldsOverTheBound: a crns.json written before the bounds
// (or by a release with larger ones) is not served again past them at a
// warm restart: the oversized usage is dropped with a too_large error,
// the rest is seeded as written.
func TestSeedDropsFieldsOverTheBound(t *testing.T) {
	f := startFleet(t, simfleet.Options{Nodes: 2, Seed: 26})
	r := newRefresher(t, f, 5*time.Second, nil)
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := r.Holder().Load()
	body := strings.Replace(string(before.All.Identity), `"system_usage":{`, `"system_usage":{"x_pad":"`+strings.Repeat("a", 100<<10)+`",`, 1)
	warm := newRefresher(t, f, 5*time.Second, nil)
	if err := warm.Seed(before.LastRefresh, []byte(body)); err != nil {
		t.Fatal(err)
	}
	seeded := warm.Holder().Load().All.Identity
	if len(seeded) > 32<<10 {
		t.Errorf("seeded crns.json is %d bytes", len(seeded))
	}
	var dropped, kept int
	for _, c := range decode(t, seeded).CRNs {
		switch {
		case strings.HasPrefix(c.UsageErr, "too_large: usage of ") && string(c.SystemUsage) == "null" && c.UsageAt == nil:
			dropped++
		case c.UsageErr == "None" && string(c.SystemUsage) != "null" && c.ConfigFromCRN:
			kept++
		default:
			t.Errorf("%s: usage error %q, usage %.40s", c.Hash, c.UsageErr, c.SystemUsage)
		}
	}
	if dropped != 1 || kept != 1 {
		t.Errorf("%d usages dropped, %d kept; want 1 and 1", dropped, kept)
	}
}
