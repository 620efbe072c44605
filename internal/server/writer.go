package server

import (
	"net/http"
	"time"
)

// respWriter is the one wrapper a routed request's answer goes through.
// It notes the status (for the metrics), whether the answer has begun (a
// panic after that cuts the connection rather than writing a 500), and,
// when paced, sets the connection's write deadline before each write:
// grace plus the write's size at the floor rate, capped at end. One
// allocation per request, where three wrappers stacked before.
type respWriter struct {
	http.ResponseWriter
	code  int       // the first final status, 0 until one is written
	wrote bool      // the answer has begun (an informational status counts)
	start time.Time // when the request reached its route; zero without metrics
	// paced is set by pace; rc, rate, grace and end then hold.
	paced bool
	rc    http.ResponseController
	rate  float64 // bytes per second
	grace time.Duration
	end   time.Time
}

// pace has each later write carry a deadline proportional to its size;
// without a floor rate it leaves w unpaced.
func (w *respWriter) pace(l Limits, end time.Time) {
	if l.MinReadRate < 0 {
		return
	}
	w.paced = true
	w.rc = *http.NewResponseController(w.ResponseWriter)
	w.rate, w.grace, w.end = float64(l.MinReadRate), l.WriteGrace, end
}

func (w *respWriter) WriteHeader(code int) {
	w.wrote = true
	if w.code == 0 && code >= 200 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *respWriter) Write(b []byte) (int, error) {
	w.wrote = true
	if w.code == 0 {
		w.code = http.StatusOK
	}
	if w.paced {
		d := time.Now().Add(w.grace + time.Duration(float64(len(b))/w.rate*float64(time.Second)))
		if d.After(w.end) {
			d = w.end
		}
		_ = w.rc.SetWriteDeadline(d) // unsupported only by test recorders
	}
	return w.ResponseWriter.Write(b)
}

// status is the answer's status as the metrics count it: 200 when the
// handler wrote nothing.
func (w *respWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

// FlushError flushes the connection's writer; http.ResponseController
// calls it, and Flush serves handlers that assert http.Flusher.
func (w *respWriter) FlushError() error {
	return http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *respWriter) Flush() { _ = w.FlushError() }

// Unwrap lets http.ResponseController reach the connection's writer (to
// set deadlines).
func (w *respWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
