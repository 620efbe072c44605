// Package web holds the service's pages: a short index and a debug table of
// every CRN that the browser builds from crns.json.
//
// The files are embedded so the binary serves them without a build step or
// a directory beside it. Pages use only relative URLs, so they work behind a
// path prefix. It holds no Go logic: the server decides where each file is
// served and with which headers.
package web

import "embed"

// Files holds index.html, debug.html, debug.js and style.css at its root.
//
//go:embed index.html debug.html debug.js style.css
var Files embed.FS
