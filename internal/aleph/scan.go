package aleph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// A span scanner for the registry aggregate. It finds where each JSON
// value starts and ends inside the body, and how deeply it nests, without
// decoding or copying anything: the registry's entries are written by
// anyone who registers a node, so an entry must be measured before it is
// decoded, and one hostile entry (nested 10 000 deep, or 20 MB long) must
// cost a pass over its bytes, not the whole aggregate. Values it only
// skips are delimited, not validated; the entries it hands on are decoded
// (and so validated) by encoding/json.

var errTruncated = errors.New("unexpected end of JSON")

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just past the JSON string starting at b[i].
func stringEnd(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, errTruncated
}

// valueEnd returns the index just past the JSON value starting at b[i],
// and how deeply it nests (0 for a scalar, 1 for a flat object or array).
// Brackets must match; the stack that checks it holds one bit per level,
// so even a body that is all '[' costs an eighth of its size.
func valueEnd(b []byte, i int) (end, depth int, err error) {
	if i >= len(b) {
		return 0, 0, errTruncated
	}
	switch b[i] {
	case '"':
		end, err = stringEnd(b, i)
		return end, 0, err
	case '{', '[':
		var objects []uint64 // bit l set: level l+1 is an object
		level := 0
		for j := i; j < len(b); j++ {
			switch c := b[j]; c {
			case '"':
				e, err := stringEnd(b, j)
				if err != nil {
					return 0, 0, err
				}
				j = e - 1
			case '{', '[':
				if level/64 == len(objects) {
					objects = append(objects, 0)
				}
				if c == '{' {
					objects[level/64] |= 1 << (level % 64)
				} else {
					objects[level/64] &^= 1 << (level % 64)
				}
				level++
				depth = max(depth, level)
			case '}', ']':
				level--
				if isObject := objects[level/64]&(1<<(level%64)) != 0; isObject != (c == '}') {
					return 0, 0, fmt.Errorf("mismatched %q at offset %d", c, j)
				}
				if level == 0 {
					return j + 1, depth, nil
				}
			}
		}
		return 0, 0, errTruncated
	}
	j := i
	for j < len(b) && !delimiter(b[j]) {
		j++
	}
	if j == i {
		return 0, 0, fmt.Errorf("unexpected %q at offset %d", b[i], i)
	}
	return j, 0, nil
}

// eachMember calls fn with the raw key and the value span of every member
// of the object that is all of obj, in order.
func eachMember(obj []byte, fn func(key, value []byte) error) error {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return errors.New("not a JSON object")
	}
	i = skipSpace(obj, i+1)
	if i < len(obj) && obj[i] == '}' {
		return trailing(obj, i+1)
	}
	for {
		if i >= len(obj) || obj[i] != '"' {
			return errors.New("object key is not a string")
		}
		kEnd, err := stringEnd(obj, i)
		if err != nil {
			return err
		}
		key := obj[i:kEnd]
		i = skipSpace(obj, kEnd)
		if i >= len(obj) || obj[i] != ':' {
			return errors.New("object key without a value")
		}
		i = skipSpace(obj, i+1)
		vEnd, _, err := valueEnd(obj, i)
		if err != nil {
			return err
		}
		if err := fn(key, obj[i:vEnd]); err != nil {
			return err
		}
		i = skipSpace(obj, vEnd)
		if i < len(obj) && obj[i] == ',' {
			i = skipSpace(obj, i+1)
			continue
		}
		if i < len(obj) && obj[i] == '}' {
			return trailing(obj, i+1)
		}
		return errTruncated
	}
}

// eachElement calls fn with the span and depth of every element of the
// array that is all of arr, in order.
func eachElement(arr []byte, fn func(elem []byte, depth int)) error {
	i := skipSpace(arr, 0)
	if i >= len(arr) || arr[i] != '[' {
		return errors.New("not a JSON array")
	}
	i = skipSpace(arr, i+1)
	if i < len(arr) && arr[i] == ']' {
		return trailing(arr, i+1)
	}
	for {
		end, depth, err := valueEnd(arr, i)
		if err != nil {
			return err
		}
		fn(arr[i:end], depth)
		i = skipSpace(arr, end)
		if i < len(arr) && arr[i] == ',' {
			i = skipSpace(arr, i+1)
			continue
		}
		if i < len(arr) && arr[i] == ']' {
			return trailing(arr, i+1)
		}
		return errTruncated
	}
}

// delimiter reports whether c ends a scalar (a number, true, false, null).
func delimiter(c byte) bool {
	switch c {
	case ',', ':', ']', '}', '[', '{', '"', ' ', '\t', '\r', '\n':
		return true
	}
	return false
}

func trailing(b []byte, i int) error {
	if skipSpace(b, i) != len(b) {
		return errors.New("data after the JSON value")
	}
	return nil
}

// keyIs reports whether the raw JSON string key spells name, escapes
// decoded.
func keyIs(key []byte, name string) bool {
	if bytes.IndexByte(key, '\\') < 0 {
		return len(key) == len(name)+2 && string(key[1:len(key)-1]) == name
	}
	var s string
	return json.Unmarshal(key, &s) == nil && s == name
}

// member returns the value span of the last member named name of obj (the
// last duplicate wins, as in encoding/json), or nil.
func member(obj []byte, name string) ([]byte, error) {
	var found []byte
	err := eachMember(obj, func(key, value []byte) error {
		if keyIs(key, name) {
			found = value
		}
		return nil
	})
	return found, err
}
