package notify

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"nodelist/internal/store"
)

// The delivery loop reads the outbox in order and POSTs each message to
// its URL. A URL that fails is left alone for a backoff (BackoffMin,
// doubling to BackoffMax) and its later messages wait behind the failed
// one, so a receiver gets its messages in order; each URL spends tokens
// of its own bucket (Burst, refilled at Rate a second), so that a change
// of the whole fleet reaches it as a trickle rather than a flood. A
// message older than RetryFor is given up (marked, logged, counted).
// Only the leader delivers: a replica that does not lead reads nothing.

// pageSize is how many messages one read of the outbox takes.
const pageSize = 100

// receiver is what the loop knows of one URL.
type receiver struct {
	fails  int
	next   time.Time // no attempt before
	tokens float64
	filled time.Time
}

// take spends a token of the bucket, refilled up to burst at rate a
// second; it says how long until one is there when none is.
func (r *receiver) take(now time.Time, rate float64, burst int) (bool, time.Duration) {
	if r.filled.IsZero() {
		r.tokens = float64(burst)
	} else {
		r.tokens = min(float64(burst), r.tokens+now.Sub(r.filled).Seconds()*rate)
	}
	r.filled = now
	if r.tokens >= 1 {
		r.tokens--
		return true, 0
	}
	return false, time.Duration((1 - r.tokens) / rate * float64(time.Second))
}

// deliverer is the delivery loop's state; its goroutine alone uses it.
type deliverer struct {
	n    *Notifier
	urls map[string]*receiver
	wake chan struct{}
	// configured are the subscriptions' URLs: a message written for a
	// URL since removed from the configuration is not sent.
	configured map[string]bool
}

func (d *deliverer) receiver(url string) *receiver {
	r := d.urls[url]
	if r == nil {
		r = &receiver{}
		d.urls[url] = r
	}
	return r
}

// run delivers until ctx ends: after each wake (a round wrote messages),
// and every Poll (a new leader takes up what the last one left).
func (d *deliverer) run(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.wake:
		case <-timer.C:
		}
		wait := d.pass(ctx)
		d.n.passes.Add(1)
		timer.Reset(wait)
	}
}

// pass goes once over the outbox and says when to come back.
func (d *deliverer) pass(ctx context.Context) time.Duration {
	o := &d.n.opts
	wait := o.Poll
	if !d.n.leading() {
		return wait
	}
	blocked := map[string]bool{}
	var after int64
	for ctx.Err() == nil {
		page, err := o.Store.Undelivered(ctx, after, pageSize)
		if err != nil {
			o.Logger.Warn("notifications: read the outbox", "err", err)
			return min(wait, o.BackoffMin)
		}
		for _, m := range page {
			after = m.Seq
			now := o.Now()
			if now.Sub(m.Created) > o.RetryFor {
				d.giveUp(ctx, m, now)
				continue
			}
			if blocked[m.URL] || !d.configured[m.URL] {
				continue // a URL no longer configured gets nothing; its messages expire
			}
			r := d.receiver(m.URL)
			if now.Before(r.next) {
				blocked[m.URL] = true
				wait = min(wait, r.next.Sub(now))
				continue
			}
			if ok, in := r.take(now, o.Rate, o.Burst); !ok {
				blocked[m.URL] = true
				wait = min(wait, in)
				continue
			}
			if !d.n.leading() {
				return o.Poll
			}
			if err := d.post(ctx, m); err != nil {
				r.fails++
				back := min(o.BackoffMax, o.BackoffMin<<min(r.fails-1, 30))
				r.next = o.Now().Add(back)
				blocked[m.URL] = true
				wait = min(wait, back)
				d.n.m.deliveries.WithLabelValues("error").Inc()
				o.Logger.Warn("notification not delivered; retrying", "url", redact(m.URL), "id", m.ID, "attempt", r.fails, "retry_in", back, "err", err)
				continue
			}
			r.fails = 0
			d.n.m.deliveries.WithLabelValues("ok").Inc()
			if err := o.Store.MarkDelivered(ctx, m.Seq, o.Now()); err != nil {
				// Sent but not marked: it will be sent again, with its id.
				o.Logger.Warn("notifications: mark delivered", "id", m.ID, "err", err)
				return min(wait, o.BackoffMin)
			}
		}
		if len(page) < pageSize {
			break
		}
	}
	return max(wait, time.Millisecond)
}

func (d *deliverer) giveUp(ctx context.Context, m store.Delivery, now time.Time) {
	o := &d.n.opts
	if err := o.Store.MarkDelivered(ctx, m.Seq, now); err != nil {
		o.Logger.Warn("notifications: mark given up", "id", m.ID, "err", err)
		return
	}
	d.n.m.deliveries.WithLabelValues("expired").Inc()
	o.Logger.Warn("notification given up after its retry window", "url", redact(m.URL), "id", m.ID,
		"created", m.Created, "retry_for", o.RetryFor)
}

// post sends one message; a status other than 2xx is an error.
func (d *deliverer) post(ctx context.Context, m store.Delivery) error {
	ctx, cancel := context.WithTimeout(ctx, d.n.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.URL, bytes.NewReader(m.Body))
	if err != nil {
		return fmt.Errorf("post: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", m.ID)
	resp, err := d.n.opts.Client.Do(req)
	if err != nil {
		return fmt.Errorf("post: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("post: HTTP %d", resp.StatusCode)
	}
	return nil
}
