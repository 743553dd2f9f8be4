package dataprotect

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

const examplePolicy = `{
  "Name": "__example_data_protection_policy",
  "Description": "audit, deny and mask",
  "Version": "2021-06-01",
  "Configuration": {"CustomDataIdentifier": [{"Name": "EmployeeId", "Regex": "EID-\\d{9}-US"}]},
  "Statement": [
    {"Sid": "audit", "DataDirection": "Inbound", "Principal": ["*"],
     "DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/CreditCardNumber", "EmployeeId"],
     "Operation": {"Audit": {"SampleRate": "99",
       "FindingsDestination": {"CloudWatchLogs": {"LogGroup": "/aws/vendedlogs/findings"}, "S3": {"Bucket": "audit-bucket"}},
       "NoFindingsDestination": {"Firehose": {"DeliveryStream": "clean"}}}}},
    {"Sid": "deny-ssn", "DataDirection": "Inbound", "Principal": ["arn:aws:iam::123456789012:user/Publisher"],
     "DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/Ssn-US"],
     "Operation": {"Deny": {}}},
    {"Sid": "redact-email", "DataDirection": "Outbound", "Principal": ["123456789012"],
     "DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],
     "Operation": {"Deidentify": {"RedactConfig": {}}}},
    {"Sid": "mask-card", "DataDirection": "Outbound", "Principal": ["*"],
     "DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/CreditCardNumber"],
     "Operation": {"Deidentify": {"MaskConfig": {"MaskWithCharacter": "X"}}}}
  ]
}`

func TestPolicyEvaluate(t *testing.T) {
	p, err := ParsePolicy([]byte(examplePolicy), ParseOptions{Rand: func(int) int { return 50 }})
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("card 4539894458086459 for EID-123456789-US, mail a.b@example.com")

	in := p.Evaluate(Request{Direction: Inbound, Principal: "arn:aws:iam::123456789012:user/Other", Message: msg})
	if in.Denied || in.Deidentified || string(in.Message) != string(msg) {
		t.Errorf("inbound: %+v", in)
	}
	if in.Audit == nil || len(in.Audit.DataIdentifiers) != 2 || in.Audit.Destination.CloudWatchLogs.LogGroup != "/aws/vendedlogs/findings" {
		t.Fatalf("audit: %+v", in.Audit)
	}
	rec := in.Audit.Record("m-1", "arn:aws:iam::123456789012:user/Other", "arn:aws:sns:us-east-1:123456789012:t", time.Unix(0, 0))
	b, _ := json.Marshal(rec)
	if want := `{"messageId":"m-1","auditTimestamp":"1970-01-01T00:00:00Z","callerPrincipal":"arn:aws:iam::123456789012:user/Other","resourceArn":"arn:aws:sns:us-east-1:123456789012:t","dataIdentifiers":[{"name":"CreditCardNumber","count":1,"detections":[{"start":5,"end":21}]},{"name":"EmployeeId","count":1,"detections":[{"start":26,"end":42}]}]}`; string(b) != want {
		t.Errorf("audit record\n got %s\nwant %s", b, want)
	}

	clean := p.Evaluate(Request{Direction: Inbound, Principal: "*", Message: []byte("nothing here")})
	if clean.Audit == nil || clean.Audit.Destination == nil || clean.Audit.Destination.Firehose == nil {
		t.Errorf("no-findings audit should go to NoFindingsDestination: %+v", clean.Audit)
	}

	denied := p.Evaluate(Request{Direction: Inbound, Principal: "arn:aws:iam::123456789012:user/Publisher", Message: []byte("SSN: 123-45-6789")})
	if !denied.Denied || denied.DeniedBy != `Statement "deny-ssn"` {
		t.Errorf("deny: %+v", denied)
	}

	out := p.Evaluate(Request{Direction: Outbound, Principal: "arn:aws:iam::123456789012:user/Sub", Message: msg})
	if got, want := string(out.Message), "card XXXXXXXXXXXXXXXX for EID-123456789-US, mail "; got != want {
		t.Errorf("outbound same account: %q, want %q", got, want)
	}
	other := p.Evaluate(Request{Direction: Outbound, Principal: "arn:aws:iam::999999999999:user/Sub", Message: msg})
	if got, want := string(other.Message), "card XXXXXXXXXXXXXXXX for EID-123456789-US, mail a.b@example.com"; got != want {
		t.Errorf("outbound other account: %q, want %q", got, want)
	}

	sampledOut, err := ParsePolicy([]byte(examplePolicy), ParseOptions{Rand: func(int) int { return 99 }})
	if err != nil {
		t.Fatal(err)
	}
	if r := sampledOut.Evaluate(Request{Direction: Inbound, Principal: "*", Message: msg}); r.Audit != nil {
		t.Errorf("roll 99 with SampleRate 99 must not audit")
	}

	whole := p.Evaluate(Request{Direction: Outbound, Principal: "123456789012", Message: []byte(" a.b@example.com\n")})
	if !whole.EntireMessageSensitive {
		t.Errorf("a message that is only an e-mail address is entirely sensitive")
	}
}

