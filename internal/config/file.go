package config

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// readFile reads the YAML configuration file at path: a mapping whose
// keys are flag names of fs (refresh-interval: 30s) and whose values are
// scalars, written as on the command line, or lists of scalars for the
// comma-separated flags. It returns the values by flag name, and says
// everything wrong at once, each with its line: a key that is no flag
// (a typo would otherwise be ignored in silence), a key written twice, a
// nested mapping, a key without a value.
func readFile(fs *flag.FlagSet, path string) (map[string]string, error) {
	b, err := ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return map[string]string{}, nil // an empty file sets nothing
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("config file %s:%d: want a mapping of flag names to values (refresh-interval: 30s)", path, top.Line)
	}
	values := map[string]string{}
	var errs []error
	bad := func(n *yaml.Node, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config file %s:%d: %s", path, n.Line, fmt.Sprintf(format, args...)))
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
			bad(k, "unknown key %q%s", key, suggest(fs, key))
			continue
		}
		if _, dup := values[key]; dup {
			bad(k, "key %q is set twice", key)
			continue
		}
		val, err := scalarOrList(v)
		if structured[key] && v.Kind != yaml.ScalarNode {
			val, err = asJSON(v)
		}
		if err != nil {
			bad(v, "%s: %v", key, err)
			continue
		}
		values[key] = val
	}
	return values, errors.Join(errs...)
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

// suggest names the flag a mistyped key probably meant: the environment's
// spelling (refresh_interval) and the command line's (--refresh-interval)
// are the likely slips.
func suggest(fs *flag.FlagSet, key string) string {
	guess := strings.ToLower(strings.TrimLeft(strings.ReplaceAll(key, "_", "-"), "-"))
	guess = strings.TrimPrefix(guess, "nodelist-")
	if guess != key && fs.Lookup(guess) != nil {
		return fmt.Sprintf(" (keys are flag names: %s)", guess)
	}
	return ""
}
