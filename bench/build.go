package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// debugHook is compiled into every nodelist binary the bench builds,
// through go build's -overlay (the source trees are not touched): with
// NODELIST_BENCH_DEBUG set to an address, the binary serves
// net/http/pprof and /debug/bench/heap there, on a listener of its own.
// The same hook goes into the baseline's build, so both binaries are
// measured the same way.
const debugHook = `package main

import (
	"encoding/json"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"runtime/metrics"
)

func init() {
	addr := os.Getenv("NODELIST_BENCH_DEBUG")
	if addr == "" {
		return
	}
	http.HandleFunc("/debug/bench/heap", func(w http.ResponseWriter, r *http.Request) {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		samples := make([]metrics.Sample, 0, 32)
		for _, d := range metrics.All() {
			if d.Kind == metrics.KindUint64 {
				samples = append(samples, metrics.Sample{Name: d.Name})
			}
		}
		metrics.Read(samples)
		rm := make(map[string]uint64, len(samples))
		for _, s := range samples {
			if s.Value.Kind() == metrics.KindUint64 {
				rm[s.Name] = s.Value.Uint64()
			}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"heap_inuse": m.HeapInuse, "heap_alloc": m.HeapAlloc,
			"stack_inuse": m.StackInuse, "sys": m.Sys, "metrics": rm})
	})
	go func() { _ = http.ListenAndServe(addr, nil) }()
}
`

// buildNodelist builds ./cmd/nodelist of the source tree src into out,
// with the debug hook.
func buildNodelist(ctx context.Context, src, out string) error {
	hook := out + "-hook.go"
	if err := os.WriteFile(hook, []byte(debugHook), 0o644); err != nil {
		return err
	}
	abs, err := filepath.Abs(src)
	if err != nil {
		return err
	}
	overlay, err := json.Marshal(map[string]map[string]string{
		"Replace": {filepath.Join(abs, "cmd", "nodelist", "zz_benchdebug.go"): hook},
	})
	if err != nil {
		return err
	}
	ov := out + "-overlay.json"
	if err := os.WriteFile(ov, overlay, 0o644); err != nil {
		return err
	}
	build := exec.CommandContext(ctx, "go", "build", "-overlay", ov, "-o", out, "./cmd/nodelist")
	build.Dir = abs
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build %s: %w", src, err)
	}
	return nil
}

// checkout writes the tree of rev (any git revision) into dir, from the
// repository the bench runs in, without touching the working tree.
func checkout(ctx context.Context, rev, dir string) (string, error) {
	out, err := exec.CommandContext(ctx, "git", "rev-parse", "--short", rev+"^{commit}").Output()
	if err != nil {
		return "", fmt.Errorf("--baseline %s: %w", rev, err)
	}
	short := string(out[:len(out)-1])
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	archive := exec.CommandContext(ctx, "sh", "-c", `git archive "$1" | tar -x -C "$2"`, "sh", rev, dir)
	archive.Stderr = os.Stderr
	if err := archive.Run(); err != nil {
		return "", fmt.Errorf("git archive %s: %w", rev, err)
	}
	return short, nil
}

// benchHeap is what /debug/bench/heap reports, after a collection:
// runtime.MemStats figures and every uint64 of runtime/metrics.
type benchHeap struct {
	HeapInuse  int64             `json:"heap_inuse"`
	HeapAlloc  int64             `json:"heap_alloc"`
	StackInuse int64             `json:"stack_inuse"`
	Sys        int64             `json:"sys"`
	Metrics    map[string]uint64 `json:"metrics"`
}

func getHeap(ctx context.Context, debugBase string) (benchHeap, error) {
	var h benchHeap
	b, _, err := fetch(ctx, debugBase+"/debug/bench/heap", "")
	if err != nil {
		return h, err
	}
	return h, json.Unmarshal(b, &h)
}

// saveProfile fetches a pprof profile from url into file; a CPU
// profile takes as long as the window it samples, so the request is
// bounded by ctx and an hour rather than by httpc's timeout.
func saveProfile(ctx context.Context, url, file string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Hour)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: HTTP %d", url, resp.StatusCode)
	}
	if err != nil {
		return err
	}
	return os.WriteFile(file, b, 0o644)
}
