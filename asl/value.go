package asl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Values inside the interpreter are what encoding/json produces with
// UseNumber: nil, bool, json.Number, string, []any and map[string]any.
// Keeping numbers as json.Number preserves the text AWS echoes back
// (1 and 1.0 stay distinct).

// decodeJSON parses one JSON value and rejects trailing data.
func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("unexpected data after JSON value")
	}
	if _, err := d.Token(); err == nil {
		return nil, fmt.Errorf("unexpected data after JSON value")
	}
	return v, nil
}

// encodeJSON renders v compactly without HTML escaping, as AWS does.
func encodeJSON(v any) []byte {
	var buf bytes.Buffer
	e := json.NewEncoder(&buf)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		// Values built by this package always encode; fall back to null.
		return []byte("null")
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}

func encodeString(v any) string { return string(encodeJSON(v)) }

// deepCopy returns a copy of v that shares no maps or slices with it.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = deepCopy(x)
		}
		return m
	case []any:
		s := make([]any, len(t))
		for i, x := range t {
			s[i] = deepCopy(x)
		}
		return s
	}
	return v
}

// jsonEqual compares two values structurally; numbers compare by value.
func jsonEqual(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !jsonEqual(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		if x == y {
			return true
		}
		fx, e1 := x.Float64()
		fy, e2 := y.Float64()
		return e1 == nil && e2 == nil && fx == fy
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case nil:
		return b == nil
	}
	return false
}

// typeName names v's JSON type the way AWS error messages do.
func typeName(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case json.Number:
		return "number"
	case string:
		return "string"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return "unknown"
}

// toFloat converts a JSON number to float64.
func toFloat(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// toInt converts a JSON number holding an integer to int64.
func toInt(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	if i, err := n.Int64(); err == nil {
		return i, true
	}
	f, err := n.Float64()
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<62 {
		return 0, false
	}
	return int64(f), true
}

// isInteger reports whether a JSON number has no fractional part.
func isInteger(v any) bool {
	_, ok := toInt(v)
	return ok
}

func intNumber(i int64) json.Number { return json.Number(strconv.FormatInt(i, 10)) }

// floatNumber renders f the shortest way, as an integer when it is one.
func floatNumber(f float64) json.Number {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return json.Number(strconv.FormatInt(int64(f), 10))
	}
	return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
}

// sortedKeys returns m's keys in order, for deterministic iteration.
func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// rawOf encodes v as a json.RawMessage.
func rawOf(v any) json.RawMessage { return json.RawMessage(encodeJSON(v)) }

// valueOf decodes a stored raw message; invalid or empty text yields {}.
func valueOf(r json.RawMessage) any {
	if len(bytes.TrimSpace(r)) == 0 {
		return map[string]any{}
	}
	v, err := decodeJSON(r)
	if err != nil {
		return map[string]any{}
	}
	return v
}

// quoteSingle renders s as a single-quoted JSONPath key.
func quoteSingle(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "\\'") + "'"
}
