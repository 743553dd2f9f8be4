package dataprotect

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedBlocks extracts, from seed 003 (the SNS message data protection
// blog post in the shared seeds), the final expense-report policy, the
// published message and the message the reporting subscriber received.
func seedBlocks(t *testing.T) (policy, published, reporting []byte) {
	t.Helper()
	matches, _ := filepath.Glob("../../shared/seeds/003_*.txt")
	if len(matches) == 0 {
		t.Skip("seed 003 is not beside the repository (../shared/seeds)")
	}
	raw, err := os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	block := func(marker string) []byte {
		i := 0
		for i < len(lines) && !strings.Contains(lines[i], marker) {
			i++
		}
		for i < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[i]), "{") {
			i++
		}
		if i == len(lines) {
			t.Fatalf("seed 003: no JSON block after %q", marker)
		}
		indent := len(lines[i]) - len(strings.TrimLeft(lines[i], " "))
		var b strings.Builder
		for ; i < len(lines); i++ {
			b.WriteString(lines[i])
			b.WriteByte('\n')
			if strings.TrimSpace(lines[i]) == "}" && len(lines[i])-len(strings.TrimLeft(lines[i], " ")) == indent {
				break
			}
		}
		return []byte(b.String())
	}
	return block("expands the data protection policy to include the Operation"),
		block("enter the following message payload"),
		block("You will see that the values for properties")
}

// TestSeed003ExpenseReport reproduces the blog post's expense-report
// example exactly: the payment subscriber gets the published bytes, the
// reporting subscriber gets credit_card_number and the reviewer's
// employee_id masked with '#', and the contractor's ID is untouched.
func TestSeed003ExpenseReport(t *testing.T) {
	policyDoc, published, reporting := seedBlocks(t)
	p, err := ParsePolicy(policyDoc, ParseOptions{})
	if err != nil {
		t.Fatalf("ParsePolicy: %v", err)
	}
	for _, tc := range []struct {
		principal string
		want      []byte
	}{
		{"arn:aws:iam::123456789012:role/PaymentApplicationRole", published},
		{"arn:aws:sts::123456789012:assumed-role/PaymentApplicationRole/payment-stack", published},
		{"arn:aws:iam::123456789012:role/ReportingApplicationRole", reporting},
		{"arn:aws:sts::123456789012:assumed-role/ReportingApplicationRole/reporting-stack", reporting},
	} {
		res := p.Evaluate(Request{Direction: Outbound, Principal: tc.principal, Message: published})
		if !bytes.Equal(res.Message, tc.want) {
			t.Errorf("%s received\n%s\nwant\n%s", tc.principal, res.Message, tc.want)
		}
		if res.Denied || res.Audit != nil {
			t.Errorf("%s: unexpected deny or audit: %+v", tc.principal, res)
		}
	}
	// Inbound publishing is untouched: the statement is Outbound only.
	res := p.Evaluate(Request{Direction: Inbound, Principal: "arn:aws:iam::123456789012:role/ReportingApplicationRole", Message: published})
	if !bytes.Equal(res.Message, published) || res.Deidentified {
		t.Errorf("inbound message changed:\n%s", res.Message)
	}
	if !json.Valid(reporting) {
		t.Errorf("the reporting subscriber's message is not valid JSON")
	}
	// And the short example earlier in the post.
	short := []byte("My credit card number is 4539894458086459")
	res = p.Evaluate(Request{Direction: Outbound, Principal: "arn:aws:iam::123456789012:role/ReportingApplicationRole", Message: short})
	if got, want := string(res.Message), "My credit card number is ################"; got != want {
		t.Errorf("short example: got %q, want %q", got, want)
	}
}

// TestExpenseReportShape is the same scenario with Vigil's own fixture, so
// it runs without the shared seeds.
func TestExpenseReportShape(t *testing.T) {
	policy := `{"Name":"expense-reports","Version":"2021-06-01",
	  "Configuration":{"CustomDataIdentifier":[{"Name":"StaffId","Regex":"SID-\\d{6}-UK"}]},
	  "Statement":[{"Sid":"mask-for-reporting","DataDirection":"Outbound",
	    "Principal":["arn:aws:iam::111122223333:role/Reporting"],
	    "DataIdentifier":["StaffId","arn:aws:dataprotection::aws:data-identifier/CreditCardNumber"],
	    "Operation":{"Deidentify":{"MaskConfig":{"MaskWithCharacter":"*"}}}}]}`
	msg := "{\n  \"card\": {\"credit_card_number\": \"5425 2334 3010 9903\"},\n  \"approver\": {\"staff_id\": \"SID-314159-UK\"},\n  \"vendor\": {\"staff_id\": \"VID-271828-FR\"}\n}\n"
	want := "{\n  \"card\": {\"credit_card_number\": \"*******************\"},\n  \"approver\": {\"staff_id\": \"*************\"},\n  \"vendor\": {\"staff_id\": \"VID-271828-FR\"}\n}\n"
	p, err := ParsePolicy([]byte(policy), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := p.Evaluate(Request{Direction: Outbound, Principal: "arn:aws:iam::111122223333:role/Reporting", Message: []byte(msg)})
	if string(got.Message) != want {
		t.Errorf("got\n%s\nwant\n%s", got.Message, want)
	}
	other := p.Evaluate(Request{Direction: Outbound, Principal: "arn:aws:iam::111122223333:role/Payments", Message: []byte(msg)})
	if string(other.Message) != msg {
		t.Errorf("payments subscriber got a changed message:\n%s", other.Message)
	}
}
