package aleph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"unicode/utf8"
)

// FuzzParseVersion checks that any string parses without panicking, that
// a parsed version prints back to itself, and that Compare is consistent.
func FuzzParseVersion(f *testing.F) {
	for _, s := range []string{"1.8.1", "1.3.0-41-g7303587", "v1.8.1rc2", "2", "1.9", " 1.2.3 ", "", "x1.2",
		"999999999999.1.1", "1..2", "1.2.3.4", "V0.0.0", "1.-2.3", "\xff1.2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := ParseVersion(s)
		if !ok {
			if v != (Version{}) {
				t.Fatalf("ParseVersion(%q) failed but returned %v", s, v)
			}
			return
		}
		for _, n := range v {
			if n < 0 || n > 999999999 {
				t.Fatalf("ParseVersion(%q) = %v: component out of range", s, v)
			}
		}
		w, ok := ParseVersion(fmt.Sprintf("%d.%d.%d", v[0], v[1], v[2]))
		if !ok || w != v {
			t.Fatalf("%v printed and parsed again gave %v, %v", v, w, ok)
		}
		if v.Compare(v) != 0 || v.Compare(lastLegacyIPv6) != -lastLegacyIPv6.Compare(v) {
			t.Fatalf("Compare inconsistent for %v", v)
		}
		_ = UsesLegacyIPv6(s)
	})
}

// FuzzDecodeConfig checks that any body decodes without panicking, that
// the VM id the IPv6 probe puts in a path is always 64 hex digits, and
// that decoded strings are valid UTF-8.
func FuzzDecodeConfig(f *testing.F) {
	for _, s := range []string{
		`{"version":"1.9.0","payment":{"PAYMENT_RECEIVER_ADDRESS":"0xabc"},"computing":{"ENABLE_GPU_SUPPORT":true,"ENABLE_CONFIDENTIAL_COMPUTING":false,"ENABLE_QEMU_SUPPORT":true},"references":{"CHECK_FASTAPI_VM_ID":"` + DefaultCheckVMID + `"}}`,
		`{"version":12,"payment":"x","computing":{"ENABLE_GPU_SUPPORT":"yes"},"references":[]}`,
		`{"references":{"CHECK_FASTAPI_VM_ID":"../../admin"}}`,
		`{}`, `[]`, `null`, ``, `{"version":"\xff"}`, `{"a":{"a":{"a":{"a":1}}}}`, `{"version":null,"payment":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		cfg, _, err := DecodeConfig(body)
		if err != nil {
			return
		}
		if !isVMID(cfg.CheckVMID) {
			t.Fatalf("CheckVMID %q is not 64 hex digits", cfg.CheckVMID)
		}
		for _, s := range []*string{cfg.Version, cfg.PaymentReceiver} {
			if s != nil && !utf8.ValidString(*s) {
				t.Fatalf("decoded string %q is not valid UTF-8", *s)
			}
		}
	})
}

// FuzzNormalizeUsage checks that any body normalises without panicking,
// that what comes out is valid UTF-8 JSON, and that normalising it again
// changes nothing.
func FuzzNormalizeUsage(f *testing.F) {
	for _, s := range []string{goodUsage, `{}`, `[]`, `{"cpu":"many"}`, `{"gpu":{"devices":[{"device_id":1}]}}`,
		`{"cpu":{"count":1e400}}`, `{"x":1} {"y":2}`, "{\"properties\":{\"cpu\":{\"vendor\":\"\xff\"}}}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		u, err := NormalizeUsage(body, testSettings)
		if err != nil {
			return
		}
		for _, b := range [][]byte{u.JSON, u.Compatible, u.CompatibleAvailable} {
			if !json.Valid(b) || !utf8.Valid(b) {
				t.Fatalf("normalised output is not valid UTF-8 JSON: %.200q", b)
			}
		}
		again, err := NormalizeUsage(u.JSON, testSettings)
		if err != nil {
			t.Fatalf("normalised usage rejected on a second pass: %v\n%.300s", err, u.JSON)
		}
		if !bytes.Equal(again.JSON, u.JSON) {
			t.Fatalf("normalising twice changed the usage:\n%.300s\n%.300s", u.JSON, again.JSON)
		}
	})
}
