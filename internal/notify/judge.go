package notify

import (
	"strconv"
	"time"

	"nodelist/internal/aleph"
)

// Kind is what happened.
type Kind string

// The events: per node, then of the service itself.
const (
	Down          Kind = "down"
	Recovered     Kind = "recovered"
	Behind        Kind = "behind"
	Inactive      Kind = "inactive"
	Active        Kind = "active"
	ProbeOutage   Kind = "probe_outage"
	ProbeRestored Kind = "probe_restored"
)

// Kinds are every event, in the order the README lists them.
var Kinds = []Kind{Down, Recovered, Behind, Inactive, Active, ProbeOutage, ProbeRestored}

// Node is what one round says of one node.
type Node struct {
	Hash, Name, Owner, Address string
	// Probed: the config probe was asked this round. A node not asked
	// (its address invalid or refused, deferred to a later round) keeps
	// its state.
	Probed  bool
	OK      bool
	Err     string // "class: reason" when the probe failed
	Latency time.Duration
	Version string // from the node's last good config, "" when unknown
	// Inactive: the registry's inactive_since is set.
	Inactive bool
}

// State is one node's notification state, kept in the store between
// rounds.
type State struct {
	WasUp     bool      `json:"was_up,omitempty"` // seen up once: only such a node can go down
	Down      bool      `json:"down,omitempty"`
	Fails     int       `json:"fails,omitempty"` // consecutive failed rounds
	FailSince time.Time `json:"fail_since,omitzero"`
	UpSince   time.Time `json:"up_since,omitzero"`
	Behind    bool      `json:"behind,omitempty"`
	Inactive  bool      `json:"inactive,omitempty"`
	Changed   time.Time `json:"changed,omitzero"` // of Behind or Inactive
}

// Event is one change to tell.
type Event struct {
	Kind                       Kind
	Hash, Name, Owner, Address string // empty for the service's events
	At                         time.Time
	Since                      time.Time // when the node entered the state the event names
	Error                      string    // why, for down and probe_outage
	ID                         string    // given when the event is written
}

// Rules are what a round is judged by.
type Rules struct {
	After       int    // failed rounds before down (at least 1)
	LastVersion string // the settings' last_crn_version, "" when unknown
	// Outage: the prober is cut off this round; downs are held back.
	Outage bool
}

// Judge returns a node's next state and the events of the change, given
// its previous state (nil: first seen, which tells nothing: a service
// starting on a fresh store must not report the whole fleet).
func Judge(prev *State, n Node, at time.Time, r Rules) (State, []Event) {
	behind, known := isBehind(n.Version, r.LastVersion)
	if prev == nil {
		s := State{Inactive: n.Inactive, Behind: known && behind, Changed: at}
		if n.Probed {
			if n.OK {
				s.WasUp, s.UpSince = true, at
			} else {
				s.Fails, s.FailSince = 1, at
			}
		}
		return s, nil
	}
	s := *prev
	var out []Event
	ev := func(k Kind, since time.Time, err string) {
		out = append(out, Event{Kind: k, Hash: n.Hash, Name: n.Name, Owner: n.Owner, Address: n.Address,
			At: at, Since: since, Error: err})
	}
	if n.Probed {
		switch {
		case n.OK:
			if s.Down {
				ev(Recovered, at, "")
			}
			if s.Down || !s.WasUp || s.Fails > 0 {
				s.UpSince = at
			}
			s.WasUp, s.Down, s.Fails, s.FailSince = true, false, 0, time.Time{}
		default:
			if s.Fails == 0 {
				s.FailSince = at
			}
			s.Fails++
			if s.WasUp && !s.Down && s.Fails >= max(r.After, 1) && !r.Outage {
				s.Down = true
				ev(Down, s.FailSince, n.Err)
			}
		}
	}
	if known && behind != s.Behind {
		s.Behind, s.Changed = behind, at
		if behind {
			ev(Behind, at, "")
		}
	}
	if n.Inactive != s.Inactive {
		s.Inactive, s.Changed = n.Inactive, at
		if n.Inactive {
			ev(Inactive, at, "")
		} else {
			ev(Active, at, "")
		}
	}
	return s, out
}

// isBehind compares a node's version with last_crn_version by the
// version rule of aleph.Version; known is false when either is not a
// version.
func isBehind(version, last string) (behind, known bool) {
	want, ok := aleph.ParseVersion(last)
	if !ok {
		return false, false
	}
	v, ok := aleph.ParseVersion(version)
	if !ok {
		return false, false
	}
	return v.Compare(want) < 0, true
}

// Outage thresholds: the prober is taken as cut off when more than half
// of the nodes probed in a round failed, once at least MinProbed were.
const MinProbed = 5

// Round is a round as the service-level judgement reads it.
type Round struct {
	Probed, Failed int
	RegistryErr    string // "" when the registry was read
}

// IsOutage says whether the prober was cut off in r, and why.
func IsOutage(r Round) (bool, string) {
	if r.RegistryErr != "" {
		return true, "registry: " + r.RegistryErr
	}
	if r.Probed >= MinProbed && 2*r.Failed > r.Probed {
		return true, "probe: " + strconv.Itoa(r.Failed) + " of " + strconv.Itoa(r.Probed) + " nodes failed"
	}
	return false, ""
}

// ServiceState is the prober's own state.
type ServiceState struct {
	Outage bool      `json:"outage,omitempty"`
	Since  time.Time `json:"since,omitzero"`
}

// JudgeService returns the service's next state and its event, if any.
func JudgeService(prev ServiceState, r Round, at time.Time) (ServiceState, *Event) {
	outage, why := IsOutage(r)
	if outage == prev.Outage {
		return prev, nil
	}
	next := ServiceState{Outage: outage, Since: at}
	if outage {
		return next, &Event{Kind: ProbeOutage, At: at, Since: at, Error: why}
	}
	return next, &Event{Kind: ProbeRestored, At: at, Since: at}
}
