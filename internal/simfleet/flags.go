package simfleet

import "flag"

// RegisterFlags binds the options to fs. Values already in o are the
// defaults shown by -help.
func (o *Options) RegisterFlags(fs *flag.FlagSet) {
	if o.Nodes == 0 {
		o.Nodes = DefaultNodes
	}
	fs.IntVar(&o.Nodes, "nodes", o.Nodes, "number of simulated compute resource nodes")
	fs.Int64Var(&o.Seed, "seed", o.Seed, "seed of the fleet: same seed, same registry, kinds and payloads")
	fs.DurationVar(&o.Latency, "latency", o.Latency, "delay added before every node answer")
	fs.DurationVar(&o.Jitter, "jitter", o.Jitter, "random extra delay, uniform in 0..jitter, added to latency")
	fs.Float64Var(&o.Failing, "failing", o.Failing, "share of nodes answering HTTP 500")
	fs.Float64Var(&o.Hung, "hung", o.Hung, "share of nodes that never answer")
	fs.Float64Var(&o.InvalidJSON, "invalid-json", o.InvalidJSON, "share of nodes answering truncated JSON")
	fs.Float64Var(&o.InvalidAddress, "invalid-address", o.InvalidAddress, "share of nodes registered with an invalid address")
	fs.Float64Var(&o.OldVersion, "old-version", o.OldVersion, "share of nodes running aleph-vm <= 1.8.1 (legacy IPv6 check)")
	fs.Float64Var(&o.GPU, "gpu", o.GPU, "share of nodes with GPUs")
	fs.Float64Var(&o.Inactive, "inactive", o.Inactive, "share of nodes with inactive_since set")
	fs.BoolVar(&o.Eras, "eras", o.Eras, "give the first healthy nodes one aleph-vm release era each (0.4 to 1.11, prereleases, version-unavailable)")
	fs.StringVar(&o.APIListen, "fleet-listen", o.APIListen, "address of the fleet's API host, host:port (default: a free port on 127.0.0.1)")
	fs.BoolVar(&o.MovingUsage, "moving-usage", o.MovingUsage,
		"usage answers move between answers as real nodes' do (load, free memory and disk); false: the same answer every time")
	fs.IntVar(&o.UsagePad, "usage-pad", o.UsagePad, "add a field of this many random characters to each node's usage answer (a large list)")
	fs.BoolVar(&o.SharedListener, "shared-listener", o.SharedListener,
		"serve all nodes from one listener, each on its own 127.20.x.y address (for fleets of thousands)")
	fs.BoolVar(&o.TLS, "tls", o.TLS, "nodes serve HTTPS with certificates from a CA made at start (see --tls-ca-file of simfleet)")
}
