package simfleet

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestNodeKinds(t *testing.T) {
	f := start(t, Options{Nodes: 40, Seed: 3, Failing: 0.1, Hung: 0.05, InvalidJSON: 0.1, InvalidAddress: 0.1,
		OldVersion: 0.3, GPU: 0.3})
	c := newClient(t)
	hungClient := &http.Client{Transport: c.Transport, Timeout: 50 * time.Millisecond}
	for _, n := range f.Nodes() {
		if n.Kind == KindInvalidAddress {
			continue
		}
		url := base(n) + "/status/config"
		if n.Kind == KindHung {
			if resp, err := hungClient.Get(url); err == nil {
				resp.Body.Close()
				t.Errorf("hung node %d answered %d", n.Index, resp.StatusCode)
			}
			continue
		}
		status, h, body := get(t, c, url)
		switch n.Kind {
		case KindOK:
			var cfg struct {
				Version   string
				Computing map[string]any `json:"computing"`
			}
			if status != 200 || json.Unmarshal(body, &cfg) != nil || cfg.Version != n.Version {
				t.Errorf("node %d: %d %.80s", n.Index, status, body)
			}
			if (cfg.Computing != nil) != n.Computing ||
				(n.Computing && (cfg.Computing["ENABLE_GPU_SUPPORT"] != n.GPU || cfg.Computing["ENABLE_CONFIDENTIAL_COMPUTING"] != n.Confidential)) {
				t.Errorf("node %d: computing %v, node %+v", n.Index, cfg.Computing, n)
			}
		case KindFailing:
			if status != 500 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
				t.Errorf("failing node %d: %d %s", n.Index, status, h.Get("Content-Type"))
			}
		case KindInvalidJSON:
			if status != 200 || h.Get("Content-Type") != "application/json" || json.Valid(body) {
				t.Errorf("invalid-json node %d: %d %s %s", n.Index, status, h.Get("Content-Type"), body)
			}
		}
	}
	if status, _, _ := get(t, c, base(f.Nodes()[0])+"/nope"); status != http.StatusNotFound {
		t.Errorf("unknown route answered %d", status)
	}
}

func TestIPv6Routes(t *testing.T) {
	f := start(t, Options{Nodes: 40, Seed: 6, OldVersion: 0.5})
	c := newClient(t)
	var custom, noRefs, hostDown, vmDown int
	for _, n := range f.Nodes() {
		_, _, cfg := get(t, c, base(n)+"/status/config")
		checkStatus, _, check := get(t, c, base(n)+"/status/check/ipv6")
		vmStatus, _, vm := get(t, c, base(n)+"/vm/"+n.VMID+"/ip/6")
		wrongStatus, _, _ := get(t, c, base(n)+"/vm/"+strings.Repeat("0", 64)+"/ip/6")
		if !n.IPv6Host {
			hostDown++
		}
		if !n.IPv6VM {
			vmDown++
		}
		if !strings.Contains(string(cfg), `"references"`) {
			noRefs++
			if n.VMID != DefaultVMID {
				t.Errorf("node %d has no references but VMID %s", n.Index, n.VMID)
			}
		} else if !strings.Contains(string(cfg), `"CHECK_FASTAPI_VM_ID":"`+n.VMID+`"`) {
			t.Errorf("node %d: config does not name VMID %s", n.Index, n.VMID)
		}
		if n.VMID != DefaultVMID {
			custom++
		}
		if f.nodes[n.Index].legacy() {
			var res struct{ Result *bool }
			if checkStatus != 404 || vmStatus != 200 || json.Unmarshal(vm, &res) != nil || res.Result == nil ||
				*res.Result != n.IPv6Host || n.IPv6VM != n.IPv6Host || wrongStatus != 404 {
				t.Errorf("old node %d (%s): check %d, vm %d %s, wrong id %d", n.Index, n.Version, checkStatus, vmStatus, vm, wrongStatus)
			}
			continue
		}
		var res struct{ Host, VM *bool }
		if vmStatus != 404 || checkStatus != 200 || json.Unmarshal(check, &res) != nil || res.Host == nil || res.VM == nil ||
			*res.Host != n.IPv6Host || *res.VM != n.IPv6VM {
			t.Errorf("new node %d (%s): check %d %s, vm %d", n.Index, n.Version, checkStatus, check, vmStatus)
		}
	}
	if custom == 0 || noRefs == 0 || hostDown == 0 || vmDown == 0 {
		t.Errorf("custom VM ids %d, without references %d, IPv6 host down %d, vm down %d", custom, noRefs, hostDown, vmDown)
	}
}

