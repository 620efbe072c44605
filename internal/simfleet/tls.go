package simfleet

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"sync"
	"time"
)

// testCA is the fleet's own certificate authority, made at Start when
// Options.TLS is set: real nodes are HTTPS, so a client under test does
// the handshakes and holds the TLS state a real fleet costs it. Each node
// address gets a leaf certificate for its IP, signed on its first
// handshake and kept; every leaf shares one key, since only the chain is
// checked.
type testCA struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	pem     []byte
	leafKey *ecdsa.PrivateKey
	serial  big.Int // last serial issued; under mu

	mu     sync.Mutex
	leaves map[netip.Addr]*tls.Certificate
}

// newTestCA makes a CA valid from an hour ago for a week.
func newTestCA() (*testCA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("CA key: %w", err)
	}
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("leaf key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "nodelist simfleet test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(7 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("CA certificate: %w", err)
	}
	ca := &testCA{cert: cert, key: key, leafKey: leafKey, leaves: map[netip.Addr]*tls.Certificate{},
		pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
	ca.serial.SetInt64(1)
	return ca, nil
}

// leaf returns the certificate for addr, signing it on first use.
func (ca *testCA) leaf(addr netip.Addr) (*tls.Certificate, error) {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	if c, ok := ca.leaves[addr]; ok {
		return c, nil
	}
	ca.serial.Add(&ca.serial, big.NewInt(1))
	tmpl := &x509.Certificate{
		SerialNumber: new(big.Int).Set(&ca.serial),
		Subject:      pkix.Name{CommonName: addr.String()},
		NotBefore:    ca.cert.NotBefore,
		NotAfter:     ca.cert.NotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{addr.AsSlice()},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &ca.leafKey.PublicKey, ca.key)
	if err != nil {
		return nil, fmt.Errorf("leaf certificate for %s: %w", addr, err)
	}
	c := &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: ca.leafKey}
	ca.leaves[addr] = c
	return c, nil
}

// serverConfig is the nodes' TLS configuration: the certificate for the
// address the client dialed. http.Server adds h2 and http/1.1 to
// NextProtos, as the reverse proxies in front of real nodes offer both.
func (ca *testCA) serverConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			addr := localAddr(hello.Conn)
			if !addr.IsValid() {
				return nil, errors.New("simfleet: no local address for the handshake")
			}
			return ca.leaf(addr)
		},
	}
}

// CACertPEM is the PEM certificate of the CA that signed the nodes'
// certificates, nil when the fleet serves plain HTTP. A client trusts it
// with x509.CertPool.AppendCertsFromPEM, or a child process through a
// file named in SSL_CERT_FILE.
func (f *Fleet) CACertPEM() []byte {
	if f.ca == nil {
		return nil
	}
	return f.ca.pem
}
