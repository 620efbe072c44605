// Package notify tells node operators when their nodes change: down
// after a few failed rounds, recovered, behind the settings'
// last_crn_version, made inactive or active again by the registry; and
// says once, rather than per node, when the prober itself is cut off.
//
// It is a refresh.Sink: each finished round is judged (judge.go, a pure
// state machine per node) against the states kept in the store, and the
// changes and the messages they cause (format.go: JSON, or one chat
// message a round) are written to the store's outbox in one step, fenced
// by the leader's term when replicas share the database. A delivery loop
// (deliver.go) posts the outbox, retrying with backoff, rate-limited per
// URL, and marks each message delivered after a 2xx; a new leader takes
// up what its predecessor left. A message is delivered at least once,
// with the same id on every attempt, so receivers can drop repeats.
//
// It must not probe, serve HTTP, or speak SQL: it reads rounds and keeps
// its state through store.Notifier.
package notify
