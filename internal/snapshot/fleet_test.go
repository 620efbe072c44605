package snapshot

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"nodelist/internal/aleph"
)

// fleetCRNs renders n CRNs shaped like the real registry's (about 1.6 KB
// each), with varied values so that compression ratios are realistic.
func fleetCRNs(tb testing.TB, n int) []CRN {
	tb.Helper()
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	at := time.Date(2026, 11, 22, 14, 38, 25, 496288000, time.UTC)
	var raws []byte
	for i := range n {
		if i > 0 {
			raws = append(raws, ',')
		}
		inactive := "null"
		if rng.IntN(20) == 0 {
			inactive = fmt.Sprint(1700000000 + rng.IntN(1e7))
		}
		raws = fmt.Appendf(raws, `{"hash":"%064x","name":"node-%d %x","time":%d.%d,"type":"compute","owner":"0x%040x",`+
			`"manager":"0x%040x","reward":"0x%040x","locked":false,"authorized":[],"status":"linked","score":%.15f,`+
			`"parent":"%064x","decentralization":%.15f,"performance":%.15f,"score_updated":true,`+
			`"address":"https://crn-%d.example.org","picture":"%064x","banner":"","description":"Compute node %d, hosted in rack %d",`+
			`"stream_reward":"0x%040x","inactive_since":%s,"registration_url":null,"terms_and_conditions":null}`,
			rng.Uint64(), i, rng.Uint32(), 1690000000+rng.IntN(1e7), rng.IntN(1e6), rng.Uint64(), rng.Uint64(), rng.Uint64(),
			rng.Float64(), rng.Uint64(), rng.Float64(), rng.Float64(), i, rng.Uint64(), i, rng.IntN(40), rng.Uint64(), inactive)
	}
	nodes, _, err := aleph.ParseRegistry([]byte(`{"data":{"corechannel":{"resource_nodes":[` + string(raws) + `]}}}`))
	if err != nil || len(nodes) != n {
		tb.Fatalf("parse registry: %v (%d nodes)", err, len(nodes))
	}
	crns := make([]CRN, n)
	for i := range nodes {
		ver := fmt.Sprintf("1.%d.%d", rng.IntN(8), rng.IntN(4))
		pay := fmt.Sprintf("0x%040x", rng.Uint64())
		usage := fmt.Sprintf(`{"cpu":{"count":%d,"load_average":{"load1":%.2f,"load5":%.2f,"load15":%.2f},"core_frequencies":{"min":800,"max":%d}},`+
			`"mem":{"total_kB":%d,"available_kB":%d},"disk":{"total_kB":%d,"available_kB":%d},`+
			`"period":{"start_timestamp":"2026-11-22T14:38:00Z","duration_seconds":60},"properties":{"cpu":{"architecture":"x86_64","vendor":"AuthenticAMD","features":["sev","sev_es"]}},`+
			`"gpu":{"devices":[],"available_devices":[]},"active":true}`,
			8+rng.IntN(120), rng.Float64()*8, rng.Float64()*8, rng.Float64()*8, 2000+rng.IntN(3000),
			rng.IntN(1<<30), rng.IntN(1<<29), rng.IntN(1<<32), rng.IntN(1<<31))
		e := &Entry{Node: &nodes[i], Probes: []ProbeData{
			{At: at, Values: [][]byte{quote(ver), quote(pay), []byte("false"), []byte("true"), []byte("true")}},
			{At: at, Values: [][]byte{[]byte(usage), []byte(`[]`), []byte(`[]`)}},
			{At: at, Values: [][]byte{[]byte(`{"host":true,"vm":true}`)}},
		}}
		if i%20 == 7 {
			e.Probes[0] = ProbeData{Err: "timeout: no answer within 10s"}
			e.Probes[1] = ProbeData{Err: "http_status: HTTP 500"}
		}
		crns[i] = CRN{Hash: nodes[i].Hash, Score: nodes[i].Score, Inactive: nodes[i].Inactive, JSON: Render(nil, e)}
	}
	return crns
}

func quote(s string) []byte { return []byte(`"` + s + `"`) }
