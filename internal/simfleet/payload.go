package simfleet

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"
)

// The answers are written by hand rather than marshalled: the key order
// follows aleph-vm, and whole-number floats keep their ".0" (1200.0,
// 60.0) as Python writes them, which clients must normalise.

// configJSON is the node's /status/config.
func configJSON(n *node) []byte {
	in := &n.info
	r := rand.New(rand.NewPCG(n.payloadSeed, 1))
	var b bytes.Buffer
	b.WriteString(`{"DEBUG_ASYNCIO":false,"version":`)
	writeString(&b, in.Version)
	if !n.quirks.noReferences {
		b.WriteString(`,"references":{"API_SERVER":"https://official.aleph.cloud","CHECK_FASTAPI_VM_ID":`)
		writeString(&b, in.VMID)
		b.WriteString(`,"CONNECTOR_URL":"http://localhost:4021"}`)
	}
	b.WriteString(`,"security":{"USE_JAILER":true,"PRINT_SYSTEM_LOGS":false,"WATCH_FOR_UPDATES":true,"ALLOW_VM_NETWORKING":true}`)
	b.WriteString(`,"networking":{"IPV6_ADDRESS_POOL":"2a01:240:ad00::/40","IPV6_ALLOCATION_POLICY":"static",` +
		`"IPV6_SUBNET_PREFIX":124,"IPV6_FORWARDING_ENABLED":true,"USE_NDP_PROXY":true}`)
	b.WriteString(`,"debug":{"DEBUG_ASYNCIO":false}`)
	b.WriteString(`,"payment":{"PAYMENT_RECEIVER_ADDRESS":"0x` + hexString(r, 20) + `","AVAILABLE_PAYMENTS":{"avax":` +
		`{"chain_id":43114,"rpc":"https://api.avax.network/ext/bc/C/rpc","standard_token":null,` +
		`"super_token":"0xc0Fbc4967259786C743361a5885ef49380473dCF","active":true}},"PAYMENT_MONITOR_INTERVAL":60.0}`)
	if in.Computing {
		fmt.Fprintf(&b, `,"computing":{"ENABLE_QEMU_SUPPORT":true,"INSTANCE_DEFAULT_HYPERVISOR":"qemu",`+
			`"ENABLE_CONFIDENTIAL_COMPUTING":%t,"ENABLE_GPU_SUPPORT":%t}`, in.Confidential, in.GPU)
	}
	b.WriteString("}")
	return b.Bytes()
}

// device is one PCI GPU as aleph-vm describes it.
type device struct {
	vendor, model, name, class, id string
	compatible                     bool
	pci                            string // PCI address; "" for the n-th slot
}

var (
	nvidia = []device{
		{"NVIDIA", "RTX 4090", "AD102 [GeForce RTX 4090]", "0300", "10de:2684", true, ""},
		{"NVIDIA", "RTX 4000 ADA", "AD104GL [RTX 4000 SFF Ada Generation]", "0300", "10de:27b0", true, ""},
		{"NVIDIA", "L40S", "AD102GL [L40S]", "0302", "10de:26b9", true, ""},
		{"NVIDIA", "H100", "GH100 [H100 PCIe]", "0302", "10de:2331", true, ""},
	}
	intel = device{"Intel", "UHD 630", "CoffeeLake-S GT2 [UHD Graphics 630]", "0300", "8086:3e92", false, "00:02.0"}
)

// periodStart is the usage period every node reports.
var periodStart = time.Date(2026, 11, 22, 14, 38, 0, 0, time.UTC)

