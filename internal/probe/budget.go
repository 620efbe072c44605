package probe

import "time"

// WithTimeout returns a client whose node requests each have timeout d,
// sharing c's transport, connection pool and bound on requests in flight.
// As with c, the timeout starts once a request has its slot, so waiting
// behind other requests does not eat it. The refresher gives nodes that
// did not answer in time a short budget this way, so that a crowd of hung
// nodes cannot hold the round's slots.
func (c *Client) WithTimeout(d time.Duration) *Client {
	cc := *c
	cc.opts.Timeout = d
	return &cc
}
