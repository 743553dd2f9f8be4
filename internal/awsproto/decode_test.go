package awsproto

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"
)

type decodeProbe struct {
	Name    *string
	Limit   Int
	Flag    Bool
	When    *EpochTime
	Entries []struct {
		Detail *string
		Time   *EpochTime
	}
	Attrs map[string]string
}

// TestDecodeErrors checks that malformed input is answered with the
// protocol's error, naming the member in the model's terms and never
// leaking Go type or struct names.
func TestDecodeErrors(t *testing.T) {
	jsonSpec := &Spec{Name: "events", Protocol: JSON11}
	iamSpec := &Spec{Name: "iam", Protocol: Query}
	snsSpec := &Spec{Name: "sns", Protocol: Query, MalformedCode: "InvalidParameter"}
	tests := []struct {
		spec     *Spec
		input    string
		code     string
		contains []string
	}{
		{jsonSpec, `{"Name":5}`, "SerializationException", []string{"member Name must be a string, not a number"}},
		{jsonSpec, `{"Limit":5.5}`, "SerializationException", []string{"member Limit must be an integer, not 5.5"}},
		{jsonSpec, `{"Limit":1e400}`, "SerializationException", []string{"member Limit must be an integer, not 1e400"}},
		{jsonSpec, `{"Limit":"x"}`, "SerializationException", []string{"member Limit must be an integer"}},
		{jsonSpec, `{"Flag":"maybe"}`, "SerializationException", []string{"member Flag must be a boolean"}},
		{jsonSpec, `{"Entries":{"a":1}}`, "SerializationException", []string{"member Entries must be a list, not an object"}},
		{jsonSpec, `{"Entries":[{"Detail":{"x":1}}]}`, "SerializationException", []string{"member Entries.Detail must be a string, not an object"}},
		{jsonSpec, `{"Entries":[{"Time":1e300}]}`, "SerializationException", []string{"member Entries.Time must be a timestamp", "out of range"}},
		{jsonSpec, `{"When":"yesterday"}`, "SerializationException", []string{"member When must be a timestamp"}},
		{jsonSpec, `{"Attrs":[]}`, "SerializationException", []string{"member Attrs must be a map, not a list"}},
		{jsonSpec, `[]`, "SerializationException", []string{"the request must be a structure, not a list"}},
		{jsonSpec, `{"Name":"a"}{}`, "SerializationException", []string{"not valid JSON"}},
		{iamSpec, `{"Limit":"abc"}`, "ValidationError", []string{"member Limit must be an integer, not \"abc\""}},
		{iamSpec, `{"Entries":"x"}`, "ValidationError", []string{"member Entries must be a list, not a string"}},
		{snsSpec, `{"Attrs":"x"}`, "InvalidParameter", []string{"member Attrs must be a map"}},
	}
	for _, tt := range tests {
		call := &Call{Service: tt.spec, Input: json.RawMessage(tt.input)}
		var in decodeProbe
		err := call.Decode(&in)
		if err == nil {
			t.Errorf("%s: Decode(%s) succeeded", tt.spec.Name, tt.input)
			continue
		}
		e := AsError(err)
		if e.Code != tt.code || e.Status != 400 {
			t.Errorf("%s: Decode(%s) = %d %s, want 400 %s", tt.spec.Name, tt.input, e.Status, e.Code, tt.code)
		}
		for _, s := range tt.contains {
			if !strings.Contains(e.Message, s) {
				t.Errorf("%s: Decode(%s) message %q lacks %q", tt.spec.Name, tt.input, e.Message, s)
			}
		}
		for _, leak := range []string{"Go ", "decodeProbe", "awsproto.", "float64", "json:"} {
			if strings.Contains(e.Message, leak) {
				t.Errorf("%s: Decode(%s) message %q mentions %q", tt.spec.Name, tt.input, e.Message, leak)
			}
		}
	}
}

func TestEpochTimeRange(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time // zero: an error is expected
	}{
		{`1700000000.5`, time.Unix(1700000000, 5e8).UTC()},
		{`-1.5`, time.Unix(-2, 5e8).UTC()},
		{`"2020-01-02T03:04:05Z"`, time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)},
		{`253402300799`, time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)},
		{`253402300800`, time.Time{}},
		{`1e300`, time.Time{}},
		{`-1e18`, time.Time{}},
		{`"0000-01-01T00:00:00Z"`, time.Time{}},
		{`"tomorrow"`, time.Time{}},
		{`true`, time.Time{}},
		{`{}`, time.Time{}},
	}
	for _, tt := range tests {
		var got EpochTime
		err := json.Unmarshal([]byte(tt.in), &got)
		if tt.want.IsZero() {
			if err == nil {
				t.Errorf("EpochTime(%s) = %v, want an error", tt.in, time.Time(got))
			}
			continue
		}
		if err != nil || !time.Time(got).Equal(tt.want) {
			t.Errorf("EpochTime(%s) = %v, %v; want %v", tt.in, time.Time(got), err, tt.want)
		}
	}
	// null leaves the value alone.
	got := EpochTime(time.Unix(7, 0))
	if err := json.Unmarshal([]byte(`null`), &got); err != nil || time.Time(got).Unix() != 7 {
		t.Errorf("EpochTime(null) = %v, %v", time.Time(got), err)
	}
}

func TestIntForms(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{`42`, 42, true},
		{`"42"`, 42, true},
		{`5.0`, 5, true},
		{`1e3`, 1000, true},
		{`-9223372036854775808`, -9223372036854775808, true},
		{`9223372036854775808`, 0, false},
		{`1e400`, 0, false},
		{`"99999999999999999999999"`, 0, false},
		{`5.5`, 0, false},
		{`true`, 0, false},
	}
	for _, tt := range tests {
		var n Int
		err := json.Unmarshal([]byte(tt.in), &n)
		if (err == nil) != tt.ok || (tt.ok && (n.Value != tt.want || !n.Set)) {
			t.Errorf("Int(%s) = %+v, %v; want %d ok=%v", tt.in, n, err, tt.want, tt.ok)
		}
	}
}

// TestUnflattenIndexRange checks that list positions AWS does not number
// (0, or beyond the range Vigil reads) are refused by name rather than
// turned into a structure that fails later with a puzzling message.
func TestUnflattenIndexRange(t *testing.T) {
	for _, f := range []string{"Tags.member.0.Key=a", "Tags.member.1000000.Key=a", "Attributes.entry.0.key=a"} {
		form, _ := url.ParseQuery(f)
		_, err := Unflatten(form)
		if err == nil {
			t.Errorf("Unflatten(%s): want an error", f)
			continue
		}
		if e := AsError(err); e.Code != "ValidationError" || !strings.Contains(e.Message, "out of range") {
			t.Errorf("Unflatten(%s) = %v, want a ValidationError saying the index is out of range", f, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(`{"Name":"a","Limit":5,"Entries":[{"Time":1.5}]}`)
	f.Add(`{"When":"2020-01-01T00:00:00Z","Flag":"true"}`)
	f.Add(`{"Limit":1e400}`)
	f.Fuzz(func(t *testing.T, s string) {
		call := &Call{Service: &Spec{Protocol: JSON10}, Input: json.RawMessage(s)}
		var in decodeProbe
		if err := call.Decode(&in); err != nil {
			if e := AsError(err); e.Status != 400 {
				t.Fatalf("Decode(%q): status %d", s, e.Status)
			}
		}
	})
}