func TestUsage(t *testing.T) {
	f := start(t, Options{Nodes: 60, Seed: 8, GPU: 0.4})
	c := newClient(t)
	var floatKB, nullAvail, noGPU, intel, legacy, nullModel int
	for _, n := range f.Nodes() {
		status, _, body := get(t, c, base(n)+"/about/usage/system")
		s := string(body)
		var u struct {
			GPU *struct {
				Devices   []map[string]any `json:"devices"`
				Available []map[string]any `json:"available_devices"`
			} `json:"gpu"`
			Active bool `json:"active"`
		}
		if status != 200 || json.Unmarshal(body, &u) != nil || !u.Active {
			t.Fatalf("node %d: %d %s", n.Index, status, body)
		}
		for _, want := range []string{`"duration_seconds":60.0`, `"min":`, `.0,"max":`} {
			if !strings.Contains(s, want) {
				t.Errorf("node %d: usage lacks %s: %s", n.Index, want, s)
			}
		}
		if strings.Contains(s, `"total_kB":`) && strings.Contains(s, `.0,"available_kB"`) {
			floatKB++
		}
		switch {
		case u.GPU == nil:
			noGPU++
		case strings.Contains(s, `"available_devices":null`):
			nullAvail++
		}
		if n.GPU != (u.GPU != nil && len(u.GPU.Devices) > 0) {
			t.Errorf("node %d: gpu %v, usage %s", n.Index, n.GPU, s)
		}
		if !n.GPU {
			continue
		}
		compatible := false
		for _, d := range u.GPU.Devices {
			if _, ok := d["compatible"]; !ok {
				legacy++
			}
			if d["device_id"] == "8086:3e92" {
				intel++
			}
			if m, ok := d["model"]; ok && m == nil {
				nullModel++
			}
			compatible = compatible || strings.HasPrefix(d["device_id"].(string), "10de:")
		}
		if !compatible || len(u.GPU.Available) > len(u.GPU.Devices) {
			t.Errorf("GPU node %d: %s", n.Index, s)
		}
	}
	if floatKB == 0 || nullAvail == 0 || noGPU == 0 || intel == 0 || legacy == 0 || nullModel == 0 {
		t.Errorf("float kB %d, null available %d, no gpu %d, intel %d, legacy entries %d, null models %d",
			floatKB, nullAvail, noGPU, intel, legacy, nullModel)
	}
}

func TestSetKind(t *testing.T) {
	f := start(t, Options{Nodes: 3, Seed: 1, InvalidAddress: 0.34})
	c := newClient(t)
	n := f.Nodes()[0]
	if n.Kind == KindInvalidAddress {
		n = f.Nodes()[1]
	}
	f.SetKind(n.Index, KindFailing)
	if status, _, _ := get(t, c, base(n)+"/status/config"); status != 500 || f.Nodes()[n.Index].Kind != KindFailing {
		t.Errorf("failing node answered %d", status)
	}
	f.SetKind(n.Index, KindInvalidAddress) // ignored
	f.SetKind(n.Index, KindOK)
	if status, _, _ := get(t, c, base(n)+"/status/config"); status != 200 || f.Nodes()[n.Index].Kind != KindOK {
		t.Errorf("healed node answered %d", status)
	}
	for _, m := range f.Nodes() {
		if m.Kind == KindInvalidAddress {
			f.SetKind(m.Index, KindOK)
			if f.Nodes()[m.Index].Kind != KindInvalidAddress {
				t.Error("an invalid address node changed kind")
			}
		}
	}
}

