package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"nodelist/internal/config"
	"nodelist/internal/contract"
	"os"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// docURL names the description among the schema compiler's resources;
// pointers into it are compiled as schemas.
const docURL = "file:///openapi.json"

// apiSchemas compiles schemas found in the merged description by JSON
// pointer; its references resolve within the document.
type apiSchemas struct {
	doc map[string]any
	c   *jsonschema.Compiler
}

func newAPISchemas(t *testing.T) *apiSchemas {
	t.Helper()
	b, err := apiDescription()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	res, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(docURL, res); err != nil {
		t.Fatal(err)
	}
	return &apiSchemas{doc: doc, c: c}
}

// pointer escapes the tokens of a JSON pointer.
func pointer(tokens ...string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteString("/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(t))
	}
	return b.String()
}

// validate checks a JSON value against the schema at ptr.
func (a *apiSchemas) validate(ptr string, body []byte) error {
	s, err := a.c.Compile(docURL + "#" + ptr)
	if err != nil {
		return fmt.Errorf("compile %s: %w", ptr, err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("not JSON: %w (%.200s)", err, body)
	}
	return s.Validate(v)
}

// resolve follows a local $ref ("#/components/...") in the document.
func (a *apiSchemas) resolve(v any) any {
	for range 8 {
		m, ok := v.(map[string]any)
		ref, isRef := m["$ref"].(string)
		if !ok || !isRef || !strings.HasPrefix(ref, "#/") {
			return v
		}
		v = a.at(ref[1:])
	}
	return v
}

// at returns the value at a JSON pointer, nil when there is none.
func (a *apiSchemas) at(ptr string) any {
	var v any = a.doc
	for _, tok := range strings.Split(ptr, "/")[1:] {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		switch c := v.(type) {
		case map[string]any:
			v = c[tok]
		case []any:
			var i int
			if _, err := fmt.Sscan(tok, &i); err != nil || i < 0 || i >= len(c) {
				return nil
			}
			v = c[i]
		default:
			return nil
		}
	}
	return v
}

// TestOpenAPIIsValid validates the description against the OpenAPI 3.1
// schema (testdata/oas-3.1.schema.json), checks that each of its
// references resolves and that each schema is a valid JSON Schema 2020-12.
func TestOpenAPIIsValid(t *testing.T) {
	a := newAPISchemas(t)
	oasJSON, err := os.ReadFile("testdata/oas-3.1.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	oasDoc, err := jsonschema.UnmarshalJSON(bytes.NewReader(oasJSON))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("oas-3.1.schema.json", oasDoc); err != nil {
		t.Fatal(err)
	}
	oas, err := c.Compile("oas-3.1.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	meta, err := c.Compile("https://json-schema.org/draft/2020-12/schema")
	if err != nil {
		t.Fatal(err)
	}
	full, _ := json.Marshal(a.doc)
	served := newAPIServer(t, Options{}).apiDoc // debug endpoints off
	for name, b := range map[string][]byte{"whole": full, "served without debug endpoints": served} {
		v, _ := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err := oas.Validate(v); err != nil {
			t.Errorf("%s description is not OpenAPI 3.1: %v", name, err)
		}
	}
	refs := 0
	walk(a.doc, "", func(ptr string, m map[string]any) {
		if ref, ok := m["$ref"].(string); ok {
			refs++
			if !strings.HasPrefix(ref, "#/") || a.at(ref[1:]) == nil {
				t.Errorf("%s: $ref %q does not resolve", ptr, ref)
			}
		}
	})
	schemas := a.doc["components"].(map[string]any)["schemas"].(map[string]any)
	for name, s := range schemas {
		b, _ := json.Marshal(s)
		v, _ := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err := meta.Validate(v); err != nil {
			t.Errorf("schema %s is not JSON Schema 2020-12: %v", name, err)
		}
		if _, err := a.c.Compile(docURL + "#" + pointer("components", "schemas", name)); err != nil {
			t.Errorf("schema %s: %v", name, err)
		}
	}
	// What the schema cannot see: operation ids are unique, and each
	// templated path parameter is declared by every operation of its path.
	ids := map[string]string{}
	for p, item := range a.doc["paths"].(map[string]any) {
		for method, op := range item.(map[string]any) {
			if !operations[method] {
				continue
			}
			id, _ := op.(map[string]any)["operationId"].(string)
			if prev, dup := ids[id]; dup || id == "" {
				t.Errorf("%s %s: operationId %q missing or already used by %s", method, p, id, prev)
			}
			ids[id] = method + " " + p
			declared := map[string]bool{}
			params, _ := op.(map[string]any)["parameters"].([]any)
			for _, prm := range params {
				if m, _ := a.resolve(prm).(map[string]any); m["in"] == "path" {
					declared[m["name"].(string)] = true
				}
			}
			for _, tmpl := range pathParam.FindAllString(p, -1) {
				if !declared[strings.Trim(tmpl, "{}")] {
					t.Errorf("%s %s: path parameter %s is not declared", method, p, tmpl)
				}
			}
		}
	}
	t.Logf("%d paths, %d operations, %d schemas, %d references", len(a.doc["paths"].(map[string]any)), len(ids), len(schemas), refs)
}

// walk calls f on every object in v, with its JSON pointer.
func walk(v any, ptr string, f func(string, map[string]any)) {
	switch c := v.(type) {
	case map[string]any:
		f(ptr, c)
		for k, e := range c {
			walk(e, ptr+pointer(k), f)
		}
	case []any:
		for i, e := range c {
			walk(e, fmt.Sprintf("%s/%d", ptr, i), f)
		}
	}
}

// TestOpenAPIContractSchemas checks that the CRN schemas come from the
// contract, and that every field of a CRN is described.
func TestOpenAPIContractSchemas(t *testing.T) {
	a := newAPISchemas(t)
	var top map[string]any
	if err := json.Unmarshal(contract.Schema(), &top); err != nil {
		t.Fatal(err)
	}
	crn := a.at(pointer("components", "schemas", "CRN")).(map[string]any)
	want := top["$defs"].(map[string]any)["crn"].(map[string]any)
	if !slices.Equal(toStrings(crn["required"]), toStrings(want["required"])) {
		t.Errorf("CRN required = %v, the contract says %v", crn["required"], want["required"])
	}
	for name, p := range crn["properties"].(map[string]any) {
		if d, _ := p.(map[string]any)["description"].(string); d == "" {
			t.Errorf("CRN.%s has no description", name)
		}
	}
	for _, tc := range []struct{ body, why string }{
		{`{"components":{"schemas":{"CRN":{"type":"object"}}}}`, "a type"},
		{`{"components":{"schemas":{"CRN":{"properties":{"nope":{"description":"x"}}}}}}`, "a field the contract lacks"},
	} {
		if _, err := mergeContract([]byte(tc.body), contract.Schema()); err == nil || !strings.Contains(err.Error(), "CRN") {
			t.Errorf("openapi.json restating %s was merged", tc.why)
		}
	}
}

func toStrings(v any) []string {
	var out []string
	for _, e := range v.([]any) {
		out = append(out, e.(string))
	}
	return out
}

// TestOpenAPIExamples validates every example in the description against
// its schema: response and parameter examples, components' examples, and
// the examples that schemas carry.
func TestOpenAPIExamples(t *testing.T) {
	a := newAPISchemas(t)
	n := 0
	check := func(where, schemaPtr string, example any) {
		n++
		b, _ := json.Marshal(example)
		if err := a.validate(schemaPtr, b); err != nil {
			t.Errorf("%s: the example breaks its schema: %v", where, err)
		}
	}
	walk(a.doc, "", func(ptr string, m map[string]any) {
		if _, ok := m["schema"]; ok { // a media type or a parameter
			schemaPtr := ptr + "/schema"
			if ex, ok := m["example"]; ok {
				check(ptr, schemaPtr, ex)
			}
			if exs, ok := m["examples"].(map[string]any); ok {
				for name, ex := range exs {
					check(ptr+"/examples/"+name, schemaPtr, a.resolve(ex).(map[string]any)["value"])
				}
			}
		}
		if strings.Contains(ptr, "/schemas/") || strings.HasSuffix(ptr, "/schema") || strings.Contains(ptr, "/schema/") {
			if exs, ok := m["examples"].([]any); ok {
				for i, ex := range exs {
					check(fmt.Sprintf("%s/examples/%d", ptr, i), ptr, ex)
				}
			}
		}
	})
	// The stream's example is text; the data of each of its events is JSON.
	stream := a.at(pointer("paths", "/crns/changes", "get", "responses", "200", "content", "text/event-stream", "example")).(string)
	for _, ev := range parseEvents(stream) {
		check("/crns/changes example, event "+ev.name, pointer("components", "schemas", eventSchema[ev.name]), json.RawMessage(ev.data))
	}
	// The list's example is a whole crns.json: the contract must take it.
	list, _ := json.Marshal(a.at(pointer("components", "examples", "CRNList", "value")))
	if err := contract.Validate(list); err != nil {
		t.Errorf("the crns.json example breaks the contract: %v", err)
	}
	if n < 20 {
		t.Errorf("only %d examples checked", n)
	}
	t.Logf("%d examples valid", n)
}

// eventSchema is the schema of each change stream event's data.
var eventSchema = map[string]string{"current": "StreamState", "reset": "StreamState", "publication": "Publication"}

type streamEvent struct{ id, name, data string }

// parseEvents reads the events of a text/event-stream body.
func parseEvents(s string) []streamEvent {
	var out []streamEvent
	for block := range strings.SplitSeq(s, "\n\n") {
		var ev streamEvent
		for line := range strings.SplitSeq(block, "\n") {
			k, v, _ := strings.Cut(line, ": ")
			switch k {
			case "id":
				ev.id = v
			case "event":
				ev.name = v
			case "data":
				ev.data = v
			}
		}
		if ev.name != "" {
			out = append(out, ev)
		}
	}
	return out
}

// newAPIServer builds a server over the test fleet of newTestServer.
func newAPIServer(t *testing.T, opts Options) *Server {
	t.Helper()
	_, f := newTestServer(t)
	opts.Refresher = f
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// registryMismatches holds the description to the route registry and to
// the mux of s, built with every option that adds routes: each route of
// routeTable is described by its operation, with its method, at a path
// whose sample request s routes to it; each described operation is a
// route of the table; and the mux holds the table's routes and the web
// files beside the pages, nothing registered around the table.
func registryMismatches(s *Server, doc map[string]any) []string {
	type described struct{ method, path string }
	ops := map[string]described{}
	var bad []string
	for p, item := range doc["paths"].(map[string]any) {
		for method, op := range item.(map[string]any) {
			if !operations[method] {
				continue
			}
			id, _ := op.(map[string]any)["operationId"].(string)
			if prev, dup := ops[id]; dup || id == "" {
				bad = append(bad, fmt.Sprintf("%s %s: operationId %q missing or also at %s %s", method, p, id, prev.method, prev.path))
			}
			ops[id] = described{strings.ToUpper(method), p}
		}
	}
	inTable := map[string]bool{}
	for _, rt := range routeTable {
		inTable[rt.pattern()] = true
		d, ok := ops[rt.op]
		switch {
		case rt.op == "" || !ok:
			bad = append(bad, fmt.Sprintf("route %s (operation %q) is not described", rt.pattern(), rt.op))
			continue
		case d.method != rt.method:
			bad = append(bad, fmt.Sprintf("route %s: operation %s is described for %s", rt.pattern(), rt.op, d.method))
		}
		r, err := sampleRequest(d.method, d.path)
		if err != nil {
			bad = append(bad, fmt.Sprintf("operation %s: %v", rt.op, err))
			continue
		}
		if _, pattern := s.mux.Handler(r); pattern != rt.pattern() {
			bad = append(bad, fmt.Sprintf("operation %s at %s %s reaches %q, not route %s", rt.op, d.method, d.path, pattern, rt.pattern()))
		}
		delete(ops, rt.op)
	}
	for id, d := range ops {
		bad = append(bad, fmt.Sprintf("%s %s (operation %s) is described, but no route registers it", d.method, d.path, id))
	}
	for _, pattern := range s.mux.Patterns() {
		method, route, _ := strings.Cut(pattern, " ")
		_, asset := s.pages[route]
		asset = asset && method == "GET" && path.Ext(route) != ".html"
		if pattern != catchAll && !inTable[pattern] && !asset {
			bad = append(bad, fmt.Sprintf("route %s is registered around routeTable", pattern))
		}
	}
	slices.Sort(bad)
	return bad
}

// noReload is a reload that changes nothing, to serve POST /-/reload.
func noReload() (config.Report, error) {
	return config.Report{Applied: []config.Change{}, NeedsRestart: []config.Change{}}, nil
}

// TestOpenAPICoversEveryRoute holds the description to the one route
// registry (routes.go): a route added without being described fails
// here, and so do a described operation no route registers, a method
// that disagrees, and a route put on the mux around the registry. Turn on
// here every option that adds routes.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	a := newAPISchemas(t)
	reg := prometheus.NewRegistry()
	s := newAPIServer(t, Options{DebugEndpoints: true, Registerer: reg, Gatherer: reg, Reload: noReload})
	for _, p := range registryMismatches(s, a.doc) {
		t.Errorf("%s: keep routeTable (routes.go) and internal/server/openapi.json in step (README, \"The API description\")", p)
	}
	if got := len(s.mux.Patterns()); got <= len(routeTable) {
		t.Errorf("%d patterns registered with every option on, want the %d of routeTable, the web files and the catch-all", got, len(routeTable))
	}
	// The check fails when the description and the registry disagree.
	// Each case mutates a copy of the description, or the mux.
	for _, tc := range []struct {
		name   string
		mutate func(doc map[string]any)
		want   string
	}{
		{"an operation renamed", func(doc map[string]any) {
			opAt(doc, "/healthz", "get")["operationId"] = "getHealthz"
		}, "route GET /healthz (operation \"getHealth\") is not described"},
		{"a method changed", func(doc map[string]any) {
			item := doc["paths"].(map[string]any)["/-/reload"].(map[string]any)
			item["put"] = item["post"]
			delete(item, "post")
		}, "route POST /-/reload: operation reload is described for PUT"},
		{"an operation no route registers", func(doc map[string]any) {
			doc["paths"].(map[string]any)["/nowhere"] = map[string]any{"get": map[string]any{"operationId": "nowhere"}}
		}, "GET /nowhere (operation nowhere) is described, but no route registers it"},
		{"a path that reaches another route", func(doc map[string]any) {
			paths := doc["paths"].(map[string]any)
			paths["/readyz/x"] = paths["/readyz"]
			delete(paths, "/readyz")
		}, "operation getReady at GET /readyz/x reaches \"/\", not route GET /readyz"},
	} {
		doc := cloneJSON(t, a.doc)
		tc.mutate(doc)
		if got := registryMismatches(s, doc); !slices.Contains(got, tc.want) {
			t.Errorf("%s: mismatches %q, want among them %q", tc.name, got, tc.want)
		}
	}
	s.mux.handle(route{method: "GET", path: "/undescribed"}, http.NotFoundHandler())
	if got := registryMismatches(s, a.doc); !slices.Equal(got, []string{"route GET /undescribed is registered around routeTable"}) {
		t.Errorf("a route added to the mux around the table: mismatches %q", got)
	}
	t.Logf("%d routes in the table, %d patterns registered, all described or web files", len(routeTable), len(s.mux.Patterns()))
}

// opAt is the operation at method of path in doc.
func opAt(doc map[string]any, path, method string) map[string]any {
	return doc["paths"].(map[string]any)[path].(map[string]any)[method].(map[string]any)
}

// cloneJSON copies a decoded JSON document deeply.
func cloneJSON(t *testing.T, v map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestOpenAPIServedLeavesOutRoutesOff checks the served description: the
// debug endpoints are in it only when they are served.
func TestOpenAPIServedLeavesOutRoutesOff(t *testing.T) {
	for _, debug := range []bool{false, true} {
		s := newAPIServer(t, Options{DebugEndpoints: debug})
		var doc struct {
			OpenAPI string                    `json:"openapi"`
			Paths   map[string]map[string]any `json:"paths"`
		}
		if err := json.Unmarshal(s.apiDoc, &doc); err != nil {
			t.Fatal(err)
		}
		// Examples keep the order of their keys: a CRN's registry fields first.
		if !bytes.Contains(s.apiDoc, []byte(`"crns":[{"hash":`)) {
			t.Error("the served examples lost the order of their keys")
		}
		_, hasDebug := doc.Paths["/debug/task"]
		if doc.OpenAPI != "3.1.0" || hasDebug != debug || doc.Paths["/crns.json"]["get"] == nil {
			t.Errorf("debug endpoints %v: openapi %q, /debug/task described %v, /crns.json %v", debug, doc.OpenAPI, hasDebug, doc.Paths["/crns.json"] != nil)
		}
	}
}
