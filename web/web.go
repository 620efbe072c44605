package web

import "embed"

// Files holds the pages, scripts and style sheets at its root.
//
//go:embed *.html *.js *.css
var Files embed.FS
