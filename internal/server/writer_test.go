package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// The one wrapper notes the first final status and whether the answer
// began, and passes flushes on, whether asked through http.Flusher or
// http.ResponseController.
func TestRespWriter(t *testing.T) {
	for _, tc := range []struct {
		name      string
		serve     func(w http.ResponseWriter)
		status    int
		wrote     bool
		flushed   bool
		recorder  int
		bodyBytes int
	}{
		{"nothing", func(http.ResponseWriter) {}, 200, false, false, 200, 0},
		{"write", func(w http.ResponseWriter) { _, _ = w.Write([]byte("abc")) }, 200, true, false, 200, 3},
		{"informational then 404", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(http.StatusNotFound)
		}, 404, true, false, 103, 0}, // the recorder keeps the first code it sees
		{"503 then another", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.WriteHeader(http.StatusOK) // superfluous: the first counts
		}, 503, true, false, 503, 0},
		{"flusher", func(w http.ResponseWriter) { w.(http.Flusher).Flush() }, 200, false, true, 200, 0},
		{"controller", func(w http.ResponseWriter) {
			if err := http.NewResponseController(w).Flush(); err != nil {
				t.Errorf("flush through the controller: %v", err)
			}
		}, 200, false, true, 200, 0},
	} {
		for _, paced := range []bool{false, true} {
			rec := httptest.NewRecorder()
			w := &respWriter{ResponseWriter: rec}
			if paced {
				w.pace(Limits{MinReadRate: 1 << 10, WriteGrace: time.Second}, time.Now().Add(time.Minute))
			}
			tc.serve(w)
			if w.status() != tc.status || w.wrote != tc.wrote || rec.Flushed != tc.flushed ||
				rec.Code != tc.recorder || rec.Body.Len() != tc.bodyBytes || w.paced != paced {
				t.Errorf("%s (paced %v): status %d, wrote %v, flushed %v, recorder %d with %d bytes, paced %v; "+
					"want %d, %v, %v, %d with %d bytes", tc.name, paced, w.status(), w.wrote, rec.Flushed,
					rec.Code, rec.Body.Len(), w.paced, tc.status, tc.wrote, tc.flushed, tc.recorder, tc.bodyBytes)
			}
		}
	}
	// Without a floor rate nothing is paced.
	w := &respWriter{ResponseWriter: httptest.NewRecorder()}
	if w.pace(Limits{MinReadRate: -1}, time.Now()); w.paced {
		t.Error("MinReadRate -1 paced the writer")
	}
}
