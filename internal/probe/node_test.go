package probe

import (
	"context"
	"net/http"
	"testing"
	"time"

	"nodelist/internal/aleph"
)

// TestLegacyIPv6Answers checks how the diagnostic VM's answers to /ip/6
// are read: a 503 carrying a boolean result is IPv6 down, a successful
// probe; any other failure stays one.
func TestLegacyIPv6Answers(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		class  Class
		ipv6   string
	}{
		{"up", 200, `{"result": true, "headers": {"Server": "nginx"}}`, "", `{"host":true,"vm":true}`},
		{"down, 503", 503, `{"result": false, "failures": [{"error": "Cannot connect to host"}]}`, "", `{"host":false,"vm":false}`},
		{"503 without a result", 503, `{"detail": "VM not running"}`, ClassHTTPStatus, ""},
		{"503 not JSON", 503, `<html>Service Unavailable</html>`, ClassHTTPStatus, ""},
		{"500 with a result", 500, `{"result": false}`, ClassHTTPStatus, ""},
		{"200 without a result", 200, `{"ok": true}`, ClassInvalidJSON, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				switch r.URL.Path {
				case ConfigPath:
					_, _ = w.Write([]byte(`{"version": "1.6.0-rc1"}`))
				case UsagePath:
					_, _ = w.Write([]byte(`{}`))
				case "/vm/" + aleph.DefaultCheckVMID + "/ip/6":
					w.WriteHeader(tt.status)
					_, _ = w.Write([]byte(tt.body))
				default:
					http.NotFound(w, r)
				}
			})
			c := NewClient(Options{Timeout: 2 * time.Second})
			defer c.CloseIdleConnections()
			r := c.Node(context.Background(), srv.URL, nil, nil)
			got := Class("")
			if r.Of(IPv6).Err != nil {
				got = r.Of(IPv6).Err.Class
			}
			if got != tt.class || string(r.Of(IPv6).Body) != tt.ipv6 || r.Of(IPv6).Status != tt.status {
				t.Errorf("IPv6 probe: class %q body %s status %d; want %q %s %d", got, r.Of(IPv6).Body, r.Of(IPv6).Status, tt.class, tt.ipv6, tt.status)
			}
		})
	}
}
