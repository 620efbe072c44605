package web

import "embed"

// Files holds index.html, debug.html, debug.js and style.css at its root.
//
//go:embed index.html debug.html debug.js style.css
var Files embed.FS
