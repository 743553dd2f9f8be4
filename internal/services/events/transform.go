package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Predefined InputTemplate variables.
const (
	varRuleARN       = "aws.events.rule-arn"
	varRuleName      = "aws.events.rule-name"
	varIngestionTime = "aws.events.event.ingestion-time"
	varEvent         = "aws.events.event"
	varEventJSON     = "aws.events.event.json"
)

// delivery context the predefined variables refer to.
type deliveryVars struct {
	RuleARN  string
	RuleName string
	Ingested time.Time
}

// targetPayload returns what a target receives for event: the constant
// Input, the part InputPath selects, the rendered InputTransformer, or
// the whole event.
func targetPayload(t *Target, event json.RawMessage, dv deliveryVars) ([]byte, error) {
	switch {
	case t.Input != nil:
		return []byte(*t.Input), nil
	case t.InputPath != nil:
		jp, err := parseJSONPath(*t.InputPath)
		if err != nil {
			return nil, fmt.Errorf("InputPath: %w", err)
		}
		v := jp.eval(event)
		if v == nil {
			return []byte("null"), nil
		}
		return v, nil
	case t.InputTransformer != nil:
		return renderTransformer(t.InputTransformer, event, dv)
	}
	return event, nil
}

// renderTransformer fills the InputTemplate from the event.
func renderTransformer(it *InputTransformer, event json.RawMessage, dv deliveryVars) ([]byte, error) {
	vars := make(map[string]json.RawMessage, len(it.InputPathsMap)+5)
	for name, p := range it.InputPathsMap {
		jp, err := parseJSONPath(p)
		if err != nil {
			return nil, fmt.Errorf("InputPathsMap[%s]: %w", name, err)
		}
		vars[name] = jp.eval(event) // nil when the event lacks it
	}
	vars[varRuleARN] = jsonString(dv.RuleARN)
	vars[varRuleName] = jsonString(dv.RuleName)
	vars[varIngestionTime] = jsonString(dv.Ingested.UTC().Format(time.RFC3339))
	vars[varEvent] = withoutDetail(event)
	vars[varEventJSON] = event
	lookup := func(name string) (json.RawMessage, bool) {
		v, ok := vars[name]
		return v, ok
	}
	out, isJSON := renderTemplate(it.InputTemplate, lookup)
	if !isJSON {
		return []byte(out), nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(out)); err != nil {
		return nil, fmt.Errorf("rendered InputTemplate is not valid JSON: %w", err)
	}
	return b.Bytes(), nil
}

// checkTemplate reports whether a template can render for any event: a
// JSON template must stay JSON with every variable missing (null outside
// strings, empty inside), which also rules out variables as object keys.
func checkTemplate(tmpl string, pathKeys map[string]string) error {
	lookup := func(name string) (json.RawMessage, bool) {
		if _, ok := pathKeys[name]; ok || isPredefined(name) {
			return nil, true
		}
		return nil, false
	}
	out, isJSON := renderTemplate(tmpl, lookup)
	if !isJSON {
		return nil
	}
	var v any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		return err
	}
	return nil
}

func isPredefined(name string) bool {
	switch name {
	case varRuleARN, varRuleName, varIngestionTime, varEvent, varEventJSON:
		return true
	}
	return false
}

// isJSONTemplate reports whether a template is JSON rather than text:
// AWS treats a template that starts with a brace (or bracket) as JSON.
func isJSONTemplate(tmpl string) bool {
	t := strings.TrimLeft(tmpl, " \t\r\n")
	return t != "" && (t[0] == '{' || t[0] == '[')
}

// renderTemplate substitutes <name> placeholders. lookup reports whether a
// name is a variable and its value (nil if the event lacks it); other
// <...> text is left alone.
//
// In a JSON template a variable outside a string becomes its JSON value
// (null if missing); inside a string it becomes its text: a string's
// content, escaped so that the output stays valid JSON, or an object's or
// array's JSON with its quotes removed, as AWS documents. In a text
// template every variable becomes its plain text.
func renderTemplate(tmpl string, lookup func(string) (json.RawMessage, bool)) (string, bool) {
	isJSON := isJSONTemplate(tmpl)
	var b strings.Builder
	inString := false
	for i := 0; i < len(tmpl); {
		c := tmpl[i]
		switch {
		case isJSON && inString && c == '\\' && i+1 < len(tmpl):
			b.WriteString(tmpl[i : i+2])
			i += 2
			continue
		case isJSON && c == '"':
			inString = !inString
		case c == '<':
			if end := placeholderEnd(tmpl, i); end > 0 {
				if v, ok := lookup(tmpl[i+1 : end]); ok {
					writeVar(&b, v, isJSON, inString)
					i = end + 1
					continue
				}
			}
		}
		b.WriteByte(c)
		i++
	}
	return b.String(), isJSON
}

// placeholderEnd returns the index of the '>' closing a placeholder that
// starts at i, or -1.
func placeholderEnd(s string, i int) int {
	j := i + 1
	for j < len(s) {
		c := s[j]
		if c == '>' {
			if j == i+1 {
				return -1
			}
			return j
		}
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return -1
		}
		j++
	}
	return -1
}

func writeVar(b *strings.Builder, v json.RawMessage, isJSON, inString bool) {
	v = bytes.TrimSpace(v)
	switch {
	case isJSON && !inString:
		if len(v) == 0 {
			b.WriteString("null")
			return
		}
		b.Write(v)
	case len(v) == 0:
		// A missing variable renders as nothing inside strings and text.
	case v[0] == '"':
		var s string
		if json.Unmarshal(v, &s) != nil {
			b.Write(v)
			return
		}
		if isJSON {
			q := jsonString(s)
			b.Write(q[1 : len(q)-1])
			return
		}
		b.WriteString(s)
	case isJSON && (v[0] == '{' || v[0] == '['):
		b.WriteString(stripQuotes(v))
	default:
		b.Write(v)
	}
}

// stripQuotes removes the unescaped double quotes of a JSON text, so that
// an object can sit inside a JSON string.
func stripQuotes(v json.RawMessage) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '\\':
			if i+1 < len(v) {
				b.WriteByte(v[i])
				b.WriteByte(v[i+1])
				i++
				continue
			}
		case '"':
			continue
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// jsonString encodes s as a JSON string without HTML escaping.
func jsonString(s string) json.RawMessage {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	return bytes.TrimRight(b.Bytes(), "\n")
}

// withoutDetail returns the event without its detail member, which is
// what aws.events.event stands for.
func withoutDetail(event json.RawMessage) json.RawMessage {
	members, ok := objectMembers(event)
	if !ok {
		return event
	}
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	for _, m := range members {
		if m.key == "detail" {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.Write(jsonString(m.key))
		b.WriteByte(':')
		b.Write(m.value)
	}
	b.WriteByte('}')
	return b.Bytes()
}
