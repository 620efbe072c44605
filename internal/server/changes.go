package server

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"nodelist/internal/snapshot"
)

// The change stream keeps the events of the last ringEvents publications,
// and at most ringBytes of them (a publication that changes a large
// fleet's every CRN is a few hundred kilobytes); a client that resumes
// from an older one is told to reload.
const (
	ringEvents = 256
	ringBytes  = 8 << 20
	// streamWriteWait is how long one write to a subscriber may take; a
	// client that stops reading is dropped after it.
	streamWriteWait = 30 * time.Second
)

// feed turns publications into server-sent events. One goroutine watches
// the holder and builds each publication's event bytes once; subscribers
// only write bytes from the ring. It starts with the first subscriber and
// stops at close.
type feed struct {
	holder    *snapshot.Holder
	heartbeat time.Duration
	writeWait time.Duration // streamWriteWait; shorter in tests
	subs      *subscribers
	built     atomic.Int64 // publications turned into events, for tests

	start sync.Once
	stop  sync.Once
	done  chan struct{} // closed by close: every stream ends
	wg    sync.WaitGroup

	mu      sync.RWMutex
	seq     uint64        // the latest publication's id
	ring    []ringEvent   // consecutive ids, oldest first
	size    int           // bytes in ring
	current []byte        // "current" event of seq, for new subscribers
	reset   []byte        // "reset" event of seq, for those who resume too late
	wake    chan struct{} // closed when seq moves on
}

type ringEvent struct {
	id    uint64
	bytes []byte
}

func newFeed(holder *snapshot.Holder, heartbeat time.Duration, subs *subscribers) *feed {
	// Ids start at the start time in Unix milliseconds, so they keep
	// growing across restarts and a client's id from an earlier process
	// is never taken for one of this process.
	return &feed{holder: holder, heartbeat: heartbeat, writeWait: streamWriteWait, subs: subs, done: make(chan struct{}),
		seq: uint64(time.Now().UnixMilli()), wake: make(chan struct{})}
}

func (f *feed) ensureStarted() {
	f.start.Do(func() {
		snap, ch := f.holder.Watch()
		f.mu.Lock()
		f.current, f.reset = stateEvents(f.seq, snap)
		f.mu.Unlock()
		f.wg.Add(1)
		go f.run(snap, ch)
	})
}

// close ends the watcher and every stream, and waits for the watcher.
func (f *feed) close() {
	f.stop.Do(func() { close(f.done) })
	f.wg.Wait()
}

func (f *feed) run(prev *snapshot.Snapshot, ch <-chan struct{}) {
	defer f.wg.Done()
	for {
		select {
		case <-f.done:
			return
		case <-ch:
		}
		var next *snapshot.Snapshot
		next, ch = f.holder.Watch()
		if next == prev || next == nil {
			continue
		}
		f.publish(prev, next)
		prev = next
	}
}

// publish builds the event of one publication, appends it to the ring and
// wakes the subscribers.
func (f *feed) publish(prev, next *snapshot.Snapshot) {
	f.mu.RLock()
	id := f.seq + 1
	f.mu.RUnlock()
	ev := publicationEvent(id, prev, next)
	current, reset := stateEvents(id, next)
	f.built.Add(1)

	f.mu.Lock()
	f.seq, f.current, f.reset = id, current, reset
	f.ring = append(f.ring, ringEvent{id, ev})
	f.size += len(ev)
	drop := 0
	for len(f.ring)-drop > 1 && (len(f.ring)-drop > ringEvents || f.size > ringBytes) {
		f.size -= len(f.ring[drop].bytes)
		drop++
	}
	f.ring = slices.Delete(f.ring, 0, drop)
	wake := f.wake
	f.wake = make(chan struct{})
	f.mu.Unlock()
	close(wake)
}

// after returns the events a subscriber that has seen id must be sent,
// the id it has then seen, and the channel closed by the next event.
// Without an id it is sent the current state; with one the ring no
// longer holds (or a future one), a reset.
func (f *feed) after(id uint64, resume bool) ([][]byte, uint64, <-chan struct{}) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	switch {
	case !resume:
		return [][]byte{f.current}, f.seq, f.wake
	case id == f.seq:
		return nil, id, f.wake
	case id > f.seq || len(f.ring) == 0 || id+1 < f.ring[0].id:
		return [][]byte{f.reset}, f.seq, f.wake
	}
	first := int(id + 1 - f.ring[0].id)
	out := make([][]byte, 0, len(f.ring)-first)
	for _, e := range f.ring[first:] {
		out = append(out, e.bytes)
	}
	return out, f.seq, f.wake
}

