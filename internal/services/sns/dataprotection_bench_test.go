package sns_test

import (
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/identity"
)

// tenIdentifiers is an Inbound masking policy with ten managed identifiers,
// the size the latency budget names.
var tenIdentifiers = func() string {
	var ids []string
	for _, n := range []string{"CreditCardNumber", "EmailAddress", "Ssn-US", "PhoneNumber-US", "IpAddress",
		"AwsSecretKey", "BankAccountNumber-US", "PassportNumber-US", "DriversLicense-US", "CreditCardSecurityCode"} {
		ids = append(ids, `"arn:aws:dataprotection::aws:data-identifier/`+n+`"`)
	}
	return `{"Name":"bench","Version":"2021-06-01","Statement":[{"DataDirection":"Inbound","Principal":["*"],` +
		`"DataIdentifier":[` + strings.Join(ids, ",") + `],"Operation":{"Deidentify":{"MaskConfig":{"MaskWithCharacter":"#"}}}}]}`
}()

// benchMessage is a 1 KB JSON alert with a card number and an address in it.
var benchMessage = func() string {
	m := `{"detail-type":"Expense approved","detail":{"card":"4539894458086459","contact":"ops@example.com","notes":"`
	m += strings.Repeat("routine approval for office supplies; ", 25)
	return m[:1000] + `"}}`
}()

// BenchmarkPublish publishes a 1 KB message to a topic with one Lambda
// subscription (so the message and its delivery are stored), without and
// with a ten-identifier policy; the difference is what data protection
// adds to Publish. It calls the service directly, past HTTP and SigV4.
func BenchmarkPublish(b *testing.B) {
	for _, withPolicy := range []bool{false, true} {
		name := "NoPolicy"
		if withPolicy {
			name = "TenIdentifierPolicy"
		}
		b.Run(name, func(b *testing.B) {
			e := newEnv(b)
			root := identity.Principal{Type: identity.Root, AccountID: testAccount, ARN: "arn:aws:iam::" + testAccount + ":root"}
			in := map[string]any{"Name": "bench"}
			if withPolicy {
				in["DataProtectionPolicy"] = tenIdentifiers
			}
			if _, err := callAs(b, e, root, "CreateTopic", in); err != nil {
				b.Fatal(err)
			}
			topic := "arn:aws:sns:" + testRegion + ":" + testAccount + ":bench"
			if _, err := callAs(b, e, root, "Subscribe", map[string]any{"TopicArn": topic, "Protocol": "lambda",
				"Endpoint": "arn:aws:lambda:" + testRegion + ":" + testAccount + ":function:f"}); err != nil {
				b.Fatal(err)
			}
			pub := map[string]any{"TopicArn": topic, "Message": benchMessage}
			b.SetBytes(int64(len(benchMessage)))
			b.ResetTimer()
			for b.Loop() {
				if _, err := callAs(b, e, root, "Publish", pub); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
