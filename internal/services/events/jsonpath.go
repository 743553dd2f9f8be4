package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// A jsonPath is the subset of JSONPath that EventBridge accepts in
// InputPath and InputPathsMap: $ followed by .name, [index], [*] or .*
// steps. Names may hold any character but '.', '[' and ']' (EventBridge's
// documented set is letters, digits, '-', '_' and '/'). With a wildcard the
// result is the array of every match.
type jsonPath struct {
	steps    []pathStep
	wildcard bool
}

type pathStep struct {
	name  string
	index int  // for an index step
	kind  byte // 'n' name, 'i' index, '*' every member
}

func parseJSONPath(p string) (jsonPath, error) {
	var jp jsonPath
	rest, ok := strings.CutPrefix(p, "$")
	if !ok {
		return jp, fmt.Errorf("%q does not start with $", p)
	}
	for rest != "" {
		switch rest[0] {
		case '.':
			rest = rest[1:]
			end := strings.IndexAny(rest, ".[]")
			if end < 0 {
				end = len(rest)
			}
			name := rest[:end]
			rest = rest[end:]
			switch name {
			case "":
				return jp, fmt.Errorf("%q has an empty name", p)
			case "*":
				jp.steps = append(jp.steps, pathStep{kind: '*'})
				jp.wildcard = true
			default:
				jp.steps = append(jp.steps, pathStep{kind: 'n', name: name})
			}
		case '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return jp, fmt.Errorf("%q has an unclosed [", p)
			}
			inner := rest[1:end]
			rest = rest[end+1:]
			if inner == "*" {
				jp.steps = append(jp.steps, pathStep{kind: '*'})
				jp.wildcard = true
				continue
			}
			n, err := strconv.Atoi(inner)
			if err != nil || n < 0 || strings.HasPrefix(inner, "+") {
				return jp, fmt.Errorf("%q has an index that is not a number: [%s]", p, inner)
			}
			jp.steps = append(jp.steps, pathStep{kind: 'i', index: n})
		default:
			return jp, fmt.Errorf("%q: unexpected %q; use dot notation", p, rest[0])
		}
	}
	return jp, nil
}

// eval returns the raw JSON the path selects in doc, or nil when nothing
// matches. Values are sliced out of doc, so their member order and number
// spelling are the event's own.
func (jp jsonPath) eval(doc json.RawMessage) json.RawMessage {
	vals := []json.RawMessage{doc}
	for _, st := range jp.steps {
		var next []json.RawMessage
		for _, v := range vals {
			next = append(next, step(v, st)...)
		}
		vals = next
		if len(vals) == 0 {
			break
		}
	}
	if jp.wildcard {
		if len(vals) == 0 {
			return nil
		}
		var b bytes.Buffer
		b.WriteByte('[')
		for i, v := range vals {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(v)
		}
		b.WriteByte(']')
		return b.Bytes()
	}
	if len(vals) == 0 {
		return nil
	}
	return vals[0]
}

func step(v json.RawMessage, st pathStep) []json.RawMessage {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return nil
	}
	switch {
	case v[0] == '{' && st.kind != 'i':
		var out []json.RawMessage
		var found json.RawMessage
		ok := eachMember(v, func(key []byte, value json.RawMessage) {
			switch {
			case st.kind == '*':
				out = append(out, value)
			case keyIs(key, st.name):
				found = value // the last duplicate wins, as with encoding/json
			}
		})
		if !ok {
			return nil
		}
		if found != nil {
			out = append(out, found)
		}
		return out
	case v[0] == '[' && st.kind != 'n':
		elems, ok := arrayElements(v)
		if !ok {
			return nil
		}
		if st.kind == '*' {
			return elems
		}
		if st.index < len(elems) {
			return []json.RawMessage{elems[st.index]}
		}
	}
	return nil
}

type member struct {
	key   string
	value json.RawMessage
}

// objectMembers lists an object's members in document order, slicing the
// values out of obj. It reports false for malformed JSON.
func objectMembers(obj json.RawMessage) ([]member, bool) {
	var out []member
	var bad bool
	ok := eachMember(obj, func(key []byte, value json.RawMessage) {
		var k string
		if json.Unmarshal(key, &k) != nil {
			bad = true
		}
		out = append(out, member{k, value})
	})
	return out, ok && !bad
}

// keyIs reports whether a raw JSON string (quotes included) is name.
func keyIs(raw []byte, name string) bool {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1:len(raw)-1]) == name // no allocation: the compiler compares in place
	}
	var k string
	return json.Unmarshal(raw, &k) == nil && k == name
}

// eachMember calls fn with every member of an object, its key still a raw
// JSON string, in document order. It reports false for malformed JSON.
func eachMember(obj json.RawMessage, fn func(key []byte, value json.RawMessage)) bool {
	i := skipSpace(obj, 1)
	if i < len(obj) && obj[i] == '}' {
		return true
	}
	for i < len(obj) {
		if obj[i] != '"' {
			return false
		}
		end := skipString(obj, i)
		if end < 0 {
			return false
		}
		key := obj[i:end]
		i = skipSpace(obj, end)
		if i >= len(obj) || obj[i] != ':' {
			return false
		}
		start := skipSpace(obj, i+1)
		end = skipValue(obj, start)
		if end < 0 {
			return false
		}
		fn(key, obj[start:end])
		i = skipSpace(obj, end)
		if i >= len(obj) {
			return false
		}
		switch obj[i] {
		case '}':
			return true
		case ',':
			i = skipSpace(obj, i+1)
		default:
			return false
		}
	}
	return false
}

// arrayElements lists an array's elements, sliced out of arr.
func arrayElements(arr json.RawMessage) ([]json.RawMessage, bool) {
	var out []json.RawMessage
	i := skipSpace(arr, 1)
	if i < len(arr) && arr[i] == ']' {
		return out, true
	}
	for i < len(arr) {
		end := skipValue(arr, i)
		if end < 0 {
			return nil, false
		}
		out = append(out, arr[i:end])
		i = skipSpace(arr, end)
		if i >= len(arr) {
			return nil, false
		}
		switch arr[i] {
		case ']':
			return out, true
		case ',':
			i = skipSpace(arr, i+1)
		default:
			return nil, false
		}
	}
	return nil, false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index just past the string starting at b[i].
func skipString(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// skipValue returns the index just past the JSON value starting at b[i],
// or -1. Nested values are skipped by counting brackets outside strings;
// their contents are checked only as far as that needs.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end := skipString(b, j)
				if end < 0 {
					return -1
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
scalar:
	for ; j < len(b); j++ {
		switch b[j] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			break scalar
		}
	}
	if j == i {
		return -1
	}
	return j
}
