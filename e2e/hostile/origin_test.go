package hostile_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"nodelist/e2e/hostile"
	"nodelist/internal/contract"
	"nodelist/internal/probe"
	"nodelist/internal/refresh"
)

// TestPiledOriginWithTheGuardOn registers 1000 entries on the origin of a
// good node, under paths of their own, half of them hanging and half
// answering 404, and runs rounds with the dial guard on: every good node
// answers in every round, the one sharing its origin included, a round
// asks at most 7 of the piled addresses, and nothing reaches the canary.
func TestPiledOriginWithTheGuardOn(t *testing.T) {
	const piles, rounds = 1000, 3
	f := hostile.Start()
	defer f.Close()
	good := f.GoodNodes()
	origin, _, ok := strings.Cut(strings.TrimPrefix(good[0].Address, "http://"), "/")
	if !ok {
		t.Fatalf("good node at %q: no path", good[0].Address)
	}
	nodes := good
	for i := range piles {
		behaviour := "hang"
		if i%2 == 1 {
			behaviour = "status-404-html"
		}
		nodes = append(nodes, hostile.Node{Name: fmt.Sprintf("pile-%d", i),
			Address: fmt.Sprintf("http://%s/n/%s/p%d", origin, behaviour, i)})
	}
	f.Register(nodes)
	client := f.Client(time.Second)
	defer client.CloseIdleConnections()
	var reports []*refresh.Round
	ref := refresh.New(refresh.Options{Client: client, RoundTimeout: 4 * time.Second,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Sink:   refresh.SinkFunc(func(rd *refresh.Round) { reports = append(reports, rd) })})
	for k := range rounds {
		if err := ref.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		rd := reports[k]
		answered, asked := 0, 0
		for _, n := range rd.Nodes {
			if strings.HasPrefix(n.Hash, "hostile-pile-") {
				asked++
			} else if n.Of(probe.Config).OK {
				answered++
			} else {
				t.Errorf("round %d: good node %s: %s: %s", k+1, n.Hash, n.Of(probe.Config).Class, n.Of(probe.Config).Msg)
			}
		}
		t.Logf("round %d: %d of %d good nodes answered, %d piled addresses asked, took %v", k+1, answered, len(good), asked,
			rd.Finished.Sub(rd.Started).Round(time.Millisecond))
		if answered != len(good) || asked < 1 || asked > 7 {
			t.Errorf("round %d: %d of %d good nodes answered, %d piled addresses asked (want 1 to 7)", k+1, answered, len(good), asked)
		}
		if err := contract.Validate(rd.Snapshot.All.Identity); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.CanaryConns(); n != 0 {
		t.Errorf("the canary saw %d connections", n)
	}
}
