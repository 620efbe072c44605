package refresh

import (
	"context"
	"encoding/json"

	"nodelist/internal/aleph"
	"nodelist/internal/probe"
)

// ProbeAddress probes the node at address as a round probes a registered
// one (the same client and guard, every probe of probe.All, the settings
// fetched as a round would) and returns the CRN crns.json would list for
// a registry entry holding only that address. why is the config probe's
// error, or why the address is never probed; nil when the node answered.
// The live state is not touched.
func (r *Refresher) ProbeAddress(ctx context.Context, address string) (crn []byte, why *probe.Error) {
	r.mu.Lock()
	p := r.plan
	r.mu.Unlock()
	r.fetchSettings(ctx, r.log, &p)
	r.mu.Lock()
	settings := r.settings
	r.mu.Unlock()

	raw, _ := json.Marshal(address) // a string always marshals
	st := newNodeState()
	st.node = aleph.Node{Address: address, Fields: []aleph.Field{{Key: "address", Value: raw}}}
	st.judge(p.forbidden)
	why = st.addrErr
	if why == nil {
		res := r.opts.Client.Node(ctx, st.addr, settings, nil) // one answer: nothing to remember
		st.apply(&res)
		why = res.Of(probe.Gate).Err
	}
	var scratch []byte
	return st.crn(&scratch).JSON, why
}
