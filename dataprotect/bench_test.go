package dataprotect

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vigilsec/vigil/dataprotect/internal/corpusgen"
)

// cpuTime is the process's user and system CPU time. Benchmarks report
// MB per CPU-second ("cpuMB/s") beside wall-clock MB/s, because the
// machines this runs on are shared and wall-clock time includes waiting
// for a core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// The benchmark corpora keep only their files: the ground truth, some
// hundred thousand labels full of pointers, would otherwise stay on the
// heap and make every garbage collection during the benchmark mark it,
// a cost of the harness and not of the scanner.
var (
	benchCorpus      = sync.OnceValue(func() *corpusgen.Corpus { return filesOnly(corpusgen.Generate(7, 16<<20, false)) })
	benchCorpusDense = sync.OnceValue(func() *corpusgen.Corpus { return filesOnly(corpusgen.Generate(7, 16<<20, true)) })
)

func filesOnly(c *corpusgen.Corpus) *corpusgen.Corpus { return &corpusgen.Corpus{Files: c.Files} }

// BenchmarkScanCorpus searches the 16 MiB realistic mixed corpus on one
// goroutine with every managed identifier, each file as Scan would (JSON
// by record, text otherwise); by kind and in total.
func BenchmarkScanCorpus(b *testing.B) { benchScan(b, benchCorpus()) }

// BenchmarkScanCorpusDense is the same on the dense corpus (five times the
// planted data), where more keyword windows open.
func BenchmarkScanCorpusDense(b *testing.B) { benchScan(b, benchCorpusDense()) }

func benchScan(b *testing.B, c *corpusgen.Corpus) {
	s := allScanner(b)
	runtime.GC() // the generator's garbage is not the scanner's cost
	kinds := map[string][]corpusgen.File{}
	for _, f := range c.Files {
		k := strings.TrimPrefix(filepath.Ext(f.Name), ".")
		kinds[k] = append(kinds[k], f)
		kinds["all"] = append(kinds["all"], f)
	}
	for _, k := range []string{"all", "log", "jsonl", "json", "txt"} {
		files := kinds[k]
		n := 0
		for _, f := range files {
			n += len(f.Data)
		}
		b.Run(k, func(b *testing.B) {
			b.SetBytes(int64(n))
			c0 := cpuTime()
			for i := 0; i < b.N; i++ {
				for _, f := range files {
					s.findFile(f.Name, f.Data)
				}
			}
			if d := (cpuTime() - c0).Seconds(); d > 0 {
				b.ReportMetric(float64(n)*float64(b.N)/1e6/d, "cpuMB/s")
			}
		})
	}
}

// snsPolicy10 is a policy with ten identifiers in one statement, the shape
// the SNS latency target is stated for.
const snsPolicy10 = `{"Name":"ten","Version":"2021-06-01",
 "Configuration":{"CustomDataIdentifier":[{"Name":"EmployeeId","Regex":"EID-\\d{9}-US"},{"Name":"TicketRef","Regex":"TCK-[A-Z]{3}-\\d{6}"}]},
 "Statement":[{"DataDirection":"Outbound","Principal":["*"],"DataIdentifier":[
  "arn:aws:dataprotection::aws:data-identifier/CreditCardNumber","arn:aws:dataprotection::aws:data-identifier/EmailAddress",
  "arn:aws:dataprotection::aws:data-identifier/Ssn-US","arn:aws:dataprotection::aws:data-identifier/PhoneNumber-US",
  "arn:aws:dataprotection::aws:data-identifier/IpAddress","arn:aws:dataprotection::aws:data-identifier/AwsSecretKey",
  "arn:aws:dataprotection::aws:data-identifier/Name","arn:aws:dataprotection::aws:data-identifier/Address",
  "EmployeeId","TicketRef"],
  "Operation":{"Deidentify":{"MaskConfig":{"MaskWithCharacter":"#"}}}}]}`

// snsMessages are 1 KiB messages: a JSON event with sensitive values, the
// same without, and plain text.
func snsMessages() map[string][]byte {
	pad := func(s string) []byte {
		for len(s) < 1024 {
			s += " Routine status update: all checks passed and no action is needed today."
		}
		return []byte(s[:1024])
	}
	event := `{"expense":{"currency":"USD","amount":175.99,"category":"Office Supplies","status":"Approved"},` +
		`"payment":{"credit_card_network":"Visa","credit_card_number":"4539894458086459"},` +
		`"reviewer":{"employee_id":"EID-123456789-US","email":"jane.doe@example.com","phone":"(206) 555-0142"},` +
		`"source":{"ip":"203.0.113.42","agent":"reporting-service/2.3"},"note":"`
	jsonMsg := pad(event)
	jsonMsg = append(jsonMsg[:1022], '"', '}')
	clean := []byte(strings.NewReplacer("4539894458086459", "card-on-file-001", "EID-123456789-US", "EMP-REDACTED-000", "jane.doe@example.com", "reviewer-on-file-001",
		"(206) 555-0142", "phone-on-file1", "203.0.113.42", "edge-gateway").Replace(string(jsonMsg)))
	text := pad("Approved by Jane Doe (jane.doe@example.com, phone (206) 555-0142) for card 4539 8944 5808 6459.")
	return map[string][]byte{"json-sensitive": jsonMsg, "json-clean": clean, "text-sensitive": text}
}

// BenchmarkSNSMessage measures the time one outbound 1 KiB message spends
// in a ten-identifier policy: the cost data protection adds per message.
func BenchmarkSNSMessage(b *testing.B) {
	p, err := ParsePolicy([]byte(snsPolicy10), ParseOptions{})
	if err != nil {
		b.Fatal(err)
	}
	for name, msg := range snsMessages() {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			c0 := cpuTime()
			for i := 0; i < b.N; i++ {
				p.Evaluate(Request{Direction: Outbound, Principal: "arn:aws:iam::123456789012:role/R", Message: msg})
			}
			b.ReportMetric(float64((cpuTime()-c0).Microseconds())/float64(b.N), "cpu-µs/msg")
		})
	}
}

// BenchmarkIdentifier measures single identifiers on the prose part.
func BenchmarkIdentifier(b *testing.B) {
	var text []byte
	for _, f := range benchCorpus().Files {
		if strings.HasSuffix(f.Name, ".txt") {
			text = append(text, f.Data...)
		}
	}
	for _, name := range []string{"CreditCardNumber", "EmailAddress", "IpAddress", "Name", "Address", "PhoneNumber"} {
		id, _ := LookupManaged(name)
		s, err := NewScanner(id)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for i := 0; i < b.N; i++ {
				s.FindText(text)
			}
		})
	}
}

func TestSNSMessagesValid(t *testing.T) {
	for name, m := range snsMessages() {
		if len(m) != 1024 {
			t.Errorf("%s: %d bytes", name, len(m))
		}
	}
	p, err := ParsePolicy([]byte(snsPolicy10), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := p.Evaluate(Request{Direction: Outbound, Principal: "x", Message: snsMessages()["json-sensitive"]})
	if got := fmt.Sprint(len(r.Matches)); got != "5" {
		t.Errorf("the sensitive JSON message has %s matches, want 5: %+v", got, r.Matches)
	}
}
