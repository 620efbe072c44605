package server

import (
	"nodelist/internal/config"
	"nodelist/internal/server/listen"
)

// LimitsFromConfig derives the request budgets and the connection bounds
// of the configuration, given the descriptors the prober may hold.
func LimitsFromConfig(c *config.Config, proberFiles int) (Limits, listen.ConnLimits) {
	maxConns := listen.ConnBudget(c.MaxConns, proberFiles)
	// crns.json readers may hold half the connections; the other half
	// stays for the cheap routes, /healthz among them.
	limits := Limits{Snapshot: max(1, maxConns/2), MinReadRate: c.MinReadRate}
	if c.MinReadRate == 0 {
		limits.MinReadRate = -1
	}
	return limits, listen.ConnLimits{Max: maxConns, PerClient: c.MaxConnsPerClient}
}
