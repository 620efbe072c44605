package refresh

import (
	"bytes"
	"strings"
	"time"

	"nodelist/internal/aleph"
	"nodelist/internal/probe"
	"nodelist/internal/snapshot"
)

// probeState is what is kept of one probe of one node across rounds: the
// last good data and when it came, and the last error and when it came. A
// failure never erases good data.
type probeState struct {
	at    time.Time // last good data
	err   *probe.Error
	errAt time.Time
}

func (p *probeState) record(r probe.Response, ok bool) {
	if ok {
		p.at = r.At
	}
	p.err = r.Err
	if r.Err != nil {
		p.errAt = r.At
	}
}

// nodeState is one CRN's live state. Its rendered JSON is cached and
// rebuilt only when something it renders from changes.
type nodeState struct {
	node    aleph.Node
	addr    string       // validated base URL; "" when invalid
	addrErr *probe.Error // why the node is never probed: an invalid address or a refused registry entry

	config     probeState
	configNote string // problems in the last good config
	decoded    *aleph.NodeConfig
	usage      probeState
	usageRaw   []byte // last good usage as received, re-normalised when settings change
	usageN     *aleph.Usage
	ipv6       probeState
	ipv6Body   []byte

	rendered []byte // nil when stale
	pace     pace   // how its probes went, for the next round's order
}

// update is one round's result for one node, decoded and normalised
// outside the state lock.
type update struct {
	r          probe.Result
	usageN     *aleph.Usage
	configNote string // config fields of the wrong type; the config itself is good
}

// prepare decodes what apply needs; it touches no shared state.
func prepare(r probe.Result, settings *aleph.Settings) update {
	u := update{r: r}
	if r.Config.Err == nil && len(r.Problems) > 0 {
		u.configNote = probe.Errorf(probe.ClassInvalidData, "%s", strings.Join(r.Problems, "; ")).Error()
	}
	if r.Usage.Err == nil {
		n, err := aleph.NormalizeUsage(r.Usage.Body, settings)
		if err != nil {
			u.r.Usage.Err = probe.Errorf(probe.ClassInvalidData, "%v", err)
		} else {
			u.usageN = &n
		}
	}
	return u
}

// apply merges one round's prepared result into the state.
func (s *nodeState) apply(u update) {
	r := u.r
	if r.Config.Body != nil {
		cfg := r.Decoded
		s.decoded = &cfg
		s.config.record(r.Config, true)
		s.configNote = u.configNote
	} else {
		s.config.record(r.Config, false)
	}

	if u.usageN != nil {
		s.usageRaw, s.usageN = r.Usage.Body, u.usageN
		s.usage.record(r.Usage, true)
	} else {
		s.usage.record(r.Usage, false)
	}

	if r.IPv6.Err == nil {
		s.ipv6Body = r.IPv6.Body
	}
	s.ipv6.record(r.IPv6, r.IPv6.Err == nil)
	s.rendered = nil
}

// renormalise recomputes the usage-derived GPU fields for new settings.
func (s *nodeState) renormalise(settings *aleph.Settings) {
	if s.usageRaw == nil {
		return
	}
	if u, err := aleph.NormalizeUsage(s.usageRaw, settings); err == nil {
		s.usageN = &u
	}
	s.rendered = nil
}

// crn returns the node's rendered CRN, rendering it in scratch when stale;
// the cached copy is cut to its size, since at 100 000 nodes the cache is
// one of the largest things the service holds.
func (s *nodeState) crn(scratch *[]byte) snapshot.CRN {
	if s.rendered == nil {
		e := snapshot.Entry{
			Node:     &s.node,
			Config:   s.decoded,
			ConfigAt: s.config.at,
			Usage:    s.usageN,
			UsageAt:  s.usage.at,
			IPv6:     s.ipv6Body,
		}
		if s.addrErr != nil {
			e.ConfigErr, e.UsageErr = s.addrErr.Error(), s.addrErr.Error()
		} else {
			e.ConfigErr, e.UsageErr = errString(s.config.err), errString(s.usage.err)
			if e.ConfigErr == "" {
				e.ConfigErr = s.configNote
			}
		}
		*scratch = snapshot.Render((*scratch)[:0], &e)
		s.rendered = bytes.Clone(*scratch)
	}
	return snapshot.CRN{Hash: s.node.Hash, Score: s.node.Score, Inactive: s.node.Inactive, JSON: s.rendered}
}

func errString(e *probe.Error) string {
	if e == nil {
		return ""
	}
	return e.Error()
}
