package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// adminToken is the admin token's digest; the zero value holds none.
// Comparing digests, in constant time, tells an attacker timing the
// answers nothing of the token, its length included.
type adminToken struct {
	set    bool
	digest [sha256.Size]byte
}

func newAdminToken(tok []byte) adminToken {
	if len(tok) == 0 {
		return adminToken{}
	}
	return adminToken{set: true, digest: sha256.Sum256(tok)}
}

// admin reads the request's credentials. It reports whether the request
// carries the admin token; a request carrying other credentials is
// answered 401 here and ok is false. Without credentials, or with no
// token configured, it is no admin, and the route decides.
func (s *Server) admin(w http.ResponseWriter, r *http.Request) (admin, ok bool) {
	h := r.Header.Get("Authorization")
	if !s.token.set || h == "" {
		return false, true
	}
	scheme, tok, _ := strings.Cut(h, " ")
	if strings.EqualFold(scheme, "Bearer") {
		d := sha256.Sum256([]byte(strings.TrimSpace(tok)))
		if subtle.ConstantTimeCompare(d[:], s.token.digest[:]) == 1 {
			return true, true
		}
	}
	unauthorized(w, "wrong credentials: want Authorization: Bearer and the admin token")
	return false, false
}

func unauthorized(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="nodelist"`)
	w.Header().Set("Cache-Control", "no-store")
	writeError(w, http.StatusUnauthorized, msg)
}
