package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
)

// fileFlag names the configuration file; CheckFlag asks serve to check
// the configuration and exit.
const (
	fileFlag  = "config"
	CheckFlag = "check-config"
)

// commandLineOnly flags are read neither from the environment nor from
// the file: they say what to do this once, not how the service runs.
var commandLineOnly = map[string]bool{CheckFlag: true}

// RegisterFile adds --config, the YAML file read after the command line
// and the environment.
func (c *Config) RegisterFile(fs *flag.FlagSet) {
	fs.StringVar(&c.File, fileFlag, c.File, "YAML file of settings, keys being flag names (refresh-interval: 30s); flags and environment win over it")
}

// Sources say where each flag that is not at its default was set:
// "flag", "env NODELIST_…" or "file PATH:LINE:COLUMN" (the value's place).
type Sources map[string]string

// Parse reads fs's flags from args, then from NODELIST_<FLAG> for those
// not on the command line, then from the YAML file named by --config (on
// the command line or in NODELIST_CONFIG) for those set by neither:
// flag > environment > file > default. A bad value names where it came
// from; every mistake of the environment and the file is said at once.
func Parse(fs *flag.FlagSet, args []string) (Sources, error) {
	src, rest, err := ParseArgs(fs, args)
	if err == nil && len(rest) > 0 {
		err = fmt.Errorf("unexpected argument %q", rest[0])
	}
	return src, err
}

// ParseArgs is Parse for a command that takes arguments besides its
// flags: they may come before, between or after the flags (as in
// "nodelist probe URL --allow-private-targets"), and are returned in
// order. "--" ends the flags.
//
// A mistake on the command line stops the reading: the Sources are nil.
// Mistakes of the environment and the file are all said, and the Sources
// of what was read are returned with them, so that the caller may add
// what its parts find wrong to the same report (see Collect).
func ParseArgs(fs *flag.FlagSet, args []string) (Sources, []string, error) {
	var rest []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return nil, nil, explainParse(fs, err)
		}
		left := fs.Args()
		if used := len(args) - len(left); used > 0 && args[used-1] == "--" {
			rest = append(rest, left...) // after "--", nothing is a flag
			break
		}
		if len(left) > 0 {
			rest, left = append(rest, left[0]), left[1:]
		}
		args = left
	}
	src, err := applySources(fs)
	return src, rest, err
}

// explainParse adds to the flag package's refusal of an unknown flag the
// flag probably meant.
func explainParse(fs *flag.FlagSet, err error) error {
	name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: ")
	if !ok {
		return err
	}
	name = strings.TrimLeft(name, "-")
	return fmt.Errorf("unknown flag --%s%s", name, suggestFlag(fs, name))
}

// applySources notes the flags the command line set, then reads the
// environment and the file for the others. Every mistake of both is
// said at once; a value the file sets is noted with its place
// (fileSource).
func applySources(fs *flag.FlagSet) (Sources, error) {
	src := Sources{}
	fs.Visit(func(f *flag.Flag) { src[f.Name] = "flag" })
	envErr := applyEnv(fs, src)
	f := fs.Lookup(fileFlag)
	if f == nil || f.Value.String() == "" {
		return src, envErr
	}
	path := f.Value.String()
	values, errs := readFile(fs, path)
	fs.VisitAll(func(f *flag.Flag) {
		e, ok := values[f.Name]
		if !ok || src[f.Name] != "" {
			return
		}
		if fv, ok := f.Value.(FileValue); ok {
			if err := fv.UnmarshalYAML(e.val); err != nil {
				errs = append(errs, fileMistakes(path, f.Name, e.val, err)...)
				return
			}
		} else if err := fs.Set(f.Name, e.text); err != nil {
			errs = append(errs, &Mistake{Path: path, Line: e.val.Line, Column: e.val.Column, Msg: f.Name + ": " + err.Error(), Err: err})
			return
		}
		src[f.Name] = fileSource(path, e.val.Line, e.val.Column)
	})
	return src, errors.Join(append(sortMistakes(errs), flatten(envErr)...)...)
}

// ApplyEnv sets every flag of fs that has not been set on the command line
// from NODELIST_<FLAG> (upper case, dashes as underscores). Call it after
// fs.Parse, so that flags win over the environment.
func ApplyEnv(fs *flag.FlagSet) error {
	src := Sources{}
	fs.Visit(func(f *flag.Flag) { src[f.Name] = "flag" })
	return applyEnv(fs, src)
}

func applyEnv(fs *flag.FlagSet, src Sources) error {
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if src[f.Name] != "" || commandLineOnly[f.Name] {
			return
		}
		name := EnvName(f.Name)
		v, ok := os.LookupEnv(name)
		if !ok {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", name, v, err))
			return
		}
		src[f.Name] = "env " + name
	})
	return errors.Join(errs...)
}

// EnvName is the environment variable of a flag.
func EnvName(flagName string) string {
	return "NODELIST_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}
