package simfleet

import (
	"bytes"
	"fmt"
	"time"
)

// eraConfigJSON is an era node's /status/config, keys in aleph-vm's order.
// aiohttp's json_response writes through json.dumps, so with spaces.
func eraConfigJSON(n *node) []byte {
	e := n.era
	var b bytes.Buffer
	b.WriteString(`{"DOMAIN_NAME":`)
	writeString(&b, fmt.Sprintf("crn-%04d.example.org", n.info.Index))
	if e.nodeHash {
		b.WriteString(`,"node_hash":`)
		switch {
		case e.nullNodeHash:
			b.WriteString("null")
		case e.foreignHash:
			writeString(&b, ForeignNodeHash)
		default:
			writeString(&b, n.info.Hash)
		}
	}
	b.WriteString(`,"version":`)
	writeString(&b, e.version)
	b.WriteString(`,"references":{"API_SERVER":"https://official.aleph.cloud","CHECK_FASTAPI_VM_ID":`)
	writeString(&b, e.vmID)
	b.WriteString(`,"CONNECTOR_URL":"http://localhost:4021"}`)
	b.WriteString(`,"security":{"USE_JAILER":true,"PRINT_SYSTEM_LOGS":false,"WATCH_FOR_UPDATES":true,` +
		`"ALLOW_VM_NETWORKING":true,"USE_DEVELOPER_SSH_KEYS":false}`)
	b.WriteString(`,"networking":{"IPV6_ADDRESS_POOL":"2a01:240:ad00::/40","IPV6_ALLOCATION_POLICY":"static",` +
		`"IPV6_SUBNET_PREFIX":124,"IPV6_FORWARDING_ENABLED":true,"USE_NDP_PROXY":true}`)
	b.WriteString(`,"debug":{"SENTRY_DSN_CONFIGURED":false,"DEBUG_ASYNCIO":false,"EXECUTION_LOG_ENABLED":false}`)
	b.WriteString(`,"payment":{"PAYMENT_RECEIVER_ADDRESS":`)
	if e.nullReceiver {
		b.WriteString("null")
	} else {
		writeString(&b, e.receiver)
	}
	switch e.payment {
	case legacyPayment:
		b.WriteString(`,"PAYMENT_SUPER_TOKEN":"` + paySuper + `","PAYMENT_CHAIN_ID":43114}`)
	case currentPayment:
		b.WriteString(`,"AVAILABLE_PAYMENTS":{"avax":{"chain_id":43114,"rpc":"https://api.avax.network/ext/bc/C/rpc",` +
			`"standard_token":null,"super_token":"0xc0Fbc4967259786C743361a5885ef49380473dCF","active":true}},` +
			`"PAYMENT_MONITOR_INTERVAL":60.0}`)
	}
	switch e.computing {
	case noGPUFlag:
		fmt.Fprintf(&b, `,"computing":{"ENABLE_QEMU_SUPPORT":true,"INSTANCE_DEFAULT_HYPERVISOR":"qemu",`+
			`"ENABLE_CONFIDENTIAL_COMPUTING":%t}`, e.confidential)
	case fullComputing:
		fmt.Fprintf(&b, `,"computing":{"ENABLE_QEMU_SUPPORT":true,"INSTANCE_DEFAULT_HYPERVISOR":"qemu",`+
			`"ENABLE_CONFIDENTIAL_COMPUTING":%t,"ENABLE_GPU_SUPPORT":%t}`, e.confidential, e.gpuSupport)
	}
	b.WriteString("}")
	return pythonSpacing(b.Bytes())
}

