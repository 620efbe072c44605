package main

import (
	"testing"
	"time"
)

const wrkOutput = `Running 10s test @ http://127.0.0.1:8080/crns.json
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.83ms    1.20ms  20.12ms   80.00%
    Req/Sec     1.66k   100.00     1.80k    70.00%
  Latency Distribution
     50%  812.00us
     75%    5.30ms
     90%    6.10ms
     99%    1.20s
  33000 requests in 10.00s, 52.00GB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   3300.50
Transfer/sec:      5.20GB
`

func TestParseWrk(t *testing.T) {
	l, err := parseWrk(wrkOutput)
	if err != nil {
		t.Fatal(err)
	}
	want := load{Requests: 33000, ReqPerSec: 3300.5, P50: 812 * time.Microsecond, P99: 1200 * time.Millisecond,
		BytesSec: 5.2 * (1 << 30), Errors: 7}
	if l != want {
		t.Errorf("parseWrk = %+v, want %+v", l, want)
	}
	if _, err := parseWrk("Running 1s test\n  0 requests in 1.00s, 0B read\n"); err == nil {
		t.Error("output without figures was accepted")
	}
	if _, err := parseWrk(wrkOutput[:len(wrkOutput)-1] + "\n     50%    4.7xs\n"); err == nil {
		t.Error("malformed latency was accepted")
	}
}
