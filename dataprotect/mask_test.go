package dataprotect

import (
	"encoding/json"
	"strings"
	"testing"
)

func scannerFor(t *testing.T, names ...string) *Scanner {
	t.Helper()
	var ids []*Identifier
	for _, n := range names {
		id, ok := LookupManaged(n)
		if !ok {
			t.Fatalf("no identifier %s", n)
		}
		ids = append(ids, id)
	}
	s, err := NewScanner(ids...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDeidentify(t *testing.T) {
	s := scannerFor(t, "EmailAddress", "CreditCardNumber", "Name")
	cases := []struct {
		name, in string
		mask     byte
		want     string
	}{
		{"text mask", "card 4539894458086459, mail a@example.com", '#', "card ################, mail #############"},
		{"text redact", "card 4539894458086459, mail a@example.com", 0, "card , mail "},
		{"mask counts characters", "From José García to Jeremy Stieglitz", '*', "From José García to ****************"},
		{"json escapes re-encoded", `{"note": "mail a\u0040example.com\n"}`, '#', `{"note": "mail #############\n"}`},
		{"json quote as mask", `{"e": "a@example.com"}`, '"', `{"e": "\"\"\"\"\"\"\"\"\"\"\"\"\""}`},
		{"json number becomes string", `{"card": 4539894458086459, "n": 1}`, 'X', `{"card": "XXXXXXXXXXXXXXXX", "n": 1}`},
		{"json redact", `[{"card":"4539 8944 5808 6459 exp"}]`, 0, `[{"card":" exp"}]`},
		{"json keys untouched", `{"a@example.com": "x"}`, '#', `{"a@example.com": "x"}`},
		{"not json", `{"unterminated": "a@example.com"`, '#', `{"unterminated": "#############"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, _ := s.Deidentify([]byte(c.in), c.mask)
			if string(got) != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
			if looksJSON([]byte(c.in)) && json.Valid([]byte(c.in)) && !json.Valid(got) {
				t.Errorf("output is not valid JSON")
			}
		})
	}
}

func TestJSONPathsAndContext(t *testing.T) {
	s := scannerFor(t, "Ssn-US", "PhoneNumber-US")
	doc := `{"customer": {"ssn": "123-45-6789", "contacts": [{"mobile": "2065550142"}, "206-555-0143"]},
	  "notes": "123-45-6789", "weird key": {"tel": "(206) 555-0144"}}`
	ms, err := s.FindJSON([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, m.Identifier.Name+" "+m.Path+" "+doc[m.Start:m.End])
	}
	want := []string{
		"Ssn-US $.customer.ssn 123-45-6789",
		"PhoneNumber-US $.customer.contacts[0].mobile 2065550142",
		"PhoneNumber-US $['weird key'].tel (206) 555-0144",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The bare SSN under "notes" and the phone in the contacts array have
	// no keyword on their path or in their value, so they are not found.
}

func TestCustomIdentifier(t *testing.T) {
	for _, c := range []struct{ name, re, err string }{
		{"EmployeeId", `EID-\d{9}-US`, ""},
		{"a-b_C9", `[A-Z]{3}#\d+`, ""},
		{"", `x`, "must not be empty"},
		{strings.Repeat("n", 129), `x`, "the maximum is 128"},
		{"bad.name", `x`, "only letters, digits"},
		{"Ssn", `x`, "name of a managed data identifier"},
		{"ok", strings.Repeat("a", 201), "the maximum is 200"},
		{"ok", `(a|b)`, "not an allowed character"},
		{"ok", `a**`, "is not supported"},
		{"ok", `\Z`, "is not supported"},
		{"ok", `[a-`, "is not supported"},
	} {
		_, err := NewCustomIdentifier(c.name, c.re)
		if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("NewCustomIdentifier(%q, %q) = %v, want %q", c.name, c.re, err, c.err)
		}
	}
	id, _ := NewCustomIdentifier("EmployeeId", `EID-\d{9}-US`)
	s, _ := NewScanner(id)
	ms := s.FindText([]byte("EID-123456789-US and EID-12345678-US"))
	if len(ms) != 1 || ms[0].Start != 0 || ms[0].End != 16 {
		t.Errorf("matches %+v", ms)
	}
}

// TestCustomLinearTime runs an expression that backtracking engines take
// exponential time on; RE2 is linear, so this returns at once.
func TestCustomLinearTime(t *testing.T) {
	id, err := NewCustomIdentifier("Evil", `[a]*[a]*[a]*[a]*[a]*[a]*[a]*[a]*b`)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := NewScanner(id)
	if ms := s.FindText([]byte(strings.Repeat("a", 1<<16))); len(ms) != 0 {
		t.Errorf("unexpected match")
	}
}

func TestMaskRunes(t *testing.T) {
	in := []byte("x José y")
	got := Mask(in, []Match{{Start: 2, End: 7}}, '*')
	if string(got) != "x **** y" {
		t.Errorf("Mask = %q, want one mask character per character", got)
	}
	over := Mask([]byte("abcdefgh"), []Match{{Start: 1, End: 4}, {Start: 3, End: 6}}, '#')
	if string(over) != "a#####gh" {
		t.Errorf("overlapping matches: %q", over)
	}
}
