package server

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// route is one route, registered once, in routeTable: its method and path
// (as an http.ServeMux pattern writes them), the budget it draws on, its
// operation in openapi.json, and its handler. The mux, each request's
// budget, the Allow header of a 405 and the check of the API description
// all derive from it.
type route struct {
	method, path string
	class        class
	// stream routes draw on no budget: they have a bound of their own and
	// last as long as their client listens (the change stream: its
	// subscriber bound, a deadline per write). Neither a budget slot nor
	// the 60 s write bound fits them.
	stream bool
	// op is the operationId that describes the route in openapi.json;
	// empty only for the web files beside the pages (scripts, styles,
	// licences), which are not described.
	op string
	// on, when set, says whether the options serve the route.
	on func(*Options) bool
	// handler builds the route's handler for s.
	handler func(s *Server) http.Handler
}

func (rt route) pattern() string {
	if rt.method == "" {
		return rt.path
	}
	return rt.method + " " + rt.path
}

// routeTable is every route the server may serve. Unlisted requests reach
// the catch-all noRoute (404, or 405 with Allow).
var routeTable = []route{
	{method: "GET", path: "/crns.json", class: classSnapshot, op: "listCRNs", handler: fn((*Server).crns)},
	{method: "GET", path: "/crns/{file}", class: classCheap, op: "getCRN", handler: fn((*Server).oneCRN)},
	{method: "GET", path: "/crns/{hash}/history", class: classCostly, op: "getHistory", handler: fn((*Server).history)},
	{method: "GET", path: "/crns/{hash}/events", class: classCostly, op: "getEvents", handler: fn((*Server).events)},
	{method: "GET", path: "/uptime.json", class: classSnapshot, op: "getUptime", handler: fn((*Server).uptime)},
	{method: "GET", path: "/crns/changes", stream: true, op: "streamChanges", handler: fn((*Server).changes)},
	{method: "GET", path: "/crns/{hash}/badge.svg", class: classCheap, op: "getBadge", handler: fn((*Server).badge)},
	{method: "GET", path: "/healthz", class: classCheap, op: "getHealth", handler: fn((*Server).healthz)},
	{method: "GET", path: "/readyz", class: classCheap, op: "getReady", handler: fn((*Server).readyz)},
	{method: "GET", path: "/metrics", class: classCheap, op: "getMetrics",
		on:      func(o *Options) bool { return o.Gatherer != nil },
		handler: func(s *Server) http.Handler { return metricsHandler(s.opts.Gatherer, s) }},
	{method: "GET", path: "/openapi.json", class: classCheap, op: "getOpenAPI", handler: fn((*Server).openAPI)},
	{method: "POST", path: "/-/reload", class: classCostly, op: "reload",
		on: func(o *Options) bool { return o.Reload != nil }, handler: fn((*Server).reload)},
	{method: "GET", path: "/debug/task", class: classCheap, op: "getTask", on: debugOn, handler: fn((*Server).debugTask)},
	{method: "GET", path: "/debug/node", class: classCostly, op: "forceRound", on: debugOn, handler: fn((*Server).debugNode)},
	{method: "GET", path: "/debug/nodes_aggregate", class: classSnapshot, op: "getRegistry", on: debugOn,
		handler: fn((*Server).debugAggregate)},
	{method: "GET", path: "/{$}", class: classCheap, op: "dashboard", handler: pageAt("/{$}")},
	{method: "GET", path: "/index.html", class: classCheap, op: "dashboardByName", handler: pageAt("/index.html")},
	{method: "GET", path: "/debug.html", class: classCheap, op: "debugTable", handler: pageAt("/debug.html")},
	{method: "GET", path: "/docs", class: classCheap, op: "docs", handler: pageAt("/docs")},
}

func debugOn(o *Options) bool { return o.DebugEndpoints }

// fn adapts a handler method to a route's handler.
func fn(f func(*Server, http.ResponseWriter, *http.Request)) func(*Server) http.Handler {
	return func(s *Server) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { f(s, w, r) })
	}
}

// pageAt serves the web file loaded at path.
func pageAt(path string) func(*Server) http.Handler {
	return func(s *Server) http.Handler { return s.pages[path] }
}

// servedRoutes is the routes s serves: those of routeTable its options
// turn on, then the web files no route names (cheap, undescribed), by
// path.
func (s *Server) servedRoutes() []route {
	var rs []route
	named := map[string]bool{}
	for _, rt := range routeTable {
		named[rt.path] = true
		if rt.on == nil || rt.on(&s.opts) {
			rs = append(rs, rt)
		}
	}
	var assets []string
	for path := range s.pages {
		if !named[path] {
			assets = append(assets, path)
		}
	}
	slices.Sort(assets)
	for _, path := range assets {
		rs = append(rs, route{method: "GET", path: path, class: classCheap, handler: pageAt(path)})
	}
	return rs
}

// register puts the served routes on the mux, each wrapped by limited
// with its budget, and indexes the methods of each path for noRoute's
// Allow header.
func (s *Server) register() error {
	rs := s.servedRoutes()
	s.paths = http.NewServeMux()
	s.methods = map[string][]string{}
	for _, rt := range rs {
		h := rt.handler(s)
		if p, isPage := h.(page); isPage && p.name == "" {
			return fmt.Errorf("route %s: no web file is served at %s", rt.pattern(), rt.path)
		}
		s.mux.handle(rt, h)
		if s.methods[rt.path] == nil {
			s.paths.Handle(rt.path, http.NotFoundHandler())
		}
		s.methods[rt.path] = append(s.methods[rt.path], rt.method)
	}
	s.mux.handle(route{path: catchAll, class: classCheap}, http.HandlerFunc(s.noRoute))
	return nil
}

// methodsAt returns the methods the routes at r's path answer, nil when
// no route has that path.
func (s *Server) methodsAt(r *http.Request) []string {
	_, path := s.paths.Handler(r)
	return s.methods[path]
}

// allowHeader is the Allow header of a 405 for the methods of a path: a
// GET route answers HEAD too, and the CORS preflight (OPTIONS).
func allowHeader(methods []string) string {
	var allow []string
	for _, m := range methods {
		allow = append(allow, m)
		if m == http.MethodGet {
			allow = append(allow, http.MethodHead, http.MethodOptions)
		}
	}
	return strings.Join(allow, ", ")
}
