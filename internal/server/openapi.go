package server

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"nodelist/internal/contract"
)

// openapi.json describes every route. The CRN schemas are not written in
// it: they are the contract's (internal/contract/crns.schema.json), merged
// in here, so that the description cannot drift from what tests hold
// crns.json to. openapi.json may only annotate them (descriptions, field
// by field), never restate a type.
//
//go:embed openapi.json
var apiJSON []byte

// apiDescription is the whole description, merged once. Only the parts
// the merge changes are decoded; the rest, examples included, keeps its
// bytes and so the order of its keys.
var apiDescription = sync.OnceValues(func() ([]byte, error) {
	return mergeContract(apiJSON, contract.Schema())
})

// contractTop is the name the contract's whole document takes among the
// components; its $defs take contractName.
const contractTop = "CRNList"

func contractName(def string) string {
	switch def {
	case "crn", "gpu":
		return strings.ToUpper(def)
	}
	return strings.ToUpper(def[:1]) + def[1:]
}

// mergeContract puts the contract's schemas into doc's components,
// carrying over doc's annotations of them.
func mergeContract(docJSON, schemaJSON []byte) ([]byte, error) {
	var doc, components map[string]json.RawMessage
	var schemas, top map[string]any
	if err := json.Unmarshal(docJSON, &doc); err != nil {
		return nil, fmt.Errorf("read openapi.json: %w", err)
	}
	if err := json.Unmarshal(doc["components"], &components); err != nil {
		return nil, fmt.Errorf("read openapi.json's components: %w", err)
	}
	if err := json.Unmarshal(components["schemas"], &schemas); err != nil || schemas == nil {
		return nil, fmt.Errorf("read openapi.json's components.schemas: %v", err)
	}
	if err := json.Unmarshal(schemaJSON, &top); err != nil {
		return nil, fmt.Errorf("read the contract: %w", err)
	}
	defs, _ := top["$defs"].(map[string]any)
	// $id would make the component a resource of its own, against which
	// the rewritten references would not resolve.
	for _, k := range []string{"$defs", "$schema", "$id"} {
		delete(top, k)
	}
	from := map[string]any{contractTop: top}
	for name, def := range defs {
		from[contractName(name)] = def
	}
	for name, s := range from {
		merged, err := annotate(rewriteRefs(s), schemas[name], name)
		if err != nil {
			return nil, err
		}
		schemas[name] = merged
	}
	var err error
	if components["schemas"], err = json.Marshal(schemas); err != nil {
		return nil, err
	}
	if doc["components"], err = json.Marshal(components); err != nil {
		return nil, err
	}
	return json.Marshal(doc)
}

// rewriteRefs points the contract's references to its $defs at the
// components they become.
func rewriteRefs(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if ref, ok := e.(string); ok && k == "$ref" && strings.HasPrefix(ref, "#/$defs/") {
				v[k] = "#/components/schemas/" + contractName(strings.TrimPrefix(ref, "#/$defs/"))
				continue
			}
			v[k] = rewriteRefs(e)
		}
	case []any:
		for i, e := range v {
			v[i] = rewriteRefs(e)
		}
	}
	return v
}

// annotations are the keywords openapi.json may add to a contract schema:
// they describe and never constrain.
var annotations = map[string]bool{"description": true, "title": true, "examples": true, "externalDocs": true, "$comment": true}

// annotate adds notes (openapi.json's entry for a contract schema) to
// schema: its annotations, and those of its properties, recursively. A
// note on a property the contract lacks, or a constraint, is an error.
// A description of the contract's own comes after the note's.
func annotate(schema, notes any, at string) (any, error) {
	if notes == nil {
		return schema, nil
	}
	s, ok1 := schema.(map[string]any)
	n, ok2 := notes.(map[string]any)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("openapi.json annotates %s, which is not an object in the contract", at)
	}
	for k, v := range n {
		switch {
		case k == "properties":
			props, _ := s["properties"].(map[string]any)
			for name, note := range v.(map[string]any) {
				p, ok := props[name]
				if !ok {
					return nil, fmt.Errorf("openapi.json describes %s.%s, which the contract does not have", at, name)
				}
				merged, err := annotate(p, note, at+"."+name)
				if err != nil {
					return nil, err
				}
				props[name] = merged
			}
		case !annotations[k]:
			return nil, fmt.Errorf("openapi.json sets %q on %s: the contract owns its types", k, at)
		case k == "description" && s[k] != nil:
			s[k] = fmt.Sprint(v) + "\n\n" + fmt.Sprint(s[k])
		default:
			s[k] = v
		}
	}
	return s, nil
}

var operations = map[string]bool{"get": true, "put": true, "post": true, "delete": true, "options": true, "head": true, "patch": true, "trace": true}

var pathParam = regexp.MustCompile(`\{[^}/]+\}`)

// describeAPI returns the description this server serves: the whole of
// it, less the operations its mux would not route (debug endpoints turned
// off, say).
func (s *Server) describeAPI() ([]byte, error) {
	whole, err := apiDescription()
	if err != nil {
		return nil, err
	}
	var doc map[string]json.RawMessage
	var paths map[string]map[string]json.RawMessage
	if err := json.Unmarshal(whole, &doc); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(doc["paths"], &paths); err != nil {
		return nil, fmt.Errorf("read openapi.json's paths: %w", err)
	}
	for p, item := range paths {
		served := false
		for k := range item {
			if !operations[k] {
				continue
			}
			if r, err := sampleRequest(k, p); err == nil && s.mux.serves(r) {
				served = true
			} else {
				delete(item, k)
			}
		}
		if !served {
			delete(paths, p)
		}
	}
	if doc["paths"], err = json.Marshal(paths); err != nil {
		return nil, err
	}
	return json.Marshal(doc)
}

// sampleRequest is a request for an operation of a described path, its
// parameters filled with a placeholder.
func sampleRequest(method, path string) (*http.Request, error) {
	return http.NewRequest(strings.ToUpper(method), "http://localhost"+pathParam.ReplaceAllString(path, "x"), nil)
}

// openAPI serves the description.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	page{body: s.apiDoc, contentType: "application/json"}.ServeHTTP(w, r)
}
