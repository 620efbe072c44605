package listen

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"nodelist/internal/config"
)

// fileKey identifies one version of a file on disk: a renewed certificate
// changes at least one of these, whether it is rewritten in place or
// replaced by a rename.
type fileKey struct {
	path  string
	mtime time.Time
	size  int64
	inode uint64
}

func statKey(path string) (fileKey, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileKey{}, err
	}
	k := fileKey{path: path, mtime: fi.ModTime(), size: fi.Size()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		k.inode = st.Ino
	}
	return k, nil
}

// CertFiles serves a certificate and key pair kept on disk. The parsed
// pair is cached, keyed by both files' (path, mtime, size, inode); a
// handshake costs two stat calls, and the pair is parsed again only when
// a file changes, so a renewed certificate is served without a restart.
// A pair that fails to parse (say, the certificate renewed but the key not
// yet) leaves the last good pair in service until the files change again.
type CertFiles struct {
	certPath, keyPath string
	log               *slog.Logger
	parses            atomic.Int64

	mu       sync.Mutex
	cert     *tls.Certificate
	certKey  fileKey // version of the files last parsed, good or not
	keyKey   fileKey
	lastErrs error
}

// LoadCertFiles parses the pair once; it fails when the pair is unusable,
// so the service does not start with a certificate it cannot serve.
func LoadCertFiles(certPath, keyPath string, log *slog.Logger) (*CertFiles, error) {
	if log == nil {
		log = slog.Default()
	}
	c := &CertFiles{certPath: certPath, keyPath: keyPath, log: log}
	if _, err := c.current(); err != nil {
		return nil, err
	}
	return c, nil
}

// GetCertificate is a tls.Config GetCertificate function.
func (c *CertFiles) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return c.current()
}

// Parses is how many times the pair has been parsed.
func (c *CertFiles) Parses() int64 { return c.parses.Load() }

func (c *CertFiles) current() (*tls.Certificate, error) {
	ck, err1 := statKey(c.certPath)
	kk, err2 := statKey(c.keyPath)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err1 != nil || err2 != nil {
		if c.cert != nil {
			return c.cert, nil // a file briefly missing during a renewal
		}
		return nil, fmt.Errorf("tls key pair: %w", firstErr(err1, err2))
	}
	if ck == c.certKey && kk == c.keyKey {
		if c.cert == nil {
			return nil, c.lastErrs
		}
		return c.cert, nil
	}
	c.certKey, c.keyKey = ck, kk
	c.parses.Add(1)
	pair, err := loadPair(c.certPath, c.keyPath)
	if err != nil {
		c.lastErrs = fmt.Errorf("tls key pair: %w", err)
		if c.cert != nil {
			c.log.Warn("new TLS key pair unusable; serving the previous one", "err", err)
			return c.cert, nil
		}
		return nil, c.lastErrs
	}
	if c.cert != nil {
		c.log.Info("TLS key pair reloaded", "cert", c.certPath)
	}
	c.cert = &pair
	return c.cert, nil
}

// loadPair reads and parses the pair, each file with the bounded read of
// every file the service reads: a path naming /dev/zero, a named pipe or
// a huge file is refused at once instead of read without end.
func loadPair(certPath, keyPath string) (tls.Certificate, error) {
	certPEM, err := config.ReadFile(certPath)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("certificate: %w", err)
	}
	keyPEM, err := config.ReadFile(keyPath)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("key: %w", err)
	}
	return tls.X509KeyPair(certPEM, keyPEM)
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
