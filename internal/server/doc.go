// Package server holds the HTTP routes and handlers. Handlers answer from
// the current snapshot, writing bytes prepared at publication; pages are
// read from the embedded web files once, when the server is built.
//
// openapi.json describes every route; tests hold it to the routes
// registered on the mux and to the answers they give, and the CRN schemas
// in it come from the contract package, merged in when the server starts.
//
// It must not probe nodes nor build snapshots; it asks the refresher.
package server
