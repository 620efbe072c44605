// Package listen is the service's listener layer: the connection bounds
// (ConnLimiter, ConnBudget), the TLS certificate reloaded from disk
// (CertFiles), the bounded http.Server (HTTPServer), and Run, which
// serves a handler until its context ends and then shuts down gracefully.
//
// It knows nothing of routes, budgets per route or the snapshot: it is
// handed an http.Handler (a Service, told of the connection counts and
// closed when shutdown begins) and must not import the server package.
package listen