func TestKeepAlive(t *testing.T) {
	f := start(t, Options{Nodes: 2, Seed: 1})
	c := newClient(t)
	n := f.Nodes()[1]
	get(t, c, base(n)+"/status/config")
	get(t, c, base(n)+"/about/usage/system")
	if got := f.NodeConnections(n.Index); got != 1 {
		t.Errorf("two keep-alive requests opened %d connections", got)
	}
	if st := f.Stats(); st != (Stats{NodeConnections: 1, NodeRequests: 2, OpenNodeConnections: 1}) {
		t.Errorf("stats %+v", st)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if open := f.Stats().OpenNodeConnections; open != 0 {
		t.Errorf("%d connections open after Close", open)
	}
}

func TestHungNodeReleased(t *testing.T) {
	f, err := Start(context.Background(), Options{Nodes: 1, Seed: 1, Hung: 1})
	if err != nil {
		t.Fatal(err)
	}
	waiting := make(chan struct{}, 2)
	hook := func() { waiting <- struct{}{} }
	f.hungHook.Store(&hook)
	c := newClient(t)
	url := base(f.Nodes()[0]) + "/status/config"

	// The client giving up releases the handler.
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, 1)
	go func() { errs <- request(ctx, c, url) }()
	<-waiting
	cancel()
	if err := <-errs; err == nil {
		t.Error("a hung node answered")
	}

	// So does Close.
	go func() { errs <- request(context.Background(), c, url) }()
	<-waiting
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errs; err == nil {
		t.Error("a hung node answered when the fleet closed")
	}
}

func request(ctx context.Context, c *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	return err
}

func TestDelay(t *testing.T) {
	f := &Fleet{opts: Options{Seed: 1, Latency: 10 * time.Millisecond, Jitter: 5 * time.Millisecond}}
	seen := map[time.Duration]bool{}
	for range 1000 {
		d := f.delay()
		if d < 10*time.Millisecond || d > 15*time.Millisecond {
			t.Fatalf("delay %v outside [10ms, 15ms]", d)
		}
		seen[d] = true
	}
	if len(seen) < 900 {
		t.Errorf("only %d distinct delays in 1000", len(seen))
	}
}

// TestMovingUsage: with MovingUsage each usage answer differs from the
// last in its load, free memory and free disk, and nothing else; without
// it, every answer is the same.
func TestMovingUsage(t *testing.T) {
	type usage struct {
		CPU struct {
			Count int            `json:"count"`
			Load  map[string]any `json:"load_average"`
		} `json:"cpu"`
		Mem  map[string]any `json:"mem"`
		Disk map[string]any `json:"disk"`
		GPU  any            `json:"gpu"`
	}
	for _, moving := range []bool{false, true} {
		f := start(t, Options{Nodes: 20, Seed: 4, GPU: 0.3, MovingUsage: moving})
		c := newClient(t)
		for _, n := range f.Nodes() {
			var bodies [3][]byte
			var us [3]usage
			for i := range bodies {
				status, _, b := get(t, c, base(n)+"/about/usage/system")
				if status != 200 || json.Unmarshal(b, &us[i]) != nil {
					t.Fatalf("node %d: %d %s", n.Index, status, b)
				}
				bodies[i] = b
			}
			same := string(bodies[0]) == string(bodies[1]) && string(bodies[1]) == string(bodies[2])
			if same == moving {
				t.Errorf("moving %v, node %d: answers %s / %s / %s", moving, n.Index, bodies[0], bodies[1], bodies[2])
			}
			for i := 1; i < len(us); i++ {
				a, b := us[0], us[i]
				if a.CPU.Count != b.CPU.Count || a.Mem["total_kB"] != b.Mem["total_kB"] ||
					a.Disk["total_kB"] != b.Disk["total_kB"] || !reflect.DeepEqual(a.GPU, b.GPU) {
					t.Errorf("node %d: fixed figures moved: %s / %s", n.Index, bodies[0], bodies[i])
				}
			}
		}
	}
}

// TestHungPrefix: under HungPrefix a healthy node hangs until the client
// gives up; its own routes still answer, and other paths answer 404.
func TestHungPrefix(t *testing.T) {
	f := start(t, Options{Nodes: 1, Seed: 1})
	waiting := make(chan struct{}, 1)
	hook := func() { waiting <- struct{}{} }
	f.hungHook.Store(&hook)
	c := newClient(t)
	n := f.Nodes()[0]
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, 1)
	go func() { errs <- request(ctx, c, base(n)+HungPrefix+"p1/status/config") }()
	<-waiting
	cancel()
	if err := <-errs; err == nil {
		t.Error("a path under HungPrefix answered")
	}
	if status, _, _ := get(t, c, base(n)+"/status/config"); status != http.StatusOK {
		t.Errorf("the node's own config answered %d", status)
	}
	if status, _, _ := get(t, c, base(n)+"/p1/status/config"); status != http.StatusNotFound {
		t.Errorf("another path answered %d", status)
	}
}
