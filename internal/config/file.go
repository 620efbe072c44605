package config

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// entry is one key of the file that names a flag: its value as the
// command line would write it, or its node for a FileValue.
type entry struct {
	text string
	val  *yaml.Node
}

// readFile reads the YAML configuration file at path: a mapping whose
// keys are flag names of fs (refresh-interval: 30s) and whose values are
// scalars, written as on the command line, or lists of scalars for the
// comma-separated flags, or what a FileValue takes. It returns the
// entries by flag name, and every mistake found as a *Mistake, each with
// its line and column: a YAML syntax error, a key that is no flag (a
// typo would otherwise be ignored in silence), a key written twice, a
// nested mapping, a key without a value. A file that cannot be read at
// all is the one error returned, and no entries.
func readFile(fs *flag.FlagSet, path string) (map[string]entry, []error) {
	b, err := ReadFile(path)
	if err != nil {
		return nil, []error{fmt.Errorf("config file: %w", err)}
	}
	top, errs := parseYAML(path, b)
	values := map[string]entry{}
	if top == nil {
		return values, errs // an empty file sets nothing
	}
	if top.Kind != yaml.MappingNode {
		return nil, append(errs, &Mistake{Path: path, Line: top.Line, Column: top.Column,
			Msg: "want a mapping of flag names to values (refresh-interval: 30s)"})
	}
	bad := func(n *yaml.Node, format string, args ...any) {
		errs = append(errs, &Mistake{Path: path, Line: n.Line, Column: n.Column, Msg: fmt.Sprintf(format, args...)})
	}
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		key := k.Value
		switch {
		case k.Kind != yaml.ScalarNode:
			bad(k, "a key must be a flag name")
			continue
		case commandLineOnly[key] || key == fileFlag:
			bad(k, "%q is set on the command line only", key)
			continue
		case fs.Lookup(key) == nil:
			bad(k, "unknown key %q%s", key, suggestKey(fs, key))
			continue
		}
		if _, dup := values[key]; dup {
			bad(k, "key %q is set twice", key)
			continue
		}
		if _, ok := fs.Lookup(key).Value.(FileValue); ok {
			values[key] = entry{val: v}
			continue
		}
		text, err := scalarOrList(v)
		if err != nil {
			bad(v, "%s: %v", key, err)
			continue
		}
		values[key] = entry{text: text, val: v}
	}
	return values, errs
}

// maxSyntaxErrors bounds how many YAML syntax errors one reading names.
const maxSyntaxErrors = 10

// parseYAML parses the file's document and returns its top node (nil for
// an empty file). A syntax error stops a YAML parser; to name the other
// mistakes too, the line it names is blanked and the file parsed again,
// up to maxSyntaxErrors times. The lines keep their numbers, so what is
// found after is named where it is.
func parseYAML(path string, b []byte) (*yaml.Node, []error) {
	var errs []error
	lines := bytes.Split(b, []byte("\n"))
	for range maxSyntaxErrors {
		var doc yaml.Node
		err := yaml.Unmarshal(bytes.Join(lines, []byte("\n")), &doc)
		if err == nil {
			if len(doc.Content) == 0 {
				return nil, errs
			}
			return doc.Content[0], errs
		}
		n, msg := syntaxLine(err, lines)
		if n < 1 || n > len(lines) {
			return nil, append(errs, fmt.Errorf("config file %s: %w", path, err))
		}
		errs = append(errs, &Mistake{Path: path, Line: n, Msg: "YAML syntax: " + msg, Err: err})
		if len(bytes.TrimSpace(lines[n-1])) == 0 {
			return nil, errs // nothing left to skip: stop at what was found
		}
		lines[n-1] = nil
	}
	return nil, append(errs, fmt.Errorf("config file %s: more syntax errors may follow; only the first %d are named", path, maxSyntaxErrors))
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// maxSearchLines bounds the files whose syntax error's line is looked
// for by parsing ever longer beginnings (a few hundred lines is a large
// configuration; the search parses the file once per line).
const maxSearchLines = 2000

// syntaxLine is the line (from 1) of a YAML syntax error and its message
// without the line, 0 when unknown. The parser counts its own errors' lines
// from 0 and the scanner's from 1, and names no line 0 at all (nor where
// an unknown anchor is): then the line is the first whose addition makes
// the file's beginning fail as the whole file does.
func syntaxLine(err error, lines [][]byte) (int, string) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		if strings.HasPrefix(m[2], "did not find expected ") && !strings.Contains(m[2], " or line break") {
			n++ // a parser error: counted from 0
		}
		return n, m[2]
	}
	if len(lines) > maxSearchLines {
		return 0, msg
	}
	for k := 1; k <= len(lines); k++ {
		var doc yaml.Node
		if e := yaml.Unmarshal(bytes.Join(lines[:k], []byte("\n")), &doc); e != nil && e.Error() == err.Error() {
			return k, msg
		}
	}
	return 0, msg
}

// scalarOrList is a value as the command line would write it.
func scalarOrList(v *yaml.Node) (string, error) {
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			return "", errors.New("no value (write \"\" for an empty one)")
		}
		return v.Value, nil
	case yaml.SequenceNode:
		items := make([]string, 0, len(v.Content))
		for _, item := range v.Content {
			if item.Kind != yaml.ScalarNode || item.Tag == "!!null" {
				return "", errors.New("a list holds plain values only")
			}
			if strings.Contains(item.Value, ",") {
				return "", fmt.Errorf("list item %q holds a comma", item.Value)
			}
			items = append(items, item.Value)
		}
		return strings.Join(items, ","), nil
	case yaml.AliasNode:
		return scalarOrList(v.Alias)
	}
	return "", errors.New("want a value or a list of values, not a mapping")
}
