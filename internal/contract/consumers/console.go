package consumers

// The Aleph console (aleph-im/front-aleph-cloud-page): getAllCRNsSpecs
// (src/domain/node.ts) fetches crns.json and spreads each entry's
// system_usage into it ({...system_usage, ...rest}); the instance form
// validates the node a user picks with nodeSpecsSchema
// (src/helpers/schemas/instance.ts, zod). A node that fails it cannot be
// picked; the others are not affected. zod objects strip unknown keys.

// consoleSpecs is nodeSpecsSchema, read on the spread entry, with the
// registry's locked typed as the console types it (BaseNode.locked:
// boolean in src/domain/node.ts; the review's run of the console refused
// "locked": "" with "Expected boolean, received string"). The console
// converts locked with !! only when it reads the registry itself
// (parseResourceNodes), not crns.json.
var consoleSpecs = object(
	req("hash", strictString),
	opt("name", strictString), // .optional(): missing is fine, null is not
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
	req("locked", strictBool),
)

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

// Console is the console's reading of crns.json.
func Console() Consumer {
	return Consumer{
		Name:   "console",
		Source: "aleph-im/front-aleph-cloud-page src/domain/node.ts (getAllCRNsSpecs, BaseNode), src/helpers/schemas/instance.ts (nodeSpecsSchema)",
		Entry:  func(e Object) error { return consoleSpecs(consoleSpread(e)) },
		Filters: []Filter{
			{"selectable", func(Object) bool { return true }},
			{"selectable, with a compatible GPU free", func(e Object) bool {
				avail, _ := e["compatible_available_gpus"].([]any)
				return len(avail) > 0
			}},
		},
	}
}
