package main

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// load is one wrk run's result.
type load struct {
	Requests  int64
	ReqPerSec float64
	P50, P99  time.Duration
	BytesSec  float64 // transfer per second
	Errors    int64   // socket errors and non-2xx/3xx responses
}

// runWrk loads url with conns connections for d, with an optional
// Accept-Encoding header.
func runWrk(ctx context.Context, wrk, url string, threads, conns int, d time.Duration, accept string) (load, error) {
	args := []string{"-t" + strconv.Itoa(threads), "-c" + strconv.Itoa(conns), "-d" + strconv.Itoa(int(d.Seconds())) + "s", "--latency", "--timeout", "5s"}
	if accept != "" {
		args = append(args, "-H", "Accept-Encoding: "+accept)
	}
	ctx, cancel := context.WithTimeout(ctx, d+30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, wrk, append(args, url)...).CombinedOutput()
	if err != nil {
		return load{}, fmt.Errorf("wrk %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return parseWrk(string(out))
}

// parseWrk reads the figures of wrk --latency's report.
func parseWrk(out string) (load, error) {
	var l load
	var haveRPS, haveP50, haveP99 bool
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		var err error
		switch {
		case f[0] == "50%" && len(f) == 2:
			l.P50, err = parseDuration(f[1])
			haveP50 = err == nil
		case f[0] == "99%" && len(f) == 2:
			l.P99, err = parseDuration(f[1])
			haveP99 = err == nil
		case f[0] == "Requests/sec:" && len(f) == 2:
			l.ReqPerSec, err = strconv.ParseFloat(f[1], 64)
			haveRPS = err == nil
		case f[0] == "Transfer/sec:" && len(f) == 2:
			l.BytesSec, err = parseSize(f[1])
		case len(f) >= 3 && f[1] == "requests" && f[2] == "in":
			l.Requests, err = strconv.ParseInt(f[0], 10, 64)
		case f[0] == "Non-2xx" && len(f) == 5:
			var n int64
			n, err = strconv.ParseInt(f[4], 10, 64)
			l.Errors += n
		case f[0] == "Socket" && f[1] == "errors:":
			// Socket errors: connect 0, read 0, write 0, timeout 0
			for i := 3; i < len(f); i += 2 {
				n, e := strconv.ParseInt(strings.TrimSuffix(f[i], ","), 10, 64)
				if e != nil {
					err = e
					break
				}
				l.Errors += n
			}
		}
		if err != nil {
			return l, fmt.Errorf("wrk output line %q: %w", sc.Text(), err)
		}
	}
	if !haveRPS || !haveP50 || !haveP99 {
		return l, fmt.Errorf("wrk output lacks Requests/sec or latency percentiles:\n%s", out)
	}
	return l, nil
}

// parseDuration reads wrk's durations: 812.00us, 4.71ms, 1.20s, 2.00m.
func parseDuration(s string) (time.Duration, error) {
	for _, u := range []struct {
		suffix string
		unit   time.Duration
	}{{"us", time.Microsecond}, {"ms", time.Millisecond}, {"s", time.Second}, {"m", time.Minute}, {"h", time.Hour}} {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return 0, err
			}
			return time.Duration(f * float64(u.unit)), nil
		}
	}
	return 0, fmt.Errorf("duration %q has no unit", s)
}

// parseSize reads wrk's byte counts: 512.00B, 2.83MB, 5.20GB (powers of 1024).
func parseSize(s string) (float64, error) {
	mult := 1.0
	for _, u := range []struct {
		suffix string
		m      float64
	}{{"TB", 1 << 40}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}} {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = v, u.m
			break
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	return f * mult, err
}
