// Package web holds the service's pages: a short index and a debug table of
// every CRN that the browser builds from crns.json.
//
// The files are embedded so the binary serves them without a build step or
// a directory beside it. Pages use only relative URLs, so they work behind a
// path prefix. It holds no Go logic: the server decides where each file is
// served and with which headers.
package web
