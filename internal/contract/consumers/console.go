package consumers

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// The Aleph console (aleph-im/front-aleph-cloud-page). getAllCRNsSpecs
// (src/domain/node.ts) fetches crns.json and spreads each entry's
// system_usage into it ({...system_usage, ...rest}). useCRNList
// (src/hooks/common/useCRNList.ts) offers a user the nodes without an
// issue: a valid stream_reward address and a version from 1.1.0
// (isStreamPaymentNotSupported), the smallest tier's resources free
// (validateMinNodeSpecs) and IPv6 from a VM (ipv6_check.vm). The node the
// user picks is then validated with nodeSpecsSchema
// (src/helpers/schemas/instance.ts, zod): one that fails cannot be used,
// though it was offered. zod objects strip unknown keys.

var gpuDevice = object(
	req("vendor", strictString), req("model", strictString), req("device_name", strictString),
	req("device_class", strictString), req("device_id", strictString), req("pci_host", strictString),
	req("compatible", strictBool),
)

// nodeSpecsSchema as of commit b79969c0 of instance.ts. Beside the usage
// it types registry fields (locked and score_updated booleans: the
// console converts locked with !! only when it reads the registry itself,
// in parseResourceNodes) and config fields: confidential_support,
// qemu_support and version are .optional() but not .nullable(), so null
// is refused there, while gpu_support is both.
var nodeSpecsSchema = object(
	req("hash", strictString),
	opt("name", strictString),
	req("owner", strictString), req("reward", strictString),
	req("locked", strictBool),
	req("time", strictNumber), req("score", strictNumber),
	req("score_updated", strictBool),
	req("decentralization", strictNumber), req("performance", strictNumber),
	req("status", oneOf("active", "waiting", "linked")),
	req("parent", nullable(strictString)),
	req("type", strictString),
	req("cpu", object(
		req("count", strictNumber),
		req("load_average", object(req("load1", strictNumber), req("load5", strictNumber), req("load15", strictNumber))),
		req("core_frequencies", object(req("min", strictNumber), req("max", strictNumber))))),
	req("mem", object(req("total_kB", strictNumber), req("available_kB", strictNumber))),
	req("disk", object(req("total_kB", strictNumber), req("available_kB", strictNumber))),
	req("period", object(req("start_timestamp", strictString), req("duration_seconds", strictNumber))),
	req("properties", object(req("cpu", object(
		req("architecture", strictString), req("vendor", strictString), opt("features", list(strictString)))))),
	req("active", strictBool),
	opt("gpu", object(opt("devices", list(gpuDevice)), opt("available_devices", list(gpuDevice)))),
	opt("compatible_gpus", list(gpuDevice)),
	opt("compatible_available_gpus", list(gpuDevice)),
	opt("gpu_support", nullable(strictBool)),
	opt("confidential_support", strictBool),
	opt("qemu_support", strictBool),
	opt("ipv6_check", object(req("host", strictBool), req("vm", strictBool))),
	opt("version", strictString),
)

// oneOf is z.enum.
func oneOf(values ...string) check {
	return func(v any) error {
		s, _ := v.(string)
		for _, w := range values {
			if s == w {
				return nil
			}
		}
		return fmt.Errorf("want one of %s, got %s", strings.Join(values, ", "), kind(v))
	}
}

// consoleSpread is getAllCRNsSpecs' {...system_usage, ...rest}: the
// usage's keys, then the entry's own over them (a null usage spreads
// nothing).
func consoleSpread(e Object) Object {
	out := Object{}
	if u, ok := e["system_usage"].(Object); ok {
		for k, v := range u {
			out[k] = v
		}
	}
	for k, v := range e {
		if k != "system_usage" {
			out[k] = v
		}
	}
	return out
}

// consoleMinSpecs is the smallest instance tier: 1 vCPU, 2 GiB of RAM,
// 20 GiB of disk (hard-coded beside the pricing aggregate's tiers).
var consoleMinSpecs = struct{ cpu, ramMiB, storageMiB float64 }{1, 2 * 1024, 20 * 1024}

// consoleOffered is useCRNList's "no issue" on a spread entry.
func consoleOffered(s Object) bool {
	reward, _ := s["stream_reward"].(string)
	if extractValidEthAddress(reward) == "" {
		return false
	}
	// getNodeVersionNumber: the spec's version when it has cpu, else 0.
	version := 0.0
	if _, hasCPU := s["cpu"]; hasCPU {
		if v, ok := s["version"].(string); ok && v != "" {
			version = consoleVersionNumber(v)
		}
	}
	if version < consoleVersionNumber("1.1.0") {
		return false
	}
	num := func(o any, key string) float64 {
		m, _ := o.(Object)
		n, _ := m[key].(json.Number)
		f, _ := n.Float64()
		return f
	}
	if consoleMinSpecs.cpu > num(s["cpu"], "count") || consoleMinSpecs.ramMiB > num(s["mem"], "available_kB")/1024 ||
		consoleMinSpecs.storageMiB > num(s["disk"], "available_kB")/1024 {
		return false
	}
	v6, _ := s["ipv6_check"].(Object)
	return truthy(v6["vm"])
}

var lettersAndHyphens = regexp.MustCompile(`[a-zA-Z-]`)

// consoleVersionNumber is the console's getVersionNumber: letters and
// hyphens dropped, the dot-separated parts as Number(), folded base 1000
// ("1.3.0-41-g7303587" reads 1.3.0417303587). NaN, as in JavaScript,
// compares false.
func consoleVersionNumber(v string) float64 {
	n := 0.0
	for _, part := range strings.Split(lettersAndHyphens.ReplaceAllString(v, ""), ".") {
		f, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
		if strings.TrimSpace(part) == "" {
			f, err = 0, nil // Number("") is 0
		}
		if err != nil {
			f = math.NaN()
		}
		n = n*1000 + f
	}
	return n
}

// Console is the console's reading of crns.json: it lists every entry,
// offers some, and refuses a picked one that fails nodeSpecsSchema.
func Console() Consumer {
	accepted := func(e Object) bool {
		s := consoleSpread(e)
		return consoleOffered(s) && nodeSpecsSchema(s) == nil
	}
	return Consumer{
		Name: "console",
		Source: "aleph-im/front-aleph-cloud-page src/domain/node.ts (getAllCRNsSpecs, isStreamPaymentNotSupported, " +
			"validateMinNodeSpecs), src/hooks/common/useCRNList.ts, src/helpers/schemas/instance.ts (nodeSpecsSchema)",
		Filters: []Filter{
			{ConsoleOffered, func(e Object) bool { return consoleOffered(consoleSpread(e)) }},
			{ConsoleAccepted, accepted},
			{"offered with a GPU", func(e Object) bool {
				s := consoleSpread(e)
				avail, _ := s["compatible_available_gpus"].([]any)
				return consoleOffered(s) && truthy(s["gpu_support"]) && len(avail) > 0
			}},
		},
	}
}

// The console's filters that tests compare: a node offered must be
// accepted once picked.
const (
	ConsoleOffered  = "offered"
	ConsoleAccepted = "offered and accepted when picked"
)

// ConsoleRefusal says why nodeSpecsSchema refuses e, nil when it does not.
func ConsoleRefusal(e Object) error { return nodeSpecsSchema(consoleSpread(e)) }
