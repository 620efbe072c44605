package hostile_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"nodelist/e2e/hostile"
	"nodelist/internal/config"
	"nodelist/internal/contract"
	"nodelist/internal/contract/consumers"
	"nodelist/internal/probe"
	"nodelist/internal/refresh"
	"nodelist/internal/server"
)

// TestHostileFleetRound runs one refresh round against every hostile
// behaviour at once, with the dial guard on, and checks that the service
// keeps serving, that the good nodes' data is intact, that each hostile
// node carries its error class, that the loopback canary is never
// connected to, and that memory stays bounded.
func TestHostileFleetRound(t *testing.T) {
	f := hostile.Start()
	defer f.Close()

	guard := &probe.Guard{AllowAddrPorts: f.AllowAddrPorts()}
	staysOnLoopback(t, f, guard)
	client := probe.NewClient(probe.Options{
		Timeout:     1500 * time.Millisecond,
		MaxBody:     1 << 20,
		Concurrency: 64,
		Guard:       guard,
		APIURL:      f.APIURL,
		Forbidden:   config.DefaultForbiddenHosts,
	})
	defer client.CloseIdleConnections()
	rounds := make(chan *refresh.Round, 1)
	ref := refresh.New(refresh.Options{
		Client:       client,
		Forbidden:    config.DefaultForbiddenHosts,
		RoundTimeout: 30 * time.Second,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		Sink:         refresh.SinkFunc(func(r *refresh.Round) { rounds <- r }),
	})
	handler, err := server.New(server.Options{Refresher: ref, DebugEndpoints: true})
	if err != nil {
		t.Fatal(err)
	}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := ref.Refresh(ctx); err != nil {
		t.Fatalf("round: %v", err)
	}
	rep := <-rounds
	runtime.ReadMemStats(&after)

	// Sys is what the process took from the OS; it does not shrink back,
	// so its growth bounds the round's peak, the fleet's own buffers
	// included.
	grew := int64(after.Sys) - int64(before.Sys)
	t.Logf("round of %d nodes took %s; Sys grew %.1f MiB, HeapInuse %+.1f MiB",
		len(rep.Nodes), rep.Finished.Sub(rep.Started).Round(time.Millisecond),
		float64(grew)/(1<<20), float64(int64(after.HeapInuse)-int64(before.HeapInuse))/(1<<20))
	if grew >= 50<<20 {
		t.Errorf("process memory grew by %d bytes in one hostile round, want < 50 MiB", grew)
	}
	if n := f.CanaryConns(); n != 0 {
		t.Errorf("the loopback canary accepted %d connections with the guard on", n)
	}

	reports := map[string]refresh.NodeReport{}
	for _, n := range rep.Nodes {
		reports[n.Hash] = n
	}
	if len(reports) != len(f.Nodes) {
		t.Fatalf("round reported %d nodes, the fleet has %d", len(reports), len(f.Nodes))
	}
	for _, n := range f.Nodes {
		rep, ok := reports[n.Hash()]
		if !ok {
			t.Errorf("%s: not in the round report", n.Name)
			continue
		}
		r := struct{ Config, Usage, IPv6 refresh.Outcome }{rep.Of(probe.Config), rep.Of(probe.Usage), rep.Of(probe.IPv6)}
		t.Logf("%-26s config %-15s usage %-15s ipv6 %-15s %.90s", n.Name, orOK(r.Config.Class), orOK(r.Usage.Class), orOK(r.IPv6.Class), r.Config.Msg)
		if got := string(r.Config.Class); got != n.Want {
			t.Errorf("%s: config class %q (%s), want %q", n.Name, got, r.Config.Msg, n.Want)
		}
		if len(r.Config.Msg) > 210 || strings.Contains(r.Config.Msg, "goroutine ") {
			t.Errorf("%s: error message is not short: %q", n.Name, r.Config.Msg)
		}
		if n.WantUsage != "" && string(r.Usage.Class) != n.WantUsage {
			t.Errorf("%s: usage class %q (%s), want %q", n.Name, r.Usage.Class, r.Usage.Msg, n.WantUsage)
		}
		if n.WantIPv6 != "" && string(r.IPv6.Class) != n.WantIPv6 {
			t.Errorf("%s: IPv6 class %q (%s), want %q", n.Name, r.IPv6.Class, r.IPv6.Msg, n.WantIPv6)
		}
		if n.Good && (!r.Usage.OK || !r.IPv6.OK) {
			t.Errorf("%s: good node: usage %+v, ipv6 %+v", n.Name, r.Usage, r.IPv6)
		}
	}
	// Good nodes have no capability route (404; the HTTP/1.0 one says so
	// with a 200); the bomb is cut at 16 KiB.
	for _, n := range f.GoodNodes() {
		want := map[string]probe.Class{"capability-bomb": probe.ClassTooLarge, "http10-no-length": probe.ClassInvalidData}[n.Name]
		if want == "" {
			want = probe.ClassHTTPStatus
		}
		r := reports[n.Hash()]
		if o := r.Of(probe.Capability); o.Class != want || o.Skipped {
			t.Errorf("%s: capability %+v, want class %s", n.Name, o, want)
		}
	}
	if r := reports["hostile-wrong-types"]; r.Of(probe.Usage).Class != probe.ClassInvalidData || r.Of(probe.IPv6).Class != probe.ClassInvalidJSON {
		t.Errorf("wrong-types: usage %q, ipv6 %q; want invalid_data and invalid_json", r.Of(probe.Usage).Class, r.Of(probe.IPv6).Class)
	}

	// The service still answers, and what it serves is valid.
	body := get(t, handler, "/crns.json", http.StatusOK)
	if err := contract.Validate(body); err != nil {
		t.Fatalf("crns.json after a hostile round: %v", err)
	}
	if !utf8.Valid(body) {
		t.Error("crns.json is not valid UTF-8")
	}
	// No hostile node makes a strict client refuse the whole list: a node
	// can lose only itself. (Which entries each client then builds or
	// offers depends on this fleet's bare registry entries, not on the
	// nodes' answers; the eras test judges that.)
	for _, c := range consumers.All() {
		v, err := consumers.Judge(c, body)
		if err != nil || !v.ListOK {
			t.Errorf("%s refuses the whole list after a hostile round: %v%s", c.Name, err, v.Reasons())
		}
	}
	var doc struct {
		CRNs []struct {
			Hash        string                  `json:"hash"`
			Payment     *string                 `json:"payment_receiver_address"`
			Version     *string                 `json:"version"`
			ConfigErr   string                  `json:"debug_config_from_crn_error"`
			UsageErr    string                  `json:"usage_from_crn_error"`
			SystemUsage json.RawMessage         `json:"system_usage"`
			IPv6        struct{ Host, VM bool } `json:"ipv6_check"`
			Compatible  []json.RawMessage       `json:"compatible_gpus"`
		} `json:"crns"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	served := map[string]int{}
	for i, c := range doc.CRNs {
		served[c.Hash] = i
	}
	for _, n := range f.Nodes {
		i, ok := served[n.Hash()]
		if !ok {
			t.Errorf("%s: missing from crns.json", n.Name)
			continue
		}
		c := doc.CRNs[i]
		// The fleet is all on loopback: any IP literal or port in an error
		// would be this side's (or the canary's) address, never the node's
		// registered one, which is already public.
		for _, e := range []string{c.ConfigErr, c.UsageErr} {
			for _, m := range leak.FindAllString(e, -1) {
				if !strings.Contains(n.Address, m) {
					t.Errorf("%s: served error %q carries %q", n.Name, e, m)
				}
			}
		}
		if want := n.Want + n.Noted; want != "" && !strings.HasPrefix(c.ConfigErr, want+": ") {
			t.Errorf("%s: served config error %q, want class %s", n.Name, c.ConfigErr, want)
		}
		if !n.Good {
			continue
		}
		if c.ConfigErr != "None" || c.Payment == nil || *c.Payment != "0x"+n.Name || c.Version == nil || *c.Version != "1.9.0" {
			t.Errorf("%s: served config error %q, payment %v, version %v", n.Name, c.ConfigErr, c.Payment, c.Version)
		}
		if string(c.SystemUsage) == "null" || !c.IPv6.Host || !c.IPv6.VM || len(c.Compatible) != 1 {
			t.Errorf("%s: served usage %.60s…, ipv6 %+v, %d compatible GPUs", n.Name, c.SystemUsage, c.IPv6, len(c.Compatible))
		}
	}
	// Text the nodes never wrote is never served: no node of the fleet
	// writes U+FFFD, and invalid text is refused, not replaced.
	if n := bytes.Count(body, []byte("\uFFFD")) + bytes.Count(bytes.ToLower(body), []byte(`\ufffd`)); n != 0 {
		t.Errorf("crns.json holds %d U+FFFD", n)
	}
	if c := doc.CRNs[served["hostile-non-utf8"]]; c.Version != nil ||
		c.ConfigErr != "invalid_data: config field version: invalid UTF-8" ||
		c.UsageErr != "invalid_data: usage field properties.cpu.vendor: invalid UTF-8" {
		t.Errorf("non-UTF-8 node served with version %v, errors %q and %q", c.Version, c.ConfigErr, c.UsageErr)
	}
	// What one node can put in the list is bounded: 2 KB a node, about,
	// for this fleet, whose registry entries are small.
	if max := 2048 * len(f.Nodes); len(body) > max {
		t.Errorf("crns.json of %d nodes is %d bytes, more than %d", len(f.Nodes), len(body), max)
	}
	for _, name := range []string{"padded-usage", "nested-usage", "bloating-usage", "nan-usage", "overlong-utf8"} {
		if c := doc.CRNs[served["hostile-"+name]]; string(c.SystemUsage) != "null" || c.ConfigErr != "None" {
			t.Errorf("%s: served usage %.40s, config error %q", name, c.SystemUsage, c.ConfigErr)
		}
	}
	if h := get(t, handler, "/healthz", http.StatusOK); !strings.Contains(string(h), `"status":"ok"`) {
		t.Errorf("healthz after a round with good nodes: %s", h)
	}

	// The canary counts: without the guard the same address reaches it.
	open := probe.NewClient(probe.Options{Timeout: time.Second})
	defer open.CloseIdleConnections()
	if r := open.Get(ctx, strings.Replace(f.CanaryURL(), "127.0.0.1", "localhost", 1)+"/"); r.Err != nil {
		t.Fatalf("canary unreachable without the guard: %v", r.Err)
	}
	if f.CanaryConns() == 0 {
		t.Error("the canary counted no connection from an unguarded client")
	}
}

// staysOnLoopback stops the test before any round unless every
// destination of the fleet names this machine, or is refused by address
// validation or by the guard: a regression must fail here, not send a
// packet (or a DNS query) off the machine.
func staysOnLoopback(t *testing.T, f *hostile.Fleet, g *probe.Guard) {
	t.Helper()
	for _, d := range f.Destinations() {
		u, err := url.Parse(d)
		if err != nil || hostile.Loopback(u.Hostname()) {
			continue // unparsable: never dialed
		}
		_, rawErr := probe.ValidateAddress(d, config.DefaultForbiddenHosts)
		_, decodedErr := probe.ValidateAddress(u.Scheme+"://"+u.Host, config.DefaultForbiddenHosts)
		if rawErr != nil && decodedErr != nil {
			continue
		}
		if a, err := netip.ParseAddr(u.Hostname()); err == nil && g.Check(a) != nil {
			continue
		}
		t.Fatalf("%s would be dialed off loopback: refused neither by validation nor by the guard", d)
	}
}

// leak matches an IPv4 or IPv6 literal or a ":port" in a served error.
var leak = regexp.MustCompile(`\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|[0-9A-Fa-f]*:[0-9A-Fa-f]*:[0-9A-Fa-f]|::|:\d+`)

func get(t *testing.T, h http.Handler, path string, want int) []byte {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	if rec.Code != want {
		t.Fatalf("GET %s: %d %s, want %d", path, rec.Code, rec.Body, want)
	}
	return rec.Body.Bytes()
}

func orOK(c probe.Class) string {
	if c == "" {
		return "ok"
	}
	return string(c)
}
