package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"

	"nodelist/internal/aleph"
)

// Result holds the three probes of one node.
type Result struct {
	Config   Response
	Decoded  aleph.NodeConfig // valid when Config.Err is nil
	Problems []string         // config fields of the wrong type
	Usage    Response         // body is the raw usage object
	IPv6     Response         // body is {"host":bool,"vm":bool}
}

// Paths of the node API.
const (
	ConfigPath     = "/status/config"
	UsagePath      = "/about/usage/system"
	IPv6Path       = "/status/check/ipv6"
	legacyIPv6Path = "/vm/%s/ip/6"
)

// Node probes one node at its validated base address: config and usage at
// once, then IPv6 by the route its config version calls for.
func (c *Client) Node(ctx context.Context, addr string) Result {
	var r Result
	var usage Response
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		usage = c.usage(ctx, addr)
	}()
	c.config(ctx, addr, &r)
	r.IPv6 = c.ipv6(ctx, addr, &r)
	wg.Wait()
	r.Usage = usage
	return r
}

// NodeSequential probes like Node, one request after another: a node then
// needs one connection instead of two, for fleets so large that two per
// node would not fit the idle pool (or the open-file limit).
func (c *Client) NodeSequential(ctx context.Context, addr string) Result {
	var r Result
	c.config(ctx, addr, &r)
	if r.Usage = skipped(&r, "usage"); r.Usage.Err == nil {
		r.Usage = c.usage(ctx, addr)
	}
	r.IPv6 = c.ipv6(ctx, addr, &r)
	return r
}

// skipped is what the usage probe, asked after config on one connection,
// answers without asking when the node did not answer config at all: it
// would hold the next probe as long (a timeout) or fail the same way.
func skipped(r *Result, what string) Response {
	e := r.Config.Err
	if e == nil || !unreachable[e.Class] {
		return Response{}
	}
	return Response{At: r.Config.At, Err: Errorf(e.Class, "%s not asked: config probe failed: %s", what, e.Msg)}
}

func (c *Client) usage(ctx context.Context, addr string) Response {
	usage := c.Get(ctx, addr+UsagePath)
	if usage.Err == nil && !isObject(usage.Body) {
		usage.Err = Errorf(ClassInvalidJSON, "usage is not a JSON object")
		usage.Body = nil
	}
	return usage
}

func (c *Client) config(ctx context.Context, addr string, r *Result) {
	r.Config = c.Get(ctx, addr+ConfigPath)
	if r.Config.Err == nil {
		var err error
		r.Decoded, r.Problems, err = aleph.DecodeConfig(r.Config.Body)
		if err != nil {
			r.Config.Err = Errorf(ClassInvalidJSON, "%v", err)
			r.Config.Body = nil
		}
	}
}

func (c *Client) ipv6(ctx context.Context, addr string, r *Result) Response {
	if e := r.Config.Err; e != nil && unreachable[e.Class] {
		// The node did not answer at all; asking again would only wait
		// for another timeout (or dial another refused connection).
		return Response{At: r.Config.At, Err: Errorf(e.Class, "not asked: config probe failed: %s", e.Msg)}
	}
	version := ""
	if r.Config.Err == nil && r.Decoded.Version != nil {
		version = *r.Decoded.Version
	}
	vmID := r.Decoded.CheckVMID
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

// unreachable are the classes of a node that gave no answer at all.
var unreachable = map[Class]bool{
	ClassTimeout: true, ClassRefused: true, ClassDNS: true, ClassTLS: true,
	ClassForbidden: true, ClassReset: true, ClassCanceled: true,
}

var ipv6Bodies = [4][]byte{
	[]byte(`{"host":false,"vm":false}`), []byte(`{"host":false,"vm":true}`),
	[]byte(`{"host":true,"vm":false}`), []byte(`{"host":true,"vm":true}`),
}

// NoIPv6 is ipv6_check when IPv6 could not be determined.
var NoIPv6 = ipv6Bodies[0]

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

func isObject(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{' && aleph.CheckDepth(b, aleph.MaxDepth) == nil && json.Valid(b)
}
