package aleph

import "fmt"

// MaxDepth is how deeply a node's JSON answer may nest. Real answers nest
// four or five levels; encoding/json alone allows 10 000, and decoding a
// megabyte of nesting into maps costs far more than the bytes.
const MaxDepth = 64

// CheckDepth reports an error when b nests objects or arrays deeper than
// max. It is a single byte scan that skips string contents, cheap enough
// to run before every decode; it does not validate the JSON otherwise.
func CheckDepth(b []byte, max int) error {
	depth := 0
	inString, escaped := false, false
	for _, c := range b {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
			if depth > max {
				return fmt.Errorf("JSON nested deeper than %d levels", max)
			}
		case '}', ']':
			depth--
		}
	}
	return nil
}
