package probe

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"nodelist/internal/aleph"
)

// Paths of the IPv6 check: the node's own since 1.8.2, a diagnostic VM's
// before.
const (
	IPv6Path       = "/status/check/ipv6"
	legacyIPv6Path = "/vm/%s/ip/6"
)

// IPv6 asks whether the node and its VMs reach the IPv6 internet, by the
// route its config's version calls for.
var IPv6 = &Probe{
	Name:        "ipv6",
	Path:        IPv6Path,
	AfterConfig: true,
	Fields:      []Field{{"ipv6_check", ipv6Bodies[0]}},
	Classes:     []Class{ClassInvalidJSON, ClassInvalidData},
	// {"host": true, "vm": true}, or a diagnostic VM's result with a few
	// failures; published: one of four constant objects.
	MaxBody:      16 << 10,
	MaxPublished: 64,
	Ask:          askIPv6,
	Decode: func(body []byte, _ *aleph.Settings, _ *Result) ([][]byte, string, *Error) {
		return [][]byte{body}, "", nil // askIPv6 has already reduced the answer
	},
}

func askIPv6(ctx context.Context, c *Client, addr string, r *Result) Response {
	version := ""
	if r.Of(Config).Err == nil && r.Node.Version != nil {
		version = *r.Node.Version
	}
	vmID := r.Node.CheckVMID
	if vmID == "" {
		vmID = aleph.DefaultCheckVMID
	}
	if aleph.UsesLegacyIPv6(version) {
		return legacyIPv6(c.Get(ctx, addr+strings.Replace(legacyIPv6Path, "%s", vmID, 1)))
	}
	resp := c.Get(ctx, addr+IPv6Path)
	if resp.Err != nil {
		return resp
	}
	if err := CheckAnswer("IPv6 answer", resp.Body); err != nil {
		resp.Err, resp.Body = err, nil
		return resp
	}
	var v struct{ Host, VM *bool }
	if json.Unmarshal(resp.Body, &v) != nil || v.Host == nil || v.VM == nil {
		resp.Err, resp.Body = Errorf(ClassInvalidJSON, "IPv6 answer lacks boolean host and vm"), nil
		return resp
	}
	resp.Body = ipv6JSON(*v.Host, *v.VM)
	return resp
}

// legacyIPv6 reads the diagnostic VM's answer to /ip/6: {"result": true}
// with 200, or {"result": false, "failures": [...]} with 503. A 503 that
// carries a boolean result is an answer (IPv6 down), not a failed probe.
func legacyIPv6(resp Response) Response {
	body := resp.Body
	if resp.Err != nil {
		if resp.Err.Class != ClassHTTPStatus || resp.Status != http.StatusServiceUnavailable {
			return resp
		}
		body = resp.ErrBody
	}
	resp.ErrBody = nil
	if err := CheckAnswer("IPv6 answer", body); err != nil {
		if resp.Err == nil {
			resp.Err = err
		}
		resp.Body = nil
		return resp
	}
	var v struct{ Result *bool }
	if json.Unmarshal(body, &v) != nil || v.Result == nil {
		if resp.Err == nil {
			resp.Err = Errorf(ClassInvalidJSON, "IPv6 answer has no boolean result")
		}
		resp.Body = nil
		return resp
	}
	resp.Err, resp.Body = nil, ipv6JSON(*v.Result, *v.Result)
	return resp
}

var ipv6Bodies = [4][]byte{
	[]byte(`{"host":false,"vm":false}`), []byte(`{"host":false,"vm":true}`),
	[]byte(`{"host":true,"vm":false}`), []byte(`{"host":true,"vm":true}`),
}

func ipv6JSON(host, vm bool) []byte {
	i := 0
	if host {
		i += 2
	}
	if vm {
		i++
	}
	return ipv6Bodies[i]
}
