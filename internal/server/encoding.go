package server

import (
	"strconv"
	"strings"

	"nodelist/internal/snapshot"
)

// negotiate picks the encoding of body to send for an Accept-Encoding
// header (RFC 9110 section 12.5.3): the acceptable coding with the highest
// q-value; on a tie, the one that is usually smallest for crns.json
// (zstd, then gzip, then brotli, on the simulated fleet's body: see
// BENCHMARKS.md), decided without building any of them, since encodings
// are built on first request.
// Identity is acceptable unless excluded by "identity;q=0" or by "*;q=0"
// without an identity entry, but ranks below every coding the client
// names; when nothing is acceptable, identity is sent anyway, as the RFC
// allows. A body without encodings is always sent as identity.
func negotiate(header string, body *snapshot.Body) snapshot.Encoding {
	if header == "" {
		return snapshot.Identity
	}
	var q [len(snapshot.Encodings)]float64
	var named [len(snapshot.Encodings)]bool
	star, starSet := 0.0, false
	for part := range strings.SplitSeq(header, ",") {
		coding, qv, ok := parseCoding(part)
		if !ok {
			continue
		}
		if coding == "*" {
			star, starSet = qv, true
			continue
		}
		for _, e := range snapshot.Encodings {
			if coding == e.Token() || (e == snapshot.Gzip && coding == "x-gzip") {
				q[e], named[e] = max(q[e], qv), true
			}
		}
	}
	for _, e := range snapshot.Encodings {
		switch {
		case named[e]:
		case starSet:
			q[e] = star
		case e == snapshot.Identity:
			q[e] = 0.0001 // acceptable, but any coding the client names wins
		}
	}
	best, bestQ := snapshot.Identity, q[snapshot.Identity]
	if !body.Encoded() {
		return best
	}
	for _, e := range bySize {
		if q[e] > 0 && (q[e] > bestQ || (q[e] == bestQ && best == snapshot.Identity)) {
			best, bestQ = e, q[e]
		}
	}
	return best
}

// bySize are the codings, usually smallest first.
var bySize = [...]snapshot.Encoding{snapshot.Zstd, snapshot.Gzip, snapshot.Brotli}

// parseCoding reads `coding[;q=value]`; a malformed q-value drops the
// entry, as if it were not there.
func parseCoding(part string) (coding string, q float64, ok bool) {
	coding, params, _ := strings.Cut(part, ";")
	coding = strings.ToLower(strings.TrimSpace(coding))
	if coding == "" {
		return "", 0, false
	}
	q = 1
	for p := range strings.SplitSeq(params, ";") {
		k, v, found := strings.Cut(p, "=")
		if !found || !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f < 0 || f > 1 {
			return "", 0, false
		}
		q = f
	}
	return coding, q, true
}
