package probe

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// leak matches what a published error must not carry: an IPv4 or IPv6
// literal, or a ":port".
var leak = regexp.MustCompile(`\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|[0-9A-Fa-f]*:[0-9A-Fa-f]*:[0-9A-Fa-f]|::|:\d+`)

func opErr(op string, local, remote string, err error) error {
	e := &net.OpError{Op: op, Net: "tcp", Err: err}
	if local != "" {
		e.Source = net.TCPAddrFromAddrPort(netip.MustParseAddrPort(local))
	}
	if remote != "" {
		e.Addr = net.TCPAddrFromAddrPort(netip.MustParseAddrPort(remote))
	}
	return e
}

// TestClassifiedErrorsCarryNoAddress builds the errors the transport
// returns, with this side's addresses, ports and resolver in them as the
// real ones have, and checks that what would be published names the class
// and a reason but none of them.
func TestClassifiedErrorsCarryNoAddress(t *testing.T) {
	x509Host := x509.HostnameError{Certificate: &x509.Certificate{IPAddresses: []net.IP{net.ParseIP("10.0.0.9")}}, Host: "10.0.0.9"}
	tests := []struct {
		class Class
		err   error
	}{
		{ClassDNS, opErr("dial", "", "", &net.DNSError{Err: "no such host", Name: "node.internal", Server: "10.0.0.2:53", IsNotFound: true})},
		{ClassDNS, &url.Error{Op: "Get", URL: "http://node.internal:4020/status/config",
			Err: opErr("dial", "", "", &net.DNSError{Err: "server misbehaving", Name: "node.internal", Server: "[fd00::53]:53"})}},
		{ClassTimeout, &net.DNSError{Err: "i/o timeout", Name: "node.internal", Server: "10.0.0.2:53", IsTimeout: true}},
		{ClassForbidden, opErr("dial", "", "127.0.0.1:8080", &guardError{netip.MustParseAddr("127.0.0.1")})},
		{ClassForbidden, opErr("dial", "", "[fd00:ec2::254]:80", &guardError{netip.MustParseAddr("fd00:ec2::254")})},
		{ClassForbidden, opErr("dial", "", "", &guardError{netip.MustParseAddr("::1%lo")})},
		{ClassRefused, opErr("dial", "10.1.2.3:34567", "192.0.2.10:4020", os.NewSyscallError("connect", syscall.ECONNREFUSED))},
		{ClassTimeout, opErr("read", "10.1.2.3:34567", "192.0.2.10:4020", os.ErrDeadlineExceeded)},
		{ClassTimeout, opErr("dial", "[2001:db8::2]:40000", "[2001:db8::1]:443", os.ErrDeadlineExceeded)},
		{ClassTimeout, fmt.Errorf("wrapped: %w", context.DeadlineExceeded)},
		{ClassReset, opErr("read", "10.1.2.3:34567", "192.0.2.10:4020", os.NewSyscallError("read", syscall.ECONNRESET))},
		{ClassReset, opErr("write", "[fd00::2]:34567", "[2001:db8::1]:80", os.NewSyscallError("write", syscall.EPIPE))},
		{ClassReset, fmt.Errorf("read from 10.1.2.3:34567: %w", io.ErrUnexpectedEOF)},
		{ClassTLS, &url.Error{Op: "Get", URL: "https://10.0.0.9/", Err: x509Host}},
		{ClassOther, opErr("dial", "[fd00::2]:34567", "[2001:db8::1]:80", os.NewSyscallError("connect", syscall.ENETUNREACH))},
		{ClassOther, fmt.Errorf("proxy 10.0.0.3:3128 said no to [fd00::1%%eth0]:8080 and fe80::1%%eth0")},
	}
	for _, tt := range tests {
		e := classify(tt.err)
		if e.Class != tt.class {
			t.Errorf("%v: class %s, want %s", tt.err, e.Class, tt.class)
		}
		if m := leak.FindString(e.Error()); m != "" || e.Msg == "" {
			t.Errorf("%v: published as %q, which carries %q", tt.err, e.Error(), m)
		}
	}
}

