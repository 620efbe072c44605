package simfleet

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func start(t *testing.T, o Options) *Fleet {
	t.Helper()
	f, err := Start(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func fetch(t *testing.T, c *http.Client, url string) (int, []byte) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestKindsAndTraitsHaveExactShares(t *testing.T) {
	f := start(t, Options{Nodes: 50, Seed: 9, Failing: 0.1, Hung: 0.04, InvalidJSON: 0.06, InvalidAddress: 0.1,
		OldVersion: 0.3, GPU: 0.2, Inactive: 0.2})
	counts := map[Kind]int{}
	old, gpu, inactive := 0, 0, 0
	for _, n := range f.Nodes() {
		counts[n.Kind]++
		if n.GPU {
			gpu++
		}
		if n.Inactive {
			inactive++
		}
		if isOld(n.Version) {
			old++
		}
	}
	want := map[Kind]int{KindOK: 35, KindFailing: 5, KindHung: 2, KindInvalidJSON: 3, KindInvalidAddress: 5}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("%s: %d nodes, want %d", k, counts[k], n)
		}
	}
	if old != 15 || gpu != 10 || inactive != 10 {
		t.Errorf("old %d, gpu %d, inactive %d; want 15, 10, 10", old, gpu, inactive)
	}
}

func TestSameSeedSameFleet(t *testing.T) {
	o := Options{Nodes: 30, Seed: 4, Failing: 0.2, GPU: 0.3, OldVersion: 0.3}
	a, b := start(t, o), start(t, o)
	na, nb := a.Nodes(), b.Nodes()
	for i := range na {
		if na[i].Hash != nb[i].Hash || na[i].Kind != nb[i].Kind || na[i].Version != nb[i].Version || na[i].Score != nb[i].Score {
			t.Fatalf("node %d differs: %+v vs %+v", i, na[i], nb[i])
		}
	}
	o.Seed = 5
	if c := start(t, o); c.Nodes()[0].Hash == na[0].Hash {
		t.Error("another seed gave the same hashes")
	}
}

func TestRegistryAndNodeAnswers(t *testing.T) {
	f := start(t, Options{Nodes: 20, Seed: 1, OldVersion: 0.5, GPU: 0.5})
	c := &http.Client{}
	status, body := fetch(t, c, f.APIURL()+registryPath+"?keys=corechannel")
	var reg struct {
		Data struct {
			Corechannel struct {
				ResourceNodes []map[string]any `json:"resource_nodes"`
			} `json:"corechannel"`
		} `json:"data"`
	}
	if status != 200 || json.Unmarshal(body, &reg) != nil || len(reg.Data.Corechannel.ResourceNodes) != 20 {
		t.Fatalf("registry: %d %.200s", status, body)
	}
	for _, n := range f.Nodes() {
		addr := strings.TrimRight(n.Address, "/")
		status, cfg := fetch(t, c, addr+"/status/config")
		if status != 200 || !strings.Contains(string(cfg), `"version":"`+n.Version+`"`) {
			t.Errorf("node %d config: %d %.100s", n.Index, status, cfg)
		}
		status, _ = fetch(t, c, addr+"/status/check/ipv6")
		if (status == 200) == isOld(n.Version) {
			t.Errorf("node %d (version %s): /status/check/ipv6 answered %d", n.Index, n.Version, status)
		}
	}
	f.SetRegistryDown(true)
	if status, _ := fetch(t, c, f.APIURL()+registryPath+"?keys=corechannel"); status != http.StatusServiceUnavailable {
		t.Errorf("registry down answered %d", status)
	}
}

func TestConnectionsCountedAndReused(t *testing.T) {
	f := start(t, Options{Nodes: 2, Seed: 1})
	c := &http.Client{Transport: &http.Transport{}}
	for range 5 {
		fetch(t, c, f.Nodes()[0].Address+"/status/config")
	}
	if got := f.NodeConnections(0); got != 1 {
		t.Errorf("5 keep-alive requests opened %d connections, want 1", got)
	}
	if st := f.Stats(); st.NodeRequests != 5 || st.NodeConnections != 1 || st.OpenNodeConnections != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestHungNodeReleasedByClose(t *testing.T) {
	f, err := Start(context.Background(), Options{Nodes: 1, Seed: 1, Hung: 1})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		resp, err := http.Get(f.Nodes()[0].Address + "/status/config")
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	deadline := time.Now().Add(5 * time.Second)
	for f.Stats().NodeRequests == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond) // polling for the request to arrive
	}
	f.Close()
	if err := <-done; err == nil {
		t.Error("a hung node answered")
	}
}

func TestSharedListener(t *testing.T) {
	f := start(t, Options{Nodes: 300, Seed: 2, SharedListener: true})
	c := &http.Client{}
	seen := map[string]bool{}
	for _, i := range []int{0, 1, 253, 254, 299} {
		n := f.Nodes()[i]
		if !strings.HasPrefix(n.Address, "http://127.20.") {
			t.Fatalf("node %d address %s", i, n.Address)
		}
		status, body := fetch(t, c, strings.TrimRight(n.Address, "/")+"/status/config")
		if status != 200 || seen[string(body)] {
			t.Errorf("node %d: %d, distinct=%v", i, status, !seen[string(body)])
		}
		seen[string(body)] = true
		if f.NodeConnections(i) != 1 {
			t.Errorf("node %d: %d connections", i, f.NodeConnections(i))
		}
	}
}

func isOld(version string) bool {
	for _, v := range oldVersions {
		if v == version {
			return true
		}
	}
	return false
}
