package aleph

import (
	"encoding/json"
	"strings"
	"testing"
)

// Configs as each era writes them.
var eraConfigs = []struct {
	era, body               string
	version, receiver       *string
	gpu, confidential, qemu *bool
	vmID                    string
	nodeHash                *string
}{
	{"0.4: no computing, payment before AVAILABLE_PAYMENTS",
		`{"DOMAIN_NAME": "crn.example", "version": "0.4.1", "references": {"API_SERVER": "https://official.aleph.cloud", ` +
			`"CHECK_FASTAPI_VM_ID": "` + strings.Repeat("ab", 32) + `", "CONNECTOR_URL": "http://localhost:4021"}, ` +
			`"security": {"USE_JAILER": true}, "networking": {"IPV6_SUBNET_PREFIX": 124}, ` +
			`"payment": {"PAYMENT_RECEIVER_ADDRESS": "0xd3A5", "PAYMENT_SUPER_TOKEN": "0x1290248E01ED2F9f863A9752A8aAD396ef3a1B00", "PAYMENT_CHAIN_ID": 43114}}`,
		ptr("0.4.1"), ptr("0xd3A5"), nil, nil, nil, strings.Repeat("ab", 32), nil},
	{"1.3: computing without ENABLE_GPU_SUPPORT",
		`{"version": "1.3.0-41-g7303587", "payment": {"PAYMENT_RECEIVER_ADDRESS": "", "AVAILABLE_PAYMENTS": {}}, ` +
			`"computing": {"ENABLE_QEMU_SUPPORT": true, "INSTANCE_DEFAULT_HYPERVISOR": "qemu", "ENABLE_CONFIDENTIAL_COMPUTING": false}}`,
		ptr("1.3.0-41-g7303587"), ptr(""), nil, ptr(false), ptr(true), DefaultCheckVMID, nil},
	{"1.11: null receiver, node_hash",
		`{"DOMAIN_NAME":"crn.example","node_hash":"` + strings.Repeat("c", 64) + `","version":"1.11.0",` +
			`"payment":{"PAYMENT_RECEIVER_ADDRESS":null,"AVAILABLE_PAYMENTS":{},"PAYMENT_MONITOR_INTERVAL":60.0},` +
			`"computing":{"ENABLE_QEMU_SUPPORT":true,"ENABLE_CONFIDENTIAL_COMPUTING":true,"ENABLE_GPU_SUPPORT":true}}`,
		ptr("1.11.0"), nil, ptr(true), ptr(true), ptr(true), DefaultCheckVMID, ptr(strings.Repeat("c", 64))},
	{"1.14: node_hash unset",
		`{"DOMAIN_NAME":"crn.example","node_hash":null,"version":"1.14.0",` +
			`"payment":{"PAYMENT_RECEIVER_ADDRESS":"0xd3A5","AVAILABLE_PAYMENTS":{},"PAYMENT_MONITOR_INTERVAL":60.0},` +
			`"computing":{"ENABLE_QEMU_SUPPORT":true,"ENABLE_CONFIDENTIAL_COMPUTING":false,"ENABLE_GPU_SUPPORT":false}}`,
		ptr("1.14.0"), ptr("0xd3A5"), ptr(false), ptr(false), ptr(true), DefaultCheckVMID, nil},
	{"version-unavailable, no payment block",
		`{"version":"version-unavailable","computing":{"ENABLE_QEMU_SUPPORT":false}}`,
		ptr("version-unavailable"), nil, nil, nil, ptr(false), DefaultCheckVMID, nil},
}

func TestDecodeConfigOfEveryEra(t *testing.T) {
	for _, tt := range eraConfigs {
		t.Run(tt.era, func(t *testing.T) {
			cfg, problems, err := DecodeConfig([]byte(tt.body))
			if err != nil || len(problems) > 0 {
				t.Fatalf("a valid config of its era: err %v, problems %q", err, problems)
			}
			if !eqStr(cfg.Version, tt.version) || !eqStr(cfg.PaymentReceiver, tt.receiver) || !eqBool(cfg.GPUSupport, tt.gpu) ||
				!eqBool(cfg.Confidential, tt.confidential) || !eqBool(cfg.QEMU, tt.qemu) || cfg.CheckVMID != tt.vmID ||
				!eqStr(cfg.NodeHash, tt.nodeHash) {
				t.Errorf("decoded %s", show(cfg))
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func eqStr(a, b *string) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
func eqBool(a, b *bool) bool  { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func show(c NodeConfig) string {
	b, _ := json.Marshal(c)
	return string(b)
}

// TestDecodeConfigNodeHashOfWrongType: a node_hash that is not a string
// is null and named as a problem; the rest of the config stays good.
func TestDecodeConfigNodeHashOfWrongType(t *testing.T) {
	for _, v := range []string{`5`, `true`, `{"hash":"x"}`, `["` + strings.Repeat("c", 64) + `"]`} {
		cfg, problems, err := DecodeConfig([]byte(`{"version":"1.14.0","node_hash":` + v + `}`))
		if err != nil || cfg.NodeHash != nil || cfg.Version == nil || *cfg.Version != "1.14.0" ||
			len(problems) != 1 || problems[0] != "node_hash is not a string" {
			t.Errorf("node_hash %s: %s, problems %q, err %v", v, show(cfg), problems, err)
		}
	}
}
