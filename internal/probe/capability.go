package probe

import (
	"context"
	"net/http"
	"time"

	"nodelist/internal/aleph"
)

// CapabilityPath is where a node (aleph-vm 1.6 and later) describes its
// hardware: CPU model, frequency and count; memory size, type and clock.
const CapabilityPath = "/about/capability"

// Bounds of the capability probe: a real answer is under 2 KB, and the
// hardware changes rarely, so it is asked once an hour (and at once on a
// new version) rather than every round.
const (
	MaxCapabilityBody = 16 << 10
	CapabilityEvery   = time.Hour
)

// Capability asks a node what hardware it runs on. Releases before 1.6
// answer 404: they are asked again only once their version changes.
var Capability = &Probe{
	Name:        "capability",
	Path:        CapabilityPath,
	AfterConfig: true,
	Every:       CapabilityEvery,
	UntilNewVersion: func(r Response) bool {
		return r.Err.Class == ClassHTTPStatus && r.Status == http.StatusNotFound
	},
	Fields:  []Field{{"capability", null}},
	Classes: []Class{ClassInvalidJSON, ClassInvalidData},
	// Normalising adds the keys a node left out (some 200 bytes) and
	// writes whole floats out (3.4e9 is 3400000000).
	MaxBody:      MaxCapabilityBody,
	MaxPublished: MaxCapabilityBody + 4<<10,
	Ask: func(ctx context.Context, c *Client, addr string, _ *Result) Response {
		return c.Get(ctx, addr+CapabilityPath)
	},
	Decode: decodeCapability,
}

func decodeCapability(body []byte, _ *aleph.Settings, _ *Result) ([][]byte, string, *Error) {
	if !isObject(body) {
		return nil, "", Errorf(ClassInvalidJSON, "capability is not a JSON object")
	}
	c, err := aleph.NormalizeCapability(body)
	if err != nil {
		return nil, "", Errorf(ClassInvalidData, "%v", err)
	}
	return [][]byte{c}, "", nil
}
