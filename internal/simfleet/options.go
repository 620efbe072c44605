package simfleet

import (
	"errors"
	"fmt"
	"net"
	"time"
)

// DefaultNodes is the fleet size when Options.Nodes is zero.
const DefaultNodes = 100

// Options describe a fleet. The zero value is a fleet of DefaultNodes
// healthy nodes on 127.0.0.1.
type Options struct {
	Nodes   int           // number of CRNs (DefaultNodes if 0)
	Seed    int64         // same seed => same registry, same kinds, same payloads
	Latency time.Duration // added before every node answer
	Jitter  time.Duration // plus uniform random 0..Jitter

	// Shares of nodes with each fault kind; exclusive, the rest are KindOK.
	// A share s gives exactly round(s*Nodes) nodes.
	Failing, Hung, InvalidJSON, InvalidAddress float64

	OldVersion float64 // share of nodes whose version is <= 1.8.1 (independent trait)
	GPU        float64 // share of nodes with GPUs (independent trait)
	Inactive   float64 // share of nodes with inactive_since set (independent trait)

	// Eras gives the first healthy nodes of the registry one aleph-vm
	// release era each (see EraNames): they answer as that release does,
	// and their version, GPUs and IPv6 come from it.
	Eras bool

	// MovingUsage makes each usage answer differ from the last, as a real
	// node's does: load averages, free memory and free disk change at
	// every answer. Off, a node gives the same usage answer every time.
	// Era nodes always answer their era's fixed usage.
	MovingUsage bool

	// UsagePad adds to each ordinary node's usage answer a "padding"
	// field of this many random base64 characters (its own for each
	// node, the same at every answer), which gzip cannot shrink much
	// below three quarters: a large list, for tests of its storage.
	UsagePad int

	Host string // listen host, default "127.0.0.1"; ignored by nodes when SharedListener
	// APIListen is the API host's address (host:port); default Host on a
	// port the kernel picks. The nodes' ports are always picked.
	APIListen string

	// SharedListener serves every node from one listener on 0.0.0.0,
	// node i at its own loopback address 127.20.x.y, so that a fleet of
	// 10 000 nodes costs one listening socket instead of 10 000.
	SharedListener bool

	// TLS makes the nodes serve HTTPS (h2 and HTTP/1.1) with certificates
	// for their IP addresses from a CA made at Start (Fleet.CACertPEM).
	// The API host stays plain HTTP.
	TLS bool
}

// withDefaults validates o and fills in its defaults.
func (o Options) withDefaults() (Options, error) {
	if o.Nodes == 0 {
		o.Nodes = DefaultNodes
	}
	if o.Nodes < 0 {
		return o, fmt.Errorf("nodes %d is negative", o.Nodes)
	}
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.APIListen == "" {
		o.APIListen = net.JoinHostPort(o.Host, "0")
	} else if _, _, err := net.SplitHostPort(o.APIListen); err != nil {
		return o, fmt.Errorf("API address %q: want host:port", o.APIListen)
	}
	if o.UsagePad < 0 {
		return o, fmt.Errorf("usage pad %d is negative", o.UsagePad)
	}
	if o.Latency < 0 || o.Jitter < 0 {
		return o, errors.New("latency and jitter must not be negative")
	}
	shares := []struct {
		name string
		v    float64
	}{
		{"failing", o.Failing}, {"hung", o.Hung}, {"invalid-json", o.InvalidJSON},
		{"invalid-address", o.InvalidAddress}, {"old-version", o.OldVersion}, {"gpu", o.GPU},
		{"inactive", o.Inactive},
	}
	for _, s := range shares {
		if !(s.v >= 0 && s.v <= 1) {
			return o, fmt.Errorf("share %s = %v is not in [0, 1]", s.name, s.v)
		}
	}
	if sum := o.Failing + o.Hung + o.InvalidJSON + o.InvalidAddress; sum > 1+1e-9 {
		return o, fmt.Errorf("fault shares add up to %v, more than 1", sum)
	}
	return o, nil
}
