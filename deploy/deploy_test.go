package deploy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// nginxConf is deploy/nginx.conf, an http{} block's worth.
func nginxConf(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// nginxTest runs nginx -t over conf inside a minimal main file, with
// every path it writes in a folder of the test's own.
func nginxTest(t *testing.T, nginx, conf string) {
	t.Helper()
	dir := t.TempDir()
	site := filepath.Join(dir, "nodelist.conf")
	if err := os.WriteFile(site, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	var temps strings.Builder
	for _, d := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		temps.WriteString("  " + d + "_temp_path " + filepath.Join(dir, d) + ";\n")
	}
	main := "pid " + filepath.Join(dir, "nginx.pid") + ";\nevents {}\nhttp {\n  access_log off;\n" +
		temps.String() + "  include " + site + ";\n}\n"
	mainPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(mainPath, []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(nginx, "-t", "-q", "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", mainPath).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("nginx -t: %v\n%s\n(the file tested:\n%s)", err, out, conf)
	}
}

// deploy/nginx.conf passes nginx -t as shipped, and with its HTTPS lines
// uncommented (pointing at a certificate made here): on nginx 1.22
// (Debian 12), "http2 on;" is an unknown directive, so the file says
// "listen 443 ssl http2;". apt-get install nginx-light provides nginx.
func TestNginxAcceptsTheFile(t *testing.T) {
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		if nginx, err = exec.LookPath("/usr/sbin/nginx"); err != nil {
			t.Skip("nginx is not installed (apt-get install nginx-light)")
		}
	}
	conf := nginxConf(t)
	t.Run("as shipped", func(t *testing.T) { nginxTest(t, nginx, conf) })
	t.Run("with HTTPS", func(t *testing.T) {
		cert, key := selfSigned(t)
		var lines []string
		uncommented := 0
		for _, l := range strings.Split(conf, "\n") {
			trimmed := strings.TrimSpace(l)
			switch {
			case strings.HasPrefix(trimmed, "# listen 443 "):
				l, uncommented = "    "+strings.TrimPrefix(trimmed, "# "), uncommented+1
			case strings.HasPrefix(trimmed, "# ssl_certificate "):
				l, uncommented = "    ssl_certificate "+cert+";", uncommented+1
			case strings.HasPrefix(trimmed, "# ssl_certificate_key "):
				l, uncommented = "    ssl_certificate_key "+key+";", uncommented+1
			}
			lines = append(lines, l)
		}
		if uncommented != 3 {
			t.Fatalf("found %d of the 3 HTTPS lines to uncomment", uncommented)
		}
		nginxTest(t, nginx, strings.Join(lines, "\n"))
	})
}

// selfSigned writes a certificate and its key for nginx to load.
func selfSigned(t *testing.T) (certPath, keyPath string) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "nodes.example.org"},
		DNSNames:     []string{"nodes.example.org"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certPath, keyPath
}

// unitLines are the unit's settings of key, in order.
func unitLines(unit, key string) []string {
	var out []string
	for _, l := range strings.Split(unit, "\n") {
		if v, ok := strings.CutPrefix(l, key+"="); ok {
			out = append(out, v)
		}
	}
	return out
}

// The unit runs serve on the file deploy/config.yaml is installed as,
// reloads it with SIGHUP (what the service rereads the file on), and sets
// no NODELIST_ variable, which would win over the file's key. Where
// systemd-analyze is installed, the unit also passes its verification.
func TestSystemdUnitReadsTheConfigFile(t *testing.T) {
	b, err := os.ReadFile("nodelist.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := string(b)
	const start = "/usr/local/bin/nodelist serve --config /etc/nodelist/config.yaml"
	if got := unitLines(unit, "ExecStart"); len(got) != 1 || got[0] != start {
		t.Errorf("ExecStart=%q, want %q", got, start)
	}
	if got := unitLines(unit, "ExecReload"); len(got) != 1 || got[0] != "/bin/kill -HUP $MAINPID" {
		t.Errorf("ExecReload=%q, want SIGHUP to the service", got)
	}
	for _, env := range unitLines(unit, "Environment") {
		if strings.HasPrefix(env, "NODELIST_") {
			t.Errorf("Environment=%s would win over the file", env)
		}
	}
	if !strings.Contains(unit, "install -m 640 -g nodelist deploy/config.yaml /etc/nodelist/config.yaml") {
		t.Error("the unit's install steps do not install deploy/config.yaml where ExecStart reads it")
	}
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("systemd-analyze is not installed: the unit is not verified")
		return
	}
	// verify wants the binaries to exist: the test's own stands in.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "nodelist.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(unit, "/usr/local/bin/nodelist", self)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(analyze, "verify", path).CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
