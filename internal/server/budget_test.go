package server

import (
	"testing"

	"nodelist/internal/config"
)

// --max-conns bounds the connections; crns.json readers get half.
func TestLimitsFromConfig(t *testing.T) {
	prober := 1000
	c := config.Default()
	c.MaxConns, c.MaxConnsPerClient, c.MinReadRate = 500, 7, 0
	limits, conns := LimitsFromConfig(&c, prober)
	if limits.Snapshot != 250 || limits.MinReadRate != -1 || conns.Max != 500 || conns.PerClient != 7 {
		t.Errorf("limits %+v, conns %+v", limits, conns)
	}
}
