package refresh

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"nodelist/internal/aleph"
	"nodelist/internal/config"
	"nodelist/internal/probe"
)

// unreachableRegistry is a corechannel aggregate of n resource nodes in
// the shape of real entries (every field the registry writes), each at an
// address in 10.0.0.0/8 that the dial guard refuses.
func unreachableRegistry(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"address":"` + config.DefaultRegistryAddress + `","data":{"corechannel":{"nodes":[],"resource_nodes":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"hash":"%064x","name":"node-%06d","time":1690000000.%03d,"type":"compute",`+
			`"owner":"0x%040x","score":0.%04d,"banner":"","locked":false,"parent":null,"reward":"0x%040x",`+
			`"status":"linked","address":"http://10.%d.%d.%d:4020/","manager":"","picture":"","authorized":[],`+
			`"description":"","performance":0.5,"multiaddress":"","score_updated":true,"stream_reward":"",`+
			`"inactive_since":null,"decentralization":0.5,"registration_url":"","terms_and_conditions":""}`,
			i, i, i%1000, i, i%10000, i, i>>16&255, i>>8&255, i&255)
	}
	b.WriteString(`]}},"info":{}}`)
	return bytes.Clone(b.Bytes()) // no slack to count against the round
}

// peakRSS is the process's peak resident size (VmHWM), in bytes; resetPeakRSS
// starts it again from the current size. Linux only; 0 elsewhere.
func peakRSS() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// heapPeak samples HeapInuse until stop is called, and returns the
// highest value seen.
func heapPeak() (stop func() uint64) {
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(done); wg.Wait(); return peak }
}

// heapInuse is the heap in use after a collection.
func heapInuse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

const mib = 1 << 20

// BenchmarkRound100kUnreachable measures the memory of one round over
// 100 000 registry entries none of which can be reached: fetching and
// decoding the registry, refusing every dial, and publishing the final
// snapshot. Run it alone, so that the process's peak RSS is its own:
//
//	go test -run - -bench Round100k -benchtime 1x ./internal/refresh
func BenchmarkRound100kUnreachable(b *testing.B) {
	const nodes = 100_000
	registry := unreachableRegistry(nodes)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("keys") == "corechannel" {
			w.Write(registry)
			return
		}
		w.Write([]byte(`{"data":{"settings":{"compatible_gpus":[]}}}`))
	}))
	defer api.Close()

	var parsePeak, parseLive, roundPeak, roundLive, rss, crns uint64
	for b.Loop() {
		// Decoding alone: the peak while parsing, and what the node list
		// holds once parsed; both above the heap before it.
		base := heapInuse()
		stop := heapPeak()
		list, _, err := aleph.ParseRegistry(registry)
		if err != nil || len(list) != nodes {
			b.Fatalf("%d nodes, %v", len(list), err)
		}
		parsePeak = max(parsePeak, stop()-base)
		parseLive = max(parseLive, heapInuse()-base)
		runtime.KeepAlive(list)
		base = heapInuse()

		resetPeakRSS()
		c := probe.NewClient(probe.Options{APIURL: api.URL, Timeout: 2 * time.Second, Guard: &probe.Guard{}})
		r := New(Options{Client: c, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		stop = heapPeak()
		if err := r.Refresh(context.Background()); err != nil {
			b.Fatal(err)
		}
		roundPeak = max(roundPeak, stop()-base)
		rss = max(rss, peakRSS())
		roundLive = max(roundLive, heapInuse()-base)
		snap := r.Holder().Load()
		if snap.Count != nodes {
			b.Fatalf("%d CRNs served", snap.Count)
		}
		if st := r.Status(); st.Responsive != 0 {
			b.Fatalf("%d nodes answered", st.Responsive)
		}
		crns = uint64(len(snap.All.Identity))
		c.CloseIdleConnections()
	}
	b.ReportMetric(float64(len(registry))/mib, "registry-MiB")
	b.ReportMetric(float64(parsePeak)/mib, "parse-heap-peak-MiB")
	b.ReportMetric(float64(parseLive)/mib, "parse-heap-live-MiB")
	b.ReportMetric(float64(roundPeak)/mib, "round-heap-peak-MiB")
	b.ReportMetric(float64(roundLive)/mib, "round-heap-live-MiB")
	b.ReportMetric(float64(rss)/mib, "process-peak-RSS-MiB")
	b.ReportMetric(float64(crns)/mib, "crns.json-MiB")
}
