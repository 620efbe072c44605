package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"nodelist/internal/history"
	"nodelist/internal/snapshot"
	"nodelist/internal/store"
)

// History limits: a query covers at most maxRange in at most maxPoints
// buckets, so one request reads a bounded number of rows.
const (
	defaultRange = 24 * time.Hour
	maxRange     = 400 * 24 * time.Hour
	maxPoints    = 2000
	maxEvents    = 500
)

// oneCRN serves /crns/{hash}.json from the current snapshot.
func (s *Server) oneCRN(w http.ResponseWriter, r *http.Request) {
	hash, ok := strings.CutSuffix(r.PathValue("file"), ".json")
	if !ok || hash == "" {
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.URL.Path)
		return
	}
	snap := s.opts.Refresher.Holder().Load()
	b := snap.CRN(hash)
	if b == nil {
		writeError(w, http.StatusNotFound, "no CRN with hash "+quoteShort(hash))
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=5")
	writeRawJSON(w, http.StatusOK, b)
}

// needHistory answers 404 when no such node is known.
func (s *Server) needHistory(w http.ResponseWriter, r *http.Request, hash string) bool {
	known, err := s.opts.History.Known(r.Context(), hash)
	if err != nil {
		s.storeError(w, err)
		return false
	}
	if !known && s.opts.Refresher.Holder().Load().CRN(hash) == nil {
		writeError(w, http.StatusNotFound, "no CRN with hash "+quoteShort(hash))
		return false
	}
	return true
}

func (s *Server) storeError(w http.ResponseWriter, err error) {
	s.log.Warn("history query failed", "err", err)
	writeError(w, http.StatusServiceUnavailable, "history is unavailable right now")
}

type historyPoint struct {
	Time         string   `json:"time"`
	Samples      int      `json:"samples"`
	SuccessRatio float64  `json:"success_ratio"`
	LatencyAvgMS *float64 `json:"latency_avg_ms"`
	LatencyMaxMS int64    `json:"latency_max_ms"`
}

// history answers /crns/{hash}/history?from=&to=&step=: per probe, the
// success ratio and latency in buckets of step, the first starting at
// from (see parseHistoryQuery for what is accepted).
func (s *Server) history(w http.ResponseWriter, r *http.Request) {
	hash := r.PathValue("hash")
	hq, err := parseHistoryQuery(r.URL.Query(), time.Now())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	from, to, step := hq.from, hq.to, hq.step
	if !s.needHistory(w, r, hash) {
		return
	}
	h, err := s.opts.History.History(r.Context(), hash, from, to, step)
	if err != nil {
		s.storeError(w, err)
		return
	}
	names := s.opts.History.Probes()
	probes := make(map[string][]historyPoint, len(names))
	for p, pts := range h[:min(len(h), len(names))] {
		out := make([]historyPoint, 0, len(pts))
		for _, pt := range pts {
			hp := historyPoint{Time: snapshot.FormatTime(pt.Time), Samples: pt.Total, LatencyMaxMS: pt.LatencyMaxMS}
			if pt.Total > 0 {
				hp.SuccessRatio = float64(pt.OK) / float64(pt.Total)
				avg := float64(pt.LatencySumMS) / float64(pt.Total)
				hp.LatencyAvgMS = &avg
			}
			out = append(out, hp)
		}
		probes[names[p]] = out
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"hash": hash, "from": snapshot.FormatTime(from), "to": snapshot.FormatTime(to),
		"step_seconds": int64(step / time.Second), "probe_names": names, "probes": probes,
	})
}

// defaultStep keeps a range to about a hundred points.
func defaultStep(d time.Duration) time.Duration {
	for _, s := range []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour} {
		if d/s <= 150 {
			return s
		}
	}
	return 24 * time.Hour
}

// events answers /crns/{hash}/events?before=&limit=: transitions, newest
// first; "next" is the before= of the following page.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	hash := r.PathValue("hash")
	q := r.URL.Query()
	limit := 50
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxEvents {
			writeError(w, http.StatusBadRequest, "limit: want 1 to "+strconv.Itoa(maxEvents))
			return
		}
		limit = n
	}
	var before int64
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "before: want an event id from a previous page")
			return
		}
		before = n
	}
	if !s.needHistory(w, r, hash) {
		return
	}
	evs, err := s.opts.History.Events(r.Context(), hash, before, limit)
	if err != nil {
		s.storeError(w, err)
		return
	}
	type event struct {
		ID     int64  `json:"id"`
		Probe  string `json:"probe"`
		At     string `json:"at"`
		OK     bool   `json:"ok"`
		Status int    `json:"status"`
		Class  string `json:"class"`
		Msg    string `json:"message"`
	}
	out := make([]event, len(evs))
	for i, e := range evs {
		out[i] = event{e.ID, e.Probe, snapshot.FormatTime(e.At), e.OK, e.Status, e.Class, e.Msg}
	}
	var next *int64
	if len(evs) == limit {
		next = &evs[len(evs)-1].ID
	}
	writeJSON(w, http.StatusOK, map[string]any{"hash": hash, "events": out, "next": next})
}

// uptime answers /uptime.json: hash → config-probe success ratio over
// 24 h, 7 d and 30 d (null where there is no sample), and the config
// probe's state with the time it began.
func (s *Server) uptime(w http.ResponseWriter, r *http.Request) {
	body, err := s.uptimes.get(r.Context(), s.opts.History, s.opts.Writer, time.Now())
	if err != nil {
		s.storeError(w, err)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=60")
	writeRawJSON(w, http.StatusOK, body)
}

// uptimeCache keeps the last /uptime.json body. The ratios change only
// when a round is written or the hour turns (the windows move by whole
// hours), so the body is rebuilt only then; requests meanwhile read the
// store not at all. Without a writer to count rounds, every request
// rebuilds it.
type uptimeCache struct {
	mu            sync.Mutex // held while building, so concurrent requests build once
	written, hour int64
	body          []byte
	up            map[string]store.Uptime // what body says, for badges
	gen           uint64                  // rebuilds so far
}

func (c *uptimeCache) get(ctx context.Context, st store.Store, wr *history.Writer, now time.Time) ([]byte, error) {
	written, hour := int64(-1), now.Unix()/3600
	if wr != nil {
		written = wr.Status().Written
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.body != nil && written >= 0 && c.written == written && c.hour == hour {
		return c.body, nil
	}
	up, err := st.Uptime(ctx, now)
	if err != nil {
		return nil, err
	}
	// up and since are the config probe's state and when it began, so
	// that a page can say "down since" without reading every node's
	// events; null when the store holds no state for the node.
	type ratios struct {
		Day   *float64 `json:"24h"`
		Week  *float64 `json:"7d"`
		Month *float64 `json:"30d"`
		Up    *bool    `json:"up"`
		Since *string  `json:"since"`
	}
	out := make(map[string]ratios, len(up))
	for h, u := range up {
		r := ratios{Day: u.Day, Week: u.Week, Month: u.Month}
		if !u.Since.IsZero() {
			isUp, since := u.Up, snapshot.FormatTime(u.Since)
			r.Up, r.Since = &isUp, &since
		}
		out[h] = r
	}
	body, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	c.written, c.hour, c.body, c.up = written, hour, body, up
	c.gen++
	return body, nil
}
