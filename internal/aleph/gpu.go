package aleph

import "fmt"

// gpuStrings are the fields every aleph-vm release writes for a GPU; the
// contract requires them, so an entry lacking one cannot be passed on.
var gpuStrings = []string{"vendor", "device_name", "device_class", "pci_host", "device_id"}

// gpuList checks gpu[key], a list of GPU entries, gives each entry the
// service's verdict (see judge) and returns the entries.
func (n *normaliser) gpuList(gpu map[string]any, key string, settings *Settings) []map[string]any {
	if gpu[key] == nil {
		gpu[key] = []any{}
		return nil
	}
	list, ok := gpu[key].([]any)
	if !ok {
		n.fail("gpu."+key, "a list", gpu[key])
		return nil
	}
	out := make([]map[string]any, 0, len(list))
	for i, e := range list {
		path := fmt.Sprintf("gpu.%s[%d]", key, i)
		d, ok := e.(map[string]any)
		if !ok {
			n.fail(path, "an object", e)
			return nil
		}
		for _, k := range gpuStrings {
			n.str(d, path+"."+k, k)
		}
		if n.err != nil {
			return nil
		}
		judge(d, settings)
		out = append(out, d)
	}
	return out
}

// judge writes the service's verdict on one GPU entry into its
// "compatible" and "model".
//
// aleph-vm decides both once, at boot, from the settings of that day, and
// omits a None model (some serialisers write null instead: the same
// thing). Releases before 1.4.0 write neither. A node's verdict is thus
// stale by design, so the settings held now decide: a device_id they list
// is compatible and takes their model; any other is not, and keeps the
// node's model when it is a string, else its device_name. Without
// settings (none fetched yet) the node's own verdict stands. Either way
// every entry leaves with a string model and a boolean compatible.
func judge(d map[string]any, settings *Settings) {
	model, _ := d["model"].(string)
	if settings == nil {
		compatible, _ := d["compatible"].(bool)
		d["compatible"] = compatible
	} else if match := settings.Lookup(d["device_id"].(string)); match != nil {
		d["compatible"] = true
		if match.Model != "" {
			model = match.Model
		}
	} else {
		d["compatible"] = false
	}
	if model == "" {
		model = d["device_name"].(string)
	}
	d["model"] = model
}

// compatible lists the entries whose verdict is compatible, for
// compatible_gpus and compatible_available_gpus.
func compatible(entries []map[string]any) []any {
	out := []any{}
	for _, d := range entries {
		if d["compatible"] == true {
			out = append(out, d)
		}
	}
	return out
}
