package config

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Mistake is one thing wrong in the configuration file, at its place:
// a line and, where known, a column (both from 1). Its message names the
// key as the file writes it.
type Mistake struct {
	Path   string
	Line   int
	Column int // 0: unknown (YAML syntax errors give the line only)
	Msg    string
	Err    error // the cause, for errors.Is and errors.As; may be nil
}

func (m *Mistake) Error() string {
	if m.Column > 0 {
		return fmt.Sprintf("config file %s:%d:%d: %s", m.Path, m.Line, m.Column, m.Msg)
	}
	return fmt.Sprintf("config file %s:%d: %s", m.Path, m.Line, m.Msg)
}

func (m *Mistake) Unwrap() error { return m.Err }

// FileValue is a flag whose value in the file is more than a value or a
// list of values (a list of subscriptions, each a mapping, say). The file
// hands it its YAML node instead of text; it reports each mistake at its
// place with NodeError, joined with errors.Join, so that the report names
// every one with its line and column. A mistake without a place is put at
// the key's value. The value must stay as it was when it refuses the
// node. On the command line and in the environment it is set by Set, as
// any flag. A value that also implements yaml.Marshaler is written by
// Describe (--check-config) in the form the file takes back.
type FileValue interface {
	flag.Value
	yaml.Unmarshaler // UnmarshalYAML(*yaml.Node) error
}

// nodeError is a FileValue's mistake at a node of its value.
type nodeError struct {
	line, column int
	err          error
}

func (e *nodeError) Error() string { return e.err.Error() }
func (e *nodeError) Unwrap() error { return e.err }

// NodeError is a mistake at node n of a FileValue's value: the report
// names n's line and column.
func NodeError(n *yaml.Node, format string, args ...any) error {
	return &nodeError{line: n.Line, column: n.Column, err: fmt.Errorf(format, args...)}
}

// fileMistakes turns a FileValue's refusal into mistakes of the file at
// path: each at its node, or at the key's value v when it has no place.
func fileMistakes(path, key string, v *yaml.Node, err error) []error {
	var out []error
	for _, e := range flatten(err) {
		m := &Mistake{Path: path, Line: v.Line, Column: v.Column, Msg: key + ": " + e.Error(), Err: e}
		var ne *nodeError
		if errors.As(e, &ne) {
			m.Line, m.Column = ne.line, ne.column
		}
		out = append(out, m)
	}
	return out
}

// flatten lists the errors errors.Join put together, at any depth.
func flatten(err error) []error {
	if err == nil {
		return nil
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, flatten(e)...)
	}
	return out
}

// sortMistakes puts the file's mistakes first, in the file's order, and
// the other errors after them, in the order found.
func sortMistakes(errs []error) []error {
	slices.SortStableFunc(errs, func(a, b error) int {
		ma, aok := a.(*Mistake)
		mb, bok := b.(*Mistake)
		switch {
		case aok && bok:
			return cmp.Or(cmp.Compare(ma.Line, mb.Line), cmp.Compare(ma.Column, mb.Column))
		case aok:
			return -1
		case bok:
			return 1
		}
		return 0
	})
	return errs
}

// Collect is every mistake of a configuration as one error: those of the
// sources (the file's, the environment's) and those the parts found
// validating it. A part's error naming a flag (--mode "x": ...) whose
// value came from the file is put at that value's place and names the
// key as the file writes it (mode "x": ...). Nil when errs hold none.
func Collect(src Sources, errs ...error) error {
	var all []error
	for _, err := range errs {
		for _, e := range flatten(err) {
			all = append(all, locate(src, e))
		}
	}
	return errors.Join(sortMistakes(all)...)
}

// locate puts a part's error about a flag set in the file at its place.
func locate(src Sources, err error) error {
	msg := err.Error()
	if _, ok := err.(*Mistake); ok || !strings.HasPrefix(msg, "--") {
		return err
	}
	name := msg[2:]
	if i := strings.IndexAny(name, " :"); i >= 0 {
		name = name[:i]
	}
	path, line, col, ok := filePlace(src[name])
	if !ok {
		return err
	}
	return &Mistake{Path: path, Line: line, Column: col, Msg: msg[2:], Err: err}
}

// fileSource is what Sources says of a value read from the file at path,
// at line and column.
func fileSource(path string, line, col int) string {
	return fmt.Sprintf("file %s:%d:%d", path, line, col)
}

// filePlace reads fileSource back.
func filePlace(s string) (path string, line, col int, ok bool) {
	rest, found := strings.CutPrefix(s, "file ")
	if !found {
		return "", 0, 0, false
	}
	i := strings.LastIndexByte(rest, ':')
	if i < 0 {
		return "", 0, 0, false
	}
	j := strings.LastIndexByte(rest[:i], ':')
	if j < 0 {
		return "", 0, 0, false
	}
	line, lerr := strconv.Atoi(rest[j+1 : i])
	col, cerr := strconv.Atoi(rest[i+1:])
	if lerr != nil || cerr != nil {
		return "", 0, 0, false
	}
	return rest[:j], line, col, true
}
