package awsproto

import (
	"bytes"
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestUnflatten(t *testing.T) {
	tests := []struct {
		form string
		want string
	}{
		{"Action=CreateUser&Version=2010-05-08&UserName=alice&Path=%2F", `{"Path":"/","UserName":"alice"}`},
		{"Tags.member.1.Key=team&Tags.member.1.Value=sec&Tags.member.2.Key=env&Tags.member.2.Value=prod",
			`{"Tags":[{"Key":"team","Value":"sec"},{"Key":"env","Value":"prod"}]}`},
		// Indexes order the list, not the order of the form.
		{"L.member.10=j&L.member.2=b&L.member.1=a", `{"L":["a","b","j"]}`},
		{"Attributes.entry.1.key=DisplayName&Attributes.entry.1.value=Sec&Attributes.entry.2.key=Policy&Attributes.entry.2.value=%7B%7D",
			`{"Attributes":{"DisplayName":"Sec","Policy":"{}"}}`},
		{"MessageAttributes.entry.1.Name=sev&MessageAttributes.entry.1.Value.DataType=String&MessageAttributes.entry.1.Value.StringValue=high",
			`{"MessageAttributes":{"sev":{"DataType":"String","StringValue":"high"}}}`},
		{"Filter.1.Name=a&Filter.2.Name=b", `{"Filter":[{"Name":"a"},{"Name":"b"}]}`},
		{"A.B.C=x", `{"A":{"B":{"C":"x"}}}`},
	}
	for _, tt := range tests {
		form, _ := url.ParseQuery(tt.form)
		got, err := Unflatten(form)
		if err != nil {
			t.Fatalf("Unflatten(%s): %v", tt.form, err)
		}
		if !jsonEqual(t, got, []byte(tt.want)) {
			t.Errorf("Unflatten(%s) = %s, want %s", tt.form, got, tt.want)
		}
	}
}

func TestUnflattenConflicts(t *testing.T) {
	for _, f := range []string{"A=1&A.B=2", "A..B=1", ".A=1"} {
		form, _ := url.ParseQuery(f)
		_, err := Unflatten(form)
		if err == nil {
			t.Errorf("Unflatten(%s): want an error", f)
			continue
		}
		if e := AsError(err); e.Code != "ValidationError" || !strings.Contains(e.Message, "parameter") {
			t.Errorf("Unflatten(%s) error = %v, want a ValidationError naming the parameter", f, err)
		}
	}
}

func FuzzUnflatten(f *testing.F) {
	f.Add("Tags.member.1.Key=a&Tags.member.1.Value=b")
	f.Add("Attributes.entry.1.key=a&Attributes.entry.1.value=b")
	f.Add("A.1.B.member.2=x&A.1=y")
	f.Fuzz(func(t *testing.T, s string) {
		form, err := url.ParseQuery(s)
		if err != nil {
			return
		}
		out, err := Unflatten(form)
		if err == nil && !json.Valid(out) {
			t.Fatalf("Unflatten(%q) produced invalid JSON %s", s, out)
		}
	})
}

func TestWriteQueryResult(t *testing.T) {
	type user struct {
		UserName string `xml:"UserName"`
	}
	result := struct {
		Users []user `xml:"Users>member"`
		Attrs QueryMap
	}{Users: []user{{"a"}, {"b"}}, Attrs: QueryMap{"k": "v"}}
	var buf bytes.Buffer
	spec := &Spec{XMLNamespace: "https://iam.amazonaws.com/doc/2010-05-08/"}
	if err := WriteQueryResult(&buf, spec, "ListUsers", "req-1", result); err != nil {
		t.Fatal(err)
	}
	want := `<ListUsersResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListUsersResult><Users><member><UserName>a</UserName></member><member><UserName>b</UserName></member></Users><Attrs><entry><key>k</key><value>v</value></entry></Attrs></ListUsersResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></ListUsersResponse>`
	if got := strings.TrimPrefix(buf.String(), `<?xml version="1.0" encoding="UTF-8"?>`+"\n"); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestWriteQueryError(t *testing.T) {
	var buf bytes.Buffer
	WriteQueryError(&buf, "ns", "r", Errorf(404, "NoSuchEntity", "The user with name x cannot be found."))
	for _, s := range []string{"<Type>Sender</Type>", "<Code>NoSuchEntity</Code>", "<Message>The user with name x cannot be found.</Message>", "<RequestId>r</RequestId>"} {
		if !strings.Contains(buf.String(), s) {
			t.Errorf("error response %s lacks %s", buf.String(), s)
		}
	}
}

func TestFlexibleScalars(t *testing.T) {
	var in struct {
		N Int
		B Bool
		M Int
	}
	if err := json.Unmarshal([]byte(`{"N":"42","B":"true"}`), &in); err != nil {
		t.Fatal(err)
	}
	if in.N.Or(0) != 42 || !in.B.Value || in.M.Or(7) != 7 {
		t.Errorf("got %+v", in)
	}
	for _, bad := range []string{`{"N":"4x"}`, `{"N":1.5}`, `{"B":"yes"}`, `{"N":[]}`} {
		if err := json.Unmarshal([]byte(bad), &in); err == nil {
			t.Errorf("Unmarshal(%s): want error", bad)
		}
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("bad JSON %s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("bad JSON %s: %v", b, err)
	}
	return reflect.DeepEqual(x, y)
}
