package store

import (
	"context"
	"fmt"
	"time"
)

// Notifications (internal/notify) keep two things here: each node's
// notification state, as an opaque blob the notifier reads back, and an
// outbox of messages to deliver. A state change and the messages it
// causes are written in one step, fenced by the leader's term when
// replicas share the database, so that a leader lost between the change
// and the delivery leaves the messages for the next one, once.

// NotifyState is one node's notification state; Hash "" is refused.
type NotifyState struct {
	Hash  string
	State []byte // the notifier's, opaque to the store (at most 4 KiB)
}

// Delivery is one message of the outbox.
type Delivery struct {
	Seq     int64  // given by the store, growing: the order to deliver in
	ID      string // the event's id (at most 64 bytes), the same on every attempt
	URL     string // where to POST it
	Body    []byte // what to POST, JSON
	Created time.Time
}

// NotifyStep is what one round changed: the states to write (each
// replacing the node's) and the messages that follow from them.
type NotifyStep struct {
	States []NotifyState
	Outbox []Delivery // Seq is ignored
	// Fence, when set, is the leader's term: the step commits only while
	// it holds the lease (ErrFenced otherwise), as Round.Fence.
	Fence *Term
}

// Notifier is the storage of notifications, which every backend has.
type Notifier interface {
	// NotifyStates returns every node's state.
	NotifyStates(ctx context.Context) ([]NotifyState, error)
	// WriteNotify writes a step atomically.
	WriteNotify(ctx context.Context, s *NotifyStep) error
	// Undelivered returns at most limit messages not yet marked
	// delivered, with Seq above after, in Seq order.
	Undelivered(ctx context.Context, after int64, limit int) ([]Delivery, error)
	// MarkDelivered marks a message delivered (or given up) at the time
	// given; it is never returned again. Delivered messages are pruned
	// a day later. It is not fenced: a message that was sent stays sent
	// whoever leads now.
	MarkDelivered(ctx context.Context, seq int64, at time.Time) error
}

// NotifyKeep is how long a delivered message stays in the outbox.
const NotifyKeep = 24 * time.Hour

// CheckNotifyStep refuses a step no backend could store.
func CheckNotifyStep(s *NotifyStep) error {
	for _, st := range s.States {
		if st.Hash == "" || len(st.Hash) > 191 || len(st.State) > 4<<10 {
			return fmt.Errorf("write notifications: state of %q: want a hash of 1 to 191 bytes and a state of at most 4 KiB", st.Hash)
		}
	}
	for _, m := range s.Outbox {
		if m.ID == "" || len(m.ID) > 64 || m.URL == "" {
			return fmt.Errorf("write notifications: message %q: want an id of 1 to 64 bytes and a URL", m.ID)
		}
	}
	return nil
}
