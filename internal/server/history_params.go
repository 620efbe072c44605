package server

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// History times lie in the years 1970 to 9999 (UTC): the store counts
// seconds from the Unix epoch, and RFC 3339 writes four-digit years.
var (
	minHistoryTime = time.Unix(0, 0).UTC()
	maxHistoryTime = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) // excluded
)

// maxStep is the widest bucket: the whole of the longest range.
const maxStep = maxRange

// historyQuery is a checked /crns/{hash}/history request: from before
// to, both whole seconds within the years 1970 to 9999, at most
// maxRange apart, cut in at most maxPoints buckets of step (whole
// seconds, 1m to maxStep), the first starting at from.
type historyQuery struct {
	from, to time.Time
	step     time.Duration
}

// parseHistoryQuery reads from=, to= and step= as of now; an error says
// which parameter is wrong and what it wants.
func parseHistoryQuery(q url.Values, now time.Time) (historyQuery, error) {
	var h historyQuery
	var err error
	if h.to, err = historyTime("to", q.Get("to"), now.UTC()); err != nil {
		return h, err
	}
	// The default range is the day before to, cut at the epoch.
	def := h.to.Add(-defaultRange)
	if def.Before(minHistoryTime) {
		def = minHistoryTime
	}
	if h.from, err = historyTime("from", q.Get("from"), def); err != nil {
		return h, err
	}
	if !h.from.Before(h.to) {
		return h, errors.New("from must be before to")
	}
	// Both lie within 1970–9999, so the difference cannot overflow
	// unnoticed: past 292 years it saturates, far above maxRange.
	span := h.to.Sub(h.from)
	if span > maxRange {
		return h, errors.New("the range may not exceed 400 days")
	}
	h.step = defaultStep(span)
	if v := q.Get("step"); v != "" {
		h.step, err = time.ParseDuration(v)
		if err != nil || h.step < time.Minute || h.step > maxStep || h.step%time.Second != 0 {
			return h, errors.New("step: want whole seconds from 1m to " + maxStep.String() + ", such as 5m or 1h")
		}
	}
	if span/h.step > maxPoints {
		return h, errors.New("step too small for the range: at most " + strconv.Itoa(maxPoints) + " points")
	}
	return h, nil
}

// historyTime reads one RFC 3339 time, in UTC and to the second (the
// store's resolution); "" is def.
func historyTime(name, v string, def time.Time) (time.Time, error) {
	if v == "" {
		return def.Truncate(time.Second), nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		msg := name + ": want an RFC 3339 time, such as 2026-11-22T14:00:00Z"
		if strings.Contains(v, " ") {
			// A query string reads + as a space.
			msg += " (write the + of an offset as %2B)"
		}
		return time.Time{}, errors.New(msg)
	}
	t = t.UTC()
	if t.Before(minHistoryTime) || !t.Before(maxHistoryTime) {
		return time.Time{}, errors.New(name + ": want a time from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z")
	}
	return t.Truncate(time.Second), nil
}
