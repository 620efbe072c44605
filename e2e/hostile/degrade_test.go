package hostile_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"nodelist/e2e/hostile"
	"nodelist/internal/contract"
	"nodelist/internal/refresh"
	"nodelist/internal/server"
)

// TestDegradedUpstreamKeepsLastGoodData takes away, one after the other,
// the settings aggregate, the registry host and every node, and checks
// that crns.json keeps the last good data while /healthz names each fault.
func TestDegradedUpstreamKeepsLastGoodData(t *testing.T) {
	f := hostile.Start()
	defer f.Close()
	f.Register(f.GoodNodes())
	client := f.Client(2 * time.Second)
	defer client.CloseIdleConnections()
	ref := refresh.New(refresh.Options{
		Client:      client,
		SettingsTTL: time.Nanosecond, // fetched every round
		Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	handler, err := server.New(server.Options{Refresher: ref})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	health := func() (string, string) {
		var h struct {
			Status   string
			Problems []string
		}
		if err := json.Unmarshal(get(t, handler, "/healthz", http.StatusOK), &h); err != nil {
			t.Fatal(err)
		}
		return h.Status, strings.Join(h.Problems, " | ")
	}
	served := func(stage string) {
		t.Helper()
		body := get(t, handler, "/crns.json", http.StatusOK)
		if err := contract.Validate(body); err != nil {
			t.Fatalf("%s: %v", stage, err)
		}
		var doc struct {
			CRNs []struct {
				Hash       string            `json:"hash"`
				Payment    *string           `json:"payment_receiver_address"`
				Usage      json.RawMessage   `json:"system_usage"`
				Compatible []json.RawMessage `json:"compatible_gpus"`
			} `json:"crns"`
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.CRNs) != len(f.GoodNodes()) {
			t.Fatalf("%s: %d CRNs served, want %d", stage, len(doc.CRNs), len(f.GoodNodes()))
		}
		for _, c := range doc.CRNs {
			if c.Payment == nil || string(c.Usage) == "null" || len(c.Compatible) != 1 {
				t.Errorf("%s: %s lost its last good data: payment %v, usage %.20s, %d compatible GPUs",
					stage, c.Hash, c.Payment, c.Usage, len(c.Compatible))
			}
		}
	}

	if err := ref.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	served("healthy")
	if st, p := health(); st != "ok" {
		t.Fatalf("healthy fleet: %s (%s)", st, p)
	}

	f.SetSettingsMalformed(true)
	_ = ref.Refresh(ctx)
	served("settings malformed")
	if st, p := health(); st != "degraded" || !strings.Contains(p, "settings") {
		t.Errorf("settings malformed: %s (%s), want degraded naming the settings", st, p)
	}

	f.SetAPIDown(true)
	f.SetNodesDown(true)
	if err := ref.Refresh(ctx); err == nil {
		t.Error("a round with the registry host down reported no error")
	}
	served("registry and nodes down")
	st, p := health()
	if st != "degraded" || !strings.Contains(p, "registry") || !strings.Contains(p, "no node answered") {
		t.Errorf("registry and nodes down: %s (%s), want degraded naming the registry and the nodes", st, p)
	}

	f.SetAPIDown(false)
	f.SetNodesDown(false)
	f.SetSettingsMalformed(false)
	if err := ref.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if st, p := health(); st != "ok" {
		t.Errorf("after recovery: %s (%s), want ok", st, p)
	}
}
