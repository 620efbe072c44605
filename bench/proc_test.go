package main

import (
	"os"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	stat := "4242 (nodelist (serve)) S 1 4242 4242 0 -1 4194560 2061 0 0 0 150 25 0 0 20 0 8 0 12345 1000000 3000 18446744073709551615"
	got, err := parseStatCPU(stat)
	if err != nil || got != 1750*time.Millisecond {
		t.Errorf("parseStatCPU = %v, %v; want 1.75s", got, err)
	}
	if _, err := parseStatCPU("garbage"); err == nil {
		t.Error("malformed stat accepted")
	}
}

func TestOwnProcess(t *testing.T) {
	if _, err := cpuTime(os.Getpid()); err != nil {
		t.Fatal(err)
	}
	if rss, err := peakRSS(os.Getpid()); err != nil || rss <= 0 {
		t.Fatalf("peakRSS = %d, %v", rss, err)
	}
}

// The parts of the resident set add up to it (the kernel sums the same
// counters, though the two reads are not one moment).
func TestRSSPartsAddUp(t *testing.T) {
	pid := os.Getpid()
	p, err := readRSSParts(pid)
	if err != nil {
		t.Fatal(err)
	}
	rss, err := currentRSS(pid)
	if err != nil {
		t.Fatal(err)
	}
	sum := p.Anon + p.File + p.Shmem
	if p.Anon <= 0 || p.File <= 0 || sum < rss*9/10 || sum > rss*11/10 {
		t.Errorf("RssAnon %d + RssFile %d + RssShmem %d = %d, VmRSS %d", p.Anon, p.File, p.Shmem, sum, rss)
	}
}
