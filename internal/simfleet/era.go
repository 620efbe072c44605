package simfleet

// Eras: nodes that answer as a given aleph-vm release does, written from
// aleph-vm's own models (orchestrator/resources.py, resources.py and the
// status views) rather than from the service's reading of the contract.
// With Options.Eras, the first healthy nodes of the registry take one era
// each, in the order of eras below.

// era describes how the nodes of one release answer.
type era struct {
	name    string
	version string
	// pydantic2 releases (1.5 and later) write usage compactly and times
	// with "Z"; earlier ones write through json.dumps, with spaces and
	// "+00:00". Whole floats are "60.0" in both.
	pydantic2 bool
	// computing is the config's computing block: noComputing before 1.0,
	// noGPUFlag before 1.4, fullComputing since.
	computing    computingBlock
	gpuSupport   bool // ENABLE_GPU_SUPPORT, when written
	confidential bool
	// payment is the config's payment block: legacyPayment before 1.1
	// (PAYMENT_SUPER_TOKEN, PAYMENT_CHAIN_ID), currentPayment after.
	payment      paymentBlock
	receiver     string
	nullReceiver bool   // 1.11 may write PAYMENT_RECEIVER_ADDRESS as null
	nodeHash     bool   // 1.11 writes the node's hash
	vmID         string // references.CHECK_FASTAPI_VM_ID
	// gpu is the usage's GPU block; nil when the release has none (before
	// 1.4.0-rc1 there is no "gpu" key at all).
	gpu *eraGPU
	// legacyIPv6 releases (<= 1.8.1) answer IPv6 only through the
	// diagnostic VM (/vm/{id}/ip/6); later ones at /status/check/ipv6.
	legacyIPv6       bool
	ipv6Host, ipv6VM bool
	// diag503: the diagnostic VM answers 503 with {"result": false, ...},
	// as it does when IPv6 is down.
	diag503 bool
	// nullNodeHash: node_hash is written as null (1.14: the operator did
	// not set it); foreignHash: the config names another node's hash, as
	// an address serving another node's config does.
	nullNodeHash, foreignHash bool
	// noArch: the usage has no properties.cpu.architecture, as aleph-vm
	// writes it (exclude_none) on a CPU that is neither x86_64 nor arm64;
	// cpuVendor is then lshw's vendor string. "" keeps AuthenticAMD.
	noArch    bool
	cpuVendor string
	// capability is how /about/capability answers (1.6 on; 404 before):
	// capabilityFails, the first models (numbers declared as strings),
	// which cannot validate lshw's integers under pydantic 2, so the view
	// answers 500; capabilityVirtual, a host whose memory banks name no
	// type nor clock; capabilityTee, the releases that add "tee".
	capabilityFails, capabilityVirtual, capabilityTee bool
}

// ForeignNodeHash is the hash the era "node-hash-mismatch" names in its
// config: another node's, listed nowhere in the fleet's registry.
const ForeignNodeHash = "5b1d8a2c9e47f0d3b6a18c2e94f7d05a3c6b8e1f2d4a7c9b0e3f5a8d1c2b4e6f"

type computingBlock int

const (
	noComputing computingBlock = iota
	noGPUFlag
	fullComputing
)

type paymentBlock int

const (
	legacyPayment paymentBlock = iota
	currentPayment
)

// eraGPU is a usage's GPU block: devices and available_devices, each
// entry as the node writes it.
type eraGPU struct {
	devices, available []eraDevice
}

// eraDevice is a GPU with the node's own verdict, taken at boot from the
// settings of that day, and how the node writes that verdict.
type eraDevice struct {
	device
	style deviceStyle
}

type deviceStyle int

const (
	noVerdict deviceStyle = iota // before 1.4.0: neither model nor compatible
	omitNone                     // exclude_none: no model when it is None
	nullModel                    // a serialiser writing "model": null
)

