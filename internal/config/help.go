package config

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// PrintFlags writes fs's flags for --help: each with its type, its
// meaning, its default and its environment variable.
func PrintFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		switch f.Value.(type) {
		case durationValue:
			name = "duration"
		case *List:
			name = "list"
		case dbFlag:
			name = "string"
		}
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		fmt.Fprintf(w, "%s\n    \t%s", line, strings.ReplaceAll(usage, "\n", "\n    \t"))
		if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "0s" && f.DefValue != "false" {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		if !commandLineOnly[f.Name] {
			fmt.Fprintf(w, " [%s]", EnvName(f.Name))
		}
		fmt.Fprintln(w)
	})
}
