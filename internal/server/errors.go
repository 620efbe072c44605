package server

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
)

// Errors answer as the Python (FastAPI) service did, so that clients
// written against it keep working: "detail" is FastAPI's field, "error"
// this service's own message.

// writeError is how every handler reports a failure: {"error": "..."}.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeErrorDetail(w, status, msg, nil)
}

// writeErrorDetail is writeError with FastAPI's "detail" beside "error",
// when detail is not nil.
func writeErrorDetail(w http.ResponseWriter, status int, msg string, detail any) {
	b, _ := json.Marshal(struct {
		Error  string `json:"error"`
		Detail any    `json:"detail,omitempty"`
	}{msg, detail}) // strings and FastAPI's plain detail values always marshal
	h := w.Header()
	for _, k := range []string{"ETag", "Last-Modified", "Content-Encoding", "Content-Length"} {
		h.Del(k) // set for an answer that turned into this error
	}
	h.Set("Cache-Control", "no-store")
	writeRawJSON(w, status, b)
}

// noRoute answers what no route took: 405 with Allow when the path has a
// route for another method, as FastAPI does, else 404. The methods come
// from the registered routes (routes.go).
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	methods := s.methodsAt(r)
	if len(methods) == 0 {
		writeErrorDetail(w, http.StatusNotFound, "no such endpoint: "+r.URL.Path, "Not Found")
		return
	}
	w.Header().Set("Allow", allowHeader(methods))
	writeErrorDetail(w, http.StatusMethodNotAllowed,
		"method "+quoteShort(r.Method)+" not allowed on "+r.URL.Path+"; use "+strings.Join(methods, " or "), "Method Not Allowed")
}

// boolDetail is FastAPI's (pydantic 2's) detail for a query parameter
// that is not a boolean.
func boolDetail(param, input string) []map[string]any {
	return []map[string]any{{
		"type":  "bool_parsing",
		"loc":   []string{"query", param},
		"msg":   "Input should be a valid boolean, unable to interpret input",
		"input": input,
	}}
}

// serveRecovering serves r through h, turning a panic into a 500 with a
// JSON body, when nothing was written yet, instead of a dropped
// connection; the panic is logged with its stack. http.ErrAbortHandler
// keeps its meaning.
func serveRecovering(log *slog.Logger, h http.Handler, w *respWriter, r *http.Request) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if v == http.ErrAbortHandler {
			panic(v)
		}
		log.Error("handler panicked", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
		if w.wrote {
			panic(http.ErrAbortHandler) // a partial answer: cut the connection
		}
		writeError(w, http.StatusInternalServerError, "internal error")
	}()
	h.ServeHTTP(w, r)
}