// Cards seen on eras nodes, beside nvidia and intel. The node's verdict
// is in model (empty: None) and compatible.
var (
	rtx4000  = device{"NVIDIA", "RTX 4000 ADA", "AD104GL [RTX 4000 SFF Ada Generation]", "0300", "10de:27b0", true, "01:00.0"}
	rtx4090  = device{"NVIDIA", "RTX 4090", "AD102 [GeForce RTX 4090]", "0300", "10de:2684", true, "01:00.0"}
	l40s     = device{"NVIDIA", "L40S", "AD102GL [L40S]", "0302", "10de:26b9", true, "81:00.0"}
	h100     = device{"NVIDIA", "H100", "GH100 [H100 PCIe]", "0302", "10de:2331", true, "01:00.0"}
	uhd630   = device{"Intel", "", "CoffeeLake-S GT2 [UHD Graphics 630]", "0300", "8086:3e92", false, "00:02.0"}
	radeon   = device{"AMD", "", "Navi 31 [Radeon RX 7900 XTX]", "0300", "1002:744c", false, "03:00.0"}
	rtx4090D = device{"NVIDIA", "", "AD102 [GeForce RTX 4090 D]", "0300", "10de:2685", false, "02:00.0"} // listed only since the node booted
	teslaT4  = device{"NVIDIA", "Tesla T4", "TU104GL [Tesla T4]", "0302", "10de:1eb8", true, "41:00.0"}  // listed when the node booted, no longer
	customVM = "3fc0aa9569da840c43e7bd2033c3c580abb46b007527d6d20f2d4e98e2b8e8bd"
	paySuper = "0x1290248E01ED2F9f863A9752A8aAD396ef3a1B00"
)

func dev(d device, s deviceStyle) eraDevice { return eraDevice{d, s} }

