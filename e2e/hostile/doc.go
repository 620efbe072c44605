// Package hostile is a fleet of misbehaving compute nodes for tests: nodes
// that hang, drip, flood, bomb, lie about types, redirect in loops or
// towards a loopback canary, disguise a refused destination (IPv6 zones,
// IPv6 forms embedding a loopback IPv4, Unicode spellings of a forbidden
// host), reset the connection, answer past a probe's bounds, or write
// text that is not valid Unicode or numbers that are not JSON (NaN,
// -Infinity), and a few well-behaved ones beside them.
// One round against the whole fleet shows that the prober survives each
// behaviour, records it as the expected error class, and never reaches
// the canary.
//
// It must not be used outside tests and benchmarks: every listener is on
// loopback and lives as long as the Fleet.
package hostile
