package aleph

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// badText are the spellings of text that decodes to U+FFFD: every kind
// of invalid UTF-8 and every unpaired surrogate escape.
var badText = []struct{ name, raw, problem string }{
	{"invalid byte", "1.9.2\xff\xfe", "invalid UTF-8"},
	{"lone continuation byte", "a\x80b", "invalid UTF-8"},
	{"continuation bytes only", "\xbf\xbf", "invalid UTF-8"},
	{"overlong slash", "\xc0\xaf", "invalid UTF-8"},
	{"overlong NUL", "\xc0\x80", "invalid UTF-8"},
	{"overlong three bytes", "\xe0\x80\xaf", "invalid UTF-8"},
	{"overlong four bytes", "\xf0\x80\x80\xaf", "invalid UTF-8"},
	{"high surrogate in UTF-8", "\xed\xa0\x80", "invalid UTF-8"},
	{"low surrogate in UTF-8", "\xed\xbf\xbf", "invalid UTF-8"},
	{"surrogate pair in UTF-8 (CESU-8)", "\xed\xa0\xbd\xed\xb8\x80", "invalid UTF-8"},
	{"beyond U+10FFFF", "\xf4\x90\x80\x80", "invalid UTF-8"},
	{"truncated sequence", "Auth\xc3", "invalid UTF-8"},
	{"truncated before quote", "\xe2\x82", "invalid UTF-8"},
	{"start byte then ASCII", "Auth\xc3\x28AMD", "invalid UTF-8"},
	{"0xF8 byte", "\xf8\x88\x80\x80\x80", "invalid UTF-8"},
	{"lone high surrogate escape", `\ud800`, `unpaired surrogate \ud800`},
	{"lone high surrogate escape, upper case", `x\uD83D`, `unpaired surrogate \ud83d`},
	{"lone low surrogate escape", `\udc00`, `unpaired surrogate \udc00`},
	{"reversed pair", `\ude00\ud83d`, `unpaired surrogate \ude00`},
	{"two high surrogates", `\ud83d\ud83d`, `unpaired surrogate \ud83d`},
	{"high surrogate then a letter escape", `\ud83d\u0041`, `unpaired surrogate \ud83d`},
	{"high surrogate then an escaped backslash", `\ud83d\\ude00`, `unpaired surrogate \ud83d`},
	{"high surrogate at the end", `abc\udbff`, `unpaired surrogate \udbff`},
}

// goodText decodes without a replacement the node did not write.
var goodText = []string{
	"plain", "AuthenticAMD", "é", "日本", "😀", `\ud83d\ude00`, `\uD83D\uDE00`, `\u00e9`, `\\ud800`,
	`\"\ud800\udc00\"`, "\xef\xbf\xbd", `\ufffd`, `\u0000`, "\u2028", "",
}

func TestCheckTextNamesTheField(t *testing.T) {
	for _, tt := range badText {
		for _, c := range []struct{ doc, want string }{
			{`{"version":"` + tt.raw + `"}`, "field version: " + tt.problem},
			{`{"properties":{"cpu":{"vendor":"` + tt.raw + `"}}}`, "field properties.cpu.vendor: " + tt.problem},
			{`{"gpu":{"devices":[{"model":"x"},{},{"model":"` + tt.raw + `"}]}}`, "field gpu.devices[2].model: " + tt.problem},
			{`{"a":[[1,"ok"],[2,"` + tt.raw + `"]]}`, "field a[1][1]: " + tt.problem},
			{`{"cpu":{"count":1,"` + tt.raw + `":2}}`, "a key in cpu: " + tt.problem},
			{`{"` + tt.raw + `":2}`, "a key: " + tt.problem},
			{`["` + tt.raw + `"]`, "field [0]: " + tt.problem},
			{`"` + tt.raw + `"`, tt.problem},
			{`[{}, "` + tt.raw + `"]`, "field [1]: " + tt.problem},
		} {
			err := CheckText([]byte(c.doc))
			if err == nil || err.Error() != c.want {
				t.Errorf("%s: %q: got %v, want %q", tt.name, c.doc, err, c.want)
			}
		}
	}
	for _, s := range goodText {
		doc := `{"a":["` + s + `",{"` + s + `":"` + s + `"}]}`
		if !json.Valid([]byte(doc)) {
			t.Fatalf("%q is not JSON", doc)
		}
		if err := CheckText([]byte(doc)); err != nil {
			t.Errorf("%q: %v", doc, err)
		}
	}
}

func TestCheckTextCutsLongKeys(t *testing.T) {
	long := strings.Repeat("k", 1000)
	err := CheckText([]byte(`{"` + long + `":{"v":"` + "\xff" + `"}}`))
	if err == nil || len(err.Error()) > 80 || !strings.HasPrefix(err.Error(), "field kkkk") {
		t.Errorf("got %v", err)
	}
	err = CheckText([]byte(`{"a\u0000\nb":{"v":"` + "\xff" + `"}}`))
	if err == nil || err.Error() != "field a??b.v: invalid UTF-8" {
		t.Errorf("got %v", err)
	}
	// 60 levels of 40-byte keys: the path is cut, the error stays short.
	deep := strings.Repeat(`{"`+strings.Repeat("k", 40)+`":`, 60) + "\"\xff\"" + strings.Repeat("}", 60)
	err = CheckText([]byte(deep))
	if err == nil || len(err.Error()) > 160 || !strings.HasSuffix(err.Error(), "…: invalid UTF-8") {
		t.Errorf("got %v (%d bytes)", err, len(err.Error()))
	}
}

