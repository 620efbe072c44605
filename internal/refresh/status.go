package refresh

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"nodelist/internal/snapshot"
)

// Status is the state of the rounds, for /debug/task and /healthz, and
// what followers show of the leader's rounds.
//
// Its JSON form is the one /debug/task answers, and the one a leader's
// publication carries to the followers: times as crns.json writes them
// (null before the first round), the last duration in seconds, null for
// no error. A form written by older releases (last_duration_us,
// identity_mismatches, identity_mismatch_hashes, times in RFC 3339 with
// nanoseconds) is read too: a follower reads what an older leader
// published.
type Status struct {
	Mode         string        `json:"mode"`
	Running      bool          `json:"running"`
	Round        uint64        `json:"round"`
	Started      time.Time     `json:"-"`
	Finished     time.Time     `json:"-"`
	LastDuration time.Duration `json:"-"`
	LastError    string        `json:"-"`
	// SettingsError is why the last settings fetch failed; "" when it
	// went well. The last good GPU list stays in use meanwhile.
	SettingsError string `json:"-"`
	Nodes         int    `json:"nodes"`
	Responsive    int    `json:"responsive"` // nodes whose config probe succeeded last round
	Probed        int    `json:"probed"`     // nodes done in the current or last round
	// Targets are the nodes the current or last round set out to probe:
	// not the addresses of a shared origin left for later rounds (see
	// origin.go).
	Targets int `json:"targets"`

	// LastCRNVersion is the settings aggregate's last_crn_version, the
	// release the network expects nodes to run; "" until settings name
	// one. nodelist_nodes_behind_last_crn_version compares each node's
	// version with it.
	LastCRNVersion string `json:"-"`

	// IdentityMismatches counts the listed nodes whose config names a
	// node_hash other than their registry hash; IdentityMismatchHashes
	// lists the first MaxIdentityMismatchesListed of them, sorted.
	IdentityMismatches     int      `json:"identity_mismatch"`
	IdentityMismatchHashes []string `json:"-"`

	// MaxAge is how old the published data may grow before it is stale,
	// for readiness: three intervals and a round's timeout in background
	// mode (two rounds may fail before it matters); 0 in on-demand mode,
	// where data ages between requests by design. Each replica has its
	// own: it is not part of the JSON form.
	MaxAge time.Duration `json:"-"`
}

// plainStatus is Status without its JSON methods: the fields written as
// they are.
type plainStatus Status

// statusJSON is Status's JSON form: the fields written as they are, and
// those converted.
type statusJSON struct {
	plainStatus
	Started               *string  `json:"started"`
	Finished              *string  `json:"finished"`
	LastDuration          *float64 `json:"last_duration_seconds"`
	LastError             *string  `json:"last_error"`
	SettingsError         *string  `json:"settings_error"`
	LastCRNVersion        *string  `json:"last_crn_version"`
	IdentityMismatchNodes []string `json:"identity_mismatch_nodes"`
}

// MarshalJSON writes the status in its JSON form.
func (s Status) MarshalJSON() ([]byte, error) {
	out := statusJSON{plainStatus: plainStatus(s), Started: timeOrNull(s.Started), Finished: timeOrNull(s.Finished),
		LastError: textOrNull(s.LastError), SettingsError: textOrNull(s.SettingsError),
		LastCRNVersion: textOrNull(s.LastCRNVersion), IdentityMismatchNodes: s.IdentityMismatchHashes}
	if !s.Finished.IsZero() {
		d := s.LastDuration.Seconds()
		out.LastDuration = &d
	}
	if out.IdentityMismatchNodes == nil {
		out.IdentityMismatchNodes = []string{}
	}
	return json.Marshal(out)
}

// statusIn is what UnmarshalJSON reads: the JSON form, and the keys of
// the form older releases published.
type statusIn struct {
	statusJSON
	LastDurationUS         *int64   `json:"last_duration_us"`
	IdentityMismatchesOld  *int     `json:"identity_mismatches"`
	IdentityMismatchHashes []string `json:"identity_mismatch_hashes"`
}

// UnmarshalJSON reads the status's JSON form, or the one older releases
// published.
func (s *Status) UnmarshalJSON(b []byte) error {
	var in statusIn
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	out := Status(in.plainStatus)
	var err error
	if out.Started, err = parseTime("started", in.Started); err != nil {
		return err
	}
	if out.Finished, err = parseTime("finished", in.Finished); err != nil {
		return err
	}
	switch {
	case in.LastDuration != nil:
		d := *in.LastDuration
		if math.IsNaN(d) || d < 0 || d > math.MaxInt64/1e9 {
			return fmt.Errorf("status: last_duration_seconds %v out of range", d)
		}
		out.LastDuration = time.Duration(math.Round(d*1e6)) * time.Microsecond
	case in.LastDurationUS != nil:
		out.LastDuration = time.Duration(*in.LastDurationUS) * time.Microsecond
	}
	out.LastError, out.SettingsError, out.LastCRNVersion = deref(in.LastError), deref(in.SettingsError), deref(in.LastCRNVersion)
	out.IdentityMismatchHashes = in.IdentityMismatchNodes
	if in.IdentityMismatchesOld != nil {
		out.IdentityMismatches = *in.IdentityMismatchesOld
	}
	if in.IdentityMismatchHashes != nil {
		out.IdentityMismatchHashes = in.IdentityMismatchHashes
	}
	if len(out.IdentityMismatchHashes) == 0 {
		out.IdentityMismatchHashes = nil
	}
	*s = out
	return nil
}

func timeOrNull(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	v := snapshot.FormatTime(t)
	return &v
}

func textOrNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// parseTime reads a time of the JSON form, or of the older one (RFC 3339
// with nanoseconds, the zero time as year 1): both are RFC 3339. It is
// read in UTC, as crns.json writes it.
func parseTime(key string, s *string) (time.Time, error) {
	if s == nil {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, *s)
	if err != nil {
		return time.Time{}, fmt.Errorf("status: %s: %w", key, err)
	}
	if t.IsZero() {
		return time.Time{}, nil
	}
	return t.UTC(), nil
}
