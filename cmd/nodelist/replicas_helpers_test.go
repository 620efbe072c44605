package main

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildBinary builds nodelist into a temporary folder.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "nodelist")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// proc is one `nodelist serve` process of a test.
type proc struct {
	name, addr, logPath string
	cmd                 *exec.Cmd
	done                chan struct{} // closed when it exited
	exit                error
	client              *http.Client
}

func startProc(t *testing.T, bin, name string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, addr: freeAddr(t), logPath: filepath.Join(t.TempDir(), name+".log"), done: make(chan struct{}),
		client: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 4, DisableCompression: true}}}
	logf, err := os.Create(p.logPath)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(bin, append([]string{"serve", "--listen", p.addr}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exit = p.cmd.Wait(); logf.Close(); close(p.done) }()
	t.Cleanup(func() {
		p.signal(syscall.SIGCONT)
		p.signal(syscall.SIGKILL)
		<-p.done
		if t.Failed() {
			b, _ := os.ReadFile(p.logPath)
			t.Logf("log of %s:\n%s", p.name, tail(string(b), 40))
		}
	})
	return p
}

func (p *proc) signal(s syscall.Signal) {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Signal(s)
	}
}

func tail(s string, lines int) string {
	l := strings.Split(s, "\n")
	return strings.Join(l[max(0, len(l)-lines):], "\n")
}

// task is the part of /debug/task the tests read.
type task struct {
	Round       uint64  `json:"round"`
	LastRefresh *string `json:"last_refresh"`
	Replica     struct {
		ID          string `json:"id"`
		Role        string `json:"role"`
		Leader      string `json:"leader"`
		Epoch       int64  `json:"epoch"`
		Publication int64  `json:"publication"`
		Database    string `json:"database"`
		Lag         struct {
			Samples int      `json:"samples"`
			P50     *float64 `json:"p50_ms"`
			P99     *float64 `json:"p99_ms"`
		} `json:"follower_lag"`
	} `json:"replica"`
}

func (p *proc) task() (task, error) {
	var tk task
	resp, err := p.client.Get("http://" + p.addr + "/debug/task")
	if err != nil {
		return tk, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return tk, err
	}
	return tk, json.Unmarshal(b, &tk)
}

// fetch is one answer of /crns.json.
type fetch struct {
	proc    int
	at      time.Time
	status  int
	enc     string // Content-Encoding, "" for identity
	etag    string
	pub     string // the publication: the identity ETag the variant's derives from
	sum     [32]byte
	lastMod string
	err     error
}

// get asks for /crns.json in one encoding.
func (p *proc) get(accept string) fetch {
	f := fetch{at: time.Now()}
	req, _ := http.NewRequest(http.MethodGet, "http://"+p.addr+"/crns.json", nil)
	if accept != "" {
		req.Header.Set("Accept-Encoding", accept)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		f.err = err
		return f
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.err = err
		return f
	}
	f.status, f.enc, f.etag, f.sum = resp.StatusCode, resp.Header.Get("Content-Encoding"), resp.Header.Get("ETag"), sha256.Sum256(b)
	f.lastMod = resp.Header.Get("Last-Modified")
	// An identity ETag is a quote and 24 characters of base64; each
	// encoding's adds a suffix to it.
	if len(f.etag) >= 25 {
		f.pub = f.etag[:25] + `"`
	}
	return f
}

// watcher asks every replica for /crns.json every few tens of
// milliseconds, in turn in each encoding, and keeps every answer.
type watcher struct {
	mu      sync.Mutex
	fetches []fetch
	procs   []*proc
	paused  map[int]bool // not asked (stopped on purpose)
	stop    chan struct{}
	wg      sync.WaitGroup
}

func newWatcher() *watcher { return &watcher{paused: map[int]bool{}, stop: make(chan struct{})} }

func (w *watcher) add(p *proc) int {
	w.mu.Lock()
	i := len(w.procs)
	w.procs = append(w.procs, p)
	w.mu.Unlock()
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		accepts := []string{"", "gzip", "br", "zstd", "gzip, br, zstd"}
		for n := 0; ; n++ {
			select {
			case <-w.stop:
				return
			case <-p.done:
				return
			case <-time.After(25 * time.Millisecond): // the watcher's pace
			}
			w.mu.Lock()
			skip := w.paused[i]
			w.mu.Unlock()
			if skip {
				continue
			}
			f := p.get(accepts[n%len(accepts)])
			f.proc = i
			w.mu.Lock()
			w.fetches = append(w.fetches, f)
			w.mu.Unlock()
		}
	}()
	return i
}

func (w *watcher) pause(i int, paused bool) {
	w.mu.Lock()
	w.paused[i] = paused
	w.mu.Unlock()
}

func (w *watcher) close() []fetch {
	close(w.stop)
	w.wg.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.fetches
}

// window is a time some replicas are left out of the 1 s check: stopped,
// or the database's connections being killed.
type window struct {
	from, to time.Time
	procs    map[int]bool // nil: every one
}

func (w window) covers(i int, at time.Time) bool {
	return !at.Before(w.from) && !at.After(w.to) && (w.procs == nil || w.procs[i])
}

func describe(f fetch) string {
	return fmt.Sprintf("%s %s %s", f.at.Format("15:04:05.000"), f.enc, f.etag)
}
