package dataprotect

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

var fuzzSeeds = []string{
	"My credit card number is 4539894458086459",
	`{"payment": {"credit_card_number": "4539894458086459"}, "ssn": "123-45-6789", "a": [1, 2.5e3, true, null, "x\u00e9\n"]}`,
	"SSN: 123-45-6789, phone +1 206 555 0142, mail a.b@example.com 10.0.0.1 fe80::1",
	"-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
	"Jeremy Stieglitz, 123 Main St, Springfield, IL 62704",
	`{"k\"ey": "v\\alue \ud83d\ude00 4539 8944 5808 6459", "card": 4539894458086459}`,
	"\xff\xfe card 4539894458086459 \x00",
}

func allScanner(t testing.TB) *Scanner {
	s, err := allManagedScanner()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// FuzzFindText: text search never panics, matches lie inside the input,
// and masking keeps the length in characters.
func FuzzFindText(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	s := allScanner(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		ms := s.FindText(data)
		for _, m := range ms {
			if m.Start < 0 || m.End > len(data) || m.Start >= m.End {
				t.Fatalf("bad match %+v in %d bytes", m, len(data))
			}
		}
		masked := Mask(data, ms, '#')
		if utf8.RuneCount(masked) != utf8.RuneCount(data) {
			t.Fatalf("Mask changed the length: %q -> %q", data, masked)
		}
		red := Redact(data, ms)
		if len(red) > len(data) {
			t.Fatalf("Redact grew the text")
		}
	})
}

// FuzzDeidentifyJSON: de-identifying a JSON document keeps it valid, and a
// document without findings comes back byte for byte.
func FuzzDeidentifyJSON(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), byte('#'))
	}
	f.Add([]byte(`["4539894458086459"]`), byte('"'))
	f.Add([]byte(`{"cvv": "123"}`), byte('\\'))
	s := allScanner(f)
	f.Fuzz(func(t *testing.T, data []byte, ch byte) {
		if !json.Valid(data) || !looksJSON(data) {
			return
		}
		if ch < 0x20 || ch > 0x7e {
			ch = 0 // redact
		}
		out, ms := s.Deidentify(data, ch)
		if !json.Valid(out) {
			t.Fatalf("Deidentify(%q, %q) = %q: not valid JSON", data, ch, out)
		}
		if len(ms) == 0 && !bytes.Equal(out, data) {
			t.Fatalf("no matches but output changed: %q -> %q", data, out)
		}
		for _, m := range ms {
			if m.Start < 0 || m.End > len(data) || m.Start >= m.End || m.Path == "" {
				t.Fatalf("bad match %+v", m)
			}
		}
	})
}

// FuzzParsePolicy: parsing never panics, and an accepted policy evaluates
// any message without panicking.
func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte(examplePolicy), []byte(fuzzSeeds[1]))
	f.Add([]byte(`{"Name":"a","Version":"2021-06-01","Statement":[{"DataDirection":"Inbound","Principal":["*"],"DataIdentifier":["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],"Operation":{"Deny":{}}}]}`), []byte("x@example.com"))
	f.Fuzz(func(t *testing.T, doc, msg []byte) {
		p, err := ParsePolicy(doc, ParseOptions{Rand: func(int) int { return 0 }})
		if err != nil {
			return
		}
		for _, d := range []Direction{Inbound, Outbound} {
			r := p.Evaluate(Request{Direction: d, Principal: "arn:aws:iam::123456789012:user/u", Message: msg})
			if json.Valid(msg) && looksJSON(msg) && !json.Valid(r.Message) {
				t.Fatalf("JSON message became invalid: %q", r.Message)
			}
		}
	})
}

// FuzzCustomIdentifier: any expression is accepted or rejected without a
// panic, and an accepted one searches in linear time on RE2.
func FuzzCustomIdentifier(f *testing.F) {
	for _, re := range []string{`EID-\d{9}-US`, `a**`, `(a)\1`, `[`, `x{2,1}`, `\Z`, `.*`} {
		f.Add(re, []byte("EID-123456789-US aaaa"))
	}
	f.Fuzz(func(t *testing.T, re string, data []byte) {
		id, err := NewCustomIdentifier("Fuzz", re)
		if err != nil {
			return
		}
		s, err := NewScanner(id)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range s.FindText(data) {
			if m.Start >= m.End || m.End > len(data) {
				t.Fatalf("bad match %+v", m)
			}
		}
	})
}
