// Package web holds the service's pages: the dashboard (index.html and its
// modules: the fleet view, a node's page, an operator's page; every time
// written by when.js), a plain debug table of every CRN (debug.html), both built in
// the browser from the JSON any client reads, and the API docs page
// (docs.html), which draws openapi.json with the Swagger UI vendored in
// vendor/swagger-ui (see its README for where it comes from).
//
// The files are embedded so the binary serves them without a build step or
// a directory beside it. Pages use only relative URLs, so they work behind a
// path prefix. It holds no Go logic: the server decides where each file is
// served and with which headers.
package web
