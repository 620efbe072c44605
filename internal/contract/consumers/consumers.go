package consumers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// A Consumer is one client's reading of crns.json.
type Consumer struct {
	Name string
	// Source names the client's repository and the files modelled.
	Source string
	// List reads one entry as the client's list model does (a pydantic
	// list, a serde Vec): one entry it refuses fails the whole list. Nil
	// when the client has no such model.
	List func(e Object) error
	// Entry builds one entry as the client then does, entry by entry: one
	// it refuses is lost alone. Nil when it builds none.
	Entry func(e Object) error
	// Filters are the client's listing filters, by name: those that
	// decide which nodes a user is offered. Each is asked only about
	// entries Entry accepted.
	Filters []Filter
}

// A Filter is one of a client's listing filters.
type Filter struct {
	Name string
	Keep func(e Object) bool
}

// Verdict is how a client reads one document.
type Verdict struct {
	Entries  int                 // entries in the document
	Built    int                 // entries the client builds
	Refused  map[string]error    // why each other entry was refused, by hash
	ListOK   bool                // the client gets a list at all: its list model refused no entry
	Selected map[string]int      // entries each filter keeps (0 for all when !ListOK)
	Kept     map[string][]string // the hashes each filter keeps
}

// Object is a decoded JSON object, numbers kept as written (json.Number),
// so that an integer type can refuse 8.0 as the client does.
type Object = map[string]any

// Judge reads body, a whole crns.json, as c does.
func Judge(c Consumer, body []byte) (Verdict, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc struct {
		CRNs []Object `json:"crns"`
	}
	if err := dec.Decode(&doc); err != nil {
		return Verdict{}, fmt.Errorf("crns.json: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Verdict{}, errors.New("crns.json: data after the document")
	}
	v := Verdict{Entries: len(doc.CRNs), Refused: map[string]error{}, Selected: map[string]int{}, Kept: map[string][]string{}}
	var built []Object
	v.ListOK = true
	for _, e := range doc.CRNs {
		h, _ := e["hash"].(string)
		if c.List != nil {
			if err := c.List(e); err != nil {
				v.Refused[h] = fmt.Errorf("the whole list fails: %w", err)
				v.ListOK = false
				continue
			}
		}
		if c.Entry != nil {
			if err := c.Entry(e); err != nil {
				v.Refused[h] = err
				continue
			}
		}
		built = append(built, e)
	}
	v.Built = len(built)
	if !v.ListOK {
		v.Built = 0
	}
	for _, f := range c.Filters {
		v.Selected[f.Name] = 0
		if !v.ListOK {
			continue
		}
		for _, e := range built {
			if f.Keep(e) {
				v.Selected[f.Name]++
				h, _ := e["hash"].(string)
				v.Kept[f.Name] = append(v.Kept[f.Name], h)
			}
		}
	}
	return v, nil
}

// All are the consumers modelled.
func All() []Consumer {
	return []Consumer{SDKPython(), AlephRS(), Console(), AlephClient()}
}

// Reasons joins the refusals, for a test's message.
func (v Verdict) Reasons() string {
	var b strings.Builder
	for h, err := range v.Refused {
		fmt.Fprintf(&b, "\n  %.16s: %v", h, err)
	}
	return b.String()
}