// usageJSON is the node's /about/usage/system: its answer number seq.
// Answer 0 is the node's fixed answer; any other moves as a real node's
// does between answers (load averages, free memory and free disk drawn
// anew), the rest of it staying the same.
func usageJSON(n *node, seq uint64) []byte {
	q := &n.quirks
	r := rand.New(rand.NewPCG(n.payloadSeed, 2))
	// Moving figures are drawn from their own sequence, so that the fixed
	// ones come out as in answer 0.
	moving := rand.New(rand.NewPCG(n.payloadSeed, 2+seq))
	draw := func(k int) int {
		v := r.IntN(k)
		if seq != 0 {
			v = moving.IntN(k)
		}
		return v
	}
	var b bytes.Buffer
	cpus := []int{4, 8, 16, 32, 64, 128}[r.IntN(6)]
	load := func() string { return strconv.FormatFloat(float64(draw(cpus*100))/100, 'f', -1, 64) }
	fmt.Fprintf(&b, `{"cpu":{"count":%d,"load_average":{"load1":%s,"load5":%s,"load15":%s},`, cpus, load(), load(), load())
	fmt.Fprintf(&b, `"core_frequencies":{"min":%.1f,"max":%.1f}},`, float64(800+100*r.IntN(5)), float64(2800+100*r.IntN(20)))
	kB := func(total int) string {
		avail := total / 100 * (5 + draw(90))
		if q.floatKB {
			return fmt.Sprintf(`{"total_kB":%d.0,"available_kB":%d.0}`, total, avail)
		}
		return fmt.Sprintf(`{"total_kB":%d,"available_kB":%d}`, total, avail)
	}
	fmt.Fprintf(&b, `"mem":%s,`, kB([]int{16384000, 32768000, 65536000, 131072000, 262144000}[r.IntN(5)]))
	fmt.Fprintf(&b, `"disk":%s,`, kB([]int{500000000, 1000000000, 2000000000, 4000000000}[r.IntN(4)]))
	fmt.Fprintf(&b, `"period":{"start_timestamp":"%s","duration_seconds":60.0},`, periodStart.Format(time.RFC3339))
	vendor, features := "GenuineIntel", `[]`
	if n.info.Confidential {
		vendor, features = "AuthenticAMD", `["sev","sev_es","sev_snp"]`
	} else if r.IntN(2) == 0 {
		vendor, features = "AuthenticAMD", `["sev","sev_es"]`
	}
	fmt.Fprintf(&b, `"properties":{"cpu":{"architecture":"x86_64","vendor":"%s","features":%s}},`, vendor, features)
	switch {
	case n.info.GPU:
		devs := []device{nvidia[r.IntN(len(nvidia))]}
		if r.IntN(3) == 0 {
			devs = append(devs, nvidia[r.IntN(len(nvidia))])
		}
		if q.gpuIntel {
			devs = append(devs, intel)
		}
		avail := devs
		if q.gpuSubset {
			// Keep the first device: a GPU node always offers a compatible one.
			avail = devs[:1]
			if len(devs) == 1 {
				avail = nil
			}
		}
		b.WriteString(`"gpu":{"devices":`)
		writeDevices(&b, devs, q.gpuLegacy, q.gpuNullModel)
		b.WriteString(`,"available_devices":`)
		writeDevices(&b, avail, q.gpuLegacy, q.gpuNullModel)
		b.WriteString(`},`)
	case q.gpuNull:
		b.WriteString(`"gpu":{"devices":[],"available_devices":null},`)
	case q.gpuOmitted:
	default:
		b.WriteString(`"gpu":{"devices":[],"available_devices":[]},`)
	}
	if n.pad > 0 {
		b.WriteString(`"padding":"`)
		b.Write(padding(n.payloadSeed, n.pad))
		b.WriteString(`",`)
	}
	b.WriteString(`"active":true}`)
	return b.Bytes()
}

// padding is n random base64 characters drawn from seed.
func padding(seed uint64, n int) []byte {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	r := rand.New(rand.NewPCG(seed, 3))
	out := make([]byte, n)
	for i := range out {
		out[i] = alphabet[r.IntN(len(alphabet))]
	}
	return out
}

// writeDevices writes devs as a JSON list; legacy nodes omit "model" and
// "compatible", and with nullModel an incompatible device's model is
// null. The strings are plain ASCII, so %q quotes them as JSON does.
func writeDevices(b *bytes.Buffer, devs []device, legacy, nullModel bool) {
	b.WriteByte('[')
	for i, d := range devs {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(b, `{"vendor":%q,`, d.vendor)
		switch {
		case legacy:
		case nullModel && !d.compatible:
			b.WriteString(`"model":null,`)
		default:
			fmt.Fprintf(b, `"model":%q,`, d.model)
		}
		pci := d.pci
		if pci == "" {
			pci = fmt.Sprintf("%02x:00.0", i+1)
		}
		fmt.Fprintf(b, `"device_name":%q,"device_class":%q,"pci_host":%q,"device_id":%q`, d.name, d.class, pci, d.id)
		if !legacy {
			fmt.Fprintf(b, `,"compatible":%t`, d.compatible)
		}
		b.WriteByte('}')
	}
	b.WriteByte(']')
}

// ipv6JSON is what the node's IPv6 check answers: /status/check/ipv6 on
// new nodes, /vm/{id}/ip/6 on legacy ones.
func ipv6JSON(n *node) []byte {
	if n.legacy() {
		return fmt.Appendf(nil, `{"result":%t}`, n.info.IPv6Host)
	}
	return fmt.Appendf(nil, `{"host":%t,"vm":%t}`, n.info.IPv6Host, n.info.IPv6VM)
}

func writeString(b *bytes.Buffer, s string) {
	j, _ := json.Marshal(s) // a string always marshals
	b.Write(j)
}

