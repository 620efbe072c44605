package listen

import (
	"container/list"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// ConnLimits bound the connections the server holds open. Each costs a
// descriptor and some 30 KB, idle or not.
type ConnLimits struct {
	// Max is the most connections open at once (1024). At the bound the
	// connection idle the longest is closed to make room; with none
	// idle, a new connection is closed as soon as it is accepted.
	Max int
	// PerClient is the most connections one client holds open, idle
	// ones included; 0: no such bound. At it, the client's own
	// connection idle the longest is closed to make room; with none
	// idle, its new connection is closed as soon as it is accepted. A
	// client is an IPv4 address or an IPv6 /64. Behind a reverse proxy
	// every client shares the proxy's address.
	PerClient int
	// PressureIdle is how long a connection may stay idle while more
	// than half of Max are open (5 s); otherwise the server's own idle
	// timeout applies.
	PressureIdle time.Duration
}

// ConnStats are a ConnLimiter's counts.
type ConnStats struct {
	Open             int    `json:"open"`
	Idle             int    `json:"idle"`
	Peak             int    `json:"peak"`
	Max              int    `json:"max"`
	Accepted         uint64 `json:"accepted"`
	Refused          uint64 `json:"refused"`            // at Max, none idle
	RefusedPerClient uint64 `json:"refused_per_client"` // at PerClient
	Reclaimed        uint64 `json:"reclaimed"`          // idle, closed to make room or under pressure
}

// ConnLimiter is a net.Listener that bounds open connections. Its
// ConnState method must be the http.Server's ConnState hook: it learns
// from it which connections are idle.
type ConnLimiter struct {
	net.Listener
	lim ConnLimits
	log *slog.Logger

	mu       sync.Mutex
	clients  map[netip.Addr]*client
	idle     list.List // of *limitedConn, idle the longest first
	timer    *time.Timer
	stats    ConnStats
	warnedAt time.Time
}

// LimitConns wraps ln.
func LimitConns(ln net.Listener, lim ConnLimits, log *slog.Logger) *ConnLimiter {
	if lim.Max <= 0 {
		lim.Max = 1024
	}
	if lim.PressureIdle <= 0 {
		lim.PressureIdle = 5 * time.Second
	}
	if log == nil {
		log = slog.Default()
	}
	l := &ConnLimiter{Listener: ln, lim: lim, log: log, clients: map[netip.Addr]*client{}}
	l.stats.Max = lim.Max
	l.timer = time.AfterFunc(time.Hour, l.sweep)
	l.timer.Stop()
	return l
}

// client is one address's connections; guarded by the limiter's mutex.
type client struct {
	open int
	idle list.List // of *limitedConn, idle the longest first
}

// limitedConn is a connection counted by its limiter. Its fields are
// guarded by the limiter's mutex.
type limitedConn struct {
	net.Conn
	l        *ConnLimiter
	addr     netip.Addr    // the client's, as ClientOf gives it
	client   *client       // nil when the address is unknown
	elem     *list.Element // in l.idle while idle
	celem    *list.Element // in client.idle while idle
	since    time.Time     // idle since
	released bool
}

// Close closes the connection and frees its place.
func (c *limitedConn) Close() error {
	c.l.mu.Lock()
	c.l.release(c)
	c.l.mu.Unlock()
	return c.Conn.Close()
}

// Accept returns the next connection within the bounds, closing those
// beyond them.
func (l *ConnLimiter) Accept() (net.Conn, error) {
	for {
		// Make room before accepting, so that the descriptors of the
		// connections handed out never outnumber the bound.
		l.mu.Lock()
		victims := l.makeRoom(time.Now())
		l.mu.Unlock()
		closeAll(victims)

		nc, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		c, victims := l.admit(nc, time.Now())
		closeAll(victims)
		if c != nil {
			return c, nil
		}
		_ = nc.Close()
	}
}

// admit counts nc in, or returns nil when it is beyond a bound.
func (l *ConnLimiter) admit(nc net.Conn, now time.Time) (*limitedConn, []*limitedConn) {
	addr := ClientOf(nc.RemoteAddr())
	l.mu.Lock()
	defer l.mu.Unlock()
	var cl *client
	if addr.IsValid() {
		if cl = l.clients[addr]; cl == nil {
			cl = &client{}
			l.clients[addr] = cl
		}
	}
	var victims []*limitedConn
	if l.lim.PerClient > 0 && cl != nil && cl.open >= l.lim.PerClient {
		e := cl.idle.Front()
		if e == nil {
			l.stats.RefusedPerClient++
			l.warn(now, "connection refused: per-client bound reached with none of its own idle", "client", addr)
			l.forget(addr, cl)
			return nil, nil
		}
		victims = append(victims, l.reclaim(e.Value.(*limitedConn)))
	}
	victims = append(victims, l.makeRoom(now)...)
	if l.stats.Open >= l.lim.Max {
		l.stats.Refused++
		l.warn(now, "connection refused: connection bound reached with none idle")
		l.forget(addr, cl)
		return nil, victims
	}
	c := &limitedConn{Conn: nc, l: l, addr: addr, client: cl}
	l.stats.Open++
	l.stats.Accepted++
	l.stats.Peak = max(l.stats.Peak, l.stats.Open)
	if cl != nil {
		cl.open++
	}
	l.setIdle(c, now) // idle until its first request arrives
	return c, victims
}

// makeRoom releases the idle connections that pressure expires and, at
// the bound, the one idle the longest. The caller holds l.mu and closes
// the victims after unlocking.
func (l *ConnLimiter) makeRoom(now time.Time) []*limitedConn {
	victims := l.expire(now)
	if l.stats.Open >= l.lim.Max {
		if e := l.idle.Front(); e != nil {
			victims = append(victims, l.reclaim(e.Value.(*limitedConn)))
		}
	}
	return victims
}

// reclaim releases an idle connection to make room; the caller closes
// it after unlocking.
func (l *ConnLimiter) reclaim(c *limitedConn) *limitedConn {
	l.release(c)
	l.stats.Reclaimed++
	return c
}

// pressure reports whether idle connections get the short timeout.
func (l *ConnLimiter) pressure() bool { return l.stats.Open > l.lim.Max/2 }

// expire releases, while under pressure, the connections idle for
// PressureIdle or more, and arms the timer for the next one.
func (l *ConnLimiter) expire(now time.Time) []*limitedConn {
	var victims []*limitedConn
	for e := l.idle.Front(); e != nil && l.pressure(); e = l.idle.Front() {
		c := e.Value.(*limitedConn)
		if now.Sub(c.since) < l.lim.PressureIdle {
			l.timer.Reset(c.since.Add(l.lim.PressureIdle).Sub(now))
			break
		}
		victims = append(victims, l.reclaim(c))
	}
	return victims
}

// sweep runs when the oldest idle connection expires under pressure.
func (l *ConnLimiter) sweep() {
	l.mu.Lock()
	victims := l.expire(time.Now())
	l.mu.Unlock()
	closeAll(victims)
}

func closeAll(cs []*limitedConn) {
	for _, c := range cs {
		_ = c.Conn.Close() // released already; the server sees the error and lets go
	}
}

// ConnState tracks which connections are idle; set it as the
// http.Server's ConnState.
func (l *ConnLimiter) ConnState(nc net.Conn, state http.ConnState) {
	c := limitedOf(nc)
	if c == nil {
		return
	}
	now := time.Now()
	l.mu.Lock()
	switch state {
	case http.StateIdle:
		if !c.released {
			l.setIdle(c, now)
		}
	case http.StateActive, http.StateHijacked:
		l.setBusy(c)
	case http.StateClosed:
		l.release(c)
	}
	victims := l.expire(now)
	l.mu.Unlock()
	closeAll(victims)
}

func (l *ConnLimiter) setIdle(c *limitedConn, now time.Time) {
	l.setBusy(c)
	c.since = now
	c.elem = l.idle.PushBack(c)
	if c.client != nil {
		c.celem = c.client.idle.PushBack(c)
	}
}

func (l *ConnLimiter) setBusy(c *limitedConn) {
	if c.elem != nil {
		l.idle.Remove(c.elem)
		c.elem = nil
	}
	if c.celem != nil {
		c.client.idle.Remove(c.celem)
		c.celem = nil
	}
}

// release frees c's place once; l.mu is held.
func (l *ConnLimiter) release(c *limitedConn) {
	if c.released {
		return
	}
	c.released = true
	l.setBusy(c)
	l.stats.Open--
	if c.client != nil {
		c.client.open--
		l.forget(c.addr, c.client)
	}
}

// forget drops a client's record once it holds no connection.
func (l *ConnLimiter) forget(addr netip.Addr, cl *client) {
	if cl != nil && cl.open <= 0 {
		delete(l.clients, addr)
	}
}

// warn logs a refusal at most once every 10 s, with the counts so far;
// l.mu is held.
func (l *ConnLimiter) warn(now time.Time, msg string, args ...any) {
	if now.Sub(l.warnedAt) < 10*time.Second {
		return
	}
	l.warnedAt = now
	s := l.stats
	l.log.Warn(msg, append(args, "open", s.Open, "max", s.Max, "refused", s.Refused,
		"refused_per_client", s.RefusedPerClient, "reclaimed", s.Reclaimed)...)
}

// Stats returns the counts so far.
func (l *ConnLimiter) Stats() ConnStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.stats
	s.Idle = l.idle.Len()
	return s
}

// Close stops accepting.
func (l *ConnLimiter) Close() error {
	l.timer.Stop()
	return l.Listener.Close()
}

// limitedOf finds the limitedConn under nc, which TLS may wrap.
func limitedOf(nc net.Conn) *limitedConn {
	for {
		switch v := nc.(type) {
		case *limitedConn:
			return v
		case interface{ NetConn() net.Conn }:
			nc = v.NetConn()
		default:
			return nil
		}
	}
}

// ClientOf is the address a per-client bound counts: the IPv4 address,
// or the IPv6 /64, since one host commonly holds a whole /64.
func ClientOf(a net.Addr) netip.Addr {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return netip.Addr{}
	}
	ip := tcp.AddrPort().Addr().Unmap().WithZone("")
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.Addr()
	}
	return ip
}
