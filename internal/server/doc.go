// Package server holds the HTTP routes and handlers. Each route is
// registered once, in routeTable (routes.go), with its method, the budget
// it draws on and its OpenAPI operation; the mux, each request's budget
// and the Allow header of a 405 derive from it. Every routed request is
// answered through one respWriter (writer.go), which notes the status for
// the metrics, paces writes and tells panic recovery whether the answer
// began. Handlers answer from the current snapshot, writing bytes prepared
// at publication; pages are read from the embedded web files once, when
// the server is built.
//
// openapi.json describes every route; tests hold it to routeTable and to
// the answers the routes give, and the CRN schemas in it come from the
// contract package, merged in when the server starts.
//
// The history endpoints read the store.Store they are handed; the
// history API lists the store's probes (probe_names, the probe table's
// order), which the node page draws. /healthz reports history's Writer.
//
// Listening, connection bounds, TLS and shutdown are the listen
// sub-package's; the server is the handler it serves. It must not probe
// nodes nor build snapshots; it asks the refresher.
package server
