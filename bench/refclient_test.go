package main

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"nodelist/internal/simfleet"
)

// The reference client asks every node with a usable loopback address,
// by the address the registry gives less its trailing slash, and no other.
func TestRefRegistry(t *testing.T) {
	f, err := simfleet.Start(context.Background(), simfleet.Options{Nodes: 24, Seed: 3, InvalidAddress: 0.25})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	got, err := refRegistry(&http.Client{Timeout: 5 * time.Second}, f.APIURL())
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, n := range f.Nodes() {
		if n.Kind != simfleet.KindInvalidAddress {
			want = append(want, strings.TrimRight(n.Address, "/"))
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if len(want) != 18 || !slices.Equal(got, want) { // the invalid 6 include a public host name
		t.Errorf("asked %d nodes %v, want the %d with usable addresses %v", len(got), got, len(want), want)
	}
}

func TestRoundConcurrency(t *testing.T) {
	for _, c := range []struct{ n, want int }{{200, 256}, {1000, 256}, {4000, 500}, {10000, 1250}, {50000, 1250}} {
		if got := roundConcurrency(c.n); got != c.want {
			t.Errorf("roundConcurrency(%d) = %d, want %d", c.n, got, c.want)
		}
	}
}

func TestLoopbackOnly(t *testing.T) {
	for addr, ok := range map[string]bool{"127.0.0.1:80": true, "127.20.3.4:443": true, "[::1]:80": true,
		"192.0.2.1:80": false, "[2001:db8::1]:443": false, "example.com:80": false} {
		if err := loopbackOnly("tcp", addr, nil); (err == nil) != ok {
			t.Errorf("loopbackOnly(%s) = %v", addr, err)
		}
	}
}
