// Package aleph speaks to the upstream Aleph API: it fetches the on-chain
// node registry (the corechannel aggregate) and the settings aggregate that
// lists compatible GPUs, and it holds the version rule that decides which
// IPv6 check a node understands.
//
// It holds only the upstream shapes: the registry's own keys, never the
// ones the service computes (the probe table's, which snapshot owns;
// snapshot hands them to ParseNodeKeys when it reads a list back). It must
// not probe nodes nor format the served crns.json; those belong to probe
// and snapshot. It imports no other part of the service: it is the top
// of the flow, the first the rest reads.
package aleph
