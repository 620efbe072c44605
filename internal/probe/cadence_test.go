package probe

import (
	"compress/gzip"
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestCapabilityDue walks the capability's cadence through a node's memo:
// due when never asked, then once an hour (the first time within the
// second half of it), at once on a new version, and after a 404 only on a
// new version; a canceled request asked nothing.
func TestCapabilityDue(t *testing.T) {
	var m Memo
	m.prepare()
	p := Capability
	t0 := time.Now()
	ok := Response{At: t0, Status: 200}
	notFound := Response{At: t0, Status: 404, Err: Errorf(ClassHTTPStatus, "HTTP 404")}
	failed := Response{At: t0, Status: 500, Err: Errorf(ClassHTTPStatus, "HTTP 500")}
	canceled := Response{At: t0, Err: Errorf(ClassCanceled, "context canceled")}

	steps := []struct {
		what    string
		asked   *Response // recorded before the check, when not nil
		version string
		at      time.Duration
		due     bool
	}{
		{"never asked", nil, "1.9.2", 0, true},
		// The first answer is dated back by up to half an hour, to spread
		// a fleet's asks over the hour.
		{"just answered", &ok, "1.9.2", 0, false},
		{"29 minutes on", nil, "1.9.2", 29 * time.Minute, false},
		{"an hour on", nil, "1.9.2", time.Hour, true},
		// Later answers keep the hour exactly.
		{"answered again", &ok, "1.9.2", 0, false},
		{"59 minutes on", nil, "1.9.2", 59 * time.Minute, false},
		{"an hour on, again", nil, "1.9.2", time.Hour, true},
		{"a new version", nil, "1.10.0", time.Minute, true},
		{"a canceled request is no answer", &canceled, "1.10.0", time.Minute, true},
		{"a 500 waits the hour too", &failed, "1.10.0", 30 * time.Minute, false},
		{"404: not an hour later", &notFound, "1.10.0", 2 * time.Hour, false},
		{"404: not a day later", nil, "1.10.0", 24 * time.Hour, false},
		{"404: a new version", nil, "1.11.0", time.Minute, true},
	}
	for _, s := range steps {
		if s.asked != nil {
			m.asked(p, s.version, *s.asked)
		}
		if got := m.due(p, s.version, t0.Add(s.at)); got != s.due {
			t.Errorf("%s: due %t, want %t", s.what, got, s.due)
		}
	}
	if !(*Memo)(nil).due(p, "1.9.2", t0) {
		t.Error("without a memo the probe is not due")
	}
	restore := m.Checkpoint()
	m.asked(p, "1.11.0", ok)
	if m.due(p, "1.11.0", t0) {
		t.Error("just asked, and due")
	}
	restore()
	if !m.due(p, "1.11.0", t0) {
		t.Error("an attempt thrown away (restored) left the probe looking asked")
	}
	m.asked(p, "1.11.0", ok)
	m.Reset()
	m.prepare()
	if m.due(p, "1.11.0", t0) {
		t.Error("a new registry entry (a new score, say) made the capability due")
	}
	m.Forget()
	m.prepare()
	if !m.due(p, "1.11.0", t0) {
		t.Error("a forgotten memo (a new address) is not due")
	}
	if !p.UntilNewVersion(notFound) || p.UntilNewVersion(failed) {
		t.Error("only a 404 waits for a new version")
	}
	if p.UntilNewVersion(Response{Status: http.StatusNotFound, Err: Errorf(ClassTimeout, "x")}) {
		t.Error("a timeout is not a missing route")
	}
}

// TestCapabilityAnswers asks the capability of nodes answering in many
// ways: bounded at MaxCapabilityBody (or the client's smaller cap), gzip
// measured decoded; skipped without a good config; asked once per memo.
func TestCapabilityAnswers(t *testing.T) {
	valid := `{"cpu":{"model":"AMD EPYC 7443P 24-Core Processor","frequency":4035000000,"count":48},"memory":{"size":1e11,"type":"DDR4"}`
	padded := func(total int) string { // a valid answer of total bytes, with an unknown key
		pad := total - len(valid) - len(`,"x":""}`)
		return valid + `,"x":"` + strings.Repeat("a", pad) + `"}`
	}
	tests := []struct {
		name    string
		config  string
		body    string
		gzip    bool
		maxBody int64
		class   Class
		skipped bool
	}{
		{"good", `{"version":"1.9.2"}`, valid + "}", false, 0, "", false},
		{"16 KiB exactly", `{"version":"1.9.2"}`, padded(MaxCapabilityBody), false, 0, "", false},
		{"a byte over 16 KiB", `{"version":"1.9.2"}`, padded(MaxCapabilityBody + 1), false, 0, ClassTooLarge, false},
		{"a gzip bomb", `{"version":"1.9.2"}`, padded(1 << 20), true, 0, ClassTooLarge, false},
		{"the client's cap is smaller", `{"version":"1.9.2"}`, padded(5000), false, 4096, ClassTooLarge, false},
		{"not an object", `{"version":"1.9.2"}`, `["cpu"]`, false, 0, ClassInvalidJSON, false},
		{"a block of the wrong type", `{"version":"1.9.2"}`, `{"cpu":"EPYC"}`, false, 0, ClassInvalidData, false},
		{"config not JSON: not asked", `{"version":`, valid + "}", false, 0, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var asked atomic.Int64
			srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				switch r.URL.Path {
				case ConfigPath:
					_, _ = w.Write([]byte(tt.config))
				case CapabilityPath:
					asked.Add(1)
					if tt.gzip {
						w.Header().Set("Content-Encoding", "gzip")
						zw := gzip.NewWriter(w)
						_, _ = zw.Write([]byte(tt.body))
						_ = zw.Close()
						return
					}
					_, _ = w.Write([]byte(tt.body))
				default:
					http.NotFound(w, r)
				}
			})
			c := NewClient(Options{Timeout: 2 * time.Second, MaxBody: tt.maxBody})
			defer c.CloseIdleConnections()
			var memo Memo
			r := c.Node(context.Background(), srv.URL, nil, &memo)
			a := r.Of(Capability)
			got := Class("")
			if a.Err != nil {
				got = a.Err.Class
			}
			if got != tt.class || a.Skipped != tt.skipped || (got == "" && !tt.skipped) != (a.Values != nil) {
				t.Fatalf("class %q skipped %t, %d values (%.80s); want %q %t (err %v)", got, a.Skipped, len(a.Values), a.Values, tt.class, tt.skipped, a.Err)
			}
			if want := map[bool]int64{true: 0, false: 1}[tt.skipped]; asked.Load() != want {
				t.Errorf("asked %d times, want %d", asked.Load(), want)
			}
			// Asked again at once with the same memo: not due.
			again := c.Node(context.Background(), srv.URL, nil, &memo)
			if !tt.skipped && (!again.Of(Capability).Skipped || asked.Load() != 1) {
				t.Errorf("second round: skipped %t, asked %d times", again.Of(Capability).Skipped, asked.Load())
			}
		})
	}
}

// TestCapabilitySpread checks that nodes first asked together are next
// asked over the second half of the hour, not all at once.
func TestCapabilitySpread(t *testing.T) {
	t0 := time.Now()
	var dueBy [6]int // nodes due by each 10 minutes of the hour
	for range 600 {
		var m Memo
		m.prepare()
		m.asked(Capability, "1.9.2", Response{At: t0, Status: 200})
		for i := range dueBy {
			if m.due(Capability, "1.9.2", t0.Add(time.Duration(i+1)*10*time.Minute)) {
				dueBy[i]++
			}
		}
	}
	// Uniform over 30 to 60 minutes: none by 30, about a third by 40,
	// two thirds by 50, all by 60.
	if dueBy[2] != 0 || dueBy[3] < 120 || dueBy[3] > 280 || dueBy[4] < 320 || dueBy[4] > 480 || dueBy[5] != 600 {
		t.Errorf("of 600 nodes asked together, due by each 10 minutes: %v", dueBy)
	}
}
