// Package corpusgen writes a realistic mixed corpus for measuring
// sensitive-data detection: application and access logs, CloudTrail-style
// JSON events (JSON Lines and JSON documents) and prose, with planted
// secrets and personal data and near-miss decoys, plus the ground truth of
// every planted value. It is deterministic for a given seed and imports
// nothing of the detector it measures.
package corpusgen

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Label is one planted sensitive value: the file, its byte span and the
// identifiers that should report it (a US phone number is both PhoneNumber
// and PhoneNumber-US).
type Label struct {
	File        string   `json:"file"`
	Start       int      `json:"start"`
	End         int      `json:"end"`
	Identifiers []string `json:"identifiers"`
	Value       string   `json:"value"`
}

// File is one generated file.
type File struct {
	Name string
	Data []byte
}

// Corpus is the generated files and their ground truth.
type Corpus struct {
	Files []File
	Truth []Label
}

// Size returns the corpus size in bytes.
func (c *Corpus) Size() int {
	n := 0
	for _, f := range c.Files {
		n += len(f.Data)
	}
	return n
}

// TruthJSON renders the ground truth as a JSON array.
func (c *Corpus) TruthJSON() ([]byte, error) { return json.MarshalIndent(c.Truth, "", " ") }

type gen struct {
	r     *rand.Rand
	rare  int // 1 in rare log lines and events carries planted data
	buf   []byte
	file  string
	truth []Label
	t     time.Time
}

// Generate writes about size bytes of corpus from seed. Files are about
// 256 KiB each and rotate through the kinds: app log, access log, JSON
// Lines events, a JSON document and prose.
//
// In the realistic mix, one application log line in 20 and one API event in
// 8 carry planted secrets or personal data (every access log line and event
// also has its client IP address and every event an access key ID, as real
// ones do). dense plants about five times as much, to stress detection.
func Generate(seed uint64, size int, dense bool) *Corpus {
	g := &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), t: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC), rare: 5}
	if dense {
		g.rare = 1
	}
	c := &Corpus{}
	kinds := []struct {
		ext  string
		fill func()
	}{
		{".log", g.appLog}, {".log", g.accessLog}, {".jsonl", g.eventsJSONL}, {".json", g.eventsJSON}, {".txt", g.prose},
	}
	for i, total := 0, 0; total < size; i++ {
		k := kinds[i%len(kinds)]
		g.buf, g.truth = g.buf[:0], nil
		g.file = fmt.Sprintf("part-%04d%s", i, k.ext)
		want := min(256<<10, size-total)
		for len(g.buf) < want {
			k.fill()
		}
		c.Files = append(c.Files, File{Name: g.file, Data: append([]byte(nil), g.buf...)})
		c.Truth = append(c.Truth, g.truth...)
		total += len(g.buf)
	}
	return c
}

// w writes plain text.
func (g *gen) w(s ...string) {
	for _, x := range s {
		g.buf = append(g.buf, x...)
	}
}

// sec writes a sensitive value and records it.
func (g *gen) sec(v string, ids ...string) {
	g.truth = append(g.truth, Label{File: g.file, Start: len(g.buf), End: len(g.buf) + len(v), Identifiers: ids, Value: v})
	g.buf = append(g.buf, v...)
}

func (g *gen) tick() string {
	g.t = g.t.Add(time.Duration(g.r.IntN(900)) * time.Millisecond)
	return g.t.Format("2006-01-02T15:04:05.000Z")
}

func (g *gen) uuid() string {
	return g.chars(hexd, 8) + "-" + g.chars(hexd, 4) + "-4" + g.chars(hexd, 3) + "-a" + g.chars(hexd, 3) + "-" + g.chars(hexd, 12)
}

var services = []string{"orders", "billing", "auth", "inventory", "notifier", "search"}
var levels = []string{"INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"}

