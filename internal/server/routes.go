package server

import (
	"net/http"
	"slices"
)

// routeMux is the server's ServeMux, remembering every pattern registered
// on it. The mux cannot list its routes; the API description is held to
// them (a route added without being described fails a test), and the
// served description leaves out the routes this server does not serve
// (debug endpoints turned off, say).
type routeMux struct {
	*http.ServeMux
	patterns []string
	// wrap, when set, wraps each handler as it is registered, knowing
	// its pattern: the per-route work (budget, metrics) then needs no
	// second look-up of the route per request.
	wrap func(pattern string, h http.Handler) http.Handler
}

func newRouteMux() *routeMux { return &routeMux{ServeMux: http.NewServeMux()} }

func (m *routeMux) Handle(pattern string, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	if m.wrap != nil {
		h = m.wrap(pattern, h)
	}
	m.ServeMux.Handle(pattern, h)
}

func (m *routeMux) HandleFunc(pattern string, f func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(f))
}

// Patterns returns the patterns registered, in order.
func (m *routeMux) Patterns() []string { return slices.Clone(m.patterns) }

// serves reports whether r would reach a route of its own rather than
// the catch-all that answers 404 and 405.
func (m *routeMux) serves(r *http.Request) bool {
	_, pattern := m.Handler(r)
	return pattern != "" && pattern != catchAll
}

// catchAll is the pattern of noRoute.
const catchAll = "/"
