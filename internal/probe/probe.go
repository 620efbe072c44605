package probe

import (
	"context"
	"sync"
	"time"

	"nodelist/internal/aleph"
)

// A Probe is one question the service asks every node. All lists them;
// the round, the snapshot, the history store and the pages loop over that
// list, so adding a probe is a file here and its name at the end of All
// (or a Register call), and nothing else changes shape.
type Probe struct {
	// Name is stable: the history stores a probe by its place in All and
	// the API names it. Append new probes; never reorder or rename.
	Name string
	// Path is what is asked of the node, for the pages; Ask may choose
	// another route (the IPv6 probe does, by version).
	Path string
	// Ask asks the node at its validated base address. It may read what
	// the probes before it in All answered (the config, in r.Node).
	Ask func(ctx context.Context, c *Client, addr string, r *Result) Response
	// Decode turns a good answer into the values of Fields, in order;
	// it is called through DecodeAnswer, which checks the answer's syntax
	// and text first and the values' size after.
	// note describes a problem with an answer that is still good (config
	// fields of the wrong type); an error makes the answer a failure.
	// It may set what later probes read in r; r is nil when an answer is
	// decoded again because the settings changed. Its result must depend
	// on body and settings alone: an answer equal to the node's last good
	// one is not decoded again (see Memo), and only the config probe's
	// r.Node is restored then.
	Decode func(body []byte, settings *aleph.Settings, r *Result) (values [][]byte, note string, err *Error)
	// UsesSettings: the values depend on the GPU settings, so the last
	// good answer is kept and decoded again when they change. The first
	// field must then be the normalised answer, which Decode accepts
	// again (a warm restart has only that).
	UsesSettings bool
	// AfterConfig: asked only once the config probe has answered, even
	// when the others are asked at once; and not asked at all when the
	// node did not answer the config probe.
	AfterConfig bool
	// Every, when not zero, is the probe's cadence: it is asked of a node
	// once per Every, and at once when the node's version (the config
	// probe's) changes; in the rounds between, it is not asked and its
	// last answer stands (Answer.Skipped). Such a probe needs the version,
	// so it is asked after the config probe and only when that answered.
	// The cadence is kept in the node's Memo: without one (a new address,
	// a restart) the probe is due.
	Every time.Duration
	// UntilNewVersion, with Every, says of a failed answer that the node
	// lacks the route (a release without it answers 404): the probe is
	// then asked again only once the node's version changes.
	UntilNewVersion func(Response) bool
	// Fields are the crns.json keys the probe fills, in order, each with
	// what is written when it never succeeded.
	Fields []Field
	// FromKey, AtKey and ErrKey name the crns.json keys saying whether
	// the probe ever succeeded, when it last did and its last error; ""
	// where the contract has none for this probe.
	FromKey, AtKey, ErrKey string
	// Classes are the error classes the probe can record beside the
	// transport's (timeout, refused, dns, tls, reset, http_status,
	// too_large, forbidden, redirect, canceled, other).
	Classes []Class
	// MaxBody bounds the bytes read of one answer, after decompression
	// (Options.MaxBody may lower it); a longer answer is too_large. Size
	// it from the largest real answer, with room to spare: it is also
	// what one hostile node costs a round.
	MaxBody int64
	// MaxPublished bounds the bytes the probe's fields take in crns.json,
	// all together, once decoded: normalising may grow an answer (1e15 is
	// written out as 1000000000000000, GPU entries are repeated in the
	// compatible lists). More is too_large, and nothing of it is served.
	MaxPublished int
	// Index is the probe's place in All.
	Index int
}

// Field is one crns.json key a probe fills.
type Field struct {
	Key     string
	Default []byte // JSON written while the probe has no good answer
}

// All are the probes, in the order they are stored and rendered.
var All = []*Probe{Config, Usage, IPv6, Capability}

// Gate is the probe that says whether a node is up: the table's first,
// the config probe. It is asked first, the probes marked AfterConfig wait
// for it and are not asked of a node it found unreachable; a node is up
// (responsive, counted by uptime) while its last answer to it was good.
// Being first is what the parts below rely on: the history store counts
// uptime from its first probe (store.UpProbe), knowing nothing else.
var Gate = All[0]

func init() {
	for i, p := range All {
		p.Index = i
		p.mustBeBounded()
	}
}

// Register appends p to All. Call it from an init function: the parts
// read All once, at their first round or render.
func Register(p *Probe) {
	p.mustBeBounded()
	p.Index = len(All)
	All = append(All, p)
}

// mustBeBounded refuses a probe that does not say how much one node may
// make it read and publish: that is each node's share of crns.json.
func (p *Probe) mustBeBounded() {
	if p.MaxBody <= 0 || p.MaxPublished <= 0 {
		panic("probe " + p.Name + ": MaxBody and MaxPublished must be set")
	}
}

// Names are the probes' names in the order of All.
func Names() []string {
	out := make([]string, len(All))
	for i, p := range All {
		out[i] = p.Name
	}
	return out
}

// Answer is one probe's outcome: the response and, when it is good, the
// decoded values of the probe's fields.
type Answer struct {
	Response
	Values [][]byte // nil unless the answer is good
	Note   string   // a problem with a good answer
	// Skipped: the probe was not due (see Probe.Every), nothing was
	// asked, and the last answer stands.
	Skipped bool
}

// Result holds every probe of one node, in the order of All.
type Result struct {
	Answers []Answer
	Node    aleph.NodeConfig // the decoded config; valid when the config probe succeeded
}

