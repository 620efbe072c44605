// Package simfleet runs a simulated Aleph fleet on loopback: an API host
// serving the corechannel and settings aggregates, and one HTTP server per
// compute resource node answering the probes the service makes (config,
// usage, IPv6), over HTTPS with Options.TLS (a CA made at Start, whose
// certificate CACertPEM returns). Nodes can be healthy, failing, hung, answer broken JSON or
// have an invalid registered address; with Options.Eras a few answer as the
// aleph-vm releases of every era do (0.4 to 1.11, a prerelease,
// version-unavailable). Everything derives from a seed, so a seed names a
// fleet byte for byte.
//
// Tests, benchmarks and the offline demo use it. It counts connections and
// requests so callers can check connection reuse. It must stay on loopback,
// never reach the network and never depend on the rest of nodelist: it plays
// the world the service talks to, so sharing its code would hide bugs.
package simfleet
