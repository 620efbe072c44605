// Command bench measures nodelist against a simulated fleet and against
// the physical limit of this machine, and prints a table.
//
//	go run ./bench            # 1000 and 10 000 nodes, a few minutes
//	go run ./bench --quick    # a smaller fleet and shorter loads, under a minute
//	go run ./bench --schemes http,https   # also against nodes serving TLS
//
// It builds the nodelist binary and runs the simulated fleet (nodelist
// simfleet), the service (nodelist serve) and the physical-limit server
// as separate processes, so that the service's CPU time and peak RSS are
// its own (read from /proc). Load comes from wrk, which must be on PATH.
// On each fleet, once the service has stopped, a reference client (bench
// ref-client: net/http, the same three GETs per node and the same
// decodes, nothing kept) runs the same rounds, so that a round's CPU is
// set beside the least a Go program spends on it. With https in
// --schemes the fleet's nodes serve TLS with a CA made at its start,
// which the service and the reference client trust through SSL_CERT_FILE.
// Memory at rest is read between rounds, 2 s (or half the idle time, if
// shorter) after the end the service reports for round 10, and again
// after the next round if one started before the reading; it is broken
// down from runtime/metrics (after a forced GC, through a debug hook
// built into the measured binary) and /proc.
//
// It is a measuring tool: it asserts nothing and is not run by go test,
// apart from the unit tests of its parsing.
package main