// appLog writes application log lines; one in about eight carries
// something sensitive or a decoy.
func (g *gen) appLog() {
	g.w(g.tick(), " ", g.pick(levels), " [", g.pick(services), "] req=", g.uuid(), " ")
	switch g.r.IntN(24 * g.rare) {
	case 0:
		g.w("payment accepted card=")
		g.sec(g.card(), "CreditCardNumber")
		g.w(" expiry=")
		g.sec(fmt.Sprintf("%02d/%02d", 1+g.r.IntN(12), 27+g.r.IntN(5)), "CreditCardExpiration")
	case 1:
		g.w("payment declined card=", g.badCard(), " reason=luhn")
	case 2:
		g.w("customer lookup ssn=")
		g.sec(g.ssn(), "Ssn-US")
	case 3:
		g.w("sending receipt to ")
		g.sec(g.email(), "EmailAddress")
	case 4:
		g.w("loaded environment AWS_ACCESS_KEY_ID=")
		g.sec(g.accessKeyID(), "AwsAccessKeyId")
		g.w(" AWS_SECRET_ACCESS_KEY=")
		g.sec(g.secretKey(), "AwsSecretKey")
	case 5:
		g.w("sms sent to phone ")
		intl := g.r.IntN(2) == 0
		if g.r.IntN(3) == 0 {
			g.sec(g.phoneGB(intl), "PhoneNumber", "PhoneNumber-GB")
		} else {
			g.sec(g.phoneUS(intl), "PhoneNumber", "PhoneNumber-US")
		}
	case 6:
		g.w("order ", g.chars(digits, 12), " shipped in ", fmt.Sprint(g.r.IntN(9)+1), " parcels, tracking ", g.chars(digits, 9))
	case 7:
		g.w("cache key sha1=", g.chars(hexd, 40), " hits=", fmt.Sprint(g.r.IntN(9999)))
	case 8:
		v, id, kw := g.iban()
		if g.r.IntN(2) == 0 {
			kw = "iban"
		}
		g.w("refund to ", kw, " ")
		g.sec(v, id)
	case 9:
		g.w("ach payout routing=", g.chars(digits, 9), " to checking account ")
		g.sec(g.usAccount(), "BankAccountNumber-US")
	case 10:
		g.w("refund rejected: iban ", g.badIBAN(), " fails its check digits")
	default:
		g.w("handled ", g.pick([]string{"GET", "POST", "PUT"}), " /api/v", fmt.Sprint(1+g.r.IntN(3)), "/", g.pick(services), "/", fmt.Sprint(g.r.IntN(100000)),
			" status=", g.pick([]string{"200", "201", "204", "404", "500"}), " latency_ms=", fmt.Sprint(g.r.IntN(2000)), " version=", fmt.Sprintf("%d.%d.%d", g.r.IntN(5), g.r.IntN(20), g.r.IntN(50)))
	}
	g.w("\n")
}

