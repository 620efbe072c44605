package simfleet

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
)

const defaultVMID = "d2b74aa29898457bde0560e47f7cdd4e77287e9f1f7a1456161d2fd7d5c855d7"

var (
	newVersions = []string{"1.9.2", "1.10.0", "2.0.1", "1.8.2"}
	oldVersions = []string{"1.8.1", "1.7.2", "1.3.0-41-g7303587", "1.2.0"}
	badAddrs    = []string{"", "not a url", "ftp://127.0.0.1:1", "https://www.google.com", "http://", "javascript:alert(1)"}
)

// hexID derives a deterministic hex string of n bytes from the seed.
func (f *Fleet) hexID(kind string, i, n int) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%d/%s/%d", f.opts.Seed, kind, i)))
	return hex.EncodeToString(sum[:n])
}

// pick returns a set of exactly round(share*n) indexes, chosen by rng.
func pick(rng *rand.Rand, n int, share float64) map[int]bool {
	k := int(math.Round(share * float64(n)))
	set := make(map[int]bool, k)
	for _, i := range rng.Perm(n)[:k] {
		set[i] = true
	}
	return set
}

// assign gives every node its kind and traits, deterministically.
func (f *Fleet) assign() {
	o := f.opts
	rng := rand.New(rand.NewPCG(uint64(o.Seed), 0x5eed))
	n := o.Nodes
	kinds := make([]Kind, n)
	perm := rng.Perm(n)
	next := 0
	for _, k := range []struct {
		kind  Kind
		share float64
	}{{KindFailing, o.Failing}, {KindHung, o.Hung}, {KindInvalidJSON, o.InvalidJSON}, {KindInvalidAddress, o.InvalidAddress}} {
		c := int(math.Round(k.share * float64(n)))
		for ; c > 0 && next < n; c-- {
			kinds[perm[next]] = k.kind
			next++
		}
	}
	old, gpu, inactive := pick(rng, n, o.OldVersion), pick(rng, n, o.GPU), pick(rng, n, o.Inactive)
	f.nodes = make([]*node, n)
	for i := range n {
		nd := &node{Node: Node{
			Index: i, Hash: f.hexID("hash", i, 32), Kind: kinds[i], GPU: gpu[i], Inactive: inactive[i],
			Score: math.Round(rng.Float64()*10000) / 10000,
		}}
		nd.Name = fmt.Sprintf("node-%04d", i)
		if i%17 == 3 {
			nd.Name = fmt.Sprintf("Zoë's \"node\" <%d>", i)
		}
		nd.old = old[i]
		if old[i] {
			nd.Version = oldVersions[i%len(oldVersions)]
			nd.IPv6Host = i%5 != 0
			nd.IPv6VM = nd.IPv6Host
		} else {
			nd.Version = newVersions[i%len(newVersions)]
			nd.IPv6Host, nd.IPv6VM = i%11 != 0, i%7 != 0 && i%11 != 0
		}
		nd.kind.Store(int32(kinds[i]))
		f.nodes[i] = nd
	}
}

