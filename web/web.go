package web

import "embed"

// Files holds the pages, scripts and style sheets at its root, and the
// vendored Swagger UI (with its licences) under vendor/swagger-ui.
//
//go:embed *.html *.js *.css
//go:embed vendor/swagger-ui/*.js vendor/swagger-ui/*.css vendor/swagger-ui/*.txt
//go:embed vendor/swagger-ui/LICENSE vendor/swagger-ui/NOTICE
var Files embed.FS