// nonJSON are the tokens some encoders write that JSON has not, in every
// spelling, each with what the error must quote.
var nonJSON = []struct{ body, token string }{
	{`{"load1": NaN}`, "NaN"},
	{`{"load1": -NaN}`, "-NaN"},
	{`{"load1": nan}`, "nan"},
	{`{"load1": Infinity}`, "Infinity"},
	{`{"load1": -Infinity}`, "-Infinity"},
	{`{"load1": +Infinity}`, "+Infinity"},
	{`{"load1": inf}`, "inf"},
	{`{"load1": -inf}`, "-inf"},
	{`{"load1": INF}`, "INF"},
	{`{"load1": 1.5e}`, "1.5e"},
	{`{"load1": 0x10}`, "0x10"},
	{`{"load1": .5}`, ".5"},
	{`{"load1": +1}`, "+1"},
	{`{"load1": None}`, "None"},
	{`{"load1": undefined}`, "undefined"},
	{`{"active": True}`, "True"},
	{`[NaN]`, "NaN"},
	{`NaN`, "NaN"},
}

func TestSyntaxNamesTheToken(t *testing.T) {
	for _, tt := range nonJSON {
		err := Syntax([]byte(tt.body))
		if err == nil || !errors.Is(err, ErrNotJSON) || !strings.Contains(err.Error(), `"`+tt.token+`" at offset`) {
			t.Errorf("%s: got %v, want the token %q named", tt.body, err, tt.token)
		}
	}
	for _, body := range []string{``, `  `, `{"a":`, `{"a":1}}`, `{'a':1}`} {
		if err := Syntax([]byte(body)); err == nil || !errors.Is(err, ErrNotJSON) {
			t.Errorf("%q: got %v", body, err)
		}
	}
	if err := Syntax([]byte(`{"a":[1e999, -0.0, "NaN"]}`)); err != nil {
		t.Errorf("valid JSON: %v", err)
	}
}

// surrogateEscape matches the escape of a surrogate, in any case.
var (
	surrogateEscape   = regexp.MustCompile(`\\u[dD][89abcdefABCDEF][0-9a-fA-F]{2}`)
	replacementEscape = regexp.MustCompile(`\\u[fF][fF][fF][dD]`)
)

// FuzzCheckText holds CheckText to what encoding/json does: a document it
// passes decodes with no U+FFFD the document does not write itself, and a
// document it refuses has invalid UTF-8 or a surrogate escape in it.
func FuzzCheckText(f *testing.F) {
	for _, tt := range badText {
		f.Add([]byte(`{"version":"` + tt.raw + `","a":["` + tt.raw + `"]}`))
	}
	for _, s := range goodText {
		f.Add([]byte(`{"a":["` + s + `",{"` + s + `":"` + s + `"}]}`))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		err := CheckText(b)
		if err != nil {
			if utf8.Valid(b) && !surrogateEscape.Match(b) {
				t.Fatalf("%q refused (%v) with valid text", b, err)
			}
			return
		}
		var v any
		if json.Unmarshal(b, &v) != nil {
			return
		}
		written := strings.Count(string(b), "\uFFFD") + len(replacementEscape.FindAll(b, -1))
		if got := replacements(v); got > written {
			t.Fatalf("%q passed, and decodes with %d U+FFFD where it writes %d", b, got, written)
		}
	})
}

func replacements(v any) int {
	n := 0
	switch t := v.(type) {
	case string:
		n += strings.Count(t, "\uFFFD")
	case []any:
		for _, e := range t {
			n += replacements(e)
		}
	case map[string]any:
		for k, e := range t {
			n += strings.Count(k, "\uFFFD") + replacements(e)
		}
	}
	return n
}

// FuzzSyntax: nil exactly for valid JSON, a short error otherwise.
func FuzzSyntax(f *testing.F) {
	for _, tt := range nonJSON {
		f.Add([]byte(tt.body))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		err := Syntax(b)
		if (err == nil) != json.Valid(b) {
			t.Fatalf("%q: %v, valid %v", b, err, json.Valid(b))
		}
		if err != nil && (!errors.Is(err, ErrNotJSON) || len(err.Error()) > 200) {
			t.Fatalf("%q: %v", b, err)
		}
	})
}

// A valid answer in the shape of /about/usage/system: about forty keys.
var usageLike = []byte(`{"cpu":{"count":16,"load_average":{"load1":0.5,"load5":0.4,"load15":0.3},"core_frequencies":{"min":1500,"max":3400}},` +
	`"mem":{"total_kB":65000000,"available_kB":40000000},"disk":{"total_kB":1000000000,"available_kB":500000000},` +
	`"period":{"start_timestamp":"2026-12-06T10:00:00Z","duration_seconds":60},` +
	`"properties":{"cpu":{"architecture":"x86_64","vendor":"AuthenticAMD","features":["sev","sev_es"]}},` +
	`"gpu":{"devices":[{"vendor":"NVIDIA","model":"RTX 4090","device_name":"AD102 [GeForce RTX 4090]","device_class":"0300","pci_host":"01:00.0","device_id":"10de:2684","compatible":true}],` +
	`"available_devices":[]},"active":true}`)

func BenchmarkCheckText(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if e := CheckText(usageLike); e != nil {
			b.Fatal(e)
		}
	}
}