// TestPublishedErrorsFromRealFailures makes the transport fail for real,
// on loopback, and checks the published text while the debug log keeps
// the full one.
func TestPublishedErrorsFromRealFailures(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/hang":
			select {
			case <-r.Context().Done():
			case <-release:
			}
		case "/reset":
			c, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			_ = c.(*net.TCPConn).SetLinger(0)
			c.Close()
		}
	})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := ln.Addr().String()
	ln.Close()

	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	open := NewClient(Options{Timeout: 300 * time.Millisecond, Logger: logger})
	defer open.CloseIdleConnections()
	guarded := NewClient(Options{Timeout: 300 * time.Millisecond, Guard: &Guard{}, Logger: logger})
	defer guarded.CloseIdleConnections()
	ctx := context.Background()
	for _, tt := range []struct {
		c     *Client
		url   string
		class Class
	}{
		{open, "http://" + closed + "/", ClassRefused},
		{open, srv.URL + "/hang", ClassTimeout},
		{open, srv.URL + "/reset", ClassReset},
		{guarded, srv.URL + "/", ClassForbidden},
		{guarded, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) + "/", ClassForbidden},
	} {
		r := tt.c.Get(ctx, tt.url)
		if r.Err == nil || r.Err.Class != tt.class {
			t.Errorf("GET %s: %v, want class %s", tt.url, r.Err, tt.class)
			continue
		}
		if m := leak.FindString(errText(r.Err)); m != "" {
			t.Errorf("GET %s: published as %q, which carries %q", tt.url, errText(r.Err), m)
		}
	}
	if !strings.Contains(logs.String(), closed) || !strings.Contains(logs.String(), "level=DEBUG") {
		t.Errorf("the debug log lacks the full error text with %s:\n%s", closed, logs.String())
	}
}

// TestScrub keeps the fallback wording free of addresses.
func TestScrub(t *testing.T) {
	for _, s := range []string{
		"dial tcp 10.1.2.3:34567->192.0.2.1:80: oops", "to [fd00::1%eth0]:8080", "fe80::1%eth0 said no",
		"::ffff:10.0.0.1 then 2001:db8::1:443", "port :8080 open",
	} {
		if got := scrub(s); leak.MatchString(got) {
			t.Errorf("scrub(%q) = %q", s, got)
		}
	}
	if got := scrub("malformed HTTP response \"x\""); got != "malformed HTTP response \"x\"" {
		t.Errorf("scrub changed a text without addresses: %q", got)
	}
}

// errText is how a probe error is written in crns.json.
func errText(e *Error) string {
	if e == nil {
		return "None"
	}
	return e.Error()
}

// Describe publishes the failures of the service's database as it does a
// node's: the errors a MySQL client returns, wrapped in the store's
// context, keep their class and lose every address, port and "tcp".
func TestDescribeDatabaseErrors(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("write round 5: begin: %w", opErr("write", "127.0.0.1:44048", "127.0.0.1:3306", os.NewSyscallError("write", syscall.EPIPE))),
			"reset: broken pipe"},
		{fmt.Errorf("lease: %w", opErr("dial", "", "10.0.0.5:3306", os.NewSyscallError("connect", syscall.ECONNREFUSED))),
			"refused: connection refused"},
		{fmt.Errorf("lease: %w", opErr("read", "[fd00::2]:51000", "[fd00::5]:3306", os.ErrDeadlineExceeded)),
			"timeout: timed out"},
		{fmt.Errorf("open: %w", opErr("dial", "", "", &net.DNSError{Err: "no such host", Name: "db.internal", Server: "10.0.0.2:53", IsNotFound: true})),
			"dns: no such host"},
		{fmt.Errorf("write round 5: %w", opErr("read", "127.0.0.1:44048", "127.0.0.1:3306", errors.New("unexpected packet"))),
			"other: unexpected packet"},
		{fmt.Errorf("write round 5: commit: %w", errors.New("invalid connection")), "other: write round 5: commit: invalid connection"},
		{errors.New("Error 1045 (28000): Access denied for user 'nodelist'@'10.0.0.7' (using password: YES)"),
			"other: Error 1045 (28000): Access denied for user 'nodelist'@'address' (using password: YES)"},
		{nil, ""},
	}
	for _, tt := range tests {
		got := Describe(tt.err)
		if got != tt.want {
			t.Errorf("%v: described as %q, want %q", tt.err, got, tt.want)
		}
		if m := leak.FindString(got); m != "" || strings.Contains(got, "tcp") {
			t.Errorf("%v: described as %q, which carries %q", tt.err, got, m)
		}
	}
}
