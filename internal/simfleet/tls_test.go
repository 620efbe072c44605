package simfleet

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// tlsClient trusts the fleet's CA only, and offers h2 as the service's
// prober does.
func tlsClient(t *testing.T, f *Fleet) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(f.CACertPEM()) {
		t.Fatalf("CA PEM %q does not parse", f.CACertPEM())
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 4}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 5 * time.Second}
}

func TestTLS(t *testing.T) {
	for _, shared := range []bool{false, true} {
		name := "own listeners"
		if shared {
			name = "shared listener"
		}
		t.Run(name, func(t *testing.T) {
			f := start(t, Options{Nodes: 12, Seed: 4, TLS: true, SharedListener: shared, Failing: 0.1})
			c := tlsClient(t, f)
			var live []Node
			for _, n := range f.Nodes() {
				if !strings.HasPrefix(n.Address, "https://") {
					t.Fatalf("node %d address %q is not https", n.Index, n.Address)
				}
				if n.Kind == KindOK {
					live = append(live, n)
				}
			}
			if len(live) == 0 {
				t.Fatal("no healthy node")
			}
			for _, n := range live {
				for _, path := range []string{"/status/config", "/about/usage/system"} {
					resp, err := c.Get(base(n) + path)
					if err != nil {
						t.Fatalf("node %d %s: %v", n.Index, path, err)
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK || resp.ProtoMajor != 2 {
						t.Errorf("node %d %s: %d over %s", n.Index, path, resp.StatusCode, resp.Proto)
					}
					if path == "/status/config" && string(body) != string(f.nodes[n.Index].config) {
						t.Errorf("node %d answered %.80s, not its own config", n.Index, body)
					}
				}
			}
			// Two requests to a node ride one connection (h2), each node
			// its own: the certificate matched every dialed address.
			for _, n := range live {
				if got := f.NodeConnections(n.Index); got != 1 {
					t.Errorf("node %d: %d connections", n.Index, got)
				}
			}
			if st := f.Stats(); st.NodeRequests != int64(2*len(live)) {
				t.Errorf("stats %+v for %d live nodes", st, len(live))
			}

			// A client that does not trust the CA is refused.
			untrusting := &http.Client{Transport: &http.Transport{}, Timeout: 5 * time.Second}
			_, err := untrusting.Get(base(live[0]) + "/status/config")
			var unknown x509.UnknownAuthorityError
			if !errors.As(err, &unknown) {
				t.Errorf("a client without the CA got %v, want an unknown authority", err)
			}
		})
	}
}

func TestPlainHasNoCA(t *testing.T) {
	f := start(t, Options{Nodes: 2, Seed: 4})
	if f.CACertPEM() != nil {
		t.Error("a plain fleet has a CA")
	}
	for _, n := range f.Nodes() {
		if !strings.HasPrefix(n.Address, "http://") {
			t.Errorf("node %d address %q", n.Index, n.Address)
		}
	}
}
