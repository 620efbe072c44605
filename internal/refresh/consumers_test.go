package refresh

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"nodelist/internal/contract/consumers"
	"nodelist/internal/simfleet"
)

// TestConsumersAcceptEveryEra reads the list of a fleet with every
// aleph-vm era (and the registry's spellings of locked) as each strict
// consumer does, both variants, and requires that each builds the whole
// list and offers every era's node: the console lets a user pick it, and
// aleph-rs's resource filter keeps it. Before, the console refused the
// nodes registered with "locked": "" or null, and a host whose CPU
// architecture is omitted lost its usage, hiding it from both. Run with
// -v for the figures per consumer and era.
func TestConsumersAcceptEveryEra(t *testing.T) {
	f, r, _ := eraFleet(t)
	snap := r.Holder().Load()
	eraOf := map[string]string{}
	for _, n := range f.Nodes() {
		eraOf[n.Hash] = n.Era
	}
	for _, variant := range []struct {
		name string
		body []byte
	}{{"filter_inactive=false", snap.All.Identity}, {"filter_inactive=true", snap.Active.Identity}} {
		for _, c := range consumers.All() {
			v, err := consumers.Judge(c, variant.body)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s, %s: %d of %d entries built, list ok %v; %s", variant.name, c.Name, v.Built, v.Entries, v.ListOK, selected(c, v))
			if !v.ListOK || v.Built != v.Entries {
				t.Errorf("%s, %s refuses entries:%s", variant.name, c.Name, v.Reasons())
			}
			t.Logf("  per era: %s", perEra(c, v, eraOf, variant.body))
			listed := func(hash string) bool { return strings.Contains(string(variant.body), `"hash":"`+hash+`"`) }
			// aleph-rs's resource filter keeps every era's node: each has
			// a usage.
			if kept, ok := v.Kept["min_vcpus=1"]; ok {
				for hash, era := range eraOf {
					if era != "" && listed(hash) && !slices.Contains(kept, hash) {
						t.Errorf("%s, %s: min_vcpus=1 drops the node of era %s", variant.name, c.Name, era)
					}
				}
			}
			if c.Name == "console" {
				checkConsole(t, variant.name, variant.body, v, eraOf)
			}
		}
	}
}

// checkConsole: the console offers every era's node that has what its
// list asks for (a stream_reward address, a version from 1.1.0, IPv6 from
// a VM, the smallest tier free), and accepts every era's node it offers
// once picked. Offered nodes it would refuse are logged with why.
func checkConsole(t *testing.T, variant string, body []byte, v consumers.Verdict, eraOf map[string]string) {
	t.Helper()
	var doc struct{ CRNs []consumers.Object }
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	offered, accepted := v.Kept[consumers.ConsoleOffered], v.Kept[consumers.ConsoleAccepted]
	refusedOffered := 0
	for _, c := range doc.CRNs {
		hash, _ := c["hash"].(string)
		era := eraOf[hash]
		if slices.Contains(offered, hash) && !slices.Contains(accepted, hash) {
			refusedOffered++
			t.Logf("%s, console: offers node %.12s (era %q) but refuses it once picked: %v", variant, hash, era, consumers.ConsoleRefusal(c))
			if era != "" {
				t.Errorf("%s, console refuses the node of era %s once picked: %v", variant, era, consumers.ConsoleRefusal(c))
			}
		}
		if era == "" {
			continue
		}
		v6, _ := c["ipv6_check"].(consumers.Object)
		reward, _ := c["stream_reward"].(string)
		version, _ := c["version"].(string)
		wants := v6["vm"] == true && reward != "" && version != "" && version != "version-unavailable" && !strings.HasPrefix(version, "0.")
		if wants && !slices.Contains(offered, hash) {
			t.Errorf("%s, console does not offer the node of era %s", variant, era)
		}
	}
	t.Logf("%s, console: %d offered, %d of them refused once picked", variant, len(offered), refusedOffered)
}

// selected lists how many entries each of c's filters keeps.
func selected(c consumers.Consumer, v consumers.Verdict) string {
	var parts []string
	for _, fl := range c.Filters {
		parts = append(parts, fmt.Sprintf("%s keeps %d", fl.Name, v.Selected[fl.Name]))
	}
	return strings.Join(parts, ", ")
}

// perEra says, for each era's node, whether c builds it and which of its
// filters keep it.
func perEra(c consumers.Consumer, v consumers.Verdict, eraOf map[string]string, body []byte) string {
	var parts []string
	for _, era := range simfleet.EraNames() {
		var hash string
		for h, e := range eraOf {
			if e == era {
				hash = h
			}
		}
		state := "built"
		if !strings.Contains(string(body), `"hash":"`+hash+`"`) {
			parts = append(parts, era+" not listed (inactive)")
			continue
		}
		if err, refused := v.Refused[hash]; refused {
			state = "refused (" + err.Error() + ")"
		} else if !v.ListOK {
			state = "lost with the list"
		}
		var kept []string
		for i, fl := range c.Filters {
			if slices.Contains(v.Kept[fl.Name], hash) {
				kept = append(kept, fmt.Sprint(i))
			}
		}
		parts = append(parts, fmt.Sprintf("%s %s [filters %s]", era, state, strings.Join(kept, ",")))
	}
	return strings.Join(parts, "; ")
}
