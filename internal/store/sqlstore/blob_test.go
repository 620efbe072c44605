package sqlstore

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
)

// samplesOf decodes a samples blob of format f, copying each entry.
func samplesOf(b []byte, f format) ([]sample, error) {
	var out []sample
	err := decodeSamplesAs(b, f, func(s sample) { out = append(out, sample{s.second, slices.Clone(s.probes)}) })
	return out, err
}

// hourEntry is one decoded hourly entry.
type hourEntry struct {
	hour   int64
	probes []agg
}

// hoursOf decodes an hourly blob of format f, entry by entry.
func hoursOf(b []byte, f format) ([]hourEntry, error) {
	var out []hourEntry
	err := decodeHoursAs(b, f, func(h int64, p []agg) { out = append(out, hourEntry{h, slices.Clone(p)}) })
	return out, err
}

func TestSamplesRoundTrip(t *testing.T) {
	in := []sample{
		{second: 0, probes: []agg{{OK: 1, Total: 1, LatSum: 42, LatMax: 42}, {OK: 0, Total: 1, LatSum: 10000, LatMax: 10000}, {OK: 1, Total: 1, LatSum: 0, LatMax: 0}}},
		{second: 3599, probes: []agg{{OK: 3, Total: 4, LatSum: 200, LatMax: 90}, {OK: 0, Total: 0, LatSum: 0, LatMax: 0}, {OK: 4, Total: 4, LatSum: 8, LatMax: 2}}}, // aggregate form
		{second: 60, probes: []agg{{OK: 1, Total: 1, LatSum: 42, LatMax: 42}, {OK: 0, Total: 1, LatSum: 10, LatMax: 10}, {OK: 1, Total: 1, LatSum: 0, LatMax: 0}, {OK: 1, Total: 1, LatSum: 7, LatMax: 7}}},
		{second: 61, probes: []agg{{OK: 1, Total: 1, LatSum: 42, LatMax: 42}}},
		{second: 62, probes: []agg{}},
		{second: 63, probes: []agg{{OK: 2, Total: 2, LatSum: 50, LatMax: 40}, {OK: 1, Total: 1, LatSum: 9, LatMax: 9}, {OK: 0, Total: 0, LatSum: 0, LatMax: 0}, {OK: 1, Total: 1, LatSum: 7, LatMax: 7}, {OK: 0, Total: 1, LatSum: 3, LatMax: 3}}},
	}
	var b []byte
	for _, s := range in {
		b = appendSample(b, s)
	}
	// A round: the head (2 bytes), a count unless three, a byte per probe
	// below 64 ms.
	three := sample{second: 1799, probes: []agg{{OK: 1, Total: 1, LatSum: 42, LatMax: 42}, {OK: 0, Total: 1, LatSum: 10, LatMax: 10}, {OK: 1, Total: 1, LatSum: 0, LatMax: 0}}}
	four := sample{second: 1799, probes: append(slices.Clone(three.probes), agg{OK: 1, Total: 1, LatSum: 7, LatMax: 7})}
	if n := len(appendSample(nil, three)); n != 5 {
		t.Errorf("a round of three probes takes %d bytes, want 5", n)
	}
	if n := len(appendSample(nil, four)); n != 7 {
		t.Errorf("a round of four probes takes %d bytes, want 7", n)
	}
	out, err := samplesOf(b, format2)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(out) != fmt.Sprint(in) {
		t.Errorf("entries back:\n%v\nwant\n%v", out, in)
	}
}

func TestHoursRoundTripAndLastWins(t *testing.T) {
	first := []agg{{OK: 100, Total: 120, LatSum: 6000, LatMax: 90}, {OK: 120, Total: 120, LatSum: 2400, LatMax: 30}, {OK: 0, Total: 120, LatSum: 0, LatMax: 0}}
	again := []agg{{OK: 119, Total: 120, LatSum: 6000, LatMax: 95}, {OK: 120, Total: 120, LatSum: 2400, LatMax: 30}, {OK: 0, Total: 0, LatSum: 0, LatMax: 0}}
	four := []agg{{OK: 100, Total: 120, LatSum: 6000, LatMax: 90}, {OK: 120, Total: 120, LatSum: 2400, LatMax: 30}, {OK: 0, Total: 120, LatSum: 0, LatMax: 0}, {OK: 60, Total: 60, LatSum: 600, LatMax: 20}}
	b := appendHour(nil, 5, first)
	// hour, the shared count, then failures, average and maximum per probe
	if len(b) != 11 {
		t.Errorf("an hour of three probes with one count takes %d bytes, want 11", len(b))
	}
	if n := len(appendHour(nil, 7, four)); n != 1+1+4+4*3 {
		t.Errorf("an hour of four probes, a count each, takes %d bytes, want 18", n)
	}
	b = appendHour(b, 23, first)
	b = appendHour(b, 5, again)
	b = appendHour(b, 7, four)
	b = appendHour(b, 8, nil)
	hours, err := decodeHours(b)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(hours[5]) != fmt.Sprint(again) || fmt.Sprint(hours[23]) != fmt.Sprint(first) ||
		fmt.Sprint(hours[7]) != fmt.Sprint(four) || hours[0] != nil || hours[8] == nil || len(hours[8]) != 0 {
		t.Errorf("hours 5, 23, 7, 0, 8: %v %v %v %v %v", hours[5], hours[23], hours[7], hours[0], hours[8])
	}
}

