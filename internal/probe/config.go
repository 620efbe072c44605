package probe

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"nodelist/internal/aleph"
)

// ConfigPath is where a node describes itself.
const ConfigPath = "/status/config"

// Config asks a node for its configuration: version, payment receiver,
// the computing flags and the registry hash it says it has (node_hash). It is the first probe: the others read its version,
// and a node that does not answer it is not asked the ones after it.
var Config = &Probe{
	Name:    "config",
	Path:    ConfigPath,
	FromKey: "config_from_crn", AtKey: "debug_config_from_crn_at", ErrKey: "debug_config_from_crn_error",
	Fields: []Field{
		{"version", null}, {"payment_receiver_address", null},
		{"gpu_support", null}, {"confidential_support", null}, {"qemu_support", null},
		{"node_hash", null},
	},
	Classes: []Class{ClassInvalidJSON, ClassInvalidData},
	// A real config is about 2 KB, payment chains included; what is
	// published of it (a version, an address, three flags, a node hash)
	// under 200 bytes.
	MaxBody:      64 << 10,
	MaxPublished: 1 << 10,
	Ask: func(ctx context.Context, c *Client, addr string, _ *Result) Response {
		return c.Get(ctx, addr+ConfigPath)
	},
	Decode: decodeConfig,
}

var null = []byte("null")

func decodeConfig(body []byte, _ *aleph.Settings, r *Result) ([][]byte, string, *Error) {
	cfg, problems, err := aleph.DecodeConfig(body)
	if err != nil {
		return nil, "", Errorf(ClassInvalidJSON, "%v", err)
	}
	if r != nil {
		r.Node = cfg
	}
	note := ""
	if len(problems) > 0 {
		note = Errorf(ClassInvalidData, "%s", strings.Join(problems, "; ")).Error()
	}
	return [][]byte{jsonString(cfg.Version), jsonString(cfg.PaymentReceiver),
		jsonBool(cfg.GPUSupport), jsonBool(cfg.Confidential), jsonBool(cfg.QEMU), jsonString(cfg.NodeHash)}, note, nil
}

func jsonString(s *string) []byte {
	if s == nil {
		return null
	}
	b, _ := json.Marshal(*s) // valid text: CheckAnswer refused the rest
	return b
}

func jsonBool(b *bool) []byte {
	if b == nil {
		return null
	}
	return strconv.AppendBool(nil, *b)
}
