package consumers

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The rules are built from small checks, so that each client's model
// reads like its source: an object's members, each required or not, each
// with the check of its type; nullable where the client takes null.

// check judges a value that is present (nil is JSON null).
type check func(v any) error

// member is one key of an object.
type member struct {
	key      string
	required bool // the key must be there (a pydantic field without default, a serde field without default, a zod field not .optional())
	check    check
}

func req(key string, c check) member { return member{key, true, c} }
func opt(key string, c check) member { return member{key, false, c} }

// object checks an object's members; other keys are ignored, as every
// client modelled here ignores or keeps unknown keys.
func object(members ...member) check {
	return func(v any) error {
		o, ok := v.(Object)
		if !ok {
			return fmt.Errorf("want an object, got %s", kind(v))
		}
		return members2(o, members)
	}
}

func members2(o Object, members []member) error {
	for _, m := range members {
		v, present := o[m.key]
		if !present {
			if m.required {
				return fmt.Errorf("%s: missing", m.key)
			}
			continue
		}
		if err := m.check(v); err != nil {
			return fmt.Errorf("%s: %w", m.key, err)
		}
	}
	return nil
}

// nullable also takes null (Optional[...], Option<...>, .nullable()).
func nullable(c check) check {
	return func(v any) error {
		if v == nil {
			return nil
		}
		return c(v)
	}
}

// list checks every element.
func list(c check) check {
	return func(v any) error {
		l, ok := v.([]any)
		if !ok {
			return fmt.Errorf("want a list, got %s", kind(v))
		}
		for i, e := range l {
			if err := c(e); err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
		}
		return nil
	}
}

// anything takes any value: a key read but not typed.
func anything(any) error { return nil }

func kind(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("string %q", t)
	case json.Number:
		return "number " + string(t)
	case bool:
		return "boolean " + strconv.FormatBool(t)
	case Object:
		return "an object"
	case []any:
		return "a list"
	}
	return fmt.Sprintf("%T", v)
}

// Strict types: serde (aleph-rs) and zod (the console) take a JSON value
// of exactly the type.

func strictString(v any) error {
	if _, ok := v.(string); !ok {
		return fmt.Errorf("want a string, got %s", kind(v))
	}
	return nil
}

func strictBool(v any) error {
	if _, ok := v.(bool); !ok {
		return fmt.Errorf("want a boolean, got %s", kind(v))
	}
	return nil
}

// strictNumber is serde's f64 and zod's number: any JSON number.
func strictNumber(v any) error {
	n, ok := v.(json.Number)
	if !ok {
		return fmt.Errorf("want a number, got %s", kind(v))
	}
	if _, err := n.Float64(); err != nil {
		return fmt.Errorf("want a finite number, got %s", n)
	}
	return nil
}

// unsigned is serde's u32/u64: an integer literal (no fraction, no
// exponent) in range.
func unsigned(bits int) check {
	return func(v any) error {
		n, ok := v.(json.Number)
		if !ok {
			return fmt.Errorf("want an unsigned integer, got %s", kind(v))
		}
		if _, err := strconv.ParseUint(string(n), 10, bits); err != nil {
			return fmt.Errorf("want a u%d, got %s", bits, n)
		}
		return nil
	}
}

// Lax types: pydantic 2's lax mode, the default of the Python clients.

// pyStr: str takes a string only (pydantic 2 does not turn numbers into
// strings).
func pyStr(v any) error { return strictString(v) }

// pyFloat: float takes a number, or a string holding one.
func pyFloat(v any) error {
	switch t := v.(type) {
	case json.Number:
		return nil
	case string:
		if _, err := strconv.ParseFloat(strings.TrimSpace(t), 64); err == nil {
			return nil
		}
	case bool:
		return nil
	}
	return fmt.Errorf("want a float, got %s", kind(v))
}

// pyInt: int takes an integer, a float without fraction (8.0), or a
// string holding an integer.
func pyInt(v any) error {
	switch t := v.(type) {
	case json.Number:
		f, err := t.Float64()
		if err == nil && f == math.Trunc(f) {
			return nil
		}
	case string:
		if _, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64); err == nil {
			return nil
		}
	case bool:
		return nil
	}
	return fmt.Errorf("want an int, got %s", kind(v))
}

// pyBool: bool takes true and false, the integers 0 and 1, and the
// strings pydantic reads as booleans.
func pyBool(v any) error {
	switch t := v.(type) {
	case bool:
		return nil
	case json.Number:
		if t == "0" || t == "1" {
			return nil
		}
	case string:
		switch strings.ToLower(t) {
		case "0", "off", "f", "false", "n", "no", "1", "on", "t", "true", "y", "yes":
			return nil
		}
	}
	return fmt.Errorf("want a bool, got %s", kind(v))
}

// pyDatetime: datetime takes an ISO 8601 time, with or without offset.
func pyDatetime(v any) error {
	s, ok := v.(string)
	if ok {
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
			if _, err := time.Parse(layout, s); err == nil {
				return nil
			}
		}
	}
	if _, ok := v.(json.Number); ok {
		return nil // a Unix time
	}
	return fmt.Errorf("want a datetime, got %s", kind(v))
}

// truthy is Python's bool() and JavaScript's !! of a JSON value, where
// they agree (they differ only on empty objects and lists).
func truthy(v any) bool {
	switch t := v.(type) {
	case nil:
		return false
	case bool:
		return t
	case string:
		return t != ""
	case json.Number:
		f, err := t.Float64()
		return err != nil || f != 0
	case []any:
		return len(t) > 0
	case Object:
		return len(t) > 0
	}
	return true
}

var ethAddress = regexp.MustCompile(`0x[a-fA-F0-9]{40}`)

// extractValidEthAddress is aleph-sdk-python's and aleph-client's
// extract_valid_eth_address: the first 0x-and-40-hex-digits in s.
func extractValidEthAddress(s string) string { return ethAddress.FindString(s) }
