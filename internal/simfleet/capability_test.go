package simfleet

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestCapabilityAnswers checks /about/capability: the later releases'
// shape (every key, integers, null written) with the usage's vendor and
// CPU count; 404 before 1.6; a 500 from the release whose models cannot
// validate lshw's integers; and SetVersion turning it on and off.
func TestCapabilityAnswers(t *testing.T) {
	f := start(t, Options{Nodes: 40, Seed: 4, Eras: true, OldVersion: 0.5})
	c := newClient(t)
	answered, missing := 0, 0
	for _, n := range f.Nodes() {
		if n.Kind != KindOK {
			continue
		}
		status, _, body := get(t, c, base(n)+"/about/capability")
		_, _, usage := get(t, c, base(n)+"/about/usage/system")
		switch {
		case n.Era == "prerelease":
			if status != 500 || !strings.HasPrefix(string(body), "500 Internal Server Error") {
				t.Errorf("era %s: %d %s", n.Era, status, body)
			}
			continue
		case !hasCapability(n.Version):
			if status != 404 {
				t.Errorf("node %d (%s): %d %s, want 404", n.Index, n.Version, status, body)
			}
			missing++
			continue
		}
		answered++
		var got struct {
			CPU struct {
				Architecture, Vendor, Model string
				Frequency                   int64
				Count                       int
				Features                    []string
			}
			Memory struct {
				Size       int64
				Units      string
				Type       *string
				Clock      *int64
				ClockUnits *string `json:"clock_units"`
			}
		}
		var u struct {
			CPU        struct{ Count int }
			Properties struct{ CPU struct{ Vendor string } }
		}
		if status != 200 || json.Unmarshal(body, &got) != nil || json.Unmarshal(usage, &u) != nil {
			t.Fatalf("node %d (%s): %d %s", n.Index, n.Version, status, body)
		}
		if got.CPU.Vendor != u.Properties.CPU.Vendor || got.CPU.Count != u.CPU.Count || got.CPU.Model == "" ||
			got.CPU.Frequency < 1e9 || got.Memory.Size < 16<<30 || got.Memory.Units != "bytes" || got.Memory.Type == nil ||
			got.Memory.ClockUnits != nil || !strings.Contains(string(body), `"clock_units":null`) {
			t.Errorf("node %d: %s beside usage %s", n.Index, body, usage)
		}
		if (*got.Memory.Type == "") != (got.Memory.Clock == nil) {
			t.Errorf("node %d: a memory type without a clock, or the reverse: %s", n.Index, body)
		}
		if strings.Contains(string(body), `"tee"`) != (n.Era == "version-unavailable") {
			t.Errorf("node %d (era %q): tee key in %s", n.Index, n.Era, body)
		}
	}
	if answered < 10 || missing < 5 {
		t.Errorf("%d nodes answered, %d had no route: the fleet should have plenty of both", answered, missing)
	}

	// An old node upgraded gains the route; downgraded, loses it.
	var old Node
	for _, n := range f.Nodes() {
		if n.Kind == KindOK && n.Era == "" && !hasCapability(n.Version) {
			old = n
			break
		}
	}
	for _, step := range []struct {
		version string
		status  int
	}{{"1.7.2", 200}, {"1.2.0", 404}} {
		f.SetVersion(old.Index, step.version)
		if status, _, body := get(t, c, base(old)+"/about/capability"); status != step.status {
			t.Errorf("node %d at %s: %d %s, want %d", old.Index, step.version, status, body, step.status)
		}
		if _, _, cfg := get(t, c, base(old)+"/status/config"); !strings.Contains(string(cfg), `"version":"`+step.version+`"`) {
			t.Errorf("node %d at %s: config %s", old.Index, step.version, cfg)
		}
	}
}

func TestHasCapability(t *testing.T) {
	for v, want := range map[string]bool{"1.6.0-rc1": true, "1.6.0": true, "1.10.0": true, "2.0.1": true,
		"1.5.1": false, "1.3.0-41-g7303587": false, "0.4.1": false, "version-unavailable": true} {
		if got := hasCapability(v); got != want {
			t.Errorf("hasCapability(%q) = %t", v, got)
		}
	}
}
