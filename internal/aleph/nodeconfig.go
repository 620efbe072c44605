package aleph

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// DefaultCheckVMID is the VM the legacy IPv6 route is asked about when a
// node's config names none.
const DefaultCheckVMID = "d2b74aa29898457bde0560e47f7cdd4e77287e9f1f7a1456161d2fd7d5c855d7"

// NodeConfig is what the service reads of a node's /status/config. A nil
// pointer means the node did not say, or said it with the wrong type.
type NodeConfig struct {
	Version         *string
	PaymentReceiver *string
	GPUSupport      *bool
	Confidential    *bool
	QEMU            *bool
	// NodeHash is the registry hash the node says it is (aleph-vm 1.11
	// and later; null there when the operator did not set it).
	NodeHash  *string
	CheckVMID string
}

// DecodeConfig reads a node's /status/config body, which must be a JSON
// object. Every aleph-vm era is valid: 0.4.x has no "computing" block,
// releases before 1.4 no ENABLE_GPU_SUPPORT, 1.11 may write a null
// PAYMENT_RECEIVER_ADDRESS and a null node_hash; what a node does not say is nil, and no
// problem. Fields of the wrong type become nil too and are described in
// the returned problems (not an error: the rest of the config is good).
func DecodeConfig(body []byte) (cfg NodeConfig, problems []string, err error) {
	if err := CheckDepth(body, MaxDepth); err != nil {
		return NodeConfig{}, nil, fmt.Errorf("config: %w", err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil {
		return NodeConfig{}, nil, errors.New("config is not a JSON object")
	}
	cfg.CheckVMID = DefaultCheckVMID
	note := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	cfg.Version = str(top["version"], "version", note)
	cfg.NodeHash = str(top["node_hash"], "node_hash", note)
	if refs, ok := object(top, "references", nil); ok {
		if id := str(refs["CHECK_FASTAPI_VM_ID"], "references.CHECK_FASTAPI_VM_ID", note); id != nil && isVMID(*id) {
			cfg.CheckVMID = *id
		}
	}
	if pay, ok := object(top, "payment", note); ok {
		cfg.PaymentReceiver = str(pay["PAYMENT_RECEIVER_ADDRESS"], "payment.PAYMENT_RECEIVER_ADDRESS", note)
	}
	if comp, ok := object(top, "computing", note); ok {
		cfg.GPUSupport = boolean(comp["ENABLE_GPU_SUPPORT"], "computing.ENABLE_GPU_SUPPORT", note)
		cfg.Confidential = boolean(comp["ENABLE_CONFIDENTIAL_COMPUTING"], "computing.ENABLE_CONFIDENTIAL_COMPUTING", note)
		cfg.QEMU = boolean(comp["ENABLE_QEMU_SUPPORT"], "computing.ENABLE_QEMU_SUPPORT", note)
	}
	return cfg, problems, nil
}

// object returns top[key] as an object. A missing or null block is no
// problem (older releases lack some); one of another type is noted when
// note is not nil.
func object(top map[string]json.RawMessage, key string, note func(string, ...any)) (map[string]json.RawMessage, bool) {
	raw, present := top[key]
	if !present || isNull(raw) {
		return nil, false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		if note != nil {
			note("%s is not an object", key)
		}
		return nil, false
	}
	return m, true
}

func str(raw json.RawMessage, name string, note func(string, ...any)) *string {
	if raw == nil || isNull(raw) {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		note("%s is not a string", name)
		return nil
	}
	return &s
}

func boolean(raw json.RawMessage, name string, note func(string, ...any)) *bool {
	if raw == nil || isNull(raw) {
		return nil
	}
	var b bool
	if json.Unmarshal(raw, &b) != nil {
		note("%s is not a boolean", name)
		return nil
	}
	return &b
}

func isNull(raw json.RawMessage) bool { return strings.TrimSpace(string(raw)) == "null" }

// isVMID accepts the 64 hex digits of an item hash, so a hostile config
// cannot steer the IPv6 probe to another path.
func isVMID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
