package replica

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"
	"time"

	"nodelist/internal/refresh"
	"nodelist/internal/snapshot"
)

// TestPublicationStatusRoundTrip: what a follower shows of the leader's
// status is what the leader had, through the publication the database
// holds.
func TestPublicationStatusRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 22, 14, 38, 0, 123456000, time.UTC)
	st := refresh.Status{Mode: "background", Running: true, Round: 7, Started: at, Finished: at.Add(time.Second),
		LastDuration: 1500 * time.Millisecond, LastError: "e", SettingsError: "s", Nodes: 12, Responsive: 9, Probed: 11,
		Targets: 12, LastCRNVersion: "1.14.0", IdentityMismatches: 2, IdentityMismatchHashes: []string{"a", "b"}}
	p := published(t, st)
	if got := p.Status; !reflect.DeepEqual(got, st) {
		t.Errorf("a follower shows\n%+v\nthe leader had\n%+v", got, st)
	}
}

// oldStatus is how releases before the status had its own JSON form
// declared the status of a publication; they read what newer leaders
// publish with it.
type oldStatus struct {
	Mode                   string    `json:"mode"`
	Running                bool      `json:"running"`
	Round                  uint64    `json:"round"`
	Started                time.Time `json:"started"`
	Finished               time.Time `json:"finished"`
	LastDuration           int64     `json:"last_duration_us"`
	LastError              string    `json:"last_error,omitempty"`
	SettingsError          string    `json:"settings_error,omitempty"`
	Nodes                  int       `json:"nodes"`
	Responsive             int       `json:"responsive"`
	Probed                 int       `json:"probed"`
	Targets                int       `json:"targets"`
	LastCRNVersion         string    `json:"last_crn_version,omitempty"`
	IdentityMismatches     int       `json:"identity_mismatches,omitempty"`
	IdentityMismatchHashes []string  `json:"identity_mismatch_hashes,omitempty"`
}

// TestPublicationStatusOfOlderRelease: a follower reads the status of a
// publication an older leader wrote (testdata/status-old-*.json, its
// bytes as that release wrote them), at the start and after rounds.
func TestPublicationStatusOfOlderRelease(t *testing.T) {
	at := time.Date(2026, 11, 22, 14, 38, 0, 123456789, time.FixedZone("", 3600))
	for _, c := range []struct {
		file string
		want refresh.Status
	}{
		{"status-old-start.json", refresh.Status{Mode: "background"}},
		{"status-old-round.json", refresh.Status{Mode: "background", Running: true, Round: 7, Started: at,
			Finished: at.Add(10394 * time.Millisecond), LastDuration: 10394123 * time.Microsecond,
			LastError: "fetch registry: timed out", SettingsError: "settings: invalid JSON", Nodes: 512, Responsive: 430,
			Probed: 511, Targets: 512, LastCRNVersion: "1.7.2", IdentityMismatches: 2, IdentityMismatchHashes: []string{"a1", "b2"}}},
	} {
		old, err := os.ReadFile("testdata/" + c.file)
		if err != nil {
			t.Fatal(err)
		}
		p := published(t, refresh.Status{}, old)
		got := p.Status
		if !got.Started.Equal(c.want.Started) || !got.Finished.Equal(c.want.Finished) {
			t.Errorf("%s: started %v, finished %v, want %v and %v", c.file, got.Started, got.Finished, c.want.Started, c.want.Finished)
		}
		got.Started, got.Finished, c.want.Started, c.want.Finished = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: a follower shows\n%+v\nthe older leader had\n%+v", c.file, got, c.want)
		}
	}
}

// TestOlderFollowerReadsStatus: a follower of an older release reads
// what a newer leader publishes (an upgrade starts new replicas beside
// the old ones). It shows all but the last duration and the identity
// mismatches, whose keys were renamed to /debug/task's.
func TestOlderFollowerReadsStatus(t *testing.T) {
	at := time.Date(2026, 11, 22, 14, 38, 0, 123456000, time.UTC)
	st := refresh.Status{Mode: "on-demand", Running: true, Round: 7, Started: at, Finished: at.Add(time.Second),
		LastDuration: time.Second, LastError: "e", SettingsError: "s", Nodes: 12, Responsive: 9, Probed: 11,
		Targets: 12, LastCRNVersion: "1.14.0", IdentityMismatches: 2, IdentityMismatchHashes: []string{"a", "b"}}
	sp, err := (&publication{Status: st, Snap: testSnapshot(t)}).stored()
	if err != nil {
		t.Fatal(err)
	}
	var old oldStatus
	if err := json.Unmarshal(sp.Status, &old); err != nil {
		t.Fatalf("an older follower cannot read %s: %v", sp.Status, err)
	}
	want := oldStatus{Mode: "on-demand", Running: true, Round: 7, Started: at, Finished: at.Add(time.Second),
		LastError: "e", SettingsError: "s", Nodes: 12, Responsive: 9, Probed: 11, Targets: 12, LastCRNVersion: "1.14.0"}
	if !old.Started.Equal(want.Started) || !old.Finished.Equal(want.Finished) {
		t.Errorf("an older follower reads started %v, finished %v", old.Started, old.Finished)
	}
	old.Started, old.Finished, want.Started, want.Finished = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if !reflect.DeepEqual(old, want) {
		t.Errorf("an older follower reads\n%+v\nwant\n%+v", old, want)
	}
}

// published writes a publication of st as the leader does and rebuilds
// it as a follower does; with status, the stored status is replaced by
// those bytes.
func published(t *testing.T, st refresh.Status, status ...[]byte) *publication {
	t.Helper()
	sp, err := (&publication{Version: 3, Status: st, Snap: testSnapshot(t)}).stored()
	if err != nil {
		t.Fatal(err)
	}
	if len(status) > 0 {
		sp.Status = status[0]
	}
	sp.Version = 3
	p, err := rebuild(sp)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func testSnapshot(t *testing.T) *snapshot.Snapshot {
	t.Helper()
	s, err := snapshot.Replay([]byte(`{"last_refresh":"2026-11-22T14:38:25.496288+00:00","crns":[]}`), time.Unix(1, 0))
	if err != nil {
		t.Fatal(err)
	}
	return s
}
