package aleph

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Text that cannot be passed on. encoding/json decodes invalid UTF-8, and
// a \ud800 escape without its pair, into U+FFFD without a word, and
// json.Compact passes invalid bytes through: either way crns.json would
// carry text the node never wrote, or bytes strict clients refuse (serde
// rejects both, and a Python client reading bytes fails on the first). So
// every answer and registry entry is scanned before it is decoded.

// TextError says which string of a JSON document holds text that is not
// valid Unicode.
type TextError struct {
	Path    string // the field, as a.b[2].c; "" for the document itself
	Key     bool   // the fault is in a key of Path, not in its value
	Problem string // "invalid UTF-8" or "unpaired surrogate \ud800"
}

func (e *TextError) Error() string {
	switch {
	case e.Key && e.Path == "":
		return "a key: " + e.Problem
	case e.Key:
		return "a key in " + e.Path + ": " + e.Problem
	case e.Path == "":
		return e.Problem
	}
	return "field " + e.Path + ": " + e.Problem
}

// maxPathKey bounds each key quoted in a TextError's path, and maxPath
// the path, so that the error stays a short value (errors of thousands of
// nodes are kept).
const (
	maxPathKey = 40
	maxPath    = 120
)

// CheckText reports the first string of the JSON document b, key or
// value, holding invalid UTF-8 (overlong forms, surrogates encoded in
// UTF-8, stray continuation bytes, truncated sequences) or a \uXXXX
// escape of a surrogate without its pair. b must be valid JSON apart from
// its text (see Syntax); on a malformed document it reports what it found
// before the fault, if anything.
func CheckText(b []byte) *TextError {
	type level struct {
		object bool
		index  int
		key    []byte // as written, quotes included: decoded only for an error's path
	}
	var room [16]level // answers nest a few levels: no allocation for them
	stack := room[:0]
	path := func(levels []level) string {
		var sb strings.Builder
		for i, l := range levels {
			if l.object {
				if i > 0 {
					sb.WriteByte('.')
				}
				sb.WriteString(pathKey(l.key))
			} else {
				sb.WriteString("[" + strconv.Itoa(l.index) + "]")
			}
		}
		return cut(sb.String(), maxPath)
	}
	expectKey := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '{', '[':
			stack = append(stack, level{object: c == '{'})
			expectKey = c == '{'
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			expectKey = false
		case ',':
			if n := len(stack); n > 0 {
				if stack[n-1].object {
					expectKey = true
				} else {
					stack[n-1].index++
				}
			}
		case '"':
			end, problem := checkString(b, i)
			if end < 0 && problem == "" {
				return nil
			}
			if problem != "" {
				if expectKey && len(stack) > 0 {
					return &TextError{Path: path(stack[:len(stack)-1]), Key: true, Problem: problem}
				}
				return &TextError{Path: path(stack), Problem: problem}
			}
			if expectKey && len(stack) > 0 {
				stack[len(stack)-1].key = b[i:end]
				expectKey = false
			}
			i = end - 1
		}
	}
	return nil
}

// checkString checks the JSON string starting at b[i] and returns the
// index just past it (-1 if it never ends), or a problem with its text.
func checkString(b []byte, i int) (end int, problem string) {
	j := i + 1
	for j < len(b) {
		c := b[j]
		switch {
		case c == '"':
			return j + 1, ""
		case c == '\\':
			if j+1 < len(b) && b[j+1] == 'u' {
				r, ok := hex4(b, j+2)
				if ok && utf16.IsSurrogate(r) {
					// A high surrogate must be followed by the escape of a
					// low one; anything else decodes to U+FFFD.
					r2, ok2 := rune(0), false
					if r < 0xDC00 && j+7 < len(b) && b[j+6] == '\\' && b[j+7] == 'u' {
						r2, ok2 = hex4(b, j+8)
					}
					if !ok2 || utf16.DecodeRune(r, r2) == utf8.RuneError {
						return 0, fmt.Sprintf(`unpaired surrogate \u%04x`, r)
					}
					j += 12
					continue
				}
			}
			j++
			if j < len(b) && b[j] < utf8.RuneSelf {
				j++ // the escaped byte; a multibyte one is checked as text
			}
		case c < utf8.RuneSelf:
			j++
		default:
			r, size := utf8.DecodeRune(b[j:])
			if r == utf8.RuneError && size <= 1 {
				return 0, "invalid UTF-8"
			}
			j += size
		}
	}
	return -1, "" // unterminated: the syntax check says so
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b[i:i+4]), 16, 16)
	return rune(v), err == nil
}

// pathKey is a key as it appears in a TextError's path: decoded, and cut
// to maxPathKey bytes.
func pathKey(raw []byte) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		s = string(raw[1 : len(raw)-1])
	}
	return cutKey(s)
}

// cutKey cuts s to maxPathKey bytes, on a rune boundary, for an error,
// with control characters (a key may hold \u0000 or a newline) shown
// as '?'.
func cutKey(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return '?'
		}
		return r
	}, cut(s, maxPathKey))
}

// cut cuts s to n bytes, on a rune boundary, marking the cut.
func cut(s string, n int) string {
	if len(s) > n {
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n] + "…"
	}
	return s
}

// ErrNotJSON is the root of the errors Syntax returns.
var ErrNotJSON = errors.New("not JSON")

// Syntax reports why b is not one JSON document, naming what stands where
// a value was expected: NaN, Infinity and the other tokens some encoders
// write are not JSON, and the answer is refused rather than misread.
// It returns nil for a valid document.
func Syntax(b []byte) error {
	if json.Valid(b) {
		return nil
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return fmt.Errorf("%w: empty", ErrNotJSON)
	}
	var v struct{}
	err := json.Unmarshal(b, &v)
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return fmt.Errorf("%w: %v", ErrNotJSON, err)
	}
	if strings.Contains(se.Error(), "unexpected end") {
		return fmt.Errorf("%w: truncated", ErrNotJSON)
	}
	at := int(se.Offset) - 1
	if at < 0 || at >= len(b) {
		return fmt.Errorf("%w: %v", ErrNotJSON, se)
	}
	// The token holding the fault, or ending just before it (1.5e}).
	start, end := at, at
	if tokenByte(b[at]) {
		end++
	}
	for start > 0 && at-start < 20 && tokenByte(b[start-1]) {
		start--
	}
	for end < len(b) && tokenByte(b[end]) && end-start < 20 {
		end++
	}
	if end-start < 2 {
		return fmt.Errorf("%w: %v at offset %d", ErrNotJSON, se, at)
	}
	return fmt.Errorf("%w: %q at offset %d is not a JSON value", ErrNotJSON, b[start:end], start)
}

// tokenByte: letters, digits and signs, the stuff of NaN, -Infinity, 1e999x.
func tokenByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.'
}
