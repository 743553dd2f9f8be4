package awsproto

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"math"
	"reflect"
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
	v, err := scalar(b)
	if err != nil {
		return err
	}
	bad := func() error { return typeError(string(b), reflect.TypeFor[Int]()) }
	switch x := v.(type) {
	case nil:
		*n = Int{}
		return nil
	case json.Number:
		i, err := strconv.ParseInt(x.String(), 10, 64)
		if err != nil {
			// 5.0 and 1e3 are integers written as decimals.
			f, ferr := strconv.ParseFloat(x.String(), 64)
			if ferr != nil || f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
				return bad()
			}
			i = int64(f)
		}
		*n = Int{Value: i, Set: true}
		return nil
	case string:
		i, err := strconv.ParseInt(x, 10, 64)
		if err != nil {
			return bad()
		}
		*n = Int{Value: i, Set: true}
		return nil
	}
	return typeError(kindOf(v), reflect.TypeFor[Int]())
}

// scalar decodes one JSON value, keeping numbers as written.
func scalar(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// kindOf names the kind of a decoded JSON value as encoding/json does.
func kindOf(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case bool:
		return "bool"
	case string:
		return "string"
	}
	return "number"
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
	v, err := scalar(b)
	if err != nil {
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
			return typeError(string(b), reflect.TypeFor[Bool]())
		}
		*p = Bool{Value: bv, Set: true}
	default:
		return typeError(kindOf(v), reflect.TypeFor[Bool]())
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

// Timestamps a caller sends must fall in years 1 to 9999: every layout
// Vigil writes timestamps in (RFC 3339, CloudTrail's, ISO 8601) can
// represent those, and a larger epoch value would overflow int64 seconds.
var (
	minTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)
)

func (t *EpochTime) UnmarshalJSON(b []byte) error {
	v, err := scalar(b)
	if err != nil {
		return err
	}
	typ := reflect.TypeFor[EpochTime]()
	var p time.Time
	switch x := v.(type) {
	case nil:
		return nil // null leaves the member unset, as for any other member
	case json.Number:
		f, err := strconv.ParseFloat(x.String(), 64)
		// Checked as a float, before the conversion to int64 can overflow.
		if err != nil || math.IsNaN(f) || f < float64(minTime.Unix()) || f > float64(maxTime.Unix()) {
			return typeError(string(b)+" (out of range)", typ)
		}
		sec := math.Floor(f)
		p = time.Unix(int64(sec), int64((f-sec)*1e9)).UTC()
	case string:
		p, err = time.Parse(time.RFC3339Nano, x)
		if err != nil {
			return typeError(string(b), typ)
		}
	default:
		return typeError(kindOf(v), typ)
	}
	if p.Before(minTime) || p.After(maxTime) {
		return typeError(string(b)+" (out of range)", typ)
	}
	*t = EpochTime(p)
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
