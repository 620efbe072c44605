package server

import (
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"weak"

	"nodelist/internal/snapshot"
)

// crns serves crns.json from the current snapshot: the bytes were built at
// publication, so a request costs a header check and a write.
func (s *Server) crns(w http.ResponseWriter, r *http.Request) {
	activeOnly := false
	if vals, ok := r.URL.Query()["filter_inactive"]; ok && len(vals) > 0 {
		b, ok := ParseBool(vals[0])
		if !ok {
			writeErrorDetail(w, http.StatusUnprocessableEntity,
				"filter_inactive: "+quoteShort(vals[0])+" is not a boolean (true/false, 1/0, yes/no, on/off, t/f, y/n)",
				boolDetail("filter_inactive", vals[0]))
			return
		}
		activeOnly = b
	}
	s.opts.Refresher.Fresh(r.Context())
	snap := s.opts.Refresher.Holder().Load()
	body := &snap.All
	if activeOnly {
		body = &snap.Active
	}
	serveBody(w, r, snap, body)
}

// serveBody writes one variant in the encoding the client prefers, with
// its validators, answering conditional requests with 304.
func serveBody(w http.ResponseWriter, r *http.Request, snap *snapshot.Snapshot, body *snapshot.Body) {
	enc := negotiate(r.Header.Get("Accept-Encoding"), body)
	bytes, etag := body.Variant(enc)
	h := w.Header()
	// The fixed values are shared, not built per request; each slice is
	// full (len == cap), so a later Add copies rather than writes into it.
	h["Content-Type"] = headerJSON
	h["Vary"] = headerVary
	h.Set("ETag", etag)
	h["Cache-Control"] = headerCache
	modified, lastModified := lastModifiedOf(snap)
	h["Last-Modified"] = lastModified
	if enc != snapshot.Identity {
		h["Content-Encoding"] = headerEncoding[enc]
	}
	if notModified(r, etag, modified) {
		h.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(bytes)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(bytes)
	}
}

var (
	headerJSON     = []string{"application/json"}
	headerVary     = []string{"Accept-Encoding"}
	headerCache    = []string{"public, max-age=5"}
	headerEncoding = func() (h [len(snapshot.Encodings)][]string) {
		for _, e := range snapshot.Encodings {
			h[e] = []string{e.Token()}
		}
		return h
	}()
)

// lastModified caches the Last-Modified value of the latest snapshot
// served, so that it is formatted once per publication, not per request.
// It names the snapshot by a weak pointer: a strong one would keep a
// replaced snapshot (its bodies and their encodings: megabytes at
// 1000 nodes) alive until the next crns.json request.
var lastModified atomic.Pointer[struct {
	snap     weak.Pointer[snapshot.Snapshot]
	modified time.Time
	header   []string
}]

func lastModifiedOf(snap *snapshot.Snapshot) (time.Time, []string) {
	ws := weak.Make(snap)
	if c := lastModified.Load(); c != nil && c.snap == ws {
		return c.modified, c.header
	}
	modified := snap.Built.UTC().Truncate(time.Second)
	c := &struct {
		snap     weak.Pointer[snapshot.Snapshot]
		modified time.Time
		header   []string
	}{ws, modified, []string{modified.Format(http.TimeFormat)}}
	lastModified.Store(c)
	return c.modified, c.header
}

// notModified applies If-None-Match, or If-Modified-Since when no
// If-None-Match is given (RFC 9110 section 13.2.2).
func notModified(r *http.Request, etag string, modified time.Time) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for _, t := range strings.Split(inm, ",") {
			t = strings.TrimSpace(t)
			if t == "*" || strings.TrimPrefix(t, "W/") == etag {
				return true
			}
		}
		return false
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" {
		if t, err := http.ParseTime(ims); err == nil && !modified.After(t) {
			return true
		}
	}
	return false
}

// ParseBool reads the boolean spellings clients send in a query string:
// those FastAPI (pydantic 2) accepts, in any case.
func ParseBool(s string) (value, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "on", "t", "y":
		return true, true
	case "false", "0", "no", "off", "f", "n":
		return false, true
	}
	return false, false
}

func quoteShort(s string) string {
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return `"` + strings.ToValidUTF8(s, "?") + `"`
}
