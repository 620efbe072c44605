package memory

import (
	"context"
	"runtime"
	"testing"
	"time"

	"nodelist/internal/probe"
	"nodelist/internal/store/storetest"
)

func benchStore(b *testing.B) *Store {
	st, err := New(probe.Names()...)
	if err != nil {
		b.Fatal(err)
	}
	return st
}

// heapMB is the live heap after a collection, in MB.
func heapMB() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / 1e6
}

func BenchmarkWriteRound1000(b *testing.B) {
	storetest.BenchWriteRound(b, benchStore(b), 1000)
}

// BenchmarkHistory7d writes 7 days of rounds of 1000 nodes, one every 10
// minutes, and reads one node's week.
func BenchmarkHistory7d(b *testing.B) {
	storetest.BenchHistory7d(b, benchStore(b), 1000, 10*time.Minute)
}

// BenchmarkDaySize writes a day of 1000 nodes at a 30 s interval (2880
// rounds, steady faults, no snapshot) and reports the live heap it adds:
// the memory --db none costs a day.
func BenchmarkDaySize(b *testing.B) {
	for b.Loop() {
		before := heapMB()
		st := benchStore(b)
		for n := range 2880 {
			if err := st.WriteRound(context.Background(), storetest.MakeRound(n, 1000, storetest.SteadyFaults(n))); err != nil {
				b.Fatal(err)
			}
		}
		grown := heapMB() - before
		runtime.KeepAlive(st)
		b.ReportMetric(grown, "MB/day")
		b.ReportMetric(grown*1e6/(2880*1000), "B/node-round")
	}
}

// BenchmarkSteadySize is the store at default retention (48 h of rounds
// every 30 s, 400 days of hourly rollups) for 1000 nodes, pruned as the
// service prunes: the most --db none holds at the defaults. It reports
// the live heap the store holds.
func BenchmarkSteadySize(b *testing.B) {
	before := heapMB()
	st := benchStore(b)
	storetest.BenchSteadySize(b, st, 1000, func() (map[string]float64, error) {
		return map[string]float64{"MB": heapMB() - before}, nil
	})
	runtime.KeepAlive(st)
}
