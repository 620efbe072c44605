package simfleet

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSharedListener(t *testing.T) {
	f := start(t, Options{Nodes: 300, Seed: 2, SharedListener: true, InvalidAddress: 0.05, OldVersion: 0.3, GPU: 0.2})
	c := newClient(t)
	nodes := f.Nodes()
	entries, _ := registryNodes(t, f)
	if len(entries) != len(nodes) {
		t.Fatalf("%d registry entries", len(entries))
	}
	ports, hosts, hashes := map[string]bool{}, map[string]bool{}, map[string]bool{}
	var live []Node
	for _, n := range nodes {
		hashes[n.Hash] = true
		if n.Kind == KindInvalidAddress {
			continue
		}
		u, err := url.Parse(n.Address)
		if err != nil || !strings.HasPrefix(u.Hostname(), "127.20.") || strings.HasSuffix(u.Hostname(), ".0") ||
			strings.HasSuffix(u.Hostname(), ".255") || hosts[u.Hostname()] {
			t.Fatalf("node %d address %q", n.Index, n.Address)
		}
		hosts[u.Hostname()] = true
		ports[u.Port()] = true
		live = append(live, n)
	}
	if len(ports) != 1 || len(hashes) != len(nodes) {
		t.Fatalf("%d ports for the nodes, %d distinct hashes", len(ports), len(hashes))
	}

	var wg sync.WaitGroup
	work := make(chan Node)
	for range 16 {
		wg.Go(func() {
			for n := range work {
				resp, err := c.Get(base(n) + "/status/config")
				if err != nil {
					t.Errorf("node %d: %v", n.Index, err)
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || string(body) != string(f.nodes[n.Index].config) {
					t.Errorf("node %d answered %d %.80s, not its own config", n.Index, resp.StatusCode, body)
				}
			}
		})
	}
	for _, n := range live {
		work <- n
	}
	close(work)
	wg.Wait()
	for _, n := range live {
		if got := f.NodeConnections(n.Index); got != 1 {
			t.Errorf("node %d: %d connections", n.Index, got)
		}
	}
	if st := f.Stats(); st.NodeConnections != int64(len(live)) || st.NodeRequests != int64(len(live)) {
		t.Errorf("stats %+v for %d live nodes", st, len(live))
	}

	// A loopback address that is no node's is served, but knows no route.
	var p string
	for p = range ports {
	}
	if status, _, _ := get(t, c, "http://127.0.0.1:"+p+"/status/config"); status != http.StatusNotFound {
		t.Errorf("127.0.0.1 answered %d", status)
	}
}

func TestSharedListenerRefusesNonLoopback(t *testing.T) {
	ip := nonLoopbackIPv4(t)
	f := start(t, Options{Nodes: 2, Seed: 1, SharedListener: true})
	u, _ := url.Parse(f.Nodes()[0].Address)
	conn, err := net.Dial("tcp4", net.JoinHostPort(ip.String(), u.Port()))
	if err != nil {
		t.Skipf("cannot reach own address %s: %v", ip, err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	conn.Write([]byte("GET /status/config HTTP/1.1\r\nHost: x\r\n\r\n"))
	if n, err := conn.Read(make([]byte, 1)); n != 0 || (!errors.Is(err, io.EOF) && !isReset(err)) {
		t.Errorf("connection through %s was served: %d bytes, %v", ip, n, err)
	}
	if st := f.Stats(); st.NodeConnections != 0 || st.NodeRequests != 0 {
		t.Errorf("stats %+v", st)
	}
}

func nonLoopbackIPv4(t *testing.T) net.IP {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Skip(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
			return n.IP
		}
	}
	t.Skip("no non-loopback IPv4 address")
	return nil
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && strings.Contains(op.Err.Error(), "reset")
}

func TestSharedAddr(t *testing.T) {
	seen := map[string]bool{}
	for i := range 70000 {
		a, err := sharedAddr(i)
		if err != nil {
			t.Fatal(err)
		}
		b := a.As4()
		if b[0] != 127 || b[3] == 0 || b[3] == 255 || seen[a.String()] {
			t.Fatalf("node %d: %s", i, a)
		}
		seen[a.String()] = true
	}
}
