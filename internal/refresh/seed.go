package refresh

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"nodelist/internal/aleph"
	"nodelist/internal/probe"
	"nodelist/internal/snapshot"
)

// seedCRN is what Seed reads back of a served CRN.
type seedCRN struct {
	ConfigFromCRN   bool            `json:"config_from_crn"`
	ConfigAt        *string         `json:"debug_config_from_crn_at"`
	ConfigErr       string          `json:"debug_config_from_crn_error"`
	UsageAt         *string         `json:"debug_usage_from_crn_at"`
	UsageErr        string          `json:"usage_from_crn_error"`
	Version         *string         `json:"version"`
	PaymentReceiver *string         `json:"payment_receiver_address"`
	GPUSupport      *bool           `json:"gpu_support"`
	Confidential    *bool           `json:"confidential_support"`
	QEMU            *bool           `json:"qemu_support"`
	SystemUsage     json.RawMessage `json:"system_usage"`
	Compatible      json.RawMessage `json:"compatible_gpus"`
	CompatibleAvail json.RawMessage `json:"compatible_available_gpus"`
	IPv6            json.RawMessage `json:"ipv6_check"`
}

// Seed loads a persisted crns.json (a warm restart) into the live state
// and publishes it at once, with its own last_refresh. Rounds then update
// each node as usual; a node keeps its seeded data until a round brings
// better, exactly as if the service had never stopped.
func (r *Refresher) Seed(lastRefresh time.Time, body []byte) error {
	var doc struct {
		CRNs []json.RawMessage `json:"crns"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	states := make(map[string]*nodeState, len(doc.CRNs))
	order := make([]*nodeState, 0, len(doc.CRNs))
	for _, c := range doc.CRNs {
		n, err := aleph.ParseNode(c)
		if err != nil || states[n.Hash] != nil {
			continue
		}
		var sc seedCRN
		if err := json.Unmarshal(c, &sc); err != nil {
			continue
		}
		st := &nodeState{node: registryPart(n)}
		if addr, err := probe.ValidateAddress(n.Address, r.opts.Forbidden); err != nil {
			st.addrErr = probe.Errorf(probe.ClassInvalidAddress, "%v", err)
		} else {
			st.addr = addr
		}
		st.seed(&sc)
		states[n.Hash] = st
		order = append(order, st)
	}
	r.mu.Lock()
	if r.registryRaw == nil && len(r.order) == 0 {
		r.nodes, r.order = states, order
		r.lastRefresh = lastRefresh
		r.dirty = true
	}
	r.mu.Unlock()
	r.publish(snapshot.Best)
	return nil
}

// registryPart drops the computed fields, leaving what the registry said.
func registryPart(n aleph.Node) aleph.Node {
	kept := n.Fields[:0:0]
	for _, f := range n.Fields {
		if !snapshot.Computed(f.Key) {
			kept = append(kept, f)
		}
	}
	n.Fields = kept
	return n
}

func (s *nodeState) seed(c *seedCRN) {
	if c.ConfigFromCRN {
		s.decoded = &aleph.NodeConfig{Version: c.Version, PaymentReceiver: c.PaymentReceiver,
			GPUSupport: c.GPUSupport, Confidential: c.Confidential, QEMU: c.QEMU}
		s.config.at = parseTime(c.ConfigAt)
	}
	if e := parseError(c.ConfigErr); e != nil && s.addrErr == nil {
		if c.ConfigFromCRN && e.Class == probe.ClassInvalidData {
			s.configNote = c.ConfigErr
		} else {
			s.config.err = e
		}
	}
	if len(c.SystemUsage) > 0 && string(c.SystemUsage) != "null" {
		s.usageRaw = c.SystemUsage
		s.usageN = &aleph.Usage{JSON: c.SystemUsage, Compatible: c.Compatible, CompatibleAvailable: c.CompatibleAvail}
		s.usage.at = parseTime(c.UsageAt)
	}
	if e := parseError(c.UsageErr); e != nil && s.addrErr == nil {
		s.usage.err = e
	}
	if len(c.IPv6) > 0 {
		s.ipv6Body = c.IPv6
	}
}

func parseTime(s *string) time.Time {
	if s == nil {
		return time.Time{}
	}
	t, _ := time.Parse(time.RFC3339Nano, *s)
	return t
}

// parseError reads back "class: message"; "None" is no error.
func parseError(s string) *probe.Error {
	if s == "" || s == "None" {
		return nil
	}
	class, msg, ok := strings.Cut(s, ": ")
	if !ok {
		return &probe.Error{Class: probe.ClassOther, Msg: s}
	}
	return &probe.Error{Class: probe.Class(class), Msg: msg}
}
