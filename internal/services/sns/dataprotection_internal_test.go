package sns

import (
	"bytes"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/dataprotect"
	"github.com/vigilsec/vigil/internal/services"
)

// The per-message cost data protection adds, without the store: the
// cached policy lookup, the evaluation and the copy of the message.

func benchPolicy() string {
	var ids []string
	for _, n := range []string{"CreditCardNumber", "EmailAddress", "Ssn-US", "PhoneNumber-US", "IpAddress",
		"AwsSecretKey", "BankAccountNumber-US", "PassportNumber-US", "DriversLicense-US", "CreditCardSecurityCode"} {
		ids = append(ids, `"arn:aws:dataprotection::aws:data-identifier/`+n+`"`)
	}
	return `{"Name":"bench","Version":"2021-06-01","Statement":[{"DataDirection":"Inbound","Principal":["*"],` +
		`"DataIdentifier":[` + strings.Join(ids, ",") + `],"Operation":{"Deidentify":{"MaskConfig":{"MaskWithCharacter":"#"}}}},` +
		`{"DataDirection":"Outbound","Principal":["arn:aws:iam::123456789012:role/Reporting"],` +
		`"DataIdentifier":[` + strings.Join(ids, ",") + `],"Operation":{"Deidentify":{"RedactConfig":{}}}}]}`
}

func benchText() string {
	m := `{"detail-type":"Expense approved","detail":{"card":"4539894458086459","contact":"ops@example.com","notes":"`
	m += strings.Repeat("routine approval for office supplies; ", 25)
	return m[:1000] + `"}}`
}

// mustPolicy returns tp's compiled policy, failing when it has none.
func mustPolicy(tb testing.TB, s *Service, tp *topic) *dataprotect.Policy {
	tb.Helper()
	p, err := s.topicPolicy(tp)
	if err != nil || p == nil {
		tb.Fatalf("topicPolicy = %v, %v", p, err)
	}
	return p
}

func BenchmarkDataProtection(b *testing.B) {
	s := &Service{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	tp := &topic{ARN: "arn:aws:sns:us-east-1:123456789012:bench", Attrs: map[string]string{attrDataProtection: benchPolicy()}}
	text := benchText()
	p := mustPolicy(b, s, tp)
	b.Run("Inbound1KB", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		for b.Loop() {
			msg := &storedMessage{ID: "m", TopicARN: tp.ARN, Message: text, Timestamp: time.Now()}
			if _, e := s.inbound(p, msg, "arn:aws:iam::123456789012:root"); e != nil {
				b.Fatal(e)
			}
		}
	})
	b.Run("Outbound1KB", func(b *testing.B) {
		sub := &subscription{ARN: tp.ARN + ":s", Protocol: "https", Principal: "arn:aws:sts::123456789012:assumed-role/Reporting/r"}
		msg := &storedMessage{ID: "m", TopicARN: tp.ARN, Message: text, Timestamp: time.Now()}
		b.SetBytes(int64(len(text)))
		for b.Loop() {
			if view, denied, _ := s.outbound(p, sub, msg); denied || view.Message == text {
				b.Fatal("outbound policy not applied")
			}
		}
	})
}

// TestPolicyCache checks that a topic's policy is compiled once, and again
// only when its text changes, and that a stored policy that does not parse
// is an error, reported in the log once per text.
func TestPolicyCache(t *testing.T) {
	var logged bytes.Buffer
	s := &Service{log: slog.New(slog.NewTextHandler(&logged, nil))}
	tp := &topic{ARN: "arn:aws:sns:us-east-1:123456789012:t", Attrs: map[string]string{attrDataProtection: benchPolicy()}}
	p1 := mustPolicy(t, s, tp)
	if mustPolicy(t, s, tp) != p1 {
		t.Fatal("policy compiled twice for the same text")
	}
	tp.Attrs[attrDataProtection] = strings.Replace(benchPolicy(), `"bench"`, `"bench2"`, 1)
	if p2 := mustPolicy(t, s, tp); p2 == p1 {
		t.Fatal("changed policy text served from the cache")
	}
	for _, broken := range []string{`{"Name":`, `{"Name":"x"}`} {
		tp.Attrs[attrDataProtection] = broken
		for range 3 {
			if p, err := s.topicPolicy(tp); p != nil || err == nil || !strings.Contains(err.Error(), tp.ARN) {
				t.Fatalf("broken policy %s: %v, %v; want an error naming the topic", broken, p, err)
			}
		}
	}
	if n := strings.Count(logged.String(), "does not parse"); n != 2 {
		t.Errorf("%d log lines for two broken policies read three times each, want 2:\n%s", n, logged.String())
	}
	s.dp.forget(tp.ARN)
	delete(tp.Attrs, attrDataProtection)
	if p, err := s.topicPolicy(tp); p != nil || err != nil {
		t.Fatalf("topic without a policy: %v, %v", p, err)
	}
}

// FuzzDataProtectionPolicy feeds policies to the validator: it never
// panics, and every destination it accepts maps to files inside the
// findings folder.
func FuzzDataProtectionPolicy(f *testing.F) {
	f.Add(benchPolicy())
	f.Add(`{"Name":"a","Version":"2021-06-01","Statement":[{"DataDirection":"Inbound","Principal":["*"],` +
		`"DataIdentifier":["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],"Operation":{"Audit":{"SampleRate":"5",` +
		`"FindingsDestination":{"CloudWatchLogs":{"LogGroup":"/aws/vendedlogs/x/./y"},"Firehose":{"DeliveryStream":"s"},"S3":{"Bucket":"b.b"}}}}}]}`)
	for _, bucket := range []string{"..", "a/../../etc", "x/y"} {
		f.Add(`{"Name":"a","Version":"2021-06-01","Statement":[{"DataDirection":"Inbound","Principal":["*"],` +
			`"DataIdentifier":["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],"Operation":{"Audit":{"SampleRate":"5",` +
			`"FindingsDestination":{"S3":{"Bucket":"` + bucket + `"}}}}}]}`)
	}
	root := "/data"
	s := &Service{env: &services.Env{DataDir: root, AccountID: "123456789012", Region: "us-east-1"}}
	f.Fuzz(func(t *testing.T, doc string) {
		p, err := parseDataProtection(doc)
		if err != nil {
			return
		}
		for _, st := range p.Document.Statement {
			a := st.Operation.Audit
			if a == nil {
				continue
			}
			for _, d := range []*dataprotect.Destination{a.FindingsDestination, a.NoFindingsDestination} {
				if d == nil {
					continue
				}
				rec := dataprotect.AuditRecord{ResourceARN: "arn:aws:sns:us-east-1:123456789012:t", AuditTimestamp: "2024-01-02T03:04:05Z"}
				for _, path := range s.findingPaths(findingJob{Dest: *d, Record: rec}) {
					if !strings.HasPrefix(path, root+"/findings/") {
						t.Fatalf("destination %+v maps to %s", d, path)
					}
				}
			}
		}
	})
}
