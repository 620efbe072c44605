package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"nodelist/internal/contract"
	"nodelist/internal/simfleet"
)

func TestProbeCommand(t *testing.T) {
	f, err := simfleet.Start(context.Background(), simfleet.Options{Nodes: 2, Seed: 3, GPU: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	addr := f.Nodes()[0].Address
	probe := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := run(context.Background(), append([]string{"probe"}, args...), &out, &errOut)
		return code, out.String(), errOut.String()
	}

	code, out, errOut := probe(addr, "--api-url", f.APIURL(), "--allow-private-targets")
	var crn map[string]any
	if err := json.Unmarshal([]byte(out), &crn); err != nil || code != 0 {
		t.Fatalf("exit %d, %v: %s %s", code, err, out, errOut)
	}
	if crn["address"] != addr || crn["config_from_crn"] != true || crn["usage_from_crn_error"] != "None" {
		t.Errorf("CRN %s", out)
	}
	if gpus, _ := crn["compatible_gpus"].([]any); len(gpus) == 0 {
		t.Errorf("the GPUs were not judged against the settings: %s", out)
	}
	// It is an entry crns.json could list, short of the registry's fields.
	crn["hash"], crn["name"], crn["score"], crn["inactive_since"] = "h", "n", 0.5, nil
	doc, _ := json.Marshal(map[string]any{"last_refresh": nil, "crns": []any{crn}})
	if err := contract.Validate(doc); err != nil {
		t.Errorf("not a CRN of the contract: %v", err)
	}

	// The guard is on unless asked off; the refusal says what to do.
	code, out, errOut = probe("--api-url", f.APIURL(), addr)
	if code != 1 || !strings.Contains(out, `"debug_config_from_crn_error": "forbidden: destination is not a public address"`) ||
		!strings.Contains(errOut, "use --allow-private-targets") {
		t.Errorf("guarded: exit %d, %s, %s", code, out, errOut)
	}
	code, out, errOut = probe("ftp://x", "--api-url", f.APIURL())
	if code != 1 || !strings.Contains(out, "invalid_address") || !strings.Contains(errOut, "invalid_address") {
		t.Errorf("invalid address: exit %d, %s, %s", code, out, errOut)
	}
	if code, _, errOut = probe("--api-url", f.APIURL()); code != 2 || !strings.Contains(errOut, "want URL") {
		t.Errorf("no URL: exit %d, %s", code, errOut)
	}
}