// TestFormat1Converts checks migration 6's conversion, both ways: the
// entries of a blob of the first format read back the same in the new
// one, and back again byte for byte.
func TestFormat1Converts(t *testing.T) {
	samples := appendSampleAs(nil, sample{30, []agg{{OK: 1, Total: 1, LatSum: 12, LatMax: 12}, {OK: 0, Total: 1, LatSum: 40, LatMax: 40}, {OK: 1, Total: 1, LatSum: 200, LatMax: 200}}}, format1)
	samples = appendSampleAs(samples, sample{90, []agg{{OK: 2, Total: 2, LatSum: 30, LatMax: 20}, {OK: 1, Total: 2, LatSum: 50, LatMax: 40}, {}}}, format1)
	hours := appendHourAs(nil, 5, []agg{{OK: 60, Total: 60, LatSum: 99 * 60, LatMax: 120}, {OK: 60, Total: 60, LatSum: 99 * 60, LatMax: 120}, {OK: 60, Total: 60, LatSum: 99 * 60, LatMax: 120}}, format1)
	hours = appendHourAs(hours, 6, []agg{{OK: 54, Total: 60, LatSum: 600, LatMax: 15}, {OK: 27, Total: 30, LatSum: 3000, LatMax: 300}, {}}, format1)
	hours = appendHourAs(hours, 5, []agg{{OK: 100, Total: 120, LatSum: 6000, LatMax: 90}, {OK: 120, Total: 120, LatSum: 2400, LatMax: 30}, {OK: 0, Total: 120, LatSum: 0, LatMax: 0}}, format1)

	s1, err := samplesOf(samples, format1)
	if err != nil || len(s1) != 2 {
		t.Fatalf("format1 samples: %v %v", s1, err)
	}
	s2, err := samplesOf(convertSamples(samples, format1, format2), format2)
	if err != nil || fmt.Sprint(s2) != fmt.Sprint(s1) {
		t.Errorf("converted samples %v (%v), want %v", s2, err, s1)
	}
	h1, err := hoursOf(hours, format1)
	if err != nil || len(h1) != 3 {
		t.Fatalf("format1 hours: %v %v", h1, err)
	}
	h2, err := hoursOf(convertHours(hours, format1, format2), format2)
	if err != nil || fmt.Sprint(h2) != fmt.Sprint(h1) {
		t.Errorf("converted hours %v (%v), want %v", h2, err, h1)
	}
	if back := convertSamples(convertSamples(samples, format1, format2), format2, format1); !bytes.Equal(back, samples) {
		t.Errorf("samples converted there and back: % x, want % x", back, samples)
	}
	if back := convertHours(convertHours(hours, format1, format2), format2, format1); !bytes.Equal(back, hours) {
		t.Errorf("hours converted there and back: % x, want % x", back, hours)
	}
	// A corrupt entry ends the blob: what came before it is kept.
	if s, _ := samplesOf(convertSamples(append(slices.Clone(samples), 0xff), format1, format2), format2); fmt.Sprint(s) != fmt.Sprint(s1) {
		t.Errorf("a blob with a corrupt tail converts to %v, want %v", s, s1)
	}
	// Going down, a fourth probe is dropped and a missing one has no sample.
	four := appendSample(nil, sample{10, []agg{{OK: 1, Total: 1, LatSum: 1, LatMax: 1}, {OK: 1, Total: 1, LatSum: 2, LatMax: 2}, {OK: 1, Total: 1, LatSum: 3, LatMax: 3}, {OK: 1, Total: 1, LatSum: 4, LatMax: 4}}})
	two := appendSample(nil, sample{11, []agg{{OK: 1, Total: 1, LatSum: 1, LatMax: 1}, {OK: 1, Total: 1, LatSum: 2, LatMax: 2}}})
	down, err := samplesOf(convertSamples(append(four, two...), format2, format1), format1)
	want := "[{10 [{1 1 1 1} {1 1 2 2} {1 1 3 3}]} {11 [{1 1 1 1} {1 1 2 2} {0 0 0 0}]}]"
	if err != nil || fmt.Sprint(down) != want {
		t.Errorf("converted down: %v (%v), want %s", down, err, want)
	}
}

