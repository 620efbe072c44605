// Command bench measures nodelist against a simulated fleet and against
// the physical limit of this machine, and prints a table.
//
//	go run ./bench            # 1000 and 10 000 nodes, a few minutes
//	go run ./bench --quick    # a smaller fleet and shorter loads, under a minute
//
// It builds the nodelist binary and runs the simulated fleet (nodelist
// simfleet), the service (nodelist serve) and the physical-limit server
// as separate processes, so that the service's CPU time and peak RSS are
// its own (read from /proc). Load comes from wrk, which must be on PATH.
//
// It is a measuring tool: it asserts nothing and is not run by go test,
// apart from the unit tests of its parsing.
package main
