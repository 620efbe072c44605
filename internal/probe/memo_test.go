package probe

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"nodelist/internal/aleph"
)

// TestMemoSkipsUnchangedAnswers: with a Memo, an answer whose bytes equal
// the last good one's is not decoded again (its values are the very
// slices decoded before, and the config the later probes read is
// restored); an answer that changed, or is judged against other settings,
// is decoded anew; a failure forgets what was remembered.
func TestMemoSkipsUnchangedAnswers(t *testing.T) {
	var version, load atomic.Value
	version.Store("1.2.0")
	load.Store("0.5")
	var fail atomic.Bool
	srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case ConfigPath:
			_, _ = w.Write([]byte(`{"version":"` + version.Load().(string) + `","references":{"CHECK_FASTAPI_VM_ID":"` +
				"63faf8b5db1cf8d965e6a464a0cb8062af8e7df131729e48738342d956f29ace" + `"}}`))
		case UsagePath:
			_, _ = w.Write([]byte(`{"cpu":{"count":8,"load_average":{"load1":` + load.Load().(string) + `,"load5":1.0,"load15":0.4},` +
				`"core_frequencies":{"min":1200.0,"max":3400.5}},"mem":{"total_kB":32768000,"available_kB":16384000},` +
				`"disk":{"total_kB":1000000000,"available_kB":500000000},` +
				`"period":{"start_timestamp":"2026-11-22T14:38:00","duration_seconds":60.0},` +
				`"properties":{"cpu":{"architecture":"x86_64","vendor":"AuthenticAMD"}},"active":true}`))
		default:
			http.NotFound(w, r)
		}
	})
	c := NewClient(Options{Timeout: 2 * time.Second})
	defer c.CloseIdleConnections()
	var memo Memo
	settings := &aleph.Settings{}
	ask := func(s *aleph.Settings) Result {
		r := c.Node(context.Background(), srv.URL, s, &memo)
		for _, p := range []*Probe{Config, Usage} {
			if a := r.Of(p); a.Err != nil || len(a.Values) == 0 {
				t.Fatalf("%s: %+v", p.Name, a.Err)
			}
		}
		return r
	}
	same := func(a, b *Answer) bool { return &a.Values[0][0] == &b.Values[0][0] }

	first := ask(settings)
	second := ask(settings)
	if !same(first.Of(Config), second.Of(Config)) || !same(first.Of(Usage), second.Of(Usage)) {
		t.Error("unchanged answers decoded again")
	}
	if second.Node.Version == nil || *second.Node.Version != "1.2.0" || second.Node.CheckVMID != first.Node.CheckVMID {
		t.Errorf("remembered config not restored: %+v", second.Node)
	}

	load.Store("0.75")
	third := ask(settings)
	if !same(second.Of(Config), third.Of(Config)) {
		t.Error("unchanged config decoded again")
	}
	if same(second.Of(Usage), third.Of(Usage)) {
		t.Error("changed usage not decoded")
	}
	if fourth := ask(&aleph.Settings{}); same(third.Of(Usage), fourth.Of(Usage)) {
		t.Error("usage not judged again against new settings")
	}

	version.Store("1.3.0")
	if fifth := ask(settings); *fifth.Node.Version != "1.3.0" || same(third.Of(Config), fifth.Of(Config)) {
		t.Errorf("changed config not decoded: %v", *fifth.Node.Version)
	}

	fail.Store(true)
	c.Node(context.Background(), srv.URL, settings, &memo)
	fail.Store(false)
	before := ask(settings)
	if after := ask(settings); !same(before.Of(Config), after.Of(Config)) {
		t.Error("memo not rebuilt after a failure")
	}
	if memo.entries[Config.Index].sum == 0 {
		t.Error("no hash kept")
	}
}
