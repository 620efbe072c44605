package aleph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Usage is a node's /about/usage/system after normalisation: valid for the
// strictest clients, with the GPU lists the served contract derives from it.
type Usage struct {
	JSON                json.RawMessage // the normalised system_usage object
	Compatible          json.RawMessage // devices judged compatible (see judge)
	CompatibleAvailable json.RawMessage // the same for available_devices
}

// NormalizeUsage turns a node's usage body, as any aleph-vm release writes
// it, into what strict clients accept without removing anything:
// whole-number floats become integers, a missing or null "gpu" or GPU list
// becomes [], a missing "active" is true, a missing CPU architecture or
// vendor is "unknown", and every GPU entry is judged
// against settings (which may be nil; see judge). A body that cannot be
// made valid is an error saying which field is wrong.
func NormalizeUsage(body []byte, settings *Settings) (Usage, error) {
	if err := CheckDepth(body, MaxDepth); err != nil {
		return Usage{}, fmt.Errorf("usage: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return Usage{}, fmt.Errorf("usage is not JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Usage{}, errors.New("usage has data after the JSON object")
	}
	top, ok := v.(map[string]any)
	if !ok {
		return Usage{}, errors.New("usage is not a JSON object")
	}
	if path, num := outOfRange(top, ""); path != "" {
		// Valid JSON, but no client can hold it: serde refuses the whole
		// list, Python reads inf.
		return Usage{}, fmt.Errorf("usage field %s: number %s out of range", cut(path, maxPath), cutKey(string(num)))
	}
	wholeToInt(top)

	n := normaliser{}
	cpu := n.object(top, "cpu")
	n.integer(cpu, "cpu.count", "count", 1)
	la := n.object(cpu, "load_average")
	for _, k := range []string{"load1", "load5", "load15"} {
		n.number(la, "cpu.load_average."+k, k)
	}
	cf := n.object(cpu, "core_frequencies")
	n.number(cf, "cpu.core_frequencies.min", "min")
	n.number(cf, "cpu.core_frequencies.max", "max")
	for _, k := range []string{"mem", "disk"} {
		c := n.object(top, k)
		n.integer(c, k+".total_kB", "total_kB", 1)
		n.integer(c, k+".available_kB", "available_kB", 0)
	}
	period := n.object(top, "period")
	n.timestamp(period, "period.start_timestamp", "start_timestamp")
	n.integer(period, "period.duration_seconds", "duration_seconds", 0)
	props := n.object(top, "properties")
	pcpu := n.object(props, "cpu")
	n.strOrUnknown(pcpu, "properties.cpu.architecture", "architecture")
	n.strOrUnknown(pcpu, "properties.cpu.vendor", "vendor")
	n.strings(pcpu, "properties.cpu.features", "features")
	switch top["active"].(type) {
	case bool:
	case nil:
		top["active"] = true // aleph-vm's default: a node that does not say is active
	default:
		n.fail("active", "a boolean", top["active"])
	}

	gpu, _ := top["gpu"].(map[string]any)
	if top["gpu"] != nil && gpu == nil {
		n.fail("gpu", "an object", top["gpu"])
	}
	if gpu == nil {
		gpu = map[string]any{}
		top["gpu"] = gpu
	}
	devices := n.gpuList(gpu, "devices", settings)
	available := n.gpuList(gpu, "available_devices", settings)
	if n.err != nil {
		return Usage{}, n.err
	}
	var u Usage
	u.JSON = encode(top)
	u.Compatible = encode(compatible(devices))
	u.CompatibleAvailable = encode(compatible(available))
	return u, nil
}

type normaliser struct{ err error }

func (n *normaliser) fail(path, want string, got any) {
	if n.err != nil {
		return
	}
	if got == nil {
		n.err = fmt.Errorf("usage field %s: missing, want %s", path, want)
		return
	}
	n.err = fmt.Errorf("usage field %s: want %s, got %s", path, want, describe(got))
}

func (n *normaliser) object(m map[string]any, key string) map[string]any {
	if m == nil {
		return nil
	}
	o, ok := m[key].(map[string]any)
	if !ok {
		n.fail(key, "an object", m[key])
	}
	return o
}

func (n *normaliser) integer(m map[string]any, path, key string, min int64) {
	if m == nil {
		return
	}
	num, ok := m[key].(json.Number)
	if !ok {
		n.fail(path, "an integer", m[key])
		return
	}
	i, err := strconv.ParseInt(string(num), 10, 64)
	if err != nil || i < min {
		n.fail(path, fmt.Sprintf("an integer >= %d", min), m[key])
	}
}

func (n *normaliser) number(m map[string]any, path, key string) {
	if m == nil {
		return
	}
	if _, ok := m[key].(json.Number); !ok {
		n.fail(path, "a number", m[key])
	}
}

func (n *normaliser) str(m map[string]any, path, key string) {
	if m == nil {
		return
	}
	if _, ok := m[key].(string); !ok {
		n.fail(path, "a string", m[key])
	}
}

// Unknown is written for a CPU property the node leaves out.
const Unknown = "unknown"

// strOrUnknown checks a string that aleph-vm omits when it does not know
// it: it writes usage with exclude_none, and sets architecture to None on
// a CPU that is neither x86_64 nor arm64 (orchestrator/machine.py,
// get_cpu_info). A missing or null value becomes "unknown", so that the
// rest of the usage is kept and strict clients still find a string; one
// of another type is an error.
func (n *normaliser) strOrUnknown(m map[string]any, path, key string) {
	if m == nil {
		return
	}
	if m[key] == nil {
		m[key] = Unknown
		return
	}
	n.str(m, path, key)
}

// strings checks an optional list of strings; a missing or null one becomes [].
func (n *normaliser) strings(m map[string]any, path, key string) {
	if m == nil {
		return
	}
	if m[key] == nil {
		m[key] = []any{}
		return
	}
	l, ok := m[key].([]any)
	if !ok {
		n.fail(path, "a list of strings", m[key])
		return
	}
	for _, e := range l {
		if _, ok := e.(string); !ok {
			n.fail(path, "a list of strings", m[key])
			return
		}
	}
}

// timestamp checks a date-time string. A naive one (Python's isoformat of a
// UTC time without zone) gets the UTC offset appended.
func (n *normaliser) timestamp(m map[string]any, path, key string) {
	if m == nil {
		return
	}
	s, ok := m[key].(string)
	if !ok {
		n.fail(path, "an RFC 3339 time", m[key])
		return
	}
	if _, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return
	}
	if _, err := time.Parse("2006-01-02T15:04:05.999999999", s); err == nil {
		m[key] = s + "+00:00"
		return
	}
	n.fail(path, "an RFC 3339 time", s)
}

