package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"nodelist/internal/refresh"
	"nodelist/internal/store"
)

// Options configure a Notifier. Zero values take the defaults noted.
type Options struct {
	Store         store.Notifier
	Subscriptions []Subscription
	After         int           // failed rounds before down (2)
	RetryFor      time.Duration // a message is retried this long (1 h)
	BackoffMin    time.Duration // first wait after a failed POST (1 s)
	BackoffMax    time.Duration // longest wait between attempts (5 min)
	Rate          float64       // messages a second to one URL, past Burst (1)
	Burst         int           // messages to one URL at once (20)
	Poll          time.Duration // the outbox is read at least this often (5 s)
	Timeout       time.Duration // one POST (10 s)
	Queue         int           // rounds waiting to be judged; past it a round is dropped (8)
	// LastVersion returns the settings' last_crn_version ("" when none).
	LastVersion func() string
	// Term returns the leader's term with replicas, and false when this
	// replica does not lead; nil for a single instance (no fence).
	Term func() (store.Term, bool)
	// NodeMetrics adds per-node series to Registerer (see metrics.go).
	NodeMetrics bool
	Client      *http.Client
	Logger      *slog.Logger
	Registerer  prometheus.Registerer
	Now         func() time.Time
}

func (o *Options) setDefaults() {
	orDefault(&o.After, 2)
	orDefault(&o.RetryFor, time.Hour)
	orDefault(&o.BackoffMin, time.Second)
	orDefault(&o.BackoffMax, 5*time.Minute)
	orDefault(&o.Poll, 5*time.Second)
	orDefault(&o.Timeout, 10*time.Second)
	orDefault(&o.Rate, 1)
	orDefault(&o.Burst, 20)
	orDefault(&o.Queue, 8)
	if o.LastVersion == nil {
		o.LastVersion = func() string { return "" }
	}
	if o.Client == nil {
		// Receivers are the operator's own: no redirect is followed, so a
		// message goes where it was configured to or fails.
		o.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Notifier is the refresh.Sink that turns rounds into notifications.
type Notifier struct {
	opts    Options
	rounds  chan job
	wake    chan struct{}
	m       *metrics
	nodesMu sync.Mutex
	nodes   map[string]Node // the last round's, for the per-node series
	// queued counts the rounds taken and not yet judged; passes the
	// delivery loop's passes over the outbox (tests wait on both).
	queued, passes atomic.Int64
}

func (n *Notifier) idle() bool { return n.queued.Load() == 0 }

// job is a round to judge, with what held when it finished.
type job struct {
	round *refresh.Round
	fence *store.Term
	last  string
}

// New returns a Notifier; Run runs it.
func New(o Options) *Notifier {
	o.setDefaults()
	n := &Notifier{opts: o, rounds: make(chan job, o.Queue), wake: make(chan struct{}, 1)}
	n.m = newMetrics(n, o.Registerer, o.NodeMetrics)
	return n
}

// Record takes a finished round, without blocking: a round that finds
// the queue full is dropped (and counted), the next one judges anew.
func (n *Notifier) Record(r *refresh.Round) {
	j := job{round: r, last: n.opts.LastVersion()}
	if n.opts.Term != nil {
		t, ok := n.opts.Term()
		if !ok {
			n.keepNodes(nil) // the leader serves the per-node series now
			return           // and judges the rounds
		}
		j.fence = &t
	}
	n.queued.Add(1)
	select {
	case n.rounds <- j:
	default:
		n.queued.Add(-1)
		n.m.dropped.Inc()
		n.opts.Logger.Warn("notifications: a round was dropped, the previous ones are not judged yet", "round", r.N)
	}
}

// leading reports whether this replica delivers.
func (n *Notifier) leading() bool {
	if n.opts.Term == nil {
		return true
	}
	_, ok := n.opts.Term()
	return ok
}

// Run judges rounds and delivers messages until ctx ends, and returns
// once both have stopped.
func (n *Notifier) Run(ctx context.Context) {
	var wg sync.WaitGroup
	if len(n.opts.Subscriptions) > 0 {
		d := &deliverer{n: n, urls: map[string]*receiver{}, wake: n.wake, configured: map[string]bool{}}
		for _, s := range n.opts.Subscriptions {
			d.configured[s.URL] = true
		}
		wg.Go(func() { d.run(ctx) })
	}
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case j := <-n.rounds:
				n.judge(ctx, j)
				n.queued.Add(-1)
			}
		}
	})
	wg.Wait()
}