// Of is p's answer.
func (r *Result) Of(p *Probe) *Answer { return &r.Answers[p.Index] }

// Node asks every probe of the node at its validated base address: those
// that need no config at once, then the others; settings judge the GPUs.
// memo, when not nil, spares decoding answers equal to the last ones.
func (c *Client) Node(ctx context.Context, addr string, settings *aleph.Settings, memo *Memo) Result {
	r := Result{Answers: make([]Answer, len(All))}
	memo.prepare()
	var wg sync.WaitGroup
	for _, p := range All {
		if p != Gate && !p.AfterConfig && p.Every == 0 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.ask(ctx, p, addr, settings, &r, false, memo)
			}()
		}
	}
	c.ask(ctx, Gate, addr, settings, &r, false, memo)
	for _, p := range All {
		if p != Gate && (p.AfterConfig || p.Every > 0) {
			c.ask(ctx, p, addr, settings, &r, false, memo)
		}
	}
	wg.Wait()
	return r
}

// NodeSequential probes like Node, one request after another: a node then
// needs one connection instead of two, for fleets so large that two per
// node would not fit the idle pool (or the open-file limit).
func (c *Client) NodeSequential(ctx context.Context, addr string, settings *aleph.Settings, memo *Memo) Result {
	r := Result{Answers: make([]Answer, len(All))}
	memo.prepare()
	c.ask(ctx, Gate, addr, settings, &r, true, memo)
	for _, p := range All {
		if p != Gate {
			c.ask(ctx, p, addr, settings, &r, true, memo)
		}
	}
	return r
}

// ask runs one probe into r.Answers[p.Index]: not at all when the node
// did not answer the config probe and the probe comes after it (it would
// only wait for another timeout or dial another refused connection), nor
// when it has a cadence and is not due (Skipped).
func (c *Client) ask(ctx context.Context, p *Probe, addr string, settings *aleph.Settings, r *Result, sequential bool, memo *Memo) {
	a := &r.Answers[p.Index]
	version := ""
	if p.Every > 0 {
		cfg := &r.Answers[Config.Index]
		if cfg.Err != nil || cfg.Values == nil {
			a.Skipped = true // the cadence needs the version
			return
		}
		if r.Node.Version != nil {
			version = *r.Node.Version
		}
		if !memo.due(p, version, time.Now()) {
			a.Skipped = true
			return
		}
	}
	if p != Gate && (p.AfterConfig || sequential) {
		if e := r.Answers[Gate.Index].Err; e != nil && unreachable[e.Class] {
			a.Response = Response{At: r.Answers[Gate.Index].At,
				Err: Errorf(e.Class, "%s not asked: config probe failed: %s", p.Name, e.Msg)}
			return
		}
	}
	a.Response = p.Ask(withBodyBound(ctx, p.MaxBody), c, addr, r)
	if p.Every > 0 {
		memo.asked(p, version, a.Response)
	}
	if a.Err != nil {
		memo.remember(p, 0, settings, a, r)
		return
	}
	sum, known := memo.recall(p, a.Body, settings, a, r)
	if known {
		return
	}
	values, note, err := p.DecodeAnswer(a.Body, settings, r)
	if err != nil {
		a.Err, a.Body = err, nil
	} else {
		a.Values, a.Note = values, note
	}
	memo.remember(p, sum, settings, a, r)
}

// unreachable are the classes of a node that gave no answer at all.
var unreachable = map[Class]bool{
	ClassTimeout: true, ClassRefused: true, ClassDNS: true, ClassTLS: true,
	ClassForbidden: true, ClassReset: true, ClassCanceled: true,
}

// DecodeAnswer checks a good answer's syntax and text, decodes it with
// Decode, and holds what it would publish to MaxPublished. Use it rather
// than Decode.
func (p *Probe) DecodeAnswer(body []byte, settings *aleph.Settings, r *Result) ([][]byte, string, *Error) {
	if err := CheckAnswer(p.Name, body); err != nil {
		return nil, "", err
	}
	values, note, err := p.Decode(body, settings, r)
	if err != nil {
		return nil, "", err
	}
	if err := p.Bound(values); err != nil {
		return nil, "", err
	}
	return values, note, nil
}

// Bound reports a too_large error when values take more than MaxPublished
// bytes.
func (p *Probe) Bound(values [][]byte) *Error {
	n := 0
	for _, v := range values {
		n += len(v)
	}
	if n > p.MaxPublished {
		return Errorf(ClassTooLarge, "%s of %d bytes once decoded, more than %d", p.Name, n, p.MaxPublished)
	}
	return nil
}

// CheckAnswer refuses, as invalid_json saying why, an answer nested
// deeper than aleph.MaxDepth or that is not one JSON document (NaN,
// Infinity and the other tokens some encoders write are not JSON, and the
// error quotes them); and, as invalid_data naming the field, one holding
// text that is not valid Unicode (invalid UTF-8, an unpaired surrogate
// escape): decoded, such text would be published as U+FFFD, which the
// node never wrote. what names the answer.
func CheckAnswer(what string, body []byte) *Error {
	if err := aleph.CheckDepth(body, aleph.MaxDepth); err != nil {
		return Errorf(ClassInvalidJSON, "%s: %v", what, err)
	}
	if err := aleph.Syntax(body); err != nil {
		return Errorf(ClassInvalidJSON, "%s is %v", what, err)
	}
	if err := aleph.CheckText(body); err != nil {
		return Errorf(ClassInvalidData, "%s %v", what, err)
	}
	return nil
}