// eras are the releases a fleet with Options.Eras answers as, one node
// each.
var eras = []era{
	{name: "0.4", version: "0.4.1", computing: noComputing, payment: legacyPayment,
		receiver: "0x7D6a8b4D2f3c1E9a0B5c6d7E8f9A0b1C2d3E4f5A", vmID: DefaultVMID,
		legacyIPv6: true, ipv6Host: true, ipv6VM: true},
	{name: "1.3", version: "1.3.0-41-g7303587", computing: noGPUFlag, payment: currentPayment,
		receiver: "0x2B5AD5c4795c026514f8317c7a215E218DcCD6cF", vmID: customVM,
		gpu: &eraGPU{
			devices:   []eraDevice{dev(rtx4000, noVerdict), dev(uhd630, noVerdict)},
			available: []eraDevice{dev(rtx4000, noVerdict)},
		},
		legacyIPv6: true, ipv6Host: true, ipv6VM: true},
	{name: "1.4", version: "1.4.0", computing: fullComputing, gpuSupport: true, payment: currentPayment,
		receiver: "0x9f1E2d3C4b5A69788796a5B4c3D2e1F0a9B8c7D6", vmID: DefaultVMID,
		gpu: &eraGPU{
			devices:   []eraDevice{dev(rtx4090, omitNone), dev(uhd630, omitNone)},
			available: []eraDevice{dev(rtx4090, omitNone), dev(uhd630, omitNone)},
		},
		legacyIPv6: true, ipv6Host: false, ipv6VM: false},
	{name: "1.5", version: "1.5.1", pydantic2: true, computing: fullComputing, gpuSupport: true, payment: currentPayment,
		receiver: "0x4c3B2a1908F7e6D5c4B3a29180f7E6d5C4b3A291", vmID: DefaultVMID,
		gpu: &eraGPU{
			devices:   []eraDevice{dev(rtx4090D, omitNone), dev(l40s, omitNone)},
			available: []eraDevice{dev(rtx4090D, omitNone)},
		},
		legacyIPv6: true, ipv6Host: true, ipv6VM: true},
	{name: "prerelease", version: "1.6.0-rc1", pydantic2: true, computing: fullComputing, payment: currentPayment,
		receiver: "", vmID: DefaultVMID, gpu: &eraGPU{},
		legacyIPv6: true, ipv6Host: true, ipv6VM: true,
		capabilityFails: true},
	{name: "diagnostic-503", version: "1.8.1", pydantic2: true, computing: fullComputing, payment: currentPayment,
		receiver: "0x5E6f7A8b9C0d1E2f3A4b5C6d7E8f9A0b1C2d3E4f", vmID: DefaultVMID, gpu: &eraGPU{},
		legacyIPv6: true, diag503: true},
	{name: "model-null", version: "1.10.0", pydantic2: true, computing: fullComputing, gpuSupport: true, payment: currentPayment,
		receiver: "0x0A1b2C3d4E5f6A7b8C9d0E1f2A3b4C5d6E7f8A9b", vmID: DefaultVMID,
		gpu: &eraGPU{
			devices:   []eraDevice{dev(h100, nullModel), dev(radeon, nullModel)},
			available: []eraDevice{dev(radeon, nullModel)},
		},
		ipv6Host: true, ipv6VM: false,
		capabilityVirtual: true},
	{name: "1.11", version: "1.11.0", pydantic2: true, computing: fullComputing, gpuSupport: true, confidential: true,
		payment: currentPayment, nullReceiver: true, nodeHash: true, vmID: DefaultVMID,
		gpu: &eraGPU{
			devices:   []eraDevice{dev(teslaT4, omitNone), dev(rtx4090, omitNone)},
			available: []eraDevice{dev(teslaT4, omitNone), dev(rtx4090, omitNone)},
		},
		ipv6Host: true, ipv6VM: true},
	{name: "version-unavailable", version: "version-unavailable", pydantic2: true, computing: fullComputing,
		payment: currentPayment, receiver: "0x3D4e5F6a7B8c9D0e1F2a3B4c5D6e7F8a9B0c1D2e", vmID: DefaultVMID, gpu: &eraGPU{},
		ipv6Host: false, ipv6VM: true,
		capabilityTee: true},
	// Newer than the reviewed fleet: 1.14 says who it is (node_hash), and
	// a 1.14 host on a CPU aleph-vm does not name leaves out architecture.
	{name: "1.14", version: "1.14.0", pydantic2: true, computing: fullComputing, gpuSupport: true, confidential: true,
		payment: currentPayment, receiver: "0x6F7a8B9c0D1e2F3a4B5c6D7e8F9a0B1c2D3e4F5a", nodeHash: true, vmID: DefaultVMID,
		gpu: &eraGPU{
			devices:   []eraDevice{dev(h100, omitNone)},
			available: []eraDevice{dev(h100, omitNone)},
		},
		ipv6Host: true, ipv6VM: true},
	{name: "unknown-arch", version: "1.14.0", pydantic2: true, computing: fullComputing, payment: currentPayment,
		receiver: "0x7A8b9C0d1E2f3A4b5C6d7E8f9A0b1C2d3E4f5A6b", nodeHash: true, nullNodeHash: true, vmID: DefaultVMID,
		gpu: &eraGPU{}, noArch: true, cpuVendor: "ARM", ipv6Host: true, ipv6VM: true},
	{name: "node-hash-mismatch", version: "1.14.0", pydantic2: true, computing: fullComputing, payment: currentPayment,
		receiver: "0x8B9c0D1e2F3a4B5c6D7e8F9a0B1c2D3e4F5a6B7c", nodeHash: true, foreignHash: true, vmID: DefaultVMID,
		gpu: &eraGPU{}, ipv6Host: true, ipv6VM: true},
}

// EraNames lists the eras a fleet with Options.Eras has, one node each.
func EraNames() []string {
	out := make([]string, len(eras))
	for i, e := range eras {
		out[i] = e.name
	}
	return out
}

// hasGPU reports whether the era's node has a GPU the network accepts
// today (TodayGPUs), the meaning of Node.GPU.
func (e *era) hasGPU() bool {
	if e.gpu == nil {
		return false
	}
	for _, d := range e.gpu.devices {
		for _, g := range TodayGPUs {
			if g.DeviceID == d.id {
				return true
			}
		}
	}
	return false
}

// assignEras gives the first healthy nodes of the registry one era each.
// Their traits come from the era; other nodes are untouched.
func assignEras(nodes []*node) {
	next := 0
	for _, nd := range nodes {
		if next == len(eras) {
			return
		}
		if nd.info.Kind != KindOK {
			continue
		}
		e := &eras[next]
		next++
		in := &nd.info
		nd.era, nd.old = e, e.legacyIPv6
		in.Era, in.Version, in.VMID = e.name, e.version, e.vmID
		in.GPU = e.hasGPU()
		in.Computing, in.Confidential = e.computing != noComputing, e.confidential
		in.IPv6Host, in.IPv6VM = e.ipv6Host, e.ipv6VM
	}
}
