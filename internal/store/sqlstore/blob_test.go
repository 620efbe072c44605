package sqlstore

import (
	"testing"

	"nodelist/internal/store"
)

func TestSamplesRoundTrip(t *testing.T) {
	in := []sample{
		{second: 0, probes: [store.NumProbes]agg{{1, 1, 42, 42}, {0, 1, 10000, 10000}, {1, 1, 0, 0}}},
		{second: 3599, probes: [store.NumProbes]agg{{3, 4, 200, 90}, {0, 0, 0, 0}, {4, 4, 8, 2}}}, // aggregate form
	}
	var b []byte
	for _, s := range in {
		b = appendSample(b, s)
	}
	if n := len(appendSample(nil, in[0])); n > 8 {
		t.Errorf("a round's entry takes %d bytes, want at most 8", n)
	}
	var out []sample
	if err := decodeSamples(b, func(s sample) { out = append(out, s) }); err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) {
		t.Fatalf("%d entries back, want %d", len(out), len(in))
	}
	for i := range in {
		if out[i] != in[i] {
			t.Errorf("entry %d: %+v, want %+v", i, out[i], in[i])
		}
	}
}

func TestHoursRoundTripAndLastWins(t *testing.T) {
	first := [store.NumProbes]agg{{100, 120, 6000, 90}, {120, 120, 2400, 30}, {0, 120, 0, 0}}
	again := [store.NumProbes]agg{{119, 120, 6000, 95}, {120, 120, 2400, 30}, {0, 0, 0, 0}}
	b := appendHour(nil, 5, first)
	// hour, the shared count, then failures, average and maximum per probe
	if len(b) != 11 {
		t.Errorf("an hour with one count for its probes takes %d bytes, want 11", len(b))
	}
	b = appendHour(b, 23, first)
	b = appendHour(b, 5, again)
	hours, err := decodeHours(b)
	if err != nil {
		t.Fatal(err)
	}
	if hours[5] != again || hours[23] != first || hours[0] != ([store.NumProbes]agg{}) {
		t.Errorf("hours 5, 23, 0: %+v %+v %+v", hours[5], hours[23], hours[0])
	}
}

func TestCorruptBlobsAreErrors(t *testing.T) {
	good := appendSample(nil, sample{second: 10, probes: [store.NumProbes]agg{{1, 1, 5, 5}, {1, 1, 5, 5}, {1, 1, 5, 5}}})
	for name, b := range map[string][]byte{
		"truncated":       good[:len(good)-1],
		"second too big":  appendSample(nil, sample{second: 4000}),
		"overlong varint": {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		"ok above total":  append([]byte{1}, 5, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
	} {
		if err := decodeSamples(b, func(sample) {}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	for name, b := range map[string][]byte{
		"hour 24":                      {48, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		"hour 24, shared":              {49, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		"failures above total":         {2, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		"failures above total, shared": {3, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0},
		"truncated":                    {3, 2, 1, 0},
		"truncated after the hour":     {3},
		"truncated, separate totals":   {2, 2, 1, 0, 0, 2},
	} {
		if _, err := decodeHours(b); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func FuzzDecodeSamples(f *testing.F) {
	f.Add(appendSample(nil, sample{second: 1799, probes: [store.NumProbes]agg{{1, 1, 50, 50}, {0, 1, 9, 9}, {1, 1, 0, 0}}}))
	f.Add(appendSample(nil, sample{second: 60, probes: [store.NumProbes]agg{{2, 2, 70, 40}}}))
	f.Add([]byte{0xff, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		var out []byte
		if decodeSamples(b, func(s sample) { out = appendSample(out, s) }) != nil {
			return
		}
		// What decodes re-encodes to entries that decode the same.
		var again []sample
		if err := decodeSamples(out, func(s sample) { again = append(again, s) }); err != nil {
			t.Fatalf("re-encoded entries do not decode: %v", err)
		}
	})
}

func FuzzDecodeHours(f *testing.F) {
	f.Add(appendHour(nil, 3, [store.NumProbes]agg{{100, 120, 6000, 90}}))
	f.Add([]byte{23, 1, 0, 5, 5, 1, 1, 5, 5, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = decodeHours(b) // must not panic
	})
}