// eraUsageJSON is an era node's /about/usage/system: MachineUsage as the
// release serialises it.
func eraUsageJSON(n *node) []byte {
	e := n.era
	var b bytes.Buffer
	b.WriteString(`{"cpu":{"count":16,"load_average":{"load1":0.52,"load5":1.0,"load15":0.0},` +
		`"core_frequencies":{"min":800.0,"max":3400.0}},` +
		`"mem":{"total_kB":65536000,"available_kB":31457280},` +
		`"disk":{"total_kB":2000000000,"available_kB":1250000000},`)
	start := periodStart.Format("2006-01-02T15:04:05") + "+00:00"
	if e.pydantic2 {
		start = periodStart.Format(time.RFC3339)
	}
	fmt.Fprintf(&b, `"period":{"start_timestamp":%q,"duration_seconds":60.0},`, start)
	b.WriteString(`"properties":{"cpu":{`)
	if !e.noArch {
		b.WriteString(`"architecture":"x86_64",`)
	}
	vendor := "AuthenticAMD"
	if e.cpuVendor != "" {
		vendor = e.cpuVendor
	}
	b.WriteString(`"vendor":`)
	writeString(&b, vendor)
	if e.confidential {
		b.WriteString(`,"features":["sev","sev_es","sev_snp"]`)
	}
	b.WriteString(`}},`)
	if g := e.gpu; g != nil {
		b.WriteString(`"gpu":{"devices":`)
		writeEraDevices(&b, g.devices)
		b.WriteString(`,"available_devices":`)
		writeEraDevices(&b, g.available)
		b.WriteString(`},`)
	}
	b.WriteString(`"active":true}`)
	if e.pydantic2 {
		return b.Bytes()
	}
	return pythonSpacing(b.Bytes())
}

// writeEraDevices writes devs with each device's own style of verdict.
func writeEraDevices(b *bytes.Buffer, devs []eraDevice) {
	b.WriteByte('[')
	for i, d := range devs {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(b, `{"vendor":%q,`, d.vendor)
		switch {
		case d.style == nullModel && d.model == "":
			b.WriteString(`"model":null,`)
		case d.style != noVerdict && d.model != "":
			fmt.Fprintf(b, `"model":%q,`, d.model)
		}
		fmt.Fprintf(b, `"device_name":%q,"device_class":%q,"pci_host":%q,"device_id":%q`, d.name, d.class, d.pci, d.id)
		if d.style != noVerdict {
			fmt.Fprintf(b, `,"compatible":%t`, d.compatible)
		}
		b.WriteByte('}')
	}
	b.WriteByte(']')
}

// eraCapabilityJSON is an era node's /about/capability: nil (404) before
// 1.6; for a release whose view fails, capabilityFailure (sent with 500).
func eraCapabilityJSON(n *node) []byte {
	e := n.era
	switch {
	case !hasCapability(e.version):
		return nil
	case e.capabilityFails:
		return []byte(capabilityFailure)
	}
	m := hardware{"AuthenticAMD", "AMD EPYC 7313P 16-Core Processor", 3729000000, "DDR4", 3200000000}
	if e.capabilityVirtual {
		m = hardware{"AuthenticAMD", "AMD EPYC-Rome Processor", 2000000000, "", 0}
	}
	var features []string
	if e.confidential {
		features = []string{"sev", "sev_es", "sev_snp"}
	}
	arch := "x86_64"
	if e.noArch {
		// Neither x86_64 nor arm64: the later models leave it None,
		// written null; the vendor is lshw's own string.
		arch, m.vendor, m.model = "", e.cpuVendor, "Neoverse-N1"
	}
	return writeCapability(m, arch, features, 16, 64<<30, e.capabilityTee)
}

// capabilityFailure is aiohttp's answer when a view raises, sent with
// HTTP 500.
const capabilityFailure = "500 Internal Server Error\n\nServer got itself in trouble"

// diagnostic503 is the diagnostic VM's answer to /ip/6 when IPv6 is down,
// sent with HTTP 503.
const diagnostic503 = `{"result": false, "failures": ["Cannot connect to host ipv6.google.com:80 ssl:default [Network is unreachable]"]}`

// pythonSpacing rewrites compact JSON as Python's json.dumps writes it:
// ", " and ": " between items, outside strings.
func pythonSpacing(compact []byte) []byte {
	out := make([]byte, 0, len(compact)+len(compact)/8)
	inString, escaped := false, false
	for _, c := range compact {
		out = append(out, c)
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case inString && c == '"':
			inString = false
		case inString:
		case c == '"':
			inString = true
		case c == ',' || c == ':':
			out = append(out, ' ')
		}
	}
	return out
}
