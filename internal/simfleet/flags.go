package simfleet

import "flag"

// RegisterFlags adds the fleet's flags to fs, with o's values as defaults.
func (o *Options) RegisterFlags(fs *flag.FlagSet) {
	fs.IntVar(&o.Nodes, "nodes", o.Nodes, "simulated nodes")
	fs.Int64Var(&o.Seed, "seed", o.Seed, "seed: the same seed gives the same registry, kinds and payloads")
	fs.DurationVar(&o.Latency, "latency", o.Latency, "latency added to every node answer")
	fs.DurationVar(&o.Jitter, "jitter", o.Jitter, "random extra latency, up to this much")
	fs.Float64Var(&o.Failing, "failing", o.Failing, "share of nodes answering HTTP 500")
	fs.Float64Var(&o.Hung, "hung", o.Hung, "share of nodes that never answer")
	fs.Float64Var(&o.InvalidJSON, "invalid-json", o.InvalidJSON, "share of nodes answering invalid JSON")
	fs.Float64Var(&o.InvalidAddress, "invalid-address", o.InvalidAddress, "share of nodes registered with an invalid address")
	fs.Float64Var(&o.OldVersion, "old-version", o.OldVersion, "share of nodes running version <= 1.8.1 (legacy IPv6 route)")
	fs.Float64Var(&o.GPU, "gpu", o.GPU, "share of nodes with GPUs")
	fs.Float64Var(&o.Inactive, "inactive", o.Inactive, "share of nodes with inactive_since set")
	fs.BoolVar(&o.SharedListener, "shared-listener", o.SharedListener, "serve all nodes from one listener, each on its own 127.x.y.z address (for large fleets)")
}
