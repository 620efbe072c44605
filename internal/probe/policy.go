package probe

import (
	"slices"
	"sync/atomic"
	"syscall"
)

// policy is what a reload may change in a running client: where it may
// connect (the guard) and which host names a redirect may not use. The
// client and its WithTimeout copies share one, read on every dial and
// redirect, so a new policy holds from the next connection on while
// requests in flight finish under the old one.
type policy struct {
	guard     *Guard
	forbidden []string
}

type policyHolder struct{ p atomic.Pointer[policy] }

func newPolicyHolder(o Options) *policyHolder {
	h := &policyHolder{}
	h.p.Store(&policy{guard: o.Guard, forbidden: o.Forbidden})
	return h
}

func (h *policyHolder) load() *policy { return h.p.Load() }

// control is the guarded dialer's Control: the guard in force judges
// each connection; without one, every destination is allowed.
func (h *policyHolder) control(network, address string, c syscall.RawConn) error {
	if g := h.load().guard; g != nil {
		return g.control(network, address, c)
	}
	return nil
}

// Reconfigure puts o's guard and forbidden host names in force from the
// next connection and the next redirect on, and reports whether they
// changed; when they did not, the policy in force is kept as it is.
// Idle pooled connections are closed on a change: one opened under the
// old guard would otherwise be reused without a dial, so without a check,
// by the next request to its host. The rest of o (timeouts, sizes, the
// API host) shapes the transport and needs a new client.
func (c *Client) Reconfigure(o Options) (changed bool) {
	cur := c.pol.load()
	if sameGuard(cur.guard, o.Guard) && slices.Equal(cur.forbidden, o.Forbidden) {
		return false
	}
	c.pol.p.Store(&policy{guard: o.Guard, forbidden: slices.Clone(o.Forbidden)})
	c.CloseIdleConnections()
	return true
}

// Guard is the guard in force (nil: every destination allowed).
func (c *Client) Guard() *Guard { return c.pol.load().guard }

func sameGuard(a, b *Guard) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.AllowPrivate == b.AllowPrivate && slices.Equal(a.Allow, b.Allow) && slices.Equal(a.AllowAddrPorts, b.AllowAddrPorts)
}
