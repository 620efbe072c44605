package simfleet

import (
	"io"
	"log"
)

// quietLog drops the servers' own log lines: clients that hang up on
// purpose (timeouts, hung nodes) would otherwise flood test output.
func quietLog() *log.Logger { return log.New(io.Discard, "", 0) }
