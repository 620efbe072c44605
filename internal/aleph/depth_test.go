package aleph

import (
	"strings"
	"testing"
)

func TestCheckDepth(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{`{"a":{"b":[1,2,{"c":3}]}}`, true},
		{strings.Repeat("[", 64) + strings.Repeat("]", 64), true},
		{strings.Repeat("[", 65) + strings.Repeat("]", 65), false},
		{strings.Repeat(`{"a":`, 100000) + "1" + strings.Repeat("}", 100000), false},
		// Brackets inside strings, escaped quotes included, do not count.
		{`{"s":"` + strings.Repeat("[{", 1000) + `\"` + strings.Repeat("[", 100) + `"}`, true},
	}
	for _, tt := range tests {
		if err := CheckDepth([]byte(tt.in), 64); (err == nil) != tt.ok {
			t.Errorf("CheckDepth(%.40q…) = %v, want ok=%v", tt.in, err, tt.ok)
		}
	}
	if _, _, err := DecodeConfig([]byte(strings.Repeat(`{"a":`, 65) + "1" + strings.Repeat("}", 65))); err == nil {
		t.Error("DecodeConfig accepted 65 levels of nesting")
	}
	if _, err := NormalizeUsage([]byte(strings.Repeat("[", 70)+strings.Repeat("]", 70)), nil); err == nil {
		t.Error("NormalizeUsage accepted 70 levels of nesting")
	}
}
