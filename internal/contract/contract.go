package contract

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed crns.schema.json
var schemaJSON []byte

// Schema returns the contract's JSON Schema, as shipped.
func Schema() []byte { return schemaJSON }

var compiled = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return nil, fmt.Errorf("read schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("crns.schema.json", doc); err != nil {
		return nil, fmt.Errorf("add schema: %w", err)
	}
	return c.Compile("crns.schema.json")
})

// Validate checks body, a whole crns.json document.
func Validate(body []byte) error {
	s, err := compiled()
	if err != nil {
		return err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("crns.json is not JSON: %w", err)
	}
	if err := s.Validate(doc); err != nil {
		return fmt.Errorf("crns.json breaks the schema: %w", err)
	}
	return checkIntegers(body)
}

// integerPaths are the integer fields of system_usage, relative to it.
var integerPaths = [][]string{
	{"cpu", "count"}, {"mem", "total_kB"}, {"mem", "available_kB"},
	{"disk", "total_kB"}, {"disk", "available_kB"}, {"period", "duration_seconds"},
}

// checkIntegers fails when an integer field is written as 8.0 or 8e0:
// integer-typed decoders (serde's u64) reject those.
func checkIntegers(body []byte) error {
	var doc struct {
		CRNs []struct {
			Hash        string         `json:"hash"`
			SystemUsage map[string]any `json:"system_usage"`
		} `json:"crns"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return err
	}
	var errs []error
	for _, c := range doc.CRNs {
		if c.SystemUsage == nil {
			continue
		}
		for _, p := range integerPaths {
			var v any = c.SystemUsage
			for _, k := range p {
				m, _ := v.(map[string]any)
				v = m[k]
			}
			if n, ok := v.(json.Number); ok && strings.ContainsAny(string(n), ".eE") {
				errs = append(errs, fmt.Errorf("crn %s: system_usage.%s is %s, not an integer literal", c.Hash, strings.Join(p, "."), n))
			}
		}
	}
	return errors.Join(errs...)
}
