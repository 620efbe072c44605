// Package fourthprobe holds only a test: it registers a probe after the
// table's own (a fifth, since capability) and finds it in the round, in
// crns.json, in the history and after a warm restart, to prove that a
// probe is one value in probe.All and nothing else changes shape. It is a
// package of its own so that no other test runs with the extra probe.
package fourthprobe
