package hostile

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// GoodConfig is what a well-behaved node answers at /status/config; its
// payment receiver names the node so that a test can tell answers apart.
func GoodConfig(name string) string {
	return `{"version":"1.9.0","payment":{"PAYMENT_RECEIVER_ADDRESS":"0x` + name + `"},` +
		`"computing":{"ENABLE_GPU_SUPPORT":true,"ENABLE_CONFIDENTIAL_COMPUTING":false,"ENABLE_QEMU_SUPPORT":true},"references":{}}`
}

// GoodUsage is what a well-behaved node answers at /about/usage/system.
const GoodUsage = `{"cpu":{"count":8,"load_average":{"load1":0.25,"load5":1.0,"load15":0.4},"core_frequencies":{"min":1200,"max":3400.5}},` +
	`"mem":{"total_kB":32768000,"available_kB":16384000},"disk":{"total_kB":1000000000,"available_kB":500000000},` +
	`"period":{"start_timestamp":"2026-11-22T14:38:00+00:00","duration_seconds":60},` +
	`"properties":{"cpu":{"architecture":"x86_64","vendor":"AuthenticAMD","features":[]}},` +
	`"gpu":{"devices":[{"vendor":"NVIDIA","device_name":"AD102","device_class":"0300","pci_host":"01:00.0","device_id":"10de:2684"}],"available_devices":[]},` +
	`"active":true}`

const goodIPv6 = `{"host":true,"vm":true}`

const html = "<!DOCTYPE html><html><body><h1>Something went wrong</h1></body></html>"

