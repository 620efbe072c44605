package server

import (
	"net/http"
	"strings"
)

// The policies every answer carries. A page may run only what its origin
// serves (the vendored Swagger UI included: it needs no inline script or
// style and no eval), may draw data: images (the favicon, Swagger UI's
// icons), and may be framed by no one. Any other answer (JSON, SVG,
// scripts, the change stream) runs nothing when opened as a document.
const (
	pageCSP  = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	otherCSP = "default-src 'none'; frame-ancestors 'none'"
	// hsts asks browsers to come back over HTTPS only, for a year; sent
	// only on answers over TLS, as RFC 6797 requires. Subdomains are not
	// the service's to speak for.
	hsts = "max-age=31536000"
)

// secureHeaders sets the headers every answer carries, errors and
// preflights included: no sniffing of types, no referrer sent from the
// pages (nothing here reads one, and a node operator's host linked from a
// node's page need not learn who looked), no framing, a content security
// policy (pages replace it with pageCSP), and HSTS over TLS.
func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", otherCSP)
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", hsts)
		}
		next.ServeHTTP(w, r)
	})
}

// isDocument reports whether a page's content type is one a browser
// renders as a document that runs scripts.
func isDocument(contentType string) bool {
	return strings.HasPrefix(contentType, "text/html")
}
