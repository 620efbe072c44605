// Package server holds the HTTP routes and handlers. Handlers answer from
// the current snapshot, writing bytes prepared at publication; pages are
// read from the embedded web files once, when the server is built.
//
// It must not probe nodes nor build snapshots; it asks the refresher.
package server
