package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/klauspost/compress/gzip"
)

var httpc = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableCompression: true}}

// task is what the bench reads of /debug/task.
type task struct {
	Running    bool     `json:"running"`
	Round      uint64   `json:"round"`
	Started    string   `json:"started"`
	Nodes      int      `json:"nodes"`
	Responsive int      `json:"responsive"`
	Duration   *float64 `json:"last_duration_seconds"`
}

func (t task) startedAt() time.Time {
	at, _ := time.Parse("2006-01-02T15:04:05.000000+00:00", t.Started)
	return at
}

func getTask(ctx context.Context, base string) (task, error) {
	var t task
	b, _, err := fetch(ctx, base+"/debug/task", "")
	if err != nil {
		return t, err
	}
	return t, json.Unmarshal(b, &t)
}

// fetch GETs url with an Accept-Encoding header and returns the raw body
// and its Content-Encoding.
func fetch(ctx context.Context, url, accept string) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, "", err
	}
	if accept != "" {
		req.Header.Set("Accept-Encoding", accept)
	}
	resp, err := httpc.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: HTTP %d", url, resp.StatusCode)
	}
	return b, resp.Header.Get("Content-Encoding"), err
}

// waitRound polls /debug/task every poll until round n has started and
// returns its task status.
func waitRound(ctx context.Context, base string, n uint64, poll, limit time.Duration) (task, error) {
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		t, err := getTask(ctx, base)
		if err == nil && t.Round >= n && t.Started != "" {
			return t, nil
		}
		if time.Now().After(deadline) {
			return t, fmt.Errorf("round %d did not start within %s (last: %+v, %v)", n, limit, t, err)
		}
		select {
		case <-ctx.Done():
			return t, ctx.Err()
		case <-tick.C:
		}
	}
}

// waitIdle polls /debug/task every poll until round n has finished.
func waitIdle(ctx context.Context, base string, n uint64, poll, limit time.Duration) (task, error) {
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		t, err := getTask(ctx, base)
		if err == nil && (t.Round > n || (t.Round == n && !t.Running)) {
			return t, nil
		}
		if time.Now().After(deadline) {
			return t, fmt.Errorf("round %d did not finish within %s", n, limit)
		}
		select {
		case <-ctx.Done():
			return t, ctx.Err()
		case <-tick.C:
		}
	}
}

// freshCount counts the CRNs of crns.json whose config arrived at or after
// since, fetching the gzip variant.
func freshCount(ctx context.Context, base string, since time.Time) (int, error) {
	b, enc, err := fetch(ctx, base+"/crns.json", "gzip")
	if err != nil {
		return 0, err
	}
	if enc == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return 0, err
		}
		if b, err = io.ReadAll(zr); err != nil {
			return 0, err
		}
	}
	var doc struct {
		CRNs []struct {
			At *string `json:"debug_config_from_crn_at"`
		} `json:"crns"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return 0, err
	}
	n := 0
	for _, c := range doc.CRNs {
		if c.At == nil {
			continue
		}
		at, err := time.Parse("2006-01-02T15:04:05.000000+00:00", *c.At)
		if err == nil && !at.Before(since) {
			n++
		}
	}
	return n, nil
}

// timeToVisible polls crns.json until want CRNs carry config fetched at
// or after start (the round's start as the service reports it), and
// returns the time from start to the end of the first poll that saw them
// all: an upper bound, by one poll, of the true figure.
func timeToVisible(ctx context.Context, base string, start time.Time, want int, limit time.Duration) (time.Duration, error) {
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		got, err := freshCount(ctx, base, start)
		if err != nil {
			return 0, err
		}
		if got >= want {
			return time.Since(start), nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("only %d of %d responsive nodes visible after %s", got, want, limit)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-tick.C:
		}
	}
}
