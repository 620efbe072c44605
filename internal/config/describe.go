package config

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"
)

// Describe writes the settings of fs that are not at their default as a
// YAML configuration file, each with where it came from as a comment:
// what --check-config shows, and a file it could read back. A setting
// given its default value (mode: background in a file, say) is set but
// changes nothing, so it is left out. The file's own name is left out
// (a file cannot name another) and a database password is hidden.
func Describe(w io.Writer, fs *flag.FlagSet, src Sources) error {
	doc := &yaml.Node{Kind: yaml.MappingNode}
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if src[f.Name] == "" || f.Name == fileFlag || commandLineOnly[f.Name] || f.Value.String() == f.DefValue {
			return
		}
		v := &yaml.Node{Kind: yaml.ScalarNode, Value: shown(f.Name, f.Value.String())}
		if m, ok := f.Value.(yaml.Marshaler); ok {
			// A FileValue's structure (a list of mappings, say), written
			// as the file takes it back.
			if err := v.Encode(m); err != nil {
				errs = append(errs, fmt.Errorf("describe %s: %w", f.Name, err))
				return
			}
		}
		v.LineComment = "from " + src[f.Name]
		doc.Content = append(doc.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: f.Name}, v)
	})
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if len(doc.Content) == 0 {
		_, err := io.WriteString(w, "# every setting at its default\n")
		return err
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return err
	}
	return enc.Close()
}
