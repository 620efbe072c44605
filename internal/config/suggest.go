package config

import (
	"flag"
	"fmt"
	"strings"
)

// suggestKey names the flag a mistyped file key probably meant. The
// file's keys are flag names as --help writes them without the dashes in
// front, words joined by dashes: the command line's spelling (--listen),
// the environment's (refresh_interval, NODELIST_LISTEN) and a near miss
// (refresh-intervall) are the likely slips.
func suggestKey(fs *flag.FlagSet, key string) string {
	norm := normalize(key)
	if norm != key && fileKey(fs, norm) {
		switch {
		case strings.HasPrefix(key, "-"):
			return fmt.Sprintf("; did you mean %s? (keys are flag names without the dashes in front)", norm)
		default:
			return fmt.Sprintf("; did you mean %s? (keys are flag names, words joined by dashes)", norm)
		}
	}
	if near := nearest(fs, norm, func(name string) bool { return fileKey(fs, name) }); near != "" {
		return fmt.Sprintf("; did you mean %s?", near)
	}
	return ""
}

// suggestFlag names the flag a mistyped command-line flag probably
// meant.
func suggestFlag(fs *flag.FlagSet, name string) string {
	norm := normalize(name)
	if fs.Lookup(norm) != nil {
		return fmt.Sprintf("; did you mean --%s?", norm)
	}
	if near := nearest(fs, norm, func(string) bool { return true }); near != "" {
		return fmt.Sprintf("; did you mean --%s?", near)
	}
	return ""
}

// fileKey reports whether the file may set the flag name.
func fileKey(fs *flag.FlagSet, name string) bool {
	return fs.Lookup(name) != nil && !commandLineOnly[name] && name != fileFlag
}

// normalize writes a name as a flag name: lower case, dashes between
// words, no dashes in front, no NODELIST_ prefix.
func normalize(s string) string {
	s = strings.ToLower(strings.ReplaceAll(s, "_", "-"))
	s = strings.TrimLeft(s, "-")
	return strings.TrimPrefix(s, "nodelist-")
}

// nearest is the flag among those ok accepts within a small edit
// distance of name: one edit for a name of up to four letters, two for a
// longer one, so that a typo finds its flag while an unrelated word finds
// none. The first in --help's order wins a tie.
func nearest(fs *flag.FlagSet, name string, ok func(string) bool) string {
	limit := 1
	if len(name) > 4 {
		limit = 2
	}
	best, bestD := "", limit+1
	fs.VisitAll(func(f *flag.Flag) {
		if !ok(f.Name) {
			return
		}
		if d := editDistance(name, f.Name); d < bestD {
			best, bestD = f.Name, d
		}
	})
	return best
}

// editDistance is the optimal string alignment distance between a and
// b: insertions, deletions, substitutions and transpositions of two
// neighbouring letters, each costing one (Damerau–Levenshtein, each
// letter edited at most once). Names are short; the table is small.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
