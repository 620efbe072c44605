package probe

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

const (
	goodConfig = `{"version":"1.9.2","payment":{"PAYMENT_RECEIVER_ADDRESS":"0xabc"},"computing":{"ENABLE_GPU_SUPPORT":false}}`
	goodUsage  = `{"cpu":{"count":8,"load_average":{"load1":0.25,"load5":1.0,"load15":0.4},"core_frequencies":{"min":1200,"max":3400.5}},` +
		`"mem":{"total_kB":32768000,"available_kB":16384000},"disk":{"total_kB":1000000000,"available_kB":500000000},` +
		`"period":{"start_timestamp":"2026-11-22T14:38:00+00:00","duration_seconds":60},` +
		`"properties":{"cpu":{"architecture":"x86_64","vendor":"AuthenticAMD","features":[]}},` +
		`"gpu":{"devices":[],"available_devices":[]},"active":true}`
	goodIPv6 = `{"host":true,"vm":true}`
)

// padded returns body, an object, grown to exactly n bytes by an unknown
// field.
func padded(body string, n int) string {
	head := body[:len(body)-1] + `,"x_pad":"`
	return head + strings.Repeat("a", n-len(head)-2) + `"}`
}

// probeOnce serves the three answers and probes the node once with a
// client whose own cap is maxBody.
func probeOnce(t *testing.T, maxBody int64, config, usage, ipv6 string) Result {
	t.Helper()
	srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case ConfigPath:
			_, _ = w.Write([]byte(config))
		case UsagePath:
			_, _ = w.Write([]byte(usage))
		case IPv6Path:
			_, _ = w.Write([]byte(ipv6))
		default:
			http.NotFound(w, r)
		}
	})
	c := NewClient(Options{Timeout: 2 * time.Second, MaxBody: maxBody})
	t.Cleanup(c.CloseIdleConnections)
	return c.Node(context.Background(), srv.URL, nil, nil)
}

func errOf(e *Error) string {
	if e == nil {
		return ""
	}
	return e.Error()
}

// TestEachProbeReadsItsOwnBound: each probe reads up to its MaxBody, not
// the client's cap, and the client's cap lowers it.
func TestEachProbeReadsItsOwnBound(t *testing.T) {
	tests := []struct {
		name                   string
		maxBody                int64
		config, usage, ipv6    string
		wantC, wantU, wantIPv6 string
	}{
		{"at the bounds", 1 << 20, padded(goodConfig, 64<<10), padded(goodUsage, 64<<10), padded(goodIPv6, 16<<10), "", "", ""},
		{"one byte over", 1 << 20, padded(goodConfig, 64<<10+1), padded(goodUsage, 64<<10+1), padded(goodIPv6, 16<<10+1),
			"too_large: body larger than 65536 bytes", "too_large: body larger than 65536 bytes", "too_large: body larger than 16384 bytes"},
		{"a megabyte", 1 << 20, padded(goodConfig, 1e6), padded(goodUsage, 1e6), padded(goodIPv6, 1e6),
			"too_large: body larger than 65536 bytes", "too_large: body larger than 65536 bytes", "too_large: body larger than 16384 bytes"},
		{"the client's cap lowers it", 4096, padded(goodConfig, 4097), padded(goodUsage, 4097), padded(goodIPv6, 4097),
			"too_large: body larger than 4096 bytes", "too_large: body larger than 4096 bytes", "too_large: body larger than 4096 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := probeOnce(t, tt.maxBody, tt.config, tt.usage, tt.ipv6)
			for _, c := range []struct {
				p    *Probe
				want string
			}{{Config, tt.wantC}, {Usage, tt.wantU}, {IPv6, tt.wantIPv6}} {
				a := r.Of(c.p)
				if got := errOf(a.Err); got != c.want || (c.want == "") != (a.Values != nil) {
					t.Errorf("%s: error %q, %d values; want %q", c.p.Name, got, len(a.Values), c.want)
				}
			}
		})
	}
}

// TestPublishedBound: an answer under the body bound that normalising
// grows past the published bound is too_large, and nothing of it is kept.
func TestPublishedBound(t *testing.T) {
	// 1e15 is written out in full: 5 bytes read, 16 published.
	grown := goodUsage[:len(goodUsage)-1] + `,"x":[` + strings.Repeat("1e15,", 12500) + `1]}`
	longVersion := `{"version":"` + strings.Repeat("9", 2000) + `"}`
	r := probeOnce(t, 1<<20, longVersion, grown, goodIPv6)
	if len(grown) > 64<<10 {
		t.Fatalf("the usage is %d bytes: over the body bound", len(grown))
	}
	if e := r.Of(Usage).Err; e == nil || e.Class != ClassTooLarge || !strings.HasPrefix(e.Msg, "usage of ") ||
		!strings.HasSuffix(e.Msg, "bytes once decoded, more than 98304") || r.Of(Usage).Values != nil {
		t.Errorf("usage: %v, %d values", e, len(r.Of(Usage).Values))
	}
	if e := r.Of(Config).Err; !strings.HasPrefix(errOf(e), "too_large: config of 20") ||
		!strings.HasSuffix(errOf(e), " bytes once decoded, more than 1024") || r.Of(Config).Values != nil {
		t.Errorf("config: %v", e)
	}
	if r.Of(IPv6).Err != nil {
		t.Errorf("ipv6: %v", r.Of(IPv6).Err)
	}
}

// TestProbesMustBeBounded: a probe without bounds is refused when it is
// registered.
func TestProbesMustBeBounded(t *testing.T) {
	for _, p := range All {
		if p.MaxBody <= 0 || p.MaxPublished <= 0 {
			t.Errorf("%s: MaxBody %d, MaxPublished %d", p.Name, p.MaxBody, p.MaxPublished)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("an unbounded probe was registered")
		}
	}()
	(&Probe{Name: "unbounded", MaxPublished: 10}).mustBeBounded()
}
