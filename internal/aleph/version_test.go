package aleph

import "testing"

func TestUsesLegacyIPv6(t *testing.T) {
	tests := []struct {
		version string
		legacy  bool
	}{
		{"1.8.1", true},
		{"1.8.0", true},
		{"1.3.0-41-g7303587", true},
		{"v1.2.0", true},
		{"0.9", true},
		{"1.8.2", false},
		{"1.9.0", false},
		{"1.10.0", false}, // numeric, not lexical: 10 > 8
		{"2.0.0-rc1", false},
		{"1.8.10", false},
		{"", false},
		{"unknown", false},
		{"dev-build", false},
	}
	for _, tt := range tests {
		if got := UsesLegacyIPv6(tt.version); got != tt.legacy {
			t.Errorf("UsesLegacyIPv6(%q) = %v, want %v", tt.version, got, tt.legacy)
		}
	}
}

func TestParseVersion(t *testing.T) {
	tests := []struct {
		in   string
		want Version
		ok   bool
	}{
		{"1.3.0-41-g7303587", Version{1, 3, 0}, true},
		{"2", Version{2, 0, 0}, true},
		{"1.2", Version{1, 2, 0}, true},
		{" 1.8.1 ", Version{1, 8, 1}, true},
		{"1.8.1.4", Version{1, 8, 1}, true},
		{"x1.8", Version{}, false},
		{"99999999999999999999.1", Version{999999999, 0, 0}, true},
	}
	for _, tt := range tests {
		got, ok := ParseVersion(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseVersion(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
