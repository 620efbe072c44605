package config

import (
	"flag"
	"fmt"
	"strconv"
	"time"
)

// durationValue is a time.Duration flag whose error says what to write:
// "30" is the commonest mistake (seconds were meant), and the standard
// flag answers it with a bare "parse error".
type durationValue struct{ p *time.Duration }

// DurationVar defines a duration flag like fs.DurationVar, whose refusal
// of a number without a unit (on the command line, in the environment or
// in the file alike) says which unit to add.
func DurationVar(fs *flag.FlagSet, p *time.Duration, name string, value time.Duration, usage string) {
	*p = value
	fs.Var(durationValue{p}, name, usage)
}

func (d durationValue) String() string {
	if d.p == nil { // the zero value flag.PrintDefaults makes to compare with
		return time.Duration(0).String()
	}
	return d.p.String()
}

func (d durationValue) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err == nil {
		*d.p = v
		return nil
	}
	if _, nerr := strconv.ParseFloat(s, 64); nerr == nil {
		return fmt.Errorf("%q has no unit: use %ss", s, s)
	}
	return fmt.Errorf("%q is not a duration: write it like 30s, 1m or 1h30m", s)
}
