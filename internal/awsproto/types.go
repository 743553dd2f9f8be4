package awsproto

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"sort"
	"strconv"
	"time"
)

// Int is an integer input member that accepts a JSON number or, as awsQuery
// sends it, a string.
type Int struct {
	Value int64
	Set   bool
}

func (n *Int) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case nil:
		*n = Int{}
		return nil
	case float64:
		if x != float64(int64(x)) {
			return fmt.Errorf("%v is not an integer", x)
		}
		*n = Int{Value: int64(x), Set: true}
		return nil
	case string:
		i, err := strconv.ParseInt(x, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not an integer", x)
		}
		*n = Int{Value: i, Set: true}
		return nil
	}
	return fmt.Errorf("%s is not an integer", b)
}

// Or returns the value, or def when the member was absent.
func (n Int) Or(def int64) int64 {
	if n.Set {
		return n.Value
	}
	return def
}

// Bool is a boolean input member that accepts true/false or "true"/"false".
type Bool struct {
	Value bool
	Set   bool
}

func (p *Bool) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case nil:
		*p = Bool{}
	case bool:
		*p = Bool{Value: x, Set: true}
	case string:
		bv, err := strconv.ParseBool(x)
		if err != nil {
			return fmt.Errorf("%q is not a boolean", x)
		}
		*p = Bool{Value: bv, Set: true}
	default:
		return fmt.Errorf("%s is not a boolean", b)
	}
	return nil
}

// ISOTime is a timestamp that awsQuery renders in ISO 8601 (in XML and in
// the JSON a service-to-service call sees).
type ISOTime time.Time

const isoLayout = "2006-01-02T15:04:05Z"

func (t ISOTime) String() string { return time.Time(t).UTC().Format(isoLayout) }

func (t ISOTime) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

func (t *ISOTime) UnmarshalText(b []byte) error {
	p, err := time.Parse(time.RFC3339Nano, string(b))
	*t = ISOTime(p)
	return err
}

// EpochTime is a timestamp that the JSON protocols render as seconds since
// the epoch, with a fraction.
type EpochTime time.Time

func (t EpochTime) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)), nil
}

func (t *EpochTime) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case float64:
		sec := int64(x)
		*t = EpochTime(time.Unix(sec, int64((x-float64(sec))*1e9)).UTC())
	case string:
		p, err := time.Parse(time.RFC3339Nano, x)
		if err != nil {
			return fmt.Errorf("timestamp %q: %w", x, err)
		}
		*t = EpochTime(p)
	default:
		return fmt.Errorf("timestamp %s: want a number or an ISO 8601 string", b)
	}
	return nil
}

// QueryMap is a string map that awsQuery renders as <entry><key/><value/></entry>
// and JSON as an object.
type QueryMap map[string]string

func (m QueryMap) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		entry := struct {
			Key   string `xml:"key"`
			Value string `xml:"value"`
		}{k, m[k]}
		if err := e.EncodeElement(entry, xml.StartElement{Name: xml.Name{Local: "entry"}}); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}
