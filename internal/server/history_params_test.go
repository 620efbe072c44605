package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"nodelist/internal/probe"
	"nodelist/internal/store/sqlite"
	"nodelist/internal/store/storetest"
)

var paramsNow = time.Date(2026, 11, 22, 14, 30, 15, 0, time.UTC)

// Every spelling of a time outside 1970–9999, of a step outside its
// bounds and of a range that overflows is refused, naming the parameter.
func TestHistoryQueryBounds(t *testing.T) {
	for _, tc := range []struct {
		query, err string
	}{
		{"from=0001-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "from: want a time from 1970"},
		{"from=0000-01-01T00:00:00Z", "from: want a time from 1970"},
		{"to=0000-01-01T00:00:00Z", "to: want a time from 1970"},
		{"to=0001-01-01T00:00:00Z", "to: want a time from 1970"},
		{"from=1969-12-31T23:59:59Z&to=1970-01-02T00:00:00Z", "from: want a time from 1970"},
		{"from=1970-01-01T00:59:59%2B01:00&to=1970-01-02T00:00:00Z", "from: want a time from 1970"}, // 1969 in UTC
		{"from=1970-01-01T00:59:59+01:00", "write the + of an offset as %2B"},
		{"to=9999-12-31T23:00:00-05:00", "to: want a time from 1970"}, // year 10000 in UTC
		{"to=10000-01-01T00:00:00Z", "to: want an RFC 3339 time"},
		{"from=-0001-01-01T00:00:00Z", "from: want an RFC 3339 time"},
		{"from=+2026-01-01T00:00:00Z", "from: want an RFC 3339 time"},
		{"from=2026-01-01", "from: want an RFC 3339 time"},
		{"from=9999-12-31T23:59:59Z&to=9999-12-31T23:59:59Z", "from must be before to"},
		{"from=1970-01-01T00:00:00Z&to=9999-12-31T23:59:59Z", "may not exceed 400 days"},
		{"to=1970-01-01T00:00:00Z", "from must be before to"}, // the default day before is cut at the epoch
		{"step=2562047h", "step: want whole seconds from 1m to 9600h"},
		{"step=9600h1s", "step: want whole seconds from 1m to 9600h"},
		{"step=9223372036854775807ns", "step: want whole seconds"},
		{"step=99999999999999999999h", "step: want whole seconds"},
		{"step=-1h", "step: want whole seconds"},
		{"step=0", "step: want whole seconds"},
		{"step=59s", "step: want whole seconds"},
		{"step=90.5s", "step: want whole seconds"},
		{"step=1m0.000000001s", "step: want whole seconds"},
		{"step=1", "step: want whole seconds"},
		{"from=2026-11-22T00:00:00Z&to=2026-11-22T14:00:00Z&step=1m", ""},
		{"from=2025-11-22T00:00:00Z&to=2026-11-22T00:00:00Z&step=1h", "at most 2000 points"},
	} {
		q, _ := url.ParseQuery(tc.query)
		_, err := parseHistoryQuery(q, paramsNow)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.query, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: %v, want %q", tc.query, err, tc.err)
		}
	}
}

// The accepted edges, and what is made of them.
func TestHistoryQueryAccepted(t *testing.T) {
	for _, tc := range []struct {
		query    string
		from, to string
		step     time.Duration
	}{
		{"", "2026-11-21T14:30:15Z", "2026-11-22T14:30:15Z", 15 * time.Minute},
		{"from=1970-01-01T00:00:00Z&to=1970-01-02T00:00:00Z", "1970-01-01T00:00:00Z", "1970-01-02T00:00:00Z", 15 * time.Minute},
		{"to=1970-01-01T06:00:00Z", "1970-01-01T00:00:00Z", "1970-01-01T06:00:00Z", 5 * time.Minute},
		{"from=9999-12-31T00:00:00Z&to=9999-12-31T23:59:59.999Z&step=9600h", "9999-12-31T00:00:00Z", "9999-12-31T23:59:59Z", 9600 * time.Hour},
		{"from=2026-11-22T10:00:45.9Z&to=2026-11-22T12:00:00%2B01:00&step=120s", "2026-11-22T10:00:45Z", "2026-11-22T11:00:00Z", 2 * time.Minute},
	} {
		q, _ := url.ParseQuery(tc.query)
		h, err := parseHistoryQuery(q, paramsNow)
		if err != nil {
			t.Errorf("%q: %v", tc.query, err)
			continue
		}
		if f, to := h.from.Format(time.RFC3339), h.to.Format(time.RFC3339); f != tc.from || to != tc.to || h.step != tc.step {
			t.Errorf("%q: from %s to %s step %s, want %s %s %s", tc.query, f, to, h.step, tc.from, tc.to, tc.step)
		}
	}
}

