package simfleet

import (
	"strings"
	"sync"
	"testing"
)

// The request hook hears which node was asked for what, and the API
// host's requests as node -1.
func TestRequestHook(t *testing.T) {
	f := start(t, Options{Nodes: 3, Seed: 1})
	var mu sync.Mutex
	var heard []string
	f.SetRequestHook(func(node int, path string) {
		mu.Lock()
		defer mu.Unlock()
		heard = append(heard, string(rune('0'+node+1))+path)
	})
	c := newClient(t)
	get(t, c, registryURL(f))
	get(t, c, strings.TrimSuffix(f.Nodes()[2].Address, "/")+"/status/config")
	f.SetRequestHook(nil)
	get(t, c, strings.TrimSuffix(f.Nodes()[1].Address, "/")+"/status/config")
	mu.Lock()
	defer mu.Unlock()
	want := []string{"0/api/v0/aggregates/" + RegistryAddress + ".json", "3/status/config"}
	if strings.Join(heard, " ") != strings.Join(want, " ") {
		t.Errorf("heard %q, want %q", heard, want)
	}
}
