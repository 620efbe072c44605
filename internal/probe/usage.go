package probe

import (
	"bytes"
	"context"
	"encoding/json"

	"nodelist/internal/aleph"
)

// UsagePath is where a node reports its resources.
const UsagePath = "/about/usage/system"

// Usage asks a node for its resources (CPU, memory, disk, GPUs) and
// normalises them for strict clients; its GPUs are judged against the
// settings held now, so the answer is kept and judged again when they
// change.
var Usage = &Probe{
	Name:   "usage",
	Path:   UsagePath,
	AtKey:  "debug_usage_from_crn_at",
	ErrKey: "usage_from_crn_error",
	Fields: []Field{
		{"system_usage", null}, {"compatible_gpus", emptyList}, {"compatible_available_gpus", emptyList},
	},
	UsesSettings: true,
	Classes:      []Class{ClassInvalidJSON, ClassInvalidData},
	// A real answer is about 2 KB; one of 16 GPUs, each listed in devices
	// and available_devices, with 200 CPU features is 9 KB, and publishes
	// 15 KB once each GPU is judged and the compatible ones are listed
	// again. Publishing may thus grow an answer by half.
	MaxBody:      64 << 10,
	MaxPublished: 96 << 10,
	Ask: func(ctx context.Context, c *Client, addr string, _ *Result) Response {
		return c.Get(ctx, addr+UsagePath)
	},
	Decode: decodeUsage,
}

var emptyList = []byte("[]")

func decodeUsage(body []byte, settings *aleph.Settings, _ *Result) ([][]byte, string, *Error) {
	if !isObject(body) {
		return nil, "", Errorf(ClassInvalidJSON, "usage is not a JSON object")
	}
	u, err := aleph.NormalizeUsage(body, settings)
	if err != nil {
		return nil, "", Errorf(ClassInvalidData, "%v", err)
	}
	return [][]byte{u.JSON, u.Compatible, u.CompatibleAvailable}, "", nil
}

func isObject(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{' && aleph.CheckDepth(b, aleph.MaxDepth) == nil && json.Valid(b)
}
