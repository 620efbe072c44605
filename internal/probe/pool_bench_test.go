package probe

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	rtmetrics "runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The pool benchmarks: memory held per idle pooled connection and CPU per
// probe, net/http's transport (configured as the prober had it) against
// the pool, plain and TLS, on benchFleetSize nodes at 127.0.1.x-127.0.4.x.
// The nodes run in a child process, so that what is measured is the
// client's alone:
//
//	go test -run '^$' -bench 'Idle|ProbeCPU' -benchtime=1x ./internal/probe/   (idle)
//	go test -run '^$' -bench ProbeCPU -benchtime=20000x ./internal/probe/
const benchFleetSize = 1000

const benchFleetEnv = "NODELIST_BENCH_FLEET"

// TestBenchFleet is not a test: it is the child process of the pool
// benchmarks, serving a small JSON answer on every address, plain on one
// port and TLS on another, until its standard input closes.
func TestBenchFleet(t *testing.T) {
	dir := os.Getenv(benchFleetEnv)
	if dir == "" {
		t.Skip("the pool benchmarks' child process")
	}
	ca, err := tls.LoadX509KeyPair(filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(ca.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	// One leaf per address, as real nodes each have their own: a
	// certificate naming the whole fleet would make every connection
	// hold a parsed copy of a large certificate.
	var leaves sync.Map
	getCert := func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		ip := hello.Conn.LocalAddr().(*net.TCPAddr).IP
		if c, ok := leaves.Load(ip.String()); ok {
			return c.(*tls.Certificate), nil
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: ip.String()},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IPAddresses: []net.IP{ip},
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &leafKey.PublicKey, ca.PrivateKey)
		if err != nil {
			return nil, err
		}
		c := &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: leafKey}
		leaves.Store(ip.String(), c)
		return c, nil
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"host":true,"vm":true}`))
	})
	srv := &http.Server{Handler: h, IdleTimeout: 10 * time.Minute}
	tsrv := &http.Server{Handler: h, IdleTimeout: 10 * time.Minute,
		TLSConfig: &tls.Config{GetCertificate: getCert}, TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){}}
	var ports [2]int
	for i, a := range benchAddrs() {
		for j, s := range []*http.Server{srv, tsrv} {
			ln, err := net.Listen("tcp", net.JoinHostPort(a.String(), strconv.Itoa(ports[j])))
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				ports[j] = ln.Addr().(*net.TCPAddr).Port
			}
			if j == 1 {
				go func() { _ = s.ServeTLS(ln, "", "") }()
			} else {
				go func() { _ = s.Serve(ln) }()
			}
		}
	}
	fmt.Printf("%d %d\n", ports[0], ports[1])
	_, _ = io.Copy(io.Discard, os.Stdin)
}

func benchAddrs() []netip.Addr {
	out := make([]netip.Addr, benchFleetSize)
	a := netip.MustParseAddr("127.0.1.1")
	for i := range out {
		out[i] = a
		a = a.Next()
	}
	return out
}

// benchFleet starts the child process and returns the nodes' plain and
// TLS URLs and the roots that trust the TLS ones.
func benchFleet(b *testing.B) (plain, secure []string, roots *x509.CertPool) {
	b.Helper()
	dir := b.TempDir()
	roots = writeBenchCert(b, dir)
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchFleet$")
	cmd.Env = append(os.Environ(), benchFleetEnv+"="+dir)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	})
	var p, s int
	if _, err := fmt.Fscan(bufio.NewReader(stdout), &p, &s); err != nil {
		b.Fatalf("fleet: %v", err)
	}
	for _, a := range benchAddrs() {
		plain = append(plain, fmt.Sprintf("http://%s:%d/", a, p))
		secure = append(secure, fmt.Sprintf("https://%s:%d/", a, s))
	}
	return plain, secure, roots
}

// writeBenchCert writes a test CA's certificate and key into dir and
// returns a pool trusting it.
func writeBenchCert(b *testing.B, dir string) *x509.CertPool {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fleet CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		b.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), certPEM, 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		b.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(certPEM)
	return roots
}

// benchGetter is one way of probing: the pool through Client.Get, or
// net/http as the prober used it.
type benchGetter struct {
	get   func(url string) error
	close func()
}

func newBenchGetter(kind string, roots *x509.CertPool) benchGetter {
	if kind == "pool" {
		c := NewClient(Options{MaxIdleConns: 4 * benchFleetSize})
		c.pool.tls.RootCAs = roots
		return benchGetter{
			get: func(url string) error {
				if r := c.Get(context.Background(), url); r.Err != nil {
					return r.Err
				}
				return nil
			},
			close: c.CloseIdleConnections,
		}
	}
	// net/http's transport as the prober had it before the pool.
	tr := &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: roots, ClientSessionCache: tls.NewLRUClientSessionCache(4096)},
		ForceAttemptHTTP2: true, TLSHandshakeTimeout: 5 * time.Second, ResponseHeaderTimeout: 10 * time.Second,
		MaxIdleConns: 4 * benchFleetSize, MaxIdleConnsPerHost: 3, MaxConnsPerHost: 1, IdleConnTimeout: 90 * time.Second,
		MaxResponseHeaderBytes: 64 << 10, WriteBufferSize: 512, ReadBufferSize: 2048,
	}
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	return benchGetter{
		get: func(url string) error {
			req, err := http.NewRequest(http.MethodGet, url, nil)
			if err != nil {
				return err
			}
			req.Header.Set("Accept", "application/json")
			req.Header.Set("User-Agent", "nodelist")
			resp, err := hc.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			_, err = readBody(resp, 16<<10)
			return err
		},
		close: tr.CloseIdleConnections,
	}
}

// probeAll asks every url once, 64 at a time.
func probeAll(b *testing.B, g benchGetter, urls []string) {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 64 {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(len(urls)); i = next.Add(1) - 1 {
				if err := g.get(urls[i]); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// inUse is the live heap and the goroutine stacks after a collection:
// the live heap rather than the heap's spans in use, which the garbage of
// an earlier run leaves half full for the next one to fill.
func inUse() (bytes uint64, goroutines int) {
	runtime.GC()
	runtime.GC()
	s := []rtmetrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/stacks:bytes"}}
	rtmetrics.Read(s)
	return s[0].Value.Uint64() + s[1].Value.Uint64(), runtime.NumGoroutine()
}

// settle waits for the goroutines of an earlier run to end (net/http's
// end after their connections close), so that what they hold is not
// counted as freed by the next run.
func settle(b *testing.B, baseline int) {
	deadline := time.Now().Add(30 * time.Second)
	for runtime.NumGoroutine() > baseline {
		if time.Now().After(deadline) {
			b.Fatalf("%d goroutines left, want %d", runtime.NumGoroutine(), baseline)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// BenchmarkIdlePool reports the heap and stacks held per idle pooled
// connection, and goroutines per connection, once each node was asked
// once.
func BenchmarkIdlePool(b *testing.B) {
	plain, secure, roots := benchFleet(b)
	baseline := runtime.NumGoroutine() + 1 // and the sub-benchmark's own
	for _, kind := range []string{"nethttp", "pool"} {
		for _, scheme := range []string{"plain", "tls"} {
			urls := plain
			if scheme == "tls" {
				urls = secure
			}
			b.Run(kind+"/"+scheme, func(b *testing.B) {
				var perConn, perG float64
				for range b.N {
					settle(b, baseline)
					g := newBenchGetter(kind, roots)
					before, gBefore := inUse()
					probeAll(b, g, urls)
					after, gAfter := inUse()
					g.close()
					perConn += (float64(after) - float64(before)) / float64(len(urls))
					perG += float64(gAfter-gBefore) / float64(len(urls))
				}
				b.ReportMetric(perConn/float64(b.N), "B/idle-conn")
				b.ReportMetric(perG/float64(b.N), "goroutines/conn")
			})
		}
	}
}

// BenchmarkProbeCPU reports the CPU (user and system, this process only:
// the nodes run in the child) per probe on a warm pool, 64 in flight.
func BenchmarkProbeCPU(b *testing.B) {
	plain, secure, roots := benchFleet(b)
	for _, kind := range []string{"nethttp", "pool"} {
		for _, scheme := range []string{"plain", "tls"} {
			urls := plain
			if scheme == "tls" {
				urls = secure
			}
			b.Run(kind+"/"+scheme, func(b *testing.B) {
				g := newBenchGetter(kind, roots)
				defer g.close()
				probeAll(b, g, urls)
				var next atomic.Int64
				b.SetParallelism(64 / runtime.GOMAXPROCS(0))
				cpu0 := cpuTime()
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := g.get(urls[next.Add(1)%int64(len(urls))]); err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.StopTimer()
				b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
			})
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