// behave answers one request of node name for path sub.
func (f *Fleet) behave(w http.ResponseWriter, r *http.Request, name, sub string) {
	switch name {
	case "good-1", "good-2", "odd-path":
		writeGood(w, name, sub)
	case "capability-bomb":
		// A good node but for its hardware: a valid capability inflated
		// to 256 KiB by an unknown key, gzip-compressed to a few hundred
		// bytes. Under the prober's 1 MiB cap, it would be passed on in
		// crns.json; the capability's 16 KiB bound stops it.
		if sub != "/about/capability" {
			writeGood(w, name, sub)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		_, _ = zw.Write([]byte(`{"cpu":{"model":"EPYC","count":8},"memory":{"size":1},"x":"` + strings.Repeat("a", 256<<10) + `"}`))
		_ = zw.Close()
	case "http10-no-length":
		f.hijack(w, func(c net.Conn, _ *bufio.ReadWriter) {
			_, _ = fmt.Fprintf(c, "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n%s", goodBody(name, sub))
		})
	case "hang":
		select {
		case <-r.Context().Done():
		case <-f.done:
		}
	case "slow-headers":
		f.hijack(w, func(c net.Conn, _ *bufio.ReadWriter) {
			if _, err := c.Write([]byte("HTTP/1.1 200 OK\r\n")); err != nil {
				return
			}
			f.drip(c, []byte("X-Slow: "+strings.Repeat("a", 1000)))
		})
	case "slow-body":
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		f.drip(flushWriter{w}, []byte(GoodUsage))
	case "huge-body":
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", fmt.Sprint(100<<20))
		chunk := []byte(strings.Repeat(" ", 64<<10))
		for sent := 0; sent < 100<<20; sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	case "gzip-bomb":
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write(f.bomb)
	case "invalid-json":
		_, _ = w.Write([]byte(`{"version": "1.9.0", "payment": {`))
	case "deep-json":
		// Under the body bound, far over the nesting bound.
		_, _ = w.Write([]byte(strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000)))
	case "wrong-types":
		switch sub {
		case "/status/config":
			_, _ = w.Write([]byte(`{"version":12,"payment":"0xabc","computing":{"ENABLE_GPU_SUPPORT":"yes","ENABLE_CONFIDENTIAL_COMPUTING":1,"ENABLE_QEMU_SUPPORT":[]},"references":"none"}`))
		case "/about/usage/system":
			_, _ = w.Write([]byte(`{"cpu":"many","mem":[],"disk":null,"period":7,"properties":true,"gpu":"none","active":"yes"}`))
		default:
			_, _ = w.Write([]byte(`{"host":"yes","vm":1}`))
		}
	case "non-utf8":
		body := goodBody(name, sub)
		body = strings.Replace(body, `"1.9.0"`, "\"1.9.0-\xff\xfe\"", 1)
		body = strings.Replace(body, `"AuthenticAMD"`, "\"Auth\xc3\x28AMD\"", 1)
		_, _ = w.Write([]byte(body))
	case "surrogate-escape":
		body := goodBody(name, sub)
		body = strings.Replace(body, `"1.9.0"`, `"1.9.0\ud800"`, 1)
		body = strings.Replace(body, `"AuthenticAMD"`, `"Authentic\udc00AMD"`, 1)
		body = strings.Replace(body, `"vm":true`, `"vm":true,"note":"\udbff"`, 1)
		_, _ = w.Write([]byte(body))
	case "overlong-utf8":
		// Only the usage: "\xc0\xaf" is an overlong "/", and
		// "\xed\xa0\x80" a surrogate written in UTF-8.
		body := goodBody(name, sub)
		body = strings.Replace(body, `"features":[]`, "\"features\":[\"sev\",\"s\xc0\xafv\xed\xa0\x80\"]", 1)
		_, _ = w.Write([]byte(body))
	case "nan-usage":
		_, _ = w.Write([]byte(strings.Replace(goodBody(name, sub), `"load1":0.25`, `"load1":NaN`, 1)))
	case "infinity-config":
		_, _ = w.Write([]byte(strings.Replace(goodBody(name, sub), `"references":{}`, `"references":{},"x":-Infinity`, 1)))
	case "padded-usage", "nested-usage", "bloating-usage", "long-version":
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(f.oversized(name, sub))
	case "empty-200":
		w.WriteHeader(http.StatusOK)
	case "status-204":
		w.WriteHeader(http.StatusNoContent)
	case "status-404-html", "status-500-html", "status-503-html":
		code := map[string]int{"status-404-html": 404, "status-500-html": 500, "status-503-html": 503}[name]
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(code)
		_, _ = w.Write([]byte(html))
	case "redirect-loop":
		http.Redirect(w, r, r.URL.Path, http.StatusFound)
	case "redirect-canary":
		http.Redirect(w, r, f.canary.URL+sub, http.StatusFound)
	case "redirect-canary-localhost":
		http.Redirect(w, r, strings.Replace(f.canary.URL, "127.0.0.1", "localhost", 1)+sub, http.StatusMovedPermanently)
	case "redirect-scheme":
		http.Redirect(w, r, "ftp://"+r.Host+r.URL.Path, http.StatusFound)
	case "redirect-credentials":
		http.Redirect(w, r, "http://user:pw@"+r.Host+"/n/good-1"+sub, http.StatusFound)
	case "huge-headers":
		for i := range 200 {
			w.Header().Set(fmt.Sprintf("X-Filler-%d", i), strings.Repeat("h", 1000))
		}
		_, _ = w.Write([]byte(goodBody(name, sub)))
	case "reset-mid-body":
		f.hijack(w, func(c net.Conn, _ *bufio.ReadWriter) {
			_, _ = fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n%s", `{"version":"1.9`)
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // close with RST
			}
		})
	case "close-no-answer":
		f.hijack(w, func(net.Conn, *bufio.ReadWriter) {})
	default:
		if !f.redirect(w, r, name, sub) {
			http.NotFound(w, r)
		}
	}
}

func goodBody(name, sub string) string {
	switch sub {
	case "/status/config":
		return GoodConfig(name)
	case "/about/usage/system":
		return GoodUsage
	case "/status/check/ipv6":
		return goodIPv6
	}
	return `{"error":"not found"}`
}

func writeGood(w http.ResponseWriter, name, sub string) {
	w.Header().Set("Content-Type", "application/json")
	body := goodBody(name, sub)
	if strings.HasPrefix(body, `{"error"`) {
		w.WriteHeader(http.StatusNotFound)
	}
	_, _ = w.Write([]byte(body))
}

// hijack takes the connection over, runs fn on it and closes it. The
// Fleet's Close waits for every fn to return.
func (f *Fleet) hijack(w http.ResponseWriter, fn func(net.Conn, *bufio.ReadWriter)) {
	c, rw, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	f.hijacked.Add(1)
	defer f.hijacked.Done()
	defer c.Close()
	fn(c, rw)
}

// drip writes b one byte a second until it is written, a write fails (the
// client gave up) or the fleet closes.
func (f *Fleet) drip(w interface{ Write([]byte) (int, error) }, b []byte) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for i := range b {
		if _, err := w.Write(b[i : i+1]); err != nil {
			return
		}
		select {
		case <-t.C:
		case <-f.done:
			return
		}
	}
}

type flushWriter struct{ w http.ResponseWriter }

func (f flushWriter) Write(b []byte) (int, error) {
	n, err := f.w.Write(b)
	f.w.(http.Flusher).Flush()
	return n, err
}

// oversized answers, once built, what a node over the bounds of issue 19 F1 answers:
// a usage with a 1 MB unknown field, a usage of 1 MiB nested under the
// depth bound, a usage under the body bound that normalising grows past
// what may be published, or a config whose version is 2000 bytes.
func (f *Fleet) oversized(name, sub string) []byte {
	f.oversizedOnce.Do(func() {
		f.oversizedBodies = map[string][]byte{}
		for _, n := range []string{"padded-usage", "nested-usage", "bloating-usage", "long-version"} {
			for _, p := range []string{"/status/config", "/about/usage/system", "/status/check/ipv6"} {
				f.oversizedBodies[n+p] = oversized(n, p)
			}
		}
	})
	if b, ok := f.oversizedBodies[name+sub]; ok {
		return b
	}
	return []byte(goodBody(name, sub))
}

func oversized(name, sub string) []byte {
	body := goodBody(name, sub)
	switch {
	case name == "padded-usage" && sub == "/about/usage/system":
		return []byte(body[:len(body)-1] + `,"x_padding":"` + strings.Repeat("a", 1_000_000) + `"}`)
	case name == "nested-usage" && sub == "/about/usage/system":
		one := strings.Repeat(`{"a":`, 60) + "1" + strings.Repeat("}", 60)
		return []byte(body[:len(body)-1] + `,"x_nested":[` + strings.Repeat(one+",", (1<<20)/(len(one)+1)) + `1]}`)
	case name == "bloating-usage" && sub == "/about/usage/system":
		return []byte(body[:len(body)-1] + `,"x":[` + strings.Repeat("1e15,", 12500) + `1]}`)
	case name == "long-version" && sub == "/status/config":
		return []byte(strings.Replace(body, `"1.9.0"`, `"1.9.0-`+strings.Repeat("9", 2000)+`"`, 1))
	}
	return []byte(body)
}
