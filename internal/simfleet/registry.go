package simfleet

import (
	"encoding/json"
	"fmt"
	"math"
)

// RegistryAddress owns the corechannel aggregate, as on the real network.
const RegistryAddress = "0xa1B3bb7d2332383D96b7796B908fB7f7F3c2Be10"

// crn is a resource node of the corechannel aggregate. Fields are in the
// order the real registry writes them.
type crn struct {
	Hash               string          `json:"hash"`
	Name               string          `json:"name"`
	Time               float64         `json:"time"`
	Type               string          `json:"type"`
	Owner              string          `json:"owner"`
	Score              float64         `json:"score"`
	Banner             string          `json:"banner"`
	Locked             json.RawMessage `json:"locked,omitempty"` // as registered: a boolean, or "" and others; nil: no key
	Parent             *string         `json:"parent"`
	Reward             string          `json:"reward"`
	Status             string          `json:"status"`
	Address            string          `json:"address"`
	Manager            string          `json:"manager"`
	Picture            string          `json:"picture"`
	Authorized         []string        `json:"authorized"`
	Description        string          `json:"description"`
	Performance        float64         `json:"performance"`
	Multiaddress       string          `json:"multiaddress"`
	ScoreUpdated       bool            `json:"score_updated"`
	StreamReward       string          `json:"stream_reward"`
	InactiveSince      *float64        `json:"inactive_since"`
	Decentralization   float64         `json:"decentralization"`
	RegistrationURL    string          `json:"registration_url"`
	TermsAndConditions string          `json:"terms_and_conditions"`
	Extra              json.RawMessage `json:"x_extra"` // unknown to clients: must pass through
}

// ccn is a core channel node, the parent of resource nodes.
type ccn struct {
	Hash               string             `json:"hash"`
	Name               string             `json:"name"`
	Time               float64            `json:"time"`
	Type               string             `json:"type"`
	Owner              string             `json:"owner"`
	Score              float64            `json:"score"`
	Banner             string             `json:"banner"`
	Locked             bool               `json:"locked"`
	Reward             string             `json:"reward"`
	Status             string             `json:"status"`
	Address            string             `json:"address"`
	Manager            string             `json:"manager"`
	Picture            string             `json:"picture"`
	Stakers            map[string]float64 `json:"stakers"`
	HasBonus           bool               `json:"has_bonus"`
	Authorized         []string           `json:"authorized"`
	Description        string             `json:"description"`
	Performance        float64            `json:"performance"`
	Multiaddress       string             `json:"multiaddress"`
	TotalStaked        float64            `json:"total_staked"`
	ScoreUpdated       bool               `json:"score_updated"`
	StreamReward       string             `json:"stream_reward"`
	InactiveSince      *float64           `json:"inactive_since"`
	ResourceNodes      []string           `json:"resource_nodes"`
	Decentralization   float64            `json:"decentralization"`
	RegistrationURL    string             `json:"registration_url"`
	TermsAndConditions string             `json:"terms_and_conditions"`
}

const baseTime = 1.69e9 // registrations are spread over the year after this

func round(x float64, places int) float64 {
	p := math.Pow10(places)
	return math.Round(x*p) / p
}

// newCRN draws the registry entry of node i; its address is set once the
// node listens.
func newCRN(seed int64, i int, inactive bool, parent *string) crn {
	r := newRand(seed, streamRegistry, uint64(i))
	c := crn{
		Hash:             hexString(r, 32),
		Name:             nodeName(i),
		Time:             round(baseTime+r.Float64()*3e7, 3),
		Type:             "compute",
		Owner:            "0x" + hexString(r, 20),
		Score:            round(r.Float64(), 4),
		Parent:           parent,
		Reward:           "0x" + hexString(r, 20),
		Status:           "linked",
		Authorized:       []string{},
		Performance:      round(r.Float64(), 4),
		ScoreUpdated:     true,
		Locked:           json.RawMessage(`false`),
		Decentralization: round(r.Float64(), 4),
		Extra:            json.RawMessage(`{"nested":[1,2.5,"s"]}`),
	}
	if o := operator(seed, i); o != "" {
		c.Owner = o
	}
	if inactive {
		t := round(baseTime+3e7+r.Float64()*1e6, 3)
		c.InactiveSince = &t
	}
	return c
}