type changeJSON struct {
	Hash   string              `json:"hash"`
	Change snapshot.ChangeKind `json:"change"`
}

func publicationEvent(id uint64, prev, next *snapshot.Snapshot) []byte {
	diff := snapshot.Diff(prev, next)
	changes := make([]changeJSON, len(diff))
	for i, c := range diff {
		changes[i] = changeJSON{c.Hash, c.Kind}
	}
	data, _ := json.Marshal(struct {
		ETag        string       `json:"etag"`
		LastRefresh *string      `json:"last_refresh"`
		Changes     []changeJSON `json:"changes"`
	}{next.All.ETag, timePtr(next.LastRefresh), changes})
	return sseEvent(id, "publication", data)
}

// stateEvents are the "current" and "reset" events of a snapshot: the
// same state, told to a new subscriber and to one that missed events.
func stateEvents(id uint64, s *snapshot.Snapshot) (current, reset []byte) {
	var etag string
	var last *string
	if s != nil {
		etag, last = s.All.ETag, timePtr(s.LastRefresh)
	}
	data, _ := json.Marshal(struct {
		ETag        string  `json:"etag"`
		LastRefresh *string `json:"last_refresh"`
	}{etag, last})
	return sseEvent(id, "current", data), sseEvent(id, "reset", data)
}

// sseEvent frames one event; data is JSON, so it holds no newline.
func sseEvent(id uint64, name string, data []byte) []byte {
	b := make([]byte, 0, len(data)+64)
	b = append(b, "id: "...)
	b = strconv.AppendUint(b, id, 10)
	b = append(b, "\nevent: "...)
	b = append(b, name...)
	b = append(b, "\ndata: "...)
	b = append(b, data...)
	return append(b, "\n\n"...)
}

var (
	streamHello = []byte("retry: 3000\n\n")
	heartbeat   = []byte(": heartbeat\n\n")
)

// changes serves GET /crns/changes, the stream of publications. A client
// at its own bound of streams is answered 429; at the total bound, the
// oldest subscriber's stream ends to make room (see subscribers).
func (s *Server) changes(w http.ResponseWriter, r *http.Request) {
	f := s.feed
	h := w.Header()
	setStreamHeaders := func() {
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Accel-Buffering", "no") // nginx: pass events through at once
	}
	if r.Method == http.MethodHead {
		// No stream follows: it takes no slot, and rotates no one out.
		setStreamHeaders()
		w.WriteHeader(http.StatusOK)
		return
	}
	sub := f.subs.join(remoteClient(r.RemoteAddr))
	if sub == nil {
		h.Set("Retry-After", "30")
		writeError(w, http.StatusTooManyRequests, "too many change streams from this address (at most "+
			strconv.Itoa(f.subs.perClient)+"); retry later, or poll crns.json with If-None-Match")
		return
	}
	defer f.subs.leave(sub)
	f.ensureStarted()
	setStreamHeaders()
	id, err := strconv.ParseUint(strings.TrimSpace(r.Header.Get("Last-Event-ID")), 10, 64)
	pending, seen, wake := f.after(id, err == nil)
	rc := http.NewResponseController(w)
	w.WriteHeader(http.StatusOK)
	if !writeAll(rc, w, f.writeWait, append([][]byte{streamHello}, pending...)) {
		return
	}
	tick := time.NewTicker(f.heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-f.done:
			return
		case <-sub.kicked:
			return // rotated out: the client resumes with Last-Event-ID
		case <-tick.C:
			if !writeAll(rc, w, f.writeWait, [][]byte{heartbeat}) {
				return
			}
		case <-wake:
			pending, seen, wake = f.after(seen, true)
			if !writeAll(rc, w, f.writeWait, pending) {
				return
			}
		}
	}
}

// writeAll writes prebuilt events and flushes them. The server's write
// timeout would cut a stream that lives longer; each write instead gets
// its own deadline.
func writeAll(rc *http.ResponseController, w http.ResponseWriter, wait time.Duration, events [][]byte) bool {
	_ = rc.SetWriteDeadline(time.Now().Add(wait))
	for _, b := range events {
		if _, err := w.Write(b); err != nil {
			return false
		}
	}
	return rc.Flush() == nil
}
