package store

import (
	"testing"
	"time"
)

// TestBuckets: buckets start at from, an entry before from counts in the
// first, probes past the series and empty aggregates are not counted, and
// times before the epoch round down.
func TestBuckets(t *testing.T) {
	from := time.Date(2026, 12, 6, 10, 0, 45, 0, time.UTC)
	b := NewBuckets(2, from, 2*time.Minute)
	b.Add(from.Unix()-1800, 0, 1, 1, 10, 10) // an hourly entry begun before from
	b.Add(from.Unix()+30, 0, 0, 1, 20, 20)
	b.Add(from.Unix()+150, 0, 1, 1, 5, 5)
	b.Add(from.Unix()+150, 1, 0, 0, 0, 0) // nothing asked
	b.Add(from.Unix()+150, 2, 1, 1, 1, 1) // a probe past the series
	got := b.Points()
	if len(got) != 2 || len(got[0]) != 2 || len(got[1]) != 0 {
		t.Fatalf("points %+v, want two in the first series and none in the second", got)
	}
	first, second := got[0][0], got[0][1]
	if !first.Time.Equal(from) || first.OK != 1 || first.Total != 2 || first.LatencySumMS != 30 || first.LatencyMaxMS != 20 {
		t.Errorf("first bucket %+v", first)
	}
	if !second.Time.Equal(from.Add(2*time.Minute)) || second.OK != 1 || second.Total != 1 {
		t.Errorf("second bucket %+v", second)
	}
	if NewBuckets(1, from, time.Second).step != 60 {
		t.Error("a step under a minute is not raised to one")
	}
	for _, c := range [][3]int64{{7, 2, 3}, {-7, 2, -4}, {-6, 2, -3}, {0, 5, 0}} {
		if got := FloorDiv(c[0], c[1]); got != c[2] {
			t.Errorf("FloorDiv(%d, %d) = %d, want %d", c[0], c[1], got, c[2])
		}
	}
}