// serviceKey is where the service's own state is kept among the nodes'.
const serviceKey = "*service"

// judge judges one round against the stored states and writes the
// changes and their messages in one step.
func (n *Notifier) judge(ctx context.Context, j job) {
	nodes, summary := observe(j.round)
	n.keepNodes(nodes)
	if len(n.opts.Subscriptions) == 0 {
		return // per-node metrics only
	}
	o := &n.opts
	stored, err := o.Store.NotifyStates(ctx)
	if err != nil {
		n.m.writeFailures.Inc()
		o.Logger.Warn("notifications: read states; the round is not judged", "round", j.round.N, "err", err)
		return
	}
	blobs := make(map[string][]byte, len(stored))
	for _, s := range stored {
		blobs[s.Hash] = s.State
	}
	at := j.round.Finished
	step := &store.NotifyStep{Fence: j.fence}
	var events []Event
	var svc ServiceState
	_ = json.Unmarshal(blobs[serviceKey], &svc) // absent or unreadable: no outage
	nextSvc, e := JudgeService(svc, summary, at)
	if e != nil {
		events = append(events, *e)
		step.States = append(step.States, store.NotifyState{Hash: serviceKey, State: mustJSON(nextSvc)})
	}
	rules := Rules{After: o.After, LastVersion: j.last, Outage: nextSvc.Outage}
	for _, nd := range nodes {
		var prev *State
		if b, ok := blobs[nd.Hash]; ok {
			var s State
			if json.Unmarshal(b, &s) == nil {
				prev = &s
			}
		}
		next, evs := Judge(prev, nd, at, rules)
		events = append(events, evs...)
		if b := mustJSON(next); string(b) != string(blobs[nd.Hash]) {
			step.States = append(step.States, store.NotifyState{Hash: nd.Hash, State: b})
		}
	}
	for i := range events {
		events[i].ID = newID()
	}
	created := o.Now() // the retry window is the delivery's clock, not the round's
	for _, s := range o.Subscriptions {
		for _, m := range s.Messages(events, newID) {
			step.Outbox = append(step.Outbox, store.Delivery{ID: m.ID, URL: s.URL, Body: m.Body, Created: created})
		}
	}
	if len(step.States) == 0 && len(step.Outbox) == 0 {
		return
	}
	if err := o.Store.WriteNotify(ctx, step); err != nil {
		if errors.Is(err, store.ErrFenced) {
			o.Logger.Info("notifications: this replica no longer leads; the round's changes are the next leader's", "round", j.round.N)
			return
		}
		n.m.writeFailures.Inc()
		o.Logger.Warn("notifications: write the round's changes; the next round judges again", "round", j.round.N, "err", err)
		return
	}
	for _, e := range events {
		n.m.events.WithLabelValues(string(e.Kind)).Inc()
	}
	if len(events) > 0 {
		o.Logger.Info("notifications: node changes", "round", j.round.N, "events", len(events), "messages", len(step.Outbox))
	}
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("notify: marshal state: %v", err)) // plain fields: cannot fail
	}
	return b
}

// newID is an event's or a message's id: 128 random bits in hex.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// redact is a URL as logs show it: a webhook's path holds its secret.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Scheme + "://" + u.Host + "/…"
}

// orDefault sets *p to v when it is zero or less: an option left unset.
func orDefault[T int | float64 | time.Duration](p *T, v T) {
	if *p <= 0 {
		*p = v
	}
}