// hardware is a machine as lshw describes it to aleph-vm's
// /about/capability: CPU model and maximum frequency (lshw's "capacity",
// Hz), and the memory banks' type and clock (Hz); a virtual host's banks
// name no DDR type and may have no clock.
type hardware struct {
	vendor, model string
	frequency     int64
	memType       string // "" when no bank says
	memClock      int64  // 0: no clock (null)
}

var machines = []hardware{
	{"AuthenticAMD", "AMD EPYC 7443P 24-Core Processor", 4035000000, "DDR4", 3200000000},
	{"AuthenticAMD", "AMD EPYC 9254 24-Core Processor", 4150000000, "DDR5", 4800000000},
	{"AuthenticAMD", "AMD Ryzen 9 7950X3D 16-Core Processor", 5759000000, "DDR5", 4800000000},
	{"AuthenticAMD", "AMD EPYC-Milan Processor", 2000000000, "", 0}, // a virtual host: QEMU's CPU, banks without type or clock
	{"GenuineIntel", "Intel(R) Xeon(R) E-2386G CPU @ 3.50GHz", 5100000000, "DDR4", 3200000000},
	{"GenuineIntel", "Intel(R) Xeon(R) Gold 6326 CPU @ 2.90GHz", 3500000000, "DDR4", 2933000000},
	{"GenuineIntel", "13th Gen Intel(R) Core(TM) i9-13900K", 5800000000, "DDR5", 5600000000},
}

// hasCapability reports whether a node of version answers
// /about/capability: aleph-vm 1.6 and later, or a version it cannot read.
func hasCapability(version string) bool {
	var major, minor int
	if _, err := fmt.Sscanf(version, "%d.%d", &major, &minor); err != nil {
		return true
	}
	return major > 1 || major == 1 && minor >= 6
}

// capabilityJSON is an ordinary node's /about/capability, or nil (404)
// for a release without it: the machine is drawn among those of the
// vendor its usage names, with the usage's CPU count and a memory size in
// whole DIMMs above its total, written as the later releases' models
// write it (integers, every key, null included).
func capabilityJSON(n *node) []byte {
	if !hasCapability(n.info.Version) {
		return nil
	}
	var u struct {
		CPU struct{ Count int }
		Mem struct {
			TotalKB float64 `json:"total_kB"`
		}
		Properties struct {
			CPU struct {
				Vendor   string
				Features []string
			}
		}
	}
	json.Unmarshal(n.usage, &u) // the fleet's own answer: it decodes
	var fit []hardware
	for _, m := range machines {
		if m.vendor == u.Properties.CPU.Vendor {
			fit = append(fit, m)
		}
	}
	if len(fit) == 0 { // a vendor the catalogue lacks
		fit = machines
	}
	m := fit[rand.New(rand.NewPCG(n.payloadSeed, streamCapability)).IntN(len(fit))]
	const dimm = 16 << 30
	size := (int64(u.Mem.TotalKB)*1000/dimm + 1) * dimm
	return writeCapability(m, "x86_64", u.Properties.CPU.Features, u.CPU.Count, size, false)
}

// streamCapability draws a node's machine, apart from its other answers.
const streamCapability = 1 << 40

// writeCapability writes MachineCapability as pydantic 2 does
// (model_dump_json through .json(exclude_none=False)): compact, fields in
// model order, null written (an architecture "" is null).
func writeCapability(m hardware, arch string, features []string, count int, size int64, tee bool) []byte {
	var b bytes.Buffer
	b.WriteString(`{"cpu":{"architecture":`)
	if arch == "" {
		b.WriteString("null")
	} else {
		writeString(&b, arch)
	}
	b.WriteString(`,"vendor":`)
	writeString(&b, m.vendor)
	f, _ := json.Marshal(features)
	if features == nil {
		f = []byte("[]")
	}
	fmt.Fprintf(&b, `,"features":%s,"model":`, f)
	writeString(&b, m.model)
	b.WriteString(`,"frequency":`)
	writeNumber(&b, m.frequency)
	fmt.Fprintf(&b, `,"count":%d},"memory":{"size":%d,"units":"bytes","type":`, count, size)
	writeString(&b, m.memType)
	b.WriteString(`,"clock":`)
	writeNumber(&b, m.memClock)
	b.WriteString(`,"clock_units":null}`)
	if tee {
		b.WriteString(`,"tee":null`)
	}
	b.WriteString("}")
	return b.Bytes()
}

// writeNumber writes v, or null for 0 (lshw said nothing).
func writeNumber(b *bytes.Buffer, v int64) {
	if v == 0 {
		b.WriteString("null")
		return
	}
	b.WriteString(strconv.FormatInt(v, 10))
}