// outOfRange returns the path of the first number in v beyond a
// float64's range (1e999, -1e400), and the number.
func outOfRange(v any, path string) (string, json.Number) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			p := cutKey(k)
			if path != "" {
				p = path + "." + p
			}
			if bad, num := outOfRange(e, p); bad != "" {
				return bad, num
			}
		}
	case []any:
		for i, e := range t {
			if bad, num := outOfRange(e, path+"["+strconv.Itoa(i)+"]"); bad != "" {
				return bad, num
			}
		}
	case json.Number:
		if _, err := strconv.ParseFloat(string(t), 64); err != nil {
			return path, t
		}
	}
	return "", ""
}

// wholeToInt rewrites numbers written with a fraction or exponent that are
// whole (8.0, 1e3) as integers, in place, so that integer-typed clients
// accept them.
func wholeToInt(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = wholeToInt(e)
		}
	case []any:
		for i, e := range t {
			t[i] = wholeToInt(e)
		}
	case json.Number:
		s := string(t)
		if !strings.ContainsAny(s, ".eE") {
			return t
		}
		f, err := strconv.ParseFloat(s, 64)
		if err == nil && f == math.Trunc(f) && math.Abs(f) <= 1<<53 {
			return json.Number(strconv.FormatInt(int64(f), 10))
		}
	}
	return v
}

// encode writes v as JSON, HTML characters as they are, into a buffer
// reused across calls, and returns a copy of exactly its length: what it
// returns is kept (a node's answer, until the next), and a buffer grown
// by doubling would keep up to half again as much.
func encode(v any) json.RawMessage {
	buf := scratchBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 64<<10 {
			buf.Reset()
			scratchBuffers.Put(buf)
		}
	}()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only values decoded from JSON reach here; they always encode.
		panic("aleph: re-encoding decoded JSON: " + err.Error())
	}
	return bytes.Clone(bytes.TrimRight(buf.Bytes(), "\n"))
}

var scratchBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func describe(v any) string {
	switch t := v.(type) {
	case string:
		if len(t) > 40 {
			t = t[:40] + "…"
		}
		return strconv.Quote(t)
	case json.Number:
		return string(t)
	case bool:
		return strconv.FormatBool(t)
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	}
	return fmt.Sprintf("%T", v)
}