func TestPolicyJSONMessage(t *testing.T) {
	p, err := ParsePolicy([]byte(examplePolicy), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	msg := `{"user": {"email": "a.b@example.com", "card": 4539894458086459}, "n": "ok"}`
	out := p.Evaluate(Request{Direction: Outbound, Principal: "123456789012", Message: []byte(msg)})
	if want := `{"user": {"email": "", "card": "XXXXXXXXXXXXXXXX"}, "n": "ok"}`; string(out.Message) != want {
		t.Errorf("got %s\nwant %s", out.Message, want)
	}
	if out.Matches[0].Path != "$.user.card" && out.Matches[0].Path != "$.user.email" {
		t.Errorf("paths: %+v", out.Matches)
	}
}

func TestPolicyErrors(t *testing.T) {
	base := func(edit func(m map[string]any)) string {
		var m map[string]any
		if err := json.Unmarshal([]byte(examplePolicy), &m); err != nil {
			t.Fatal(err)
		}
		edit(m)
		b, _ := json.Marshal(m)
		return string(b)
	}
	st := func(m map[string]any, i int) map[string]any { return m["Statement"].([]any)[i].(map[string]any) }
	cases := []struct {
		name, doc, want string
	}{
		{"not json", `{"Name":`, "not a valid policy document"},
		{"unknown field", base(func(m map[string]any) { m["Effect"] = "Allow" }), `unknown field "Effect"`},
		{"version", base(func(m map[string]any) { m["Version"] = "2012-10-17" }), "Version must be 2021-06-01"},
		{"name", base(func(m map[string]any) { m["Name"] = "has space" }), "alphanumeric characters, hyphens (-) and underscores (_)"},
		{"no statements", base(func(m map[string]any) { m["Statement"] = []any{} }), "at least one Statement"},
		{"direction", base(func(m map[string]any) { st(m, 1)["DataDirection"] = "Sideways" }), `DataDirection "Sideways" is not valid`},
		{"principal", base(func(m map[string]any) { st(m, 1)["Principal"] = []any{"bob"} }), `Principal "bob" is not valid`},
		{"unknown managed", base(func(m map[string]any) {
			st(m, 1)["DataIdentifier"] = []any{"arn:aws:dataprotection::aws:data-identifier/Foo"}
		}), "arn:aws:dataprotection::aws:data-identifier/Foo is not a valid Data Identifier"},
		{"bare managed name", base(func(m map[string]any) { st(m, 1)["DataIdentifier"] = []any{"Ssn-US"} }), "refer to managed data identifiers by ARN"},
		{"undefined custom", base(func(m map[string]any) { st(m, 1)["DataIdentifier"] = []any{"StaffId"} }), "StaffId is not a valid Data Identifier"},
		{"extension", base(func(m map[string]any) {
			st(m, 1)["DataIdentifier"] = []any{"arn:aws:dataprotection::vigil:data-identifier/AwsAccessKeyId"}
		}), "is not a valid Data Identifier"},
		{"two operations", base(func(m map[string]any) {
			st(m, 1)["Operation"] = map[string]any{"Deny": map[string]any{}, "Audit": map[string]any{}}
		}), "exactly one of Audit, Deidentify and Deny"},
		{"deny not empty", base(func(m map[string]any) { st(m, 1)["Operation"] = map[string]any{"Deny": map[string]any{"x": 1}} }), `unknown field "x"`},
		{"mask and redact", base(func(m map[string]any) {
			st(m, 3)["Operation"] = map[string]any{"Deidentify": map[string]any{"MaskConfig": map[string]any{"MaskWithCharacter": "#"}, "RedactConfig": map[string]any{}}}
		}), "exactly one of MaskConfig and RedactConfig"},
		{"mask char", base(func(m map[string]any) {
			st(m, 3)["Operation"] = map[string]any{"Deidentify": map[string]any{"MaskConfig": map[string]any{"MaskWithCharacter": "##"}}}
		}), "MaskWithCharacter"},
		{"sample rate", base(func(m map[string]any) {
			st(m, 0)["Operation"].(map[string]any)["Audit"].(map[string]any)["SampleRate"] = "100"
		}), "SampleRate 100 is not valid"},
		{"log group", base(func(m map[string]any) {
			st(m, 0)["Operation"].(map[string]any)["Audit"].(map[string]any)["FindingsDestination"] = map[string]any{"CloudWatchLogs": map[string]any{"LogGroup": "findings"}}
		}), "must start with /aws/vendedlogs/"},
		{"no destination", base(func(m map[string]any) {
			st(m, 0)["Operation"] = map[string]any{"Audit": map[string]any{"SampleRate": 10}}
		}), "requires a FindingsDestination or a NoFindingsDestination"},
		{"two audits", base(func(m map[string]any) {
			m["Statement"] = append(m["Statement"].([]any), st(m, 0))
		}), "only one Audit statement"},
		{"eleven custom", base(func(m map[string]any) {
			var ids []any
			for i := 0; i < 11; i++ {
				ids = append(ids, map[string]any{"Name": "C" + strings.Repeat("x", i), "Regex": "a"})
			}
			m["Configuration"] = map[string]any{"CustomDataIdentifier": ids}
		}), "the maximum is 10"},
		{"custom name", base(func(m map[string]any) {
			m["Configuration"] = map[string]any{"CustomDataIdentifier": []any{map[string]any{"Name": "bad name", "Regex": "a"}}}
		}), "may contain only letters, digits"},
		{"custom shadows managed", base(func(m map[string]any) {
			m["Configuration"] = map[string]any{"CustomDataIdentifier": []any{map[string]any{"Name": "CreditCardNumber", "Regex": "a"}}}
		}), "is the name of a managed data identifier"},
		{"custom char", base(func(m map[string]any) {
			m["Configuration"] = map[string]any{"CustomDataIdentifier": []any{map[string]any{"Name": "X", "Regex": "(a)"}}}
		}), "is not an allowed character"},
		{"custom re2", base(func(m map[string]any) {
			m["Configuration"] = map[string]any{"CustomDataIdentifier": []any{map[string]any{"Name": "X", "Regex": "a**"}}}
		}), "is not supported: invalid nested repetition operator"},
		{"custom length", base(func(m map[string]any) {
			m["Configuration"] = map[string]any{"CustomDataIdentifier": []any{map[string]any{"Name": "X", "Regex": strings.Repeat("a", 201)}}}
		}), "the maximum is 200"},
		{"too big", `{"Name":"` + strings.Repeat("a", MaxPolicySize) + `"}`, "the maximum is 30720"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParsePolicy([]byte(c.doc), ParseOptions{})
			var pe *PolicyError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a *PolicyError", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %q, want it to contain %q", err, c.want)
			}
		})
	}
	if _, err := ParsePolicy([]byte(base(func(m map[string]any) {
		st(m, 1)["DataIdentifier"] = []any{"arn:aws:dataprotection::vigil:data-identifier/AwsAccessKeyId"}
	})), ParseOptions{AllowExtensions: true}); err != nil {
		t.Errorf("AllowExtensions: %v", err)
	}
}

func TestPrincipalCovered(t *testing.T) {
	cases := []struct {
		list   []string
		caller string
		want   bool
	}{
		{[]string{"*"}, "anything", true},
		{[]string{"123456789012"}, "arn:aws:iam::123456789012:user/a", true},
		{[]string{"123456789012"}, "arn:aws:iam::210987654321:user/a", false},
		{[]string{"arn:aws:iam::123456789012:root"}, "arn:aws:sts::123456789012:assumed-role/R/s", true},
		{[]string{"arn:aws:iam::123456789012:role/ops/R"}, "arn:aws:sts::123456789012:assumed-role/R/s", true},
		{[]string{"arn:aws:iam::123456789012:role/R"}, "arn:aws:sts::123456789012:assumed-role/RR/s", false},
		{[]string{"arn:aws:iam::123456789012:user/a"}, "arn:aws:iam::123456789012:user/a", true},
		{[]string{"arn:aws:iam::123456789012:user/a"}, "arn:aws:iam::123456789012:user/b", false},
	}
	for _, c := range cases {
		if got := principalCovered(c.list, c.caller); got != c.want {
			t.Errorf("principalCovered(%v, %s) = %v", c.list, c.caller, got)
		}
	}
}