// streamOperator draws the addresses of operators that own several
// nodes, one index per group, apart from every node's own draws.
const streamOperator = 1 << 41

// operator is the owner shared by node i and its group, "" when node i
// has an owner of its own. In every 9 consecutive nodes, 6 share one
// operator (a third of them alone), so an owner's page has several nodes
// to show while most owners still hold one.
func operator(seed int64, i int) string {
	if i%3 == 0 {
		return ""
	}
	return "0x" + hexString(newRand(seed, streamRegistry, streamOperator+uint64(i/9)), 20)
}

// newCCNs draws the core channel nodes; resource nodes are linked later.
func newCCNs(seed int64) []ccn {
	r := newRand(seed, streamCCN, 0)
	out := make([]ccn, 3)
	for i := range out {
		owner := "0x" + hexString(r, 20)
		out[i] = ccn{
			Hash:             hexString(r, 32),
			Name:             fmt.Sprintf("ccn-%d", i),
			Time:             round(baseTime-1e6*r.Float64(), 3),
			Owner:            owner,
			Score:            round(0.8+0.2*r.Float64(), 4),
			Reward:           owner,
			Status:           "active",
			Stakers:          map[string]float64{"0x" + hexString(r, 20): 500000},
			HasBonus:         true,
			Authorized:       []string{},
			Performance:      round(r.Float64(), 4),
			Multiaddress:     fmt.Sprintf("/ip4/192.0.2.%d/tcp/4025/p2p/Qm%s", 10+i, hexString(r, 22)),
			TotalStaked:      750000 + float64(r.IntN(1000000)),
			ScoreUpdated:     true,
			ResourceNodes:    []string{},
			Decentralization: round(r.Float64(), 4),
		}
	}
	return out
}

// registryJSON is the corechannel aggregate for nodes, whose addresses are
// set.
func registryJSON(ccns []ccn, nodes []*node) ([]byte, error) {
	crns := make([]crn, len(nodes))
	for i, n := range nodes {
		crns[i] = n.entry
		crns[i].Address = n.info.Address
	}
	var doc struct {
		Address string `json:"address"`
		Data    struct {
			Corechannel struct {
				Nodes         []ccn `json:"nodes"`
				ResourceNodes []crn `json:"resource_nodes"`
			} `json:"corechannel"`
		} `json:"data"`
		Info struct{} `json:"info"`
	}
	doc.Address = RegistryAddress
	doc.Data.Corechannel.Nodes = ccns
	doc.Data.Corechannel.ResourceNodes = crns
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode registry: %w", err)
	}
	return b, nil
}

// linkCCNs fills each core channel node's list of resource node hashes.
func linkCCNs(ccns []ccn, nodes []*node) {
	for _, n := range nodes {
		if c := n.quirks.ccn; c >= 0 {
			ccns[c].ResourceNodes = append(ccns[c].ResourceNodes, n.info.Hash)
		}
	}
}

// LockedSpellings are the values of "locked" that the registry holds for
// some nodes beside true and false: five real nodes have "locked": "".
// A fleet with Options.Eras gives node i the spelling i%len (nil: no key),
// and each spelling's reading as a boolean is in LockedWant.
var LockedSpellings = []json.RawMessage{
	json.RawMessage(`""`), json.RawMessage(`null`), json.RawMessage(`"false"`), json.RawMessage(`"true"`),
	json.RawMessage(`"1"`), nil, json.RawMessage(`true`), json.RawMessage(`false`), json.RawMessage(`""`),
	json.RawMessage(`false`), json.RawMessage(`"0"`), json.RawMessage(`false`),
}

// LockedWant is what a client must read of each of LockedSpellings.
var LockedWant = []bool{false, false, false, true, true, false, true, false, false, false, false, false}

// spellLocked gives the nodes of an eras fleet the registry's spellings
// of "locked", and a stream_reward address (the console offers only nodes
// with one) to all but every ninth, as on the network where some nodes
// take no pay-as-you-go payments.
func spellLocked(nodes []*node) {
	for i, nd := range nodes {
		k := i % len(LockedSpellings)
		nd.entry.Locked = LockedSpellings[k]
		nd.info.Locked = string(LockedSpellings[k])
		if i%9 != 8 {
			nd.entry.StreamReward = nd.entry.Reward
		}
	}
}
