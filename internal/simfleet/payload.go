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
