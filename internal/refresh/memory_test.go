package refresh

import (
	"bytes"
	"context"
	"io"
	"net/http"
	rtmetrics "runtime/metrics"
	"testing"
	"time"
	"unsafe"

	"nodelist/internal/aleph"
	"nodelist/internal/config"
	"nodelist/internal/simfleet"
)

func forcedCycles() uint64 {
	s := []rtmetrics.Sample{{Name: "/gc/cycles/forced:gc-cycles"}}
	rtmetrics.Read(s)
	return s[0].Value.Uint64()
}

// With ReturnMemory a round ends with a forced collection that returns
// the freed heap to the OS (debug.FreeOSMemory); without, it forces none.
func TestReturnMemory(t *testing.T) {
	f := startFleet(t, simfleet.Options{Nodes: 8, Seed: 2})
	for _, on := range []bool{false, true} {
		r := newRefresher(t, f, 2*time.Second, nil)
		r.opts.ReturnMemory = on
		before := forcedCycles()
		for range 2 {
			if err := r.Refresh(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		got := forcedCycles() - before
		if (on && got < 2) || (!on && got != 0) {
			t.Errorf("ReturnMemory %v: %d forced collections in 2 rounds", on, got)
		}
	}
}

// After a publication the nodes' cached CRNs are the bytes of the body
// published: the list is held once. A node changed since keeps its own
// until the next one.
func TestRenderedSharesThePublishedBody(t *testing.T) {
	f := startFleet(t, simfleet.Options{Nodes: 12, Seed: 3})
	r := newRefresher(t, f, 2*time.Second, nil)
	for round := range 2 {
		if err := r.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		body := r.opts.Holder.Load().All.Identity
		lo, hi := data(body), data(body[len(body)-1:])
		r.mu.Lock()
		shared := 0
		for _, st := range r.order {
			p := data(st.rendered)
			if p != nil && uintptr(unsafe.Pointer(p)) >= uintptr(unsafe.Pointer(lo)) && uintptr(unsafe.Pointer(p)) <= uintptr(unsafe.Pointer(hi)) {
				shared++
			}
		}
		n := len(r.order)
		r.mu.Unlock()
		if n == 0 || shared != n {
			t.Errorf("round %d: %d of %d nodes' CRNs in the published body", round+1, shared, n)
		}
	}
}

// The aggregate is kept compressed and given back as it was fetched.
func TestRegistryKeptAsFetched(t *testing.T) {
	f := startFleet(t, simfleet.Options{Nodes: 30, Seed: 4})
	r := newRefresher(t, f, 2*time.Second, nil)
	if r.Registry() != nil {
		t.Fatal("a registry before the first round")
	}
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(f.APIURL() + aleph.RegistryPath(config.DefaultRegistryAddress))
	if err != nil {
		t.Fatal(err)
	}
	want, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	got := r.Registry()
	if !bytes.Equal(got, want) {
		t.Errorf("Registry() gave %d bytes, the API %d", len(got), len(want))
	}
	r.mu.Lock()
	kept := len(r.registryGz)
	r.mu.Unlock()
	if kept == 0 || kept >= len(want)/2 {
		t.Errorf("%d bytes kept for a %d-byte aggregate", kept, len(want))
	}
}