func TestCorruptBlobsAreErrors(t *testing.T) {
	good := appendSample(nil, sample{second: 10, probes: []agg{{OK: 1, Total: 1, LatSum: 5, LatMax: 5}, {OK: 1, Total: 1, LatSum: 5, LatMax: 5}, {OK: 1, Total: 1, LatSum: 5, LatMax: 5}}})
	for name, b := range map[string][]byte{
		"truncated":       good[:len(good)-1],
		"second too big":  appendSample(nil, sample{second: 4000}),
		"overlong varint": {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		"ok above total":  {2, 5, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		"too many probes": {1, MaxProbes + 1},
		"count missing":   {1},
	} {
		if err := decodeSamples(b, func(sample) {}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	for name, b := range map[string][]byte{
		"hour 24":                      {24 << 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		"hour 24, shared":              {24<<2 | 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		"failures above total":         {0, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		"failures above total, shared": {2, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0},
		"truncated":                    {2, 2, 1, 0},
		"truncated after the hour":     {2},
		"truncated, separate totals":   {0, 2, 1, 0, 0, 2},
		"too many probes":              {1, MaxProbes + 1},
		"truncated, four probes":       {3, 4, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
	} {
		if _, err := decodeHours(b); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func FuzzDecodeSamples(f *testing.F) {
	f.Add(appendSample(nil, sample{second: 1799, probes: []agg{{OK: 1, Total: 1, LatSum: 50, LatMax: 50}, {OK: 0, Total: 1, LatSum: 9, LatMax: 9}, {OK: 1, Total: 1, LatSum: 0, LatMax: 0}}}))
	f.Add(appendSample(nil, sample{second: 60, probes: []agg{{OK: 2, Total: 2, LatSum: 70, LatMax: 40}}}))
	f.Add(appendSample(nil, sample{second: 61, probes: []agg{{OK: 1, Total: 1, LatSum: 5, LatMax: 5}, {OK: 0, Total: 1, LatSum: 9, LatMax: 9}, {OK: 1, Total: 1, LatSum: 0, LatMax: 0}, {OK: 1, Total: 1, LatSum: 3, LatMax: 3}}}))
	f.Add([]byte{0xff, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := samplesOf(b, format2)
		if err != nil {
			return
		}
		// What decodes re-encodes to entries that decode the same.
		var out []byte
		for _, s := range in {
			out = appendSample(out, s)
		}
		again, err := samplesOf(out, format2)
		if err != nil || fmt.Sprint(again) != fmt.Sprint(in) {
			t.Fatalf("re-encoded entries decode to %v (%v), want %v", again, err, in)
		}
	})
}

func FuzzDecodeHours(f *testing.F) {
	f.Add(appendHour(nil, 3, []agg{{OK: 100, Total: 120, LatSum: 6000, LatMax: 90}}))
	f.Add(appendHour(nil, 4, []agg{{OK: 100, Total: 120, LatSum: 6000, LatMax: 90}, {OK: 1, Total: 2, LatSum: 3, LatMax: 4}, {OK: 0, Total: 0, LatSum: 0, LatMax: 0}, {OK: 5, Total: 5, LatSum: 5, LatMax: 5}}))
	f.Add([]byte{23<<2 | 2, 1, 0, 5, 5, 1, 1, 5, 5, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		hours, err := decodeHours(b)
		in, err2 := hoursOf(b, format2)
		if (err == nil) != (err2 == nil) {
			t.Fatalf("decodeHours says %v, its entries %v", err, err2)
		}
		if err != nil {
			return
		}
		for _, e := range in {
			if fmt.Sprint(hours[e.hour]) != fmt.Sprint(in[lastOf(in, e.hour)].probes) {
				t.Fatalf("hour %d is %v, not its last entry", e.hour, hours[e.hour])
			}
		}
		// What decodes re-encodes to entries that decode the same.
		var out []byte
		for _, e := range in {
			out = appendHour(out, e.hour, e.probes)
		}
		again, err := hoursOf(out, format2)
		if err != nil || fmt.Sprint(again) != fmt.Sprint(in) {
			t.Fatalf("re-encoded entries decode to %v (%v), want %v", again, err, in)
		}
	})
}

func lastOf(entries []hourEntry, h int64) int {
	last := -1
	for i, e := range entries {
		if e.hour == h {
			last = i
		}
	}
	return last
}

// FuzzConvertFormat1 checks that whatever blob of the first format
// decodes converts to the new format with the same entries.
func FuzzConvertFormat1(f *testing.F) {
	f.Add(appendSampleAs(nil, sample{30, []agg{{OK: 1, Total: 1, LatSum: 12, LatMax: 12}, {OK: 0, Total: 1, LatSum: 40, LatMax: 40}, {OK: 1, Total: 1, LatSum: 200, LatMax: 200}}}, format1), true)
	f.Add(appendHourAs(nil, 6, []agg{{OK: 54, Total: 60, LatSum: 600, LatMax: 15}, {OK: 27, Total: 30, LatSum: 3000, LatMax: 300}, {}}, format1), false)
	f.Fuzz(func(t *testing.T, b []byte, isSamples bool) {
		if isSamples {
			in, _ := samplesOf(b, format1) // the entries before any corrupt one
			out, err := samplesOf(convertSamples(b, format1, format2), format2)
			if err != nil || fmt.Sprint(out) != fmt.Sprint(in) {
				t.Fatalf("converted samples %v (%v), want %v", out, err, in)
			}
			return
		}
		in, _ := hoursOf(b, format1)
		out, err := hoursOf(convertHours(b, format1, format2), format2)
		if err != nil || fmt.Sprint(out) != fmt.Sprint(in) {
			t.Fatalf("converted hours %v (%v), want %v", out, err, in)
		}
	})
}