// Whatever the parameters, an accepted query lies within 1970–9999, in
// whole seconds, from before to, at most 400 days and 2000 buckets, and
// its last bucket's start (from plus whole steps) cannot overflow.
func FuzzHistoryQuery(f *testing.F) {
	for _, s := range []string{
		"", "from=0001-01-01T00:00:00Z", "to=0000-01-01T00:00:00Z", "from=1969-12-31T23:59:59Z",
		"to=10000-01-01T00:00:00Z", "from=-0001-01-01T00:00:00Z", "step=2562047h",
		"from=9999-12-31T00:00:00Z&to=9999-12-31T23:59:59Z&step=9600h", "to=1970-01-01T00:00:01Z",
		"from=2026-11-22T10:00:45.9Z&to=2026-11-22T12:00:00%2B01:00&step=120s", "step=1m0.5s",
		"to=9999-12-31T23:00:00-05:00", "from=1970-01-01T00:59:59%2B01:00", "step=9223372036854775807ns",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, query string) {
		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		h, err := parseHistoryQuery(q, paramsNow)
		if err != nil {
			if msg := err.Error(); msg == "" || strings.ContainsAny(msg, "\x00\n") {
				t.Fatalf("%q: error %q", query, msg)
			}
			return
		}
		for _, tm := range []time.Time{h.from, h.to} {
			if tm.Location() != time.UTC || tm.Year() < 1970 || tm.Year() > 9999 || tm.Nanosecond() != 0 {
				t.Fatalf("%q: time %s accepted", query, tm)
			}
		}
		span := h.to.Sub(h.from)
		if span <= 0 || span > maxRange || h.step < time.Minute || h.step > maxStep || h.step%time.Second != 0 || span/h.step > maxPoints {
			t.Fatalf("%q: from %s to %s step %s accepted", query, h.from, h.to, h.step)
		}
		last := h.from.Add(span / h.step * h.step)
		if last.Before(h.from) || last.After(h.to) || h.from.Add(h.step).Before(h.from) {
			t.Fatalf("%q: the buckets overflow: from %s step %s", query, h.from, h.step)
		}
	})
}

// The endpoint answers a refused parameter with 400 and the reason,
// where it used to echo "from":"" for year 1, a negative year for year 0,
// and a bucket at 1970-01-01 for a step of 2562047h; and its buckets
// start at from.
func TestHistoryEndpointYearsAndAlignment(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "h.db"), probe.Names()...)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for n := range 10 {
		if err := st.WriteRound(context.Background(), storetest.MakeRound(n, 1, nil)); err != nil {
			t.Fatal(err)
		}
	}
	_, f := newTestServer(t)
	s, err := New(Options{Refresher: f, History: st})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	for _, q := range []string{
		"from=0001-01-01T00:00:00Z&to=0001-01-02T00:00:00Z",
		"from=0000-01-01T00:00:00Z&to=0000-01-02T00:00:00Z",
		"from=2026-11-20T09:00:00Z&to=2026-11-20T12:00:00Z&step=2562047h",
	} {
		resp, body := get(t, http.MethodGet, srv.URL+"/crns/node-0000/history?"+q, nil)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `"error"`) {
			t.Errorf("%s: %d %s", q, resp.StatusCode, body)
		}
	}
	// Rounds every 30 s from 10:00:00; buckets of 2m from 10:00:45.
	_, body := get(t, http.MethodGet, srv.URL+"/crns/node-0000/history?from=2026-11-20T10:00:45Z&to=2026-11-20T10:10:00Z&step=2m", nil)
	var h struct {
		From   string `json:"from"`
		Probes map[string][]struct {
			Time    string `json:"time"`
			Samples int    `json:"samples"`
		} `json:"probes"`
	}
	if err := json.Unmarshal([]byte(body), &h); err != nil {
		t.Fatal(err)
	}
	c := h.Probes["config"]
	if len(c) != 2 || c[0].Time != h.From || !strings.HasPrefix(c[0].Time, "2026-11-20T10:00:45") ||
		!strings.HasPrefix(c[1].Time, "2026-11-20T10:02:45") || c[0].Samples != 4 || c[1].Samples != 4 {
		t.Errorf("buckets of 2m from 10:00:45: %s", body)
	}
}

// FuzzHistoryQueryFields spells from, to and step from numbers, so that
// the fuzzer reaches every year, offset and step rather than the
// syntax alone; the invariants are FuzzHistoryQuery's.
func FuzzHistoryQueryFields(f *testing.F) {
	f.Add(int64(1), int64(0), int64(2026), int64(0), int64(0))
	f.Add(int64(1969), int64(-60), int64(1970), int64(60), int64(60))
	f.Add(int64(9999), int64(-300), int64(9999), int64(-300), int64(2562047*3600))
	f.Add(int64(0), int64(0), int64(0), int64(0), int64(-1))
	f.Add(int64(10000), int64(0), int64(1970), int64(0), int64(1<<62))
	f.Fuzz(func(t *testing.T, fromYear, fromOff, toYear, toOff, stepSecs int64) {
		spell := func(year, offMin int64) string {
			sign := "%2B"
			if offMin < 0 {
				sign, offMin = "-", -offMin
			}
			offMin %= 24 * 60
			return fmt.Sprintf("%04d-12-31T23:30:00%s%02d:%02d", year, sign, offMin/60, offMin%60)
		}
		query := "from=" + spell(fromYear, fromOff) + "&to=" + spell(toYear, toOff) + "&step=" + strconv.FormatInt(stepSecs, 10) + "s"
		q, _ := url.ParseQuery(query)
		h, err := parseHistoryQuery(q, paramsNow)
		if err != nil {
			return
		}
		span := h.to.Sub(h.from)
		if h.from.Year() < 1970 || h.to.Year() > 9999 || span <= 0 || span > maxRange || h.step < time.Minute || h.step > maxStep || span/h.step > maxPoints {
			t.Fatalf("%q: from %s to %s step %s accepted", query, h.from, h.to, h.step)
		}
	})
}
