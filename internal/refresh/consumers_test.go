package refresh

import (
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
			// Every era's node is offered by the filters that only ask for
			// data every era has.
			for _, must := range []string{"selectable", "min_vcpus=1"} {
				kept, ok := v.Kept[must]
				if !ok {
					continue
				}
				for hash, era := range eraOf {
					if era != "" && !slices.Contains(kept, hash) && strings.Contains(string(variant.body), hash) {
						t.Errorf("%s, %s: %s does not offer the node of era %s", variant.name, c.Name, must, era)
					}
				}
			}
		}
	}
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
