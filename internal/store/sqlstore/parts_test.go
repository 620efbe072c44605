package sqlstore

import (
	"bytes"
	"slices"
	"testing"
)

func TestPartSize(t *testing.T) {
	for _, tc := range []struct {
		packet int64
		bound  int
		want   int // 0: refused
	}{
		{16 << 20, 0, (16<<20 - statementRoom) / 2},         // MariaDB's default
		{1 << 30, 0, (ClientMaxPacket - statementRoom) / 2}, // above what the driver sends
		{16 << 20, 64 << 10, (64<<10 - statementRoom) / 2},  // a test's bound
		{64 << 10, 16 << 20, (64<<10 - statementRoom) / 2},  // a bound above the packet changes nothing
		{MinPacket, 0, (MinPacket - statementRoom) / 2},
		{MinPacket - 1, 0, 0},
		{1024, 0, 0}, // the smallest the server allows
		{16 << 20, MinPacket - 1, 0},
		{0, 0, 0},
		{-1, 0, 0},
	} {
		got, err := PartSize(tc.packet, tc.bound)
		if got != tc.want || (err != nil) != (tc.want == 0) {
			t.Errorf("PartSize(%d, %d) = %d, %v; want %d", tc.packet, tc.bound, got, err, tc.want)
		}
	}
}

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		n, size int
		want    []int // sizes of the parts
	}{
		{0, 10, []int{0}},
		{1, 10, []int{1}},
		{10, 10, []int{10}},
		{11, 10, []int{10, 1}},
		{30, 10, []int{10, 10, 10}},
		{31, 10, []int{10, 10, 10, 1}},
	} {
		b := bytes.Repeat([]byte{7}, tc.n)
		parts := Split(b, tc.size)
		var sizes []int
		for _, p := range parts {
			sizes = append(sizes, len(p))
		}
		if !slices.Equal(sizes, tc.want) {
			t.Errorf("Split(%d bytes, %d) = parts of %v, want %v", tc.n, tc.size, sizes, tc.want)
		}
	}
}

// FuzzSplit holds Split to its promise: parts no larger than asked, none
// empty but a lone one, joining back to the body; appending to a part
// never writes into the next.
func FuzzSplit(f *testing.F) {
	f.Add([]byte("crns"), 1)
	f.Add([]byte{}, 3)
	f.Add(bytes.Repeat([]byte("x"), 100), 7)
	f.Fuzz(func(t *testing.T, b []byte, size int) {
		if size <= 0 || size > 1<<20 {
			return
		}
		orig := bytes.Clone(b)
		parts := Split(b, size)
		var joined []byte
		for i, p := range parts {
			if len(p) > size || (len(p) == 0 && len(parts) > 1) {
				t.Fatalf("part %d of %d has %d bytes (size %d)", i, len(parts), len(p), size)
			}
			joined = append(joined, p...)
			_ = append(p, 0xff) // capped: must not touch the next part
		}
		if !bytes.Equal(joined, orig) || !bytes.Equal(b, orig) {
			t.Fatalf("parts join into %d bytes, body %d", len(joined), len(orig))
		}
	})
}