var agents = []string{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36", "curl/8.5.0", "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.0 exe/x86_64", "Go-http-client/2.0"}

// accessLog writes web access log lines; client addresses are IP
// addresses to find.
func (g *gen) accessLog() {
	if g.r.IntN(6) == 0 {
		g.sec(g.ipv6(), "IpAddress")
	} else {
		g.sec(g.ipv4(), "IpAddress")
	}
	g.w(" - - [", g.t.Format("02/Jan/2006:15:04:05 -0700"), "] \"", g.pick([]string{"GET", "POST"}), " /", g.pick(services), "/", g.chars(lower, 6), "?page=", fmt.Sprint(g.r.IntN(50)),
		" HTTP/1.1\" ", g.pick([]string{"200", "304", "404"}), " ", fmt.Sprint(g.r.IntN(50000)), " \"-\" \"", g.pick(agents), "\"\n")
	g.tick()
}

// event writes one CloudTrail-style record as compact JSON.
func (g *gen) event() {
	acct := g.chars(digits, 12)
	user := strings.ToLower(g.pick(firstNames))
	g.w(`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDA`, g.chars(b32, 17), `","arn":"arn:aws:iam::`, acct, `:user/`, user, `","accountId":"`, acct, `","accessKeyId":"`)
	g.sec(g.accessKeyID(), "AwsAccessKeyId")
	g.w(`","userName":"`, user, `"},"eventTime":"`, g.tick()[:19], `Z","eventSource":"`, g.pick(services), `.amazonaws.com","eventName":"`, g.pick([]string{"PutItem", "Publish", "CreateUser", "GetObject"}),
		`","awsRegion":"us-east-1","sourceIPAddress":"`)
	g.sec(g.ipv4(), "IpAddress")
	g.w(`","userAgent":"`, g.pick(agents), `","requestParameters":{`)
	switch g.r.IntN(10 * g.rare) {
	case 0:
		g.w(`"customer":{"name":"`)
		g.sec(g.name(), "Name")
		g.w(`","email":"`)
		g.sec(g.email(), "EmailAddress")
		g.w(`","phone":"`)
		g.sec(g.phoneUS(false), "PhoneNumber", "PhoneNumber-US")
		g.w(`"}`)
	case 1:
		g.w(`"payment":{"credit_card_number":"`)
		g.sec(g.card(), "CreditCardNumber")
		g.w(`","cvv":"`)
		g.sec(g.chars(digits, 3), "CreditCardSecurityCode")
		g.w(`"}`)
	case 2:
		g.w(`"patient":{"dob":"`)
		g.sec(g.dob(), "DateOfBirth")
		g.w(`","nhs_number":"`)
		g.sec(g.nhs(), "NhsNumber-GB")
		g.w(`","npi":"`)
		g.sec(g.npi(), "NationalProviderId-US")
		g.w(`"}`)
	case 3:
		g.w(`"vehicle":{"vin":"`)
		g.sec(g.vin(), "VehicleIdentificationNumber")
		g.w(`","location":"`)
		g.sec(g.latLong(), "LatLong")
		g.w(`"}`)
	case 4:
		g.w(`"applicant":{"cpf":"`)
		g.sec(g.cpf(), "CpfCode-BR")
		g.w(`","dni":"`)
		g.sec(g.dni(), "NationalIdentificationNumber-ES")
		g.w(`","nino":"`)
		g.sec(g.nino(), "NationalInsuranceNumber-GB")
		g.w(`"}`)
	case 5:
		g.w(`"traveller":{"passport":"`)
		g.sec(g.chars(digits, 9), "PassportNumber-US")
		g.w(`","drivers_license":"`)
		// The US, Canadian and Australian licence shapes and keywords
		// overlap: all three identifiers rightly report this value.
		g.sec(g.chars(upper, 1)+g.chars(digits, 7), "DriversLicense-US", "DriversLicense-CA", "DriversLicense-AU")
		g.w(`"}`)
	case 6:
		g.w(`"payout":{"bank_account":"`)
		g.sec(g.usAccount(), "BankAccountNumber-US")
		g.w(`","routing_number":"`, g.chars(digits, 9), `","iban":"`)
		v, id, _ := g.iban()
		g.sec(v, id)
		g.w(`"}`)
	default:
		g.w(`"tableName":"`, g.pick(services), `","key":{"id":{"S":"`, g.uuid(), `"}},"orderId":`, g.chars("123456789", 1)+g.chars(digits, 11), `,"amount":`, fmt.Sprintf("%d.%02d", g.r.IntN(1000), g.r.IntN(100)))
	}
	g.w(`},"responseElements":null,"requestID":"`, g.uuid(), `","eventID":"`, g.uuid(), `","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"`, acct, `"}`)
}

func (g *gen) eventsJSONL() {
	g.event()
	g.w("\n")
}

// eventsJSON writes one JSON document of records; it is closed when the
// file is full, so it stays valid.
func (g *gen) eventsJSON() {
	if len(g.buf) == 0 {
		g.w(`{"Records": [`, "\n")
	} else {
		g.buf = g.buf[:len(g.buf)-3] // reopen: drop "\n]}"
		g.w(",\n")
	}
	g.event()
	g.w("\n]}")
}

var proseSentences = []string{
	"The notification service delivers each message to every confirmed subscription.",
	"Amazon Simple Notification Service and Step Functions work together in this workflow.",
	"Security Hub aggregates findings from several services into one view.",
	"Grant Access only to the roles that need it, and review the policy every quarter.",
	"Will Return codes be logged? The answer is in the Developer Guide.",
	"See Configuring Alerts for the thresholds that apply to production.",
	"The quarterly review covered retention, encryption at rest and key rotation.",
	"Version 2.4.1 fixed the retry loop; build 20260301 is the current release.",
	"Latency stayed under 120 ms for 99.9 percent of requests across 3 regions.",
	"May Day drills test the runbooks that the on-call team keeps in the wiki.",
}

// prose writes paragraphs of technical writing with planted names,
// addresses and contact data.
func (g *gen) prose() {
	for i := 0; i < 3+g.r.IntN(4); i++ {
		g.w(g.pick(proseSentences), " ")
	}
	switch g.r.IntN(8) {
	case 0:
		g.w("The change was approved by ")
		g.sec(g.name(), "Name")
		g.w(" on ", g.t.Format("January 2, 2006"), ". ")
	case 1:
		g.w("Please ship the replacement hardware to ")
		g.sec(g.address(), "Address")
		g.w(". ")
	case 2:
		g.w("For questions, contact ")
		g.sec(g.name(), "Name")
		g.w(" by email at ")
		g.sec(g.email(), "EmailAddress")
		g.w(" or phone ")
		g.sec(g.phoneUS(false), "PhoneNumber", "PhoneNumber-US")
		g.w(". ")
	case 3:
		g.w("The on-call engineer pasted a key by mistake:\n\n")
		key, id := g.privateKey()
		g.sec(key, id)
		g.w("\n\n")
	case 4:
		g.w("The Ottawa office moved; its postal code is now ")
		g.sec(g.postalCA(), "PostalCode-CA")
		g.w(". ")
	case 5:
		g.w("Reference numbers such as ", g.chars(digits, 9), " and ", g.chars(digits, 16), " are internal and not sensitive. ")
	}
	g.w("\n\n")
}
