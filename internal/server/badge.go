package server

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html"
	"net/http"
	"strconv"
	"sync"
	"time"
	"weak"

	"nodelist/internal/history"
	"nodelist/internal/snapshot"
	"nodelist/internal/store"
)

// A badge is a small SVG for node operators' pages: the CRN's status
// (up, down, unknown) or, with a store, its uptime over 7 days.

// badge serves GET /crns/{hash}/badge.svg[?metric=uptime7d].
func (s *Server) badge(w http.ResponseWriter, r *http.Request) {
	hash := r.PathValue("hash")
	metric := r.URL.Query().Get("metric")
	switch metric {
	case "", "status":
		metric = "status"
	case "uptime7d":
	default:
		writeError(w, http.StatusBadRequest, "metric: "+quoteShort(metric)+" is not one of status, uptime7d")
		return
	}
	snap := s.opts.Refresher.Holder().Load()
	if _, listed := snap.Up(hash); !listed {
		serveBadge(w, r, http.StatusNotFound, notListedBadge, "no-store")
		return
	}
	var gen uint64
	var week *float64
	if metric == "uptime7d" {
		var err error
		if week, gen, err = s.uptimes.week(r.Context(), s.opts.History, s.opts.Writer, time.Now(), hash); err != nil {
			s.storeError(w, err)
			return
		}
	}
	b := s.badges.get(snap, badgeKey{hash, metric, gen}, func() builtBadge {
		if metric == "uptime7d" {
			return uptimeBadge(week)
		}
		return statusBadge(snap, hash)
	})
	serveBadge(w, r, http.StatusOK, b, "public, max-age=30")
}

type badgeKey struct {
	hash, metric string
	gen          uint64 // uptime generation; 0 for status
}

type builtBadge struct {
	body []byte
	etag string
}

// badgeCache holds the badges built from the current snapshot: a badge
// is drawn once per publication (and per uptime rebuild), then served as
// bytes. Only listed CRNs are cached, so its size is bounded by the
// fleet's. The snapshot is named by a weak pointer, so that the cache
// does not keep a replaced one alive.
type badgeCache struct {
	mu   sync.Mutex
	snap weak.Pointer[snapshot.Snapshot]
	gen  uint64 // uptime generation of the uptime badges held
	m    map[badgeKey]builtBadge
}

func (c *badgeCache) get(snap *snapshot.Snapshot, k badgeKey, build func() builtBadge) builtBadge {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ws := weak.Make(snap); c.snap != ws {
		c.snap, c.m = ws, map[badgeKey]builtBadge{}
	}
	if k.gen != 0 && k.gen != c.gen {
		for old := range c.m {
			if old.gen != 0 {
				delete(c.m, old)
			}
		}
		c.gen = k.gen
	}
	b, ok := c.m[k]
	if !ok {
		b = build()
		c.m[k] = b
	}
	return b
}

func serveBadge(w http.ResponseWriter, r *http.Request, status int, b builtBadge, cache string) {
	h := w.Header()
	h.Set("Content-Type", "image/svg+xml; charset=utf-8")
	h.Set("Cache-Control", cache)
	h.Set("ETag", b.etag)
	if status == http.StatusOK && notModified(r, b.etag, time.Time{}) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(b.body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b.body)
	}
}

// statusBadge says up when the last gate probe succeeded, unknown when
// the CRN was never probed, down otherwise.
func statusBadge(snap *snapshot.Snapshot, hash string) builtBadge {
	st, _ := snap.State(hash)
	switch {
	case st.Up:
		return drawBadge("crn", "up", colorGood)
	case !st.Probed():
		return drawBadge("crn", "unknown", colorNone)
	}
	return drawBadge("crn", "down", colorBad)
}

func uptimeBadge(ratio *float64) builtBadge {
	if ratio == nil {
		return drawBadge("uptime 7d", "no data", colorNone)
	}
	pct := *ratio * 100
	text := strconv.FormatFloat(pct, 'f', 1, 64) + "%"
	if pct >= 99.95 {
		text = "100%"
	}
	switch {
	case pct >= 99:
		return drawBadge("uptime 7d", text, colorGood)
	case pct >= 90:
		return drawBadge("uptime 7d", text, colorWarn)
	}
	return drawBadge("uptime 7d", text, colorBad)
}

// Colours dark enough for white text at 11 px (contrast 4.5:1 or more).
const (
	colorGood = "#2e7d32"
	colorWarn = "#a15c00"
	colorBad  = "#c62828"
	colorNone = "#5f6368"
	colorHead = "#444d56"
)

var notListedBadge = drawBadge("crn", "not listed", colorNone)

// drawBadge lays out two boxes of text. Widths are estimated from the
// character count (Verdana 11 px averages under 7 px a character): the
// texts are short and fixed, except for numbers.
func drawBadge(label, value, color string) builtBadge {
	lw, vw := textWidth(label), textWidth(value)
	w := lw + vw
	alt := html.EscapeString(label + ": " + value)
	body := fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="20" role="img" aria-label="%s">`+
		`<title>%s</title>`+
		`<clipPath id="r"><rect width="%d" height="20" rx="3"/></clipPath>`+
		`<g clip-path="url(#r)"><rect width="%d" height="20" fill="%s"/><rect x="%d" width="%d" height="20" fill="%s"/></g>`+
		`<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">`+
		`<text x="%d" y="14">%s</text><text x="%d" y="14">%s</text></g></svg>`,
		w, alt, alt, w, lw, colorHead, lw, vw, color,
		lw/2, html.EscapeString(label), lw+vw/2, html.EscapeString(value))
	sum := sha256.Sum256([]byte(body))
	return builtBadge{body: []byte(body), etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`}
}

func textWidth(s string) int { return 7*len([]rune(s)) + 12 }

// week returns one CRN's 7-day uptime from the cached uptime table, and
// the table's generation, which changes whenever it is rebuilt.
func (c *uptimeCache) week(ctx context.Context, st store.Store, wr *history.Writer, now time.Time, hash string) (*float64, uint64, error) {
	if _, err := c.get(ctx, st, wr, now); err != nil {
		return nil, 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.up[hash].Week, c.gen, nil
}