// buildPayloads prepares every answer once the addresses are known.
func (f *Fleet) buildPayloads() {
	var reg bytes.Buffer
	reg.WriteString(`{"address":"0xa1B3bb7d2332383D96b7796B908fB7f7F3c2Be10","data":{"corechannel":{"nodes":[`)
	for i := range 3 {
		if i > 0 {
			reg.WriteByte(',')
		}
		fmt.Fprintf(&reg, `{"hash":"%s","name":"ccn-%d","score":0.9,"multiaddress":"/ip4/127.0.0.1/tcp/4025/p2p/Qm%d"}`, f.hexID("ccn", i, 32), i, i)
	}
	reg.WriteString(`],"resource_nodes":[`)
	for i, n := range f.nodes {
		if i > 0 {
			reg.WriteByte(',')
		}
		if n.Kind == KindInvalidAddress {
			n.Address = badAddrs[i%len(badAddrs)]
		} else if i%9 == 4 {
			n.Address += "/"
		}
		f.writeRegistryEntry(&reg, n)
		f.buildNode(n)
	}
	reg.WriteString(`]}},"info":{}}`)
	f.registry = reg.Bytes()
	f.settings = []byte(`{"address":"0xA07B1214bAe0D5ccAA25449C3149c0aC83658874","data":{"settings":{"compatible_gpus":[` +
		`{"name":"RTX 4090","model":"RTX 4090","vendor":"NVIDIA","device_id":"10de:2684"},` +
		`{"name":"RTX 4000 ADA","model":"RTX 4000 ADA","vendor":"NVIDIA","device_id":"10de:27b0"},` +
		`{"name":"L40S","model":"L40S","vendor":"NVIDIA","device_id":"10de:26b9"},` +
		`{"name":"H100","model":"H100","vendor":"NVIDIA","device_id":"10de:2331"}],` +
		`"community_wallet_address":"0x5aBd3258C5492fD378EBC2e0017416E199e5Da56","community_wallet_timestamp":1739996239}},"info":{}}`)
}

