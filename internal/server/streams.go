package server

import (
	"container/list"
	"net"
	"net/netip"
	"sync"

	"nodelist/internal/server/listen"
)

// subscribers bounds the change stream's subscribers, counted per stream
// (an HTTP/2 connection carries many): at most max at once, and at most
// perClient from one client (an IPv4 address or an IPv6 /64; 0: no such
// bound). A client at its own bound is refused. At the total bound, the
// subscriber that joined the longest ago is rotated out to make room: its
// stream ends, and it resumes with Last-Event-ID after the stream's retry
// delay, missing nothing the ring still holds. So no one, however many
// addresses it holds, keeps every slot for long, and a new client always
// gets a stream.
type subscribers struct {
	max, perClient int

	mu       sync.Mutex
	order    list.List // of *subscriber, joined the longest ago first
	clients  map[netip.Addr]int
	rotated  uint64 // subscribers closed to make room
	refusedC uint64 // subscribers refused at their client's bound
}

// subscriber is one stream. kicked is closed when it is rotated out.
type subscriber struct {
	client netip.Addr
	elem   *list.Element // nil once it left or was rotated out
	kicked chan struct{}
}

func newSubscribers(total, perClient int) *subscribers {
	return &subscribers{max: total, perClient: perClient, clients: map[netip.Addr]int{}}
}

// join adds a subscriber of client, rotating out the oldest one at the
// total bound; it returns nil when the client is at its own bound.
func (s *subscribers) join(client netip.Addr) *subscriber {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.perClient > 0 && client.IsValid() && s.clients[client] >= s.perClient {
		s.refusedC++
		return nil
	}
	for s.order.Len() >= s.max {
		old := s.order.Front().Value.(*subscriber)
		s.remove(old)
		close(old.kicked)
		s.rotated++
	}
	sub := &subscriber{client: client, kicked: make(chan struct{})}
	sub.elem = s.order.PushBack(sub)
	if client.IsValid() {
		s.clients[client]++
	}
	return sub
}

// leave removes sub, unless it was rotated out already.
func (s *subscribers) leave(sub *subscriber) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remove(sub)
}

func (s *subscribers) remove(sub *subscriber) {
	if sub.elem == nil {
		return
	}
	s.order.Remove(sub.elem)
	sub.elem = nil
	if !sub.client.IsValid() {
		return
	}
	if s.clients[sub.client]--; s.clients[sub.client] <= 0 {
		delete(s.clients, sub.client)
	}
}

// count returns the subscribers following the stream.
func (s *subscribers) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.order.Len()
}

// streamStats are the change stream's counts, shown on /healthz.
type streamStats struct {
	Subscribers      int    `json:"subscribers"`
	Max              int    `json:"max"`
	MaxPerClient     int    `json:"max_per_client"` // 0: no per-client bound
	Rotated          uint64 `json:"rotated"`
	RefusedPerClient uint64 `json:"refused_per_client"`
}

func (s *subscribers) stats() streamStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return streamStats{Subscribers: s.order.Len(), Max: s.max, MaxPerClient: s.perClient,
		Rotated: s.rotated, RefusedPerClient: s.refusedC}
}

// remoteClient is the client a request counts against: its IPv4 address
// or IPv6 /64, as for the connection bounds; invalid when RemoteAddr is
// not an address (a test recorder's, say).
func remoteClient(r string) netip.Addr {
	ap, err := netip.ParseAddrPort(r)
	if err != nil {
		return netip.Addr{}
	}
	return listen.ClientOf(net.TCPAddrFromAddrPort(ap))
}
