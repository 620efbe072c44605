package aleph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// A node's /about/capability (aleph-vm 1.6 and later) describes its
// hardware as lshw reads it, through the pydantic model MachineCapability:
//
//	cpu:    architecture, vendor, features (CpuProperties), then model,
//	        frequency (lshw's "capacity", in Hz) and count (logical CPUs)
//	memory: size (in "units", lshw writes "bytes"), units, type ("DDR4", or
//	        "" when no bank says), clock (Hz), clock_units (never filled:
//	        null)
//	tee:    (recent releases) SEV-SNP launch capability, or null
//
// The view writes every key, null included. The first models declared the
// numbers as strings, the later ones as integers; a bank without a clock
// leaves it null, a CPU of another architecture leaves that null.

// capabilityNumbers and capabilityTexts are the known keys of each block:
// a normalised answer has every one of them, null when the node gave none.
var (
	capabilityNumbers = map[string][]string{"cpu": {"frequency", "count"}, "memory": {"size", "clock"}}
	capabilityTexts   = map[string][]string{
		"cpu":    {"architecture", "vendor", "model"},
		"memory": {"units", "type", "clock_units"},
	}
)

// NormalizeCapability turns a node's capability body, as any release
// writes it, into the object crns.json publishes: whole-number floats and
// numbers written as strings become integers, a missing or null cpu or
// memory block becomes an object, every known key of a block is present
// (null when unknown; cpu.features [] when absent), and unknown keys are
// kept as written. A body that cannot be read so is an error naming the
// field.
func NormalizeCapability(body []byte) (json.RawMessage, error) {
	if err := CheckDepth(body, MaxDepth); err != nil {
		return nil, fmt.Errorf("capability: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("capability is not JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("capability has data after the JSON object")
	}
	top, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("capability is not a JSON object")
	}
	if top["cpu"] == nil && top["memory"] == nil {
		return nil, errors.New("capability has neither cpu nor memory")
	}
	wholeToInt(top)
	for _, name := range []string{"cpu", "memory"} {
		block, err := capabilityBlock(top, name)
		if err != nil {
			return nil, err
		}
		for _, k := range capabilityNumbers[name] {
			if err := capabilityInteger(block, name, k); err != nil {
				return nil, err
			}
		}
		for _, k := range capabilityTexts[name] {
			switch block[k].(type) {
			case nil:
				block[k] = nil
			case string:
			default:
				return nil, fmt.Errorf("capability field %s.%s: want a string, got %s", name, k, describe(block[k]))
			}
		}
	}
	cpu := top["cpu"].(map[string]any)
	switch f := cpu["features"].(type) {
	case nil:
		cpu["features"] = []any{}
	case []any:
		for _, e := range f {
			if _, ok := e.(string); !ok {
				return nil, fmt.Errorf("capability field cpu.features: want a list of strings, got %s in it", describe(e))
			}
		}
	default:
		return nil, fmt.Errorf("capability field cpu.features: want a list of strings, got %s", describe(f))
	}
	return encode(top), nil
}

// capabilityBlock returns top[name] as an object, an empty one in its
// place when it is missing or null.
func capabilityBlock(top map[string]any, name string) (map[string]any, error) {
	switch b := top[name].(type) {
	case nil:
		m := map[string]any{}
		top[name] = m
		return m, nil
	case map[string]any:
		return b, nil
	default:
		return nil, fmt.Errorf("capability field %s: want an object, got %s", name, describe(b))
	}
}

// capabilityInteger makes block[key] a non-negative integer or null: a
// whole number stays, a string of digits (the first releases' models) is
// read as its number, and null, absent or "" (a default the view leaves
// when lshw says nothing) are null.
func capabilityInteger(block map[string]any, name, key string) error {
	switch x := block[key].(type) {
	case nil:
		block[key] = nil
		return nil
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil && i >= 0 {
			return nil
		}
	case string:
		if x == "" {
			block[key] = nil
			return nil
		}
		if i, err := strconv.ParseInt(x, 10, 64); err == nil && i >= 0 && x[0] != '+' {
			block[key] = json.Number(strconv.FormatInt(i, 10))
			return nil
		}
	}
	return fmt.Errorf("capability field %s.%s: want a whole number >= 0, got %s", name, key, describe(block[key]))
}
