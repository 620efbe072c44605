package hostile_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"nodelist/e2e/hostile"
	"nodelist/internal/contract"
	"nodelist/internal/refresh"
	"nodelist/internal/server"
)

// TestCRNsUnderLoadDuringRefresh serves crns.json from a real server to
// eight clients while rounds refresh back to back, and requires every one
// of at least 2000 answers to be a valid 200 or 304. It stops once 2000
// requests are done and three rounds have finished during the load, or
// fails after 60 s: the bound of the loop, not a speed requirement (under
// the race detector on a busy machine 2000 requests take well over 10 s).
func TestCRNsUnderLoadDuringRefresh(t *testing.T) {
	const minRequests, minRounds, workers = 2000, 3, 8
	f := hostile.Start()
	defer f.Close()
	f.Register(f.GoodNodes())
	client := f.Client(2 * time.Second)
	defer client.CloseIdleConnections()
	ref := refresh.New(refresh.Options{
		Client:       client,
		Interval:     20 * time.Millisecond,
		PublishEvery: 5 * time.Millisecond,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := ref.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	runCtx, stopRounds := context.WithCancel(ctx)
	var runner sync.WaitGroup
	runner.Add(1)
	go func() {
		defer runner.Done()
		_ = ref.Run(runCtx)
	}()
	defer func() { stopRounds(); runner.Wait() }()

	handler, err := server.New(server.Options{Refresher: ref})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler)
	defer srv.Close()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	defer hc.CloseIdleConnections()

	startRound := ref.Status().Round
	var done, failures atomic.Int64
	var firstErr atomic.Value
	fail := func(msg string) {
		failures.Add(1)
		firstErr.CompareAndSwap(nil, msg)
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			etag := ""
			for i := 0; ctx.Err() == nil; i++ {
				if done.Load() >= minRequests && ref.Status().Round >= startRound+minRounds {
					return
				}
				url := srv.URL + "/crns.json"
				if (w+i)%3 == 0 {
					url += "?filter_inactive=true"
				}
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				if i%5 == 4 && etag != "" {
					req.Header.Set("If-None-Match", etag)
				}
				resp, err := hc.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						fail(err.Error())
					}
					return
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				done.Add(1)
				switch {
				case err != nil:
					fail(err.Error())
				case resp.StatusCode == http.StatusNotModified:
				case resp.StatusCode != http.StatusOK:
					fail(resp.Status)
				case !json.Valid(body):
					fail("invalid JSON body")
				case i%50 == 0:
					if err := contract.Validate(body); err != nil {
						fail(err.Error())
					}
				}
				etag = resp.Header.Get("ETag")
			}
		}()
	}
	wg.Wait()
	rounds := ref.Status().Round - startRound
	t.Logf("%d requests, %d failures, during %d rounds", done.Load(), failures.Load(), rounds)
	if n := failures.Load(); n != 0 {
		t.Errorf("%d failed requests; first: %v", n, firstErr.Load())
	}
	if done.Load() < minRequests || rounds < minRounds {
		t.Errorf("load stopped after %d requests and %d rounds (deadline), want %d and %d", done.Load(), rounds, minRequests, minRounds)
	}
}