func q(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func (f *Fleet) writeRegistryEntry(w *bytes.Buffer, n *node) {
	i := n.Index
	inactive := "null"
	if n.Inactive {
		inactive = strconv.FormatFloat(1.7e9+float64(i)+0.5, 'f', -1, 64)
	}
	parent := "null"
	if i%3 != 0 {
		parent = q(f.hexID("ccn", i%3, 32))
	}
	fmt.Fprintf(w, `{"hash":%s,"name":%s,"time":%d.%d,"type":"compute","owner":"0x%s","score":%s,`+
		`"banner":"","locked":false,"parent":%s,"reward":"0x%s","status":"linked","address":%s,"manager":"",`+
		`"picture":"","authorized":[],"description":"","performance":%s,"multiaddress":"","score_updated":true,`+
		`"stream_reward":"","inactive_since":%s,"decentralization":%s,"registration_url":"","terms_and_conditions":"",`+
		`"x_extra":{"nested":[1,2.5,"s"]}}`,
		q(n.Hash), q(n.Name), 1700000000+i, i%1000, f.hexID("owner", i, 20), strconv.FormatFloat(n.Score, 'f', -1, 64),
		parent, f.hexID("reward", i, 20), q(n.Address), strconv.FormatFloat(float64(i%97)/97, 'f', 4, 64),
		inactive, strconv.FormatFloat(float64(i%89)/89, 'f', 4, 64))
}

// buildNode prepares a node's config, usage and IPv6 answers.
func (f *Fleet) buildNode(n *node) {
	i := n.Index
	old := n.old
	refs := `"references":{"API_SERVER":"https://official.aleph.cloud","CHECK_FASTAPI_VM_ID":"` + defaultVMID + `","CONNECTOR_URL":"http://localhost:4021"},`
	vmID := defaultVMID
	if old {
		switch i % 4 {
		case 1:
			vmID = f.hexID("vm", i, 32)
			refs = `"references":{"API_SERVER":"https://official.aleph.cloud","CHECK_FASTAPI_VM_ID":"` + vmID + `"},`
		case 2:
			refs = ""
		}
		n.legacy = "/vm/" + vmID + "/ip/6"
		n.ipv6 = []byte(`{"result":` + strconv.FormatBool(n.IPv6Host) + `}`)
	} else {
		n.ipv6 = []byte(`{"host":` + strconv.FormatBool(n.IPv6Host) + `,"vm":` + strconv.FormatBool(n.IPv6VM) + `}`)
	}
	computing := fmt.Sprintf(`,"computing":{"ENABLE_QEMU_SUPPORT":true,"INSTANCE_DEFAULT_HYPERVISOR":"qemu","ENABLE_CONFIDENTIAL_COMPUTING":%t,"ENABLE_GPU_SUPPORT":%t}`,
		i%9 == 0, n.GPU)
	if !n.GPU && i%13 == 5 {
		computing = ""
	}
	n.config = []byte(`{"DEBUG_ASYNCIO":false,"version":` + q(n.Version) + `,` + refs +
		`"security":{"USE_JAILER":true,"PRINT_SYSTEM_LOGS":false,"WATCH_FOR_UPDATES":true,"ALLOW_VM_NETWORKING":true},` +
		`"networking":{"IPV6_ADDRESS_POOL":"2a01:240:ad00::/40","IPV6_ALLOCATION_POLICY":"static","IPV6_SUBNET_PREFIX":124,"IPV6_FORWARDING_ENABLED":true,"USE_NDP_PROXY":true},` +
		`"debug":{"DEBUG_ASYNCIO":false},` +
		`"payment":{"PAYMENT_RECEIVER_ADDRESS":"0x` + f.hexID("pay", i, 20) + `","AVAILABLE_PAYMENTS":{"avax":{"chain_id":43114,"rpc":"https://api.avax.network/ext/bc/C/rpc","standard_token":null,"super_token":"0xc0Fbc4967259786C743361a5885ef49380473dCF","active":true}},"PAYMENT_MONITOR_INTERVAL":60.0}` +
		computing + `}`)

	memTotal := "32768000"
	if i%4 == 0 {
		memTotal = "32768000.0"
	}
	n.usage = []byte(fmt.Sprintf(`{"cpu":{"count":%d,"load_average":{"load1":%.2f,"load5":%.2f,"load15":%.2f},"core_frequencies":{"min":1200.0,"max":3400.0}},`+
		`"mem":{"total_kB":%s,"available_kB":%d},"disk":{"total_kB":1000000000,"available_kB":%d},`+
		`"period":{"start_timestamp":"2026-11-22T14:38:00Z","duration_seconds":60.0},`+
		`"properties":{"cpu":{"architecture":"x86_64","vendor":"AuthenticAMD","features":["sev","sev_es"]}},%s"active":true}`,
		4<<(i%4), float64(i%10)/10, float64(i%7)/7, float64(i%5)/5, memTotal, 16384000-i, 500000000-i, gpuBlock(n)))
}

var gpuModels = []struct{ model, name, id string }{
	{"RTX 4090", "AD102 [GeForce RTX 4090]", "10de:2684"},
	{"RTX 4000 ADA", "AD104GL [RTX 4000 SFF Ada Generation]", "10de:27b0"},
	{"L40S", "AD102GL [L40S]", "10de:26b9"},
	{"H100", "GH100 [H100 PCIe]", "10de:2331"},
}

// gpuBlock writes the "gpu" key (with its trailing comma), or nothing.
func gpuBlock(n *node) string {
	i := n.Index
	if !n.GPU {
		switch i % 10 {
		case 3:
			return `"gpu":{"devices":[],"available_devices":null},`
		case 7:
			return ""
		}
		return `"gpu":{"devices":[],"available_devices":[]},`
	}
	m := gpuModels[i%len(gpuModels)]
	legacy := i%5 == 0 // older nodes omit "model" and "compatible"
	entry := func(vendor, model, name, class, pci, id string, compatible bool) string {
		if legacy {
			return fmt.Sprintf(`{"vendor":%s,"device_name":%s,"device_class":%s,"pci_host":%s,"device_id":%s}`, q(vendor), q(name), q(class), q(pci), q(id))
		}
		return fmt.Sprintf(`{"vendor":%s,"model":%s,"device_name":%s,"device_class":%s,"pci_host":%s,"device_id":%s,"compatible":%t}`,
			q(vendor), q(model), q(name), q(class), q(pci), q(id), compatible)
	}
	nvidia := entry("NVIDIA", m.model, m.name, "0300", "01:00.0", m.id, true)
	devices := nvidia
	if i%2 == 0 {
		devices += "," + entry("Intel", "UHD 630", "CoffeeLake-S GT2 [UHD Graphics 630]", "0300", "00:02.0", "8086:3e92", false)
	}
	available := ""
	if i%3 != 0 {
		available = nvidia
	}
	return `"gpu":{"devices":[` + devices + `],"available_devices":[` + available + `]},`
}
