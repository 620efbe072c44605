package server

import (
	"net/http"
	"slices"
)

// routeMux is the server's ServeMux, remembering every route registered
// on it. The mux cannot list its routes; a test holds them to routeTable
// (a route registered around the table fails it), and the served
// description leaves out the routes this server does not serve (debug
// endpoints turned off, say).
type routeMux struct {
	*http.ServeMux
	routes []route
	// wrap, when set, wraps each handler as it is registered, knowing
	// its route: the per-route work (budget, metrics) then needs no
	// second look-up of the route per request.
	wrap func(rt route, h http.Handler) http.Handler
}

func newRouteMux() *routeMux { return &routeMux{ServeMux: http.NewServeMux()} }

// handle registers h for rt; routes are registered from routeTable alone
// (see Server.register).
func (m *routeMux) handle(rt route, h http.Handler) {
	m.routes = append(m.routes, rt)
	if m.wrap != nil {
		h = m.wrap(rt, h)
	}
	m.ServeMux.Handle(rt.pattern(), h)
}

// Patterns returns the patterns registered, in order.
func (m *routeMux) Patterns() []string {
	ps := make([]string, len(m.routes))
	for i, rt := range m.routes {
		ps[i] = rt.pattern()
	}
	return ps
}

// routeOf returns the route registered at pattern, as the mux's Handler
// names it.
func (m *routeMux) routeOf(pattern string) (route, bool) {
	i := slices.IndexFunc(m.routes, func(rt route) bool { return rt.pattern() == pattern })
	if i < 0 {
		return route{}, false
	}
	return m.routes[i], true
}

// serves reports whether r would reach a route of its own rather than
// the catch-all that answers 404 and 405.
func (m *routeMux) serves(r *http.Request) bool {
	_, pattern := m.Handler(r)
	return pattern != "" && pattern != catchAll
}

// catchAll is the pattern of noRoute.
const catchAll = "/"
