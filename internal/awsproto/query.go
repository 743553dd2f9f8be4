package awsproto

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Unflatten turns awsQuery form parameters into the JSON object the
// operation's input shape describes. Lists arrive as Name.member.N (or
// Name.N), maps as Name.entry.N.key/value (SNS: Name/Value). Scalars stay
// strings; input types read numbers and booleans with Int and Bool.
// Action and Version are left out.
func Unflatten(form url.Values) (json.RawMessage, error) {
	root := map[string]any{}
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "Action" || k == "Version" || strings.HasPrefix(k, "X-Amz-") {
			continue
		}
		if err := insert(root, strings.Split(k, "."), form.Get(k)); err != nil {
			return nil, QueryValidation("parameter %q: %v", k, err)
		}
	}
	return json.Marshal(finish(root))
}

// node is an intermediate tree: map[string]any for objects; lists and map
// entries are objects keyed by their index under a marker key until finish.
const (
	listMark  = "\x00list"
	entryMark = "\x00entries"
)

func insert(obj map[string]any, path []string, value string) error {
	for len(path) > 0 {
		seg := path[0]
		if seg == "" {
			return fmt.Errorf("empty name segment")
		}
		mark := ""
		switch {
		case (seg == "member" || seg == "entry") && len(path) > 1 && isDigits(path[1]) && !isIndex(path[1]):
			// Not a key of a structure but a list position AWS would not take.
			return fmt.Errorf("%s index %s is out of range; indexes start at 1", seg, path[1])
		case (seg == "member" || seg == "entry") && len(path) > 1 && isIndex(path[1]):
			mark = listMark
			if seg == "entry" {
				mark = entryMark
			}
			seg, path = path[1], path[1:]
		case isIndex(seg):
			mark = listMark
		}
		if mark != "" {
			obj[mark] = true
		}
		if len(path) == 1 {
			if _, exists := obj[seg].(map[string]any); exists {
				return fmt.Errorf("value given for a structure")
			}
			obj[seg] = value
			return nil
		}
		child, ok := obj[seg].(map[string]any)
		if !ok {
			if _, isScalar := obj[seg]; isScalar {
				return fmt.Errorf("structure given for a value")
			}
			child = map[string]any{}
			obj[seg] = child
		}
		obj, path = child, path[1:]
	}
	return nil
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

func isIndex(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 1 && len(s) < 7
}

// finish converts marked objects into lists and maps, ordered by index.
func finish(v any) any {
	obj, ok := v.(map[string]any)
	if !ok {
		return v
	}
	isList, isEntries := obj[listMark] == true, obj[entryMark] == true
	delete(obj, listMark)
	delete(obj, entryMark)
	if !isList && !isEntries {
		for k, c := range obj {
			obj[k] = finish(c)
		}
		return obj
	}
	idx := make([]int, 0, len(obj))
	for k := range obj {
		n, err := strconv.Atoi(k)
		if err != nil {
			continue
		}
		idx = append(idx, n)
	}
	sort.Ints(idx)
	if isEntries {
		m := map[string]any{}
		for _, n := range idx {
			e, _ := obj[strconv.Itoa(n)].(map[string]any)
			key, _ := firstOf(e, "key", "Name").(string)
			m[key] = finish(firstOf(e, "value", "Value"))
		}
		return m
	}
	list := make([]any, 0, len(idx))
	for _, n := range idx {
		list = append(list, finish(obj[strconv.Itoa(n)]))
	}
	return list
}

func firstOf(m map[string]any, keys ...string) any {
	for _, k := range keys {
		if v, ok := m[k]; ok {
			return v
		}
	}
	return nil
}

// WriteQueryResult writes an awsQuery response: <ActionResponse> holding
// <ActionResult> (when result is non-nil) and the request id.
func WriteQueryResult(w io.Writer, spec *Spec, action, requestID string, result any) error {
	enc := xml.NewEncoder(w)
	io.WriteString(w, xml.Header)
	resp := xml.StartElement{Name: xml.Name{Local: action + "Response"}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: spec.XMLNamespace}}}
	if err := enc.EncodeToken(resp); err != nil {
		return err
	}
	if result != nil {
		if err := enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}}); err != nil {
			return fmt.Errorf("encode %s result: %w", action, err)
		}
	}
	meta := struct {
		RequestID string `xml:"RequestId"`
	}{requestID}
	if err := enc.EncodeElement(meta, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}}); err != nil {
		return err
	}
	if err := enc.EncodeToken(resp.End()); err != nil {
		return err
	}
	return enc.Flush()
}

type queryError struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	Error   struct {
		Type    string
		Code    string
		Message string
	}
	RequestID string `xml:"RequestId"`
}

// WriteQueryError writes an awsQuery <ErrorResponse>.
func WriteQueryError(w io.Writer, xmlns, requestID string, e *Error) error {
	var qe queryError
	qe.Xmlns = xmlns
	qe.Error.Type = "Sender"
	if e.Receiver {
		qe.Error.Type = "Receiver"
	}
	qe.Error.Code, qe.Error.Message, qe.RequestID = e.Code, e.Message, requestID
	io.WriteString(w, xml.Header)
	return xml.NewEncoder(w).Encode(qe)
}
