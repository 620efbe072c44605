package snapshot

import (
	"encoding/json"
	"strconv"
	"time"

	"nodelist/internal/aleph"
)

// Entry is everything the contract says about one CRN.
type Entry struct {
	Node      *aleph.Node
	Config    *aleph.NodeConfig // nil when no config data was ever fetched
	ConfigAt  time.Time         // time of the last good config; zero if none
	ConfigErr string            // last config error; "" when none
	Usage     *aleph.Usage      // nil when no valid usage was ever fetched
	UsageAt   time.Time
	UsageErr  string
	IPv6      []byte // {"host":bool,"vm":bool}; nil when undetermined
}

// computed are the keys the service writes; a registry field of the same
// name is replaced, never duplicated.
var computed = map[string]bool{
	"config_from_crn": true, "debug_config_from_crn_at": true, "debug_config_from_crn_error": true,
	"debug_usage_from_crn_at": true, "usage_from_crn_error": true, "version": true,
	"payment_receiver_address": true, "gpu_support": true, "confidential_support": true,
	"qemu_support": true, "system_usage": true, "compatible_gpus": true,
	"compatible_available_gpus": true, "ipv6_check": true,
}

// Computed reports whether key is written by the service rather than
// passed through from the registry.
func Computed(key string) bool { return computed[key] }

// Render appends the JSON object of one CRN to buf: every registry field
// as received, then the computed fields.
func Render(buf []byte, e *Entry) []byte {
	buf = append(buf, '{')
	for _, f := range e.Node.Fields {
		if computed[f.Key] {
			continue
		}
		buf = appendJSONString(buf, f.Key)
		buf = append(buf, ':')
		buf = append(buf, f.Value...)
		buf = append(buf, ',')
	}
	cfg := e.Config
	if cfg == nil {
		cfg = &aleph.NodeConfig{}
	}
	buf = append(buf, `"config_from_crn":`...)
	buf = strconv.AppendBool(buf, e.Config != nil)
	buf = append(buf, `,"debug_config_from_crn_at":`...)
	buf = AppendTime(buf, e.ConfigAt)
	buf = append(buf, `,"debug_config_from_crn_error":`...)
	buf = appendError(buf, e.ConfigErr)
	buf = append(buf, `,"debug_usage_from_crn_at":`...)
	buf = AppendTime(buf, e.UsageAt)
	buf = append(buf, `,"usage_from_crn_error":`...)
	buf = appendError(buf, e.UsageErr)
	buf = append(buf, `,"version":`...)
	buf = appendString(buf, cfg.Version)
	buf = append(buf, `,"payment_receiver_address":`...)
	buf = appendString(buf, cfg.PaymentReceiver)
	buf = append(buf, `,"gpu_support":`...)
	buf = appendBool(buf, cfg.GPUSupport)
	buf = append(buf, `,"confidential_support":`...)
	buf = appendBool(buf, cfg.Confidential)
	buf = append(buf, `,"qemu_support":`...)
	buf = appendBool(buf, cfg.QEMU)
	if e.Usage != nil {
		buf = append(buf, `,"system_usage":`...)
		buf = append(buf, e.Usage.JSON...)
		buf = append(buf, `,"compatible_gpus":`...)
		buf = append(buf, e.Usage.Compatible...)
		buf = append(buf, `,"compatible_available_gpus":`...)
		buf = append(buf, e.Usage.CompatibleAvailable...)
	} else {
		buf = append(buf, `,"system_usage":null,"compatible_gpus":[],"compatible_available_gpus":[]`...)
	}
	buf = append(buf, `,"ipv6_check":`...)
	if e.IPv6 != nil {
		buf = append(buf, e.IPv6...)
	} else {
		buf = append(buf, `{"host":false,"vm":false}`...)
	}
	return append(buf, '}')
}

// TimeLayout is how every time is written: RFC 3339 in UTC with
// microseconds and a +00:00 offset, as Python's isoformat writes it.
const TimeLayout = "2006-01-02T15:04:05.000000+00:00"

// AppendTime appends t as a JSON string, or null for the zero time.
func AppendTime(buf []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(buf, "null"...)
	}
	buf = append(buf, '"')
	buf = t.UTC().AppendFormat(buf, TimeLayout)
	return append(buf, '"')
}

// FormatTime is AppendTime's text without quotes ("" for the zero time).
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(TimeLayout)
}

func appendError(buf []byte, s string) []byte {
	if s == "" {
		s = "None"
	}
	return appendJSONString(buf, s)
}

func appendString(buf []byte, s *string) []byte {
	if s == nil {
		return append(buf, "null"...)
	}
	return appendJSONString(buf, *s)
}

func appendBool(buf []byte, b *bool) []byte {
	if b == nil {
		return append(buf, "null"...)
	}
	return strconv.AppendBool(buf, *b)
}

// appendJSONString writes s as a JSON string; encoding/json replaces
// invalid UTF-8, which strconv.Quote would escape in a way JSON lacks.
func appendJSONString(buf []byte, s string) []byte {
	b, _ := json.Marshal(s)
	return append(buf, b...)
}
