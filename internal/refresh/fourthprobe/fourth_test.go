package fourthprobe_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"nodelist/internal/aleph"
	"nodelist/internal/config"
	"nodelist/internal/history"
	"nodelist/internal/probe"
	"nodelist/internal/refresh"
	"nodelist/internal/simfleet"
	"nodelist/internal/snapshot"
	"nodelist/internal/store/sqlite"
)

// cpuCount is the extra probe: it asks the usage route again and keeps
// the CPU count, under keys of its own.
var cpuCount = &probe.Probe{
	Name:   "cpu_count",
	Path:   probe.UsagePath,
	AtKey:  "debug_cpu_count_at",
	Fields: []probe.Field{{Key: "cpu_count", Default: []byte("null")}},
	// It reads the usage answer: the usage probe's bound; it publishes a
	// number.
	MaxBody:      64 << 10,
	MaxPublished: 32,
	Ask: func(ctx context.Context, c *probe.Client, addr string, _ *probe.Result) probe.Response {
		return c.Get(ctx, addr+probe.UsagePath)
	},
	Decode: func(body []byte, _ *aleph.Settings, _ *probe.Result) ([][]byte, string, *probe.Error) {
		var u struct{ CPU struct{ Count *int } }
		if json.Unmarshal(body, &u) != nil || u.CPU.Count == nil {
			return nil, "", probe.Errorf(probe.ClassInvalidData, "no cpu.count")
		}
		return [][]byte{strconv.AppendInt(nil, int64(*u.CPU.Count), 10)}, "", nil
	},
}

func init() { probe.Register(cpuCount) }

func TestAFourthProbeIsInTheRoundTheHistoryAndTheWarmRestart(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f, err := simfleet.Start(ctx, simfleet.Options{Nodes: 6, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	path := filepath.Join(t.TempDir(), "history.db")
	st, err := sqlite.Open(ctx, path, probe.Names()...)
	if err != nil {
		t.Fatal(err)
	}
	rec := history.New(st, config.DefaultHistory(), log)
	rec.Start()
	client := probe.NewClient(probe.Options{APIURL: f.APIURL(), Timeout: 5 * time.Second})
	defer client.CloseIdleConnections()
	rounds := make(chan *refresh.Round, 1)
	sink := refresh.SinkFunc(func(r *refresh.Round) { rec.Record(r); rounds <- r })
	ref := refresh.New(refresh.Options{Client: client, Sink: sink, Logger: log})
	if err := ref.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	round := <-rounds

	// The round: an outcome per probe of the table (the registered one
	// comes after capability: a fifth), the registered one a success.
	if len(round.Nodes) != 6 {
		t.Fatalf("%d nodes in the round", len(round.Nodes))
	}
	for _, n := range round.Nodes {
		if len(n.Outcomes) != len(probe.All) || cpuCount.Index != len(probe.All)-1 || !n.Of(cpuCount).OK {
			t.Errorf("%s: outcomes %+v", n.Hash, n.Outcomes)
		}
	}
	// crns.json: the probe's keys, with the node's answer.
	served := ref.Holder().Load()
	for _, n := range round.Nodes {
		var crn map[string]any
		if err := json.Unmarshal(served.CRN(n.Hash), &crn); err != nil {
			t.Fatal(err)
		}
		if c, ok := crn["cpu_count"].(float64); !ok || c < 1 || crn["debug_cpu_count_at"] == nil {
			t.Errorf("%s: cpu_count %v at %v", n.Hash, crn["cpu_count"], crn["debug_cpu_count_at"])
		}
	}

	// The history: the writer flushes at Stop, and the store closes.
	rec.Stop(10 * time.Second)
	st, err = sqlite.Open(ctx, path, probe.Names()...)
	if err != nil {
		t.Fatal(err)
	}
	rec = history.New(st, config.DefaultHistory(), log)
	defer rec.Stop(time.Second)
	hash := round.Nodes[0].Hash
	now := time.Now()
	h, err := st.History(ctx, hash, now.Add(-time.Hour), now.Add(time.Minute), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != len(probe.All) || len(h[cpuCount.Index]) != 1 || h[cpuCount.Index][0].OK != 1 {
		t.Errorf("history of %s: %+v, want one good sample of the registered probe", hash, h)
	}

	// The warm restart: a new refresher seeded from the store serves the
	// same bytes for every CRN, the fourth probe's keys included.
	again := refresh.New(refresh.Options{Client: client, Logger: log, Holder: &snapshot.Holder{}})
	rec.Seed(ctx, again)
	seeded := again.Holder().Load()
	for _, n := range round.Nodes {
		if !bytes.Equal(seeded.CRN(n.Hash), served.CRN(n.Hash)) {
			t.Errorf("%s after a warm restart:\n%s\nwas\n%s", n.Hash, seeded.CRN(n.Hash), served.CRN(n.Hash))
		}
	}
}
