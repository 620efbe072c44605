package listen

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"nodelist/internal/config/configtest"
)

// writePair writes a fresh self-signed pair with the given serial, each
// file by rename as certificate tools do.
func writePair(t *testing.T, dir string, serial int64) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: "nodelist test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "cert.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	writeFile(t, filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}))
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path+".tmp", b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
}

func TestCertFilesReloadWithoutParsingPerHandshake(t *testing.T) {
	dir := t.TempDir()
	writePair(t, dir, 1)
	certs, err := LoadCertFiles(filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	// The server's own TLS listener: httptest's StartTLS would install its
	// certificate, which takes precedence over GetCertificate.
	srv.Listener = tls.NewListener(srv.Listener, &tls.Config{GetCertificate: certs.GetCertificate, SessionTicketsDisabled: true})
	srv.Start()
	defer srv.Close()
	url := "https://" + srv.Listener.Addr().String()
	// A new connection, hence a full handshake, for every request.
	client := &http.Client{Transport: &http.Transport{
		DisableKeepAlives: true,
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, // the test reads the served serial itself
	}}
	serial := func() int64 {
		t.Helper()
		resp, err := client.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.TLS.PeerCertificates[0].SerialNumber.Int64()
	}

	for i := range 20 {
		if s := serial(); s != 1 {
			t.Fatalf("handshake %d served serial %d, want 1", i, s)
		}
	}
	if n := certs.Parses(); n != 1 {
		t.Errorf("20 handshakes on unchanged files: %d parses, want 1", n)
	}

	writePair(t, dir, 2)
	for i := range 20 {
		if s := serial(); s != 2 {
			t.Fatalf("handshake %d after renewal served serial %d, want 2", i, s)
		}
	}
	if n := certs.Parses(); n != 2 {
		t.Errorf("renewal then 20 handshakes: %d parses, want 2", n)
	}

	// A broken key (a renewal half done) keeps the last good pair in
	// service, and is not parsed again until the files change.
	writeFile(t, filepath.Join(dir, "key.pem"), []byte("not a key"))
	for range 10 {
		if s := serial(); s != 2 {
			t.Fatalf("broken key: served serial %d, want the previous 2", s)
		}
	}
	if n := certs.Parses(); n != 3 {
		t.Errorf("broken key then 10 handshakes: %d parses, want 3", n)
	}
}

func TestLoadCertFilesRefusesBadPair(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "cert.pem"), []byte("nope"))
	writeFile(t, filepath.Join(dir, "key.pem"), []byte("nope"))
	if _, err := LoadCertFiles(filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), nil); err == nil {
		t.Error("LoadCertFiles accepted an unparsable pair")
	}
	if _, err := LoadCertFiles(filepath.Join(dir, "missing.pem"), filepath.Join(dir, "key.pem"), nil); err == nil {
		t.Error("LoadCertFiles accepted a missing file")
	}
}

// A certificate or key whose path comes to lead to a device, a named pipe,
// a directory, a socket or a file over the bound (a link to one included)
// is refused by the bounded read: handshakes go on with the last good
// pair, and none waits on the file.
func TestCertFilesRefuseUnreadableFiles(t *testing.T) {
	for _, which := range []string{"cert.pem", "key.pem"} {
		for _, bad := range configtest.BadFiles(t) {
			dir := t.TempDir()
			writePair(t, dir, 7)
			certs, err := LoadCertFiles(filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, which)
			if err := os.Symlink(bad.Path, path+".new"); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(path+".new", path); err != nil {
				t.Fatal(err)
			}
			done := make(chan *tls.Certificate, 1)
			go func() { c, _ := certs.GetCertificate(nil); done <- c }()
			select {
			case c := <-done:
				if c == nil || certs.Parses() != 2 {
					t.Errorf("%s as %s: certificate %v after %d parses; want the previous pair after 2", bad.Name, which, c, certs.Parses())
				}
			case <-time.After(20 * time.Second): // a hang, not a speed bound
				t.Fatalf("%s as %s: the handshake's certificate has not come", bad.Name, which)
			}
			// At start, the same file is refused with its name and why.
			if _, err := LoadCertFiles(filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), nil); err == nil ||
				!strings.Contains(err.Error(), path+": "+bad.Reason) {
				t.Errorf("%s as %s at start: %v", bad.Name, which, err)
			}
		}
	}
}
