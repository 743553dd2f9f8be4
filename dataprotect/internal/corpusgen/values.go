package corpusgen

import (
	"fmt"
	"strings"
)

// Generators of sensitive values. Each returns a value that passes the
// corresponding identifier's structural checks (check digits included), so
// a miss is the detector's fault, not the corpus's.

const (
	upper  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	lower  = "abcdefghijklmnopqrstuvwxyz"
	digits = "0123456789"
	b64    = upper + lower + digits + "+/"
	b32    = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	hexd   = "0123456789abcdef"
)

func (g *gen) pick(s []string) string { return s[g.r.IntN(len(s))] }

func (g *gen) chars(set string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = set[g.r.IntN(len(set))]
	}
	return string(b)
}

func luhnDigit(payload string) byte {
	sum := 0
	double := true
	for i := len(payload) - 1; i >= 0; i-- {
		d := int(payload[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return byte('0' + (10-sum%10)%10)
}

func groupDigits(s string, sizes []int, sep string) string {
	var parts []string
	for _, n := range sizes {
		parts = append(parts, s[:n])
		s = s[n:]
	}
	return strings.Join(parts, sep)
}

// card returns a Luhn-valid card number in one of the common layouts.
func (g *gen) card() string {
	var n string
	sizes := []int{4, 4, 4, 4}
	switch g.r.IntN(4) {
	case 0:
		n = "4" + g.chars(digits, 14)
	case 1:
		n = fmt.Sprintf("5%d", 1+g.r.IntN(5)) + g.chars(digits, 13)
	case 2:
		n = g.pick([]string{"34", "37"}) + g.chars(digits, 12)
		sizes = []int{4, 6, 5}
	default:
		n = "6011" + g.chars(digits, 11)
	}
	n += string(luhnDigit(n))
	switch g.r.IntN(3) {
	case 0:
		return n
	case 1:
		return groupDigits(n, sizes, " ")
	}
	return groupDigits(n, sizes, "-")
}

// badCard is a 16-digit number that fails the Luhn check.
func (g *gen) badCard() string {
	n := "4" + g.chars(digits, 14)
	d := luhnDigit(n)
	return n + string('0'+(d-'0'+1+byte(g.r.IntN(8)))%10)
}

func (g *gen) ssn() string {
	area := 1 + g.r.IntN(899)
	if area == 666 {
		area = 667
	}
	s := fmt.Sprintf("%03d-%02d-%04d", area, 1+g.r.IntN(99), 1+g.r.IntN(9999))
	if g.r.IntN(4) == 0 {
		return strings.ReplaceAll(s, "-", "")
	}
	return s
}

var firstNames = []string{
	"James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
	"William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
	"Daniel", "Nancy", "Matthew", "Lisa", "Anthony", "Betty", "Mark", "Sandra", "Steven", "Ashley",
	"Wei", "Priya", "Ahmed", "Sofia", "Mateo", "Fatima", "Hiroshi", "Olga", "Kwame", "Lucia",
	"Rahul", "Elena", "Omar", "Chiara", "Jonas", "Ingrid", "Thanh", "Amara", "Diego", "Yuki",
	// Not in Vigil's dictionaries, so their recall is honest.
	"Nkechi", "Xochitl", "Tadhg", "Oluwadamilare", "Aoife", "Niamh", "Eoghan", "Chidubem", "Zbigniew", "Wojciech",
}

var surnames = []string{
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
	"Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Taylor", "Moore", "Jackson", "Martin", "Lee",
	"Nguyen", "Patel", "Kim", "Chen", "Wang", "Singh", "Kumar", "Tanaka", "Ivanova", "Okafor",
	"Rossi", "Ferreira", "Dubois", "Schneider", "Jansen", "Larsen", "O'Brien", "McCarthy", "Abouzeid", "Stieglitz",
}

// name returns a full name and whether a dictionary-based detector can know
// the first name.
func (g *gen) name() string {
	f := g.pick(firstNames)
	if g.r.IntN(10) == 0 {
		return f + " " + g.pick([]string{"A.", "J.", "M."}) + " " + g.pick(surnames)
	}
	return f + " " + g.pick(surnames)
}

func (g *gen) email() string {
	return strings.ToLower(g.pick(firstNames)) + g.pick([]string{".", "_", ""}) + strings.ToLower(strings.ReplaceAll(g.pick(surnames), "'", "")) +
		g.pick([]string{"", fmt.Sprint(g.r.IntN(100))}) + "@" + g.pick([]string{"example.com", "mail.example.org", "corp.example.net", "example.co.uk"})
}

func (g *gen) ipv4() string {
	return fmt.Sprintf("%d.%d.%d.%d", 1+g.r.IntN(222), g.r.IntN(256), g.r.IntN(256), 1+g.r.IntN(254))
}

func (g *gen) ipv6() string {
	if g.r.IntN(2) == 0 {
		return fmt.Sprintf("2001:db8:%x:%x::%x", g.r.IntN(0xffff), g.r.IntN(0xffff), 1+g.r.IntN(0xfff))
	}
	parts := make([]string, 8)
	for i := range parts {
		parts[i] = fmt.Sprintf("%x", g.r.IntN(0x10000))
	}
	return strings.Join(parts, ":")
}

// phoneUS returns a NANP number; intl says whether it carries +1.
func (g *gen) phoneUS(intl bool) string {
	a, x, s := 200+g.r.IntN(800), 200+g.r.IntN(800), g.r.IntN(10000)
	if intl {
		return fmt.Sprintf("+1 %03d %03d %04d", a, x, s)
	}
	return g.pick([]string{
		fmt.Sprintf("(%03d) %03d-%04d", a, x, s),
		fmt.Sprintf("%03d-%03d-%04d", a, x, s),
		fmt.Sprintf("%03d.%03d.%04d", a, x, s),
	})
}

func (g *gen) phoneGB(intl bool) string {
	n := fmt.Sprintf("20 %04d %04d", g.r.IntN(10000), g.r.IntN(10000))
	if intl {
		return "+44 " + n
	}
	return "0" + n
}

func (g *gen) accessKeyID() string {
	return g.pick([]string{"AKIA", "ASIA"}) + g.chars(b32, 16)
}

func (g *gen) secretKey() string {
	for {
		s := g.chars(b64, 40)
		if strings.ContainsAny(s, upper) && strings.ContainsAny(s, lower) && strings.ContainsAny(s, digits) {
			return s
		}
	}
}

func (g *gen) privateKey() (string, string) {
	kind := g.pick([]string{"OPENSSH PRIVATE KEY", "RSA PRIVATE KEY", "PRIVATE KEY"})
	id := "PkcsPrivateKey"
	if kind == "OPENSSH PRIVATE KEY" {
		id = "OpenSshPrivateKey"
	}
	var b strings.Builder
	b.WriteString("-----BEGIN " + kind + "-----\n")
	for i := 0; i < 6+g.r.IntN(20); i++ {
		b.WriteString(g.chars(b64, 64) + "\n")
	}
	b.WriteString(g.chars(b64, 20) + "==\n-----END " + kind + "-----")
	return b.String(), id
}

var streets = []string{"Main", "Oak", "Pine", "Maple", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park"}

// address returns an address and whether Vigil's shapes cover it (German
// compound street names are not).
func (g *gen) address() string {
	switch g.r.IntN(5) {
	case 0, 1:
		return fmt.Sprintf("%d %s %s, %s, %s %05d", 1+g.r.IntN(9999), g.pick(streets), g.pick([]string{"St", "Street", "Ave", "Avenue", "Rd", "Blvd", "Lane", "Drive"}),
			g.pick([]string{"Springfield", "Seattle", "Portland", "Austin", "Denver", "New York"}), g.pick([]string{"IL", "WA", "OR", "TX", "CO", "NY"}), 10000+g.r.IntN(89999))
	case 2:
		return fmt.Sprintf("%d %s Road, %s %s%d %d%s", 1+g.r.IntN(300), g.pick([]string{"Abbey", "Station", "Church", "Mill"}), g.pick([]string{"London", "Leeds", "Bristol"}),
			g.pick([]string{"SW", "N", "LS", "BS"}), 1+g.r.IntN(20), 1+g.r.IntN(9), g.chars("ABDEFGHJLNPQRSTUWXYZ", 2))
	case 3:
		return fmt.Sprintf("%d rue %s, %05d %s", 1+g.r.IntN(200), g.pick([]string{"de la Paix", "Victor Hugo", "du Bac", "Lafayette"}), 75001+g.r.IntN(20), "Paris")
	}
	return fmt.Sprintf("%sstraße %d, %05d %s", g.pick([]string{"Haupt", "Bahnhof", "Schiller", "Garten"}), 1+g.r.IntN(120), 10115+g.r.IntN(2000), "Berlin")
}

func (g *gen) dob() string {
	y, m, d := 1940+g.r.IntN(65), 1+g.r.IntN(12), 1+g.r.IntN(28)
	months := []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	switch g.r.IntN(3) {
	case 0:
		return fmt.Sprintf("%04d-%02d-%02d", y, m, d)
	case 1:
		return fmt.Sprintf("%02d/%02d/%04d", m, d, y)
	}
	return fmt.Sprintf("%d %s %d", d, months[m-1], y)
}

// ibanOf returns the IBAN of a country and basic bank account number,
// with the ISO 13616 check digits.
func ibanOf(cc, bban string) string {
	r := 0
	for _, c := range bban + cc + "00" {
		if c >= 'A' && c <= 'Z' {
			r = (r*100 + int(c-'A') + 10) % 97
		} else {
			r = (r*10 + int(c-'0')) % 97
		}
	}
	return fmt.Sprintf("%s%02d%s", cc, 98-r, bban)
}

// ibanCountries are the countries with a BankAccountNumber identifier, the
// layout of their basic bank account numbers, and a keyword in the
// country's language (every one also takes "iban").
var ibanCountries = []struct{ cc, keyword string }{
	{"GB", "sepa"}, {"DE", "kontonummer"}, {"FR", "compte bancaire"}, {"ES", "código cuenta"}, {"IT", "conto bancario"},
}

// iban returns a valid IBAN of one of those countries, written compactly or
// in the printed groups of four, and its identifier.
func (g *gen) iban() (string, string, string) {
	c := ibanCountries[g.r.IntN(len(ibanCountries))]
	var bban string
	switch c.cc {
	case "GB":
		bban = g.pick([]string{"WEST", "BARC", "LOYD", "NWBK"}) + g.chars(digits, 14)
	case "DE":
		bban = g.chars(digits, 18)
	case "ES":
		bban = g.chars(digits, 20)
	case "FR":
		bban = g.chars(digits, 10) + g.chars(digits+upper[:6], 11) + g.chars(digits, 2)
	case "IT":
		bban = g.chars(upper, 1) + g.chars(digits, 10) + g.chars(digits, 12)
	}
	v := ibanOf(c.cc, bban)
	if g.r.IntN(3) == 0 {
		var parts []string
		for len(v) > 4 {
			parts, v = append(parts, v[:4]), v[4:]
		}
		v = strings.Join(append(parts, v), " ")
	}
	return v, "BankAccountNumber-" + c.cc, c.keyword
}

// badIBAN returns a GB IBAN with wrong check digits: a near miss.
func (g *gen) badIBAN() string {
	v := ibanOf("GB", "NWBK"+g.chars(digits, 14))
	d := (int(v[3]-'0') + 1 + g.r.IntN(8)) % 10
	return v[:3] + string(rune('0'+d)) + v[4:]
}

// usAccount returns a US bank account number: 9 to 17 digits.
func (g *gen) usAccount() string { return g.chars("123456789", 1) + g.chars(digits, 8+g.r.IntN(9)) }

func (g *gen) nino() string {
	first := "ABCEGHJKLMNPRSTWXYZ"
	second := "ABCEGHJKLMNPRSTWXYZ"
	for {
		p := string([]byte{first[g.r.IntN(len(first))], second[g.r.IntN(len(second))]})
		switch p {
		case "BG", "GB", "KN", "NK", "NT", "TN", "ZZ": // never issued
			continue
		}
		return fmt.Sprintf("%s %02d %02d %02d %c", p, g.r.IntN(100), g.r.IntN(100), g.r.IntN(100), "ABCD"[g.r.IntN(4)])
	}
}

func (g *gen) vin() string {
	const set = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
	for {
		// WMI, VDS, check digit, model year, plant, then the six-digit
		// serial North American VINs end with.
		v := []byte("1" + g.chars(set, 7) + "0" + g.chars(set, 2) + g.chars(digits, 6))
		w := []int{8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2}
		sum := 0
		for i, c := range v {
			sum += vinValue(c) * w[i]
		}
		r := sum % 11
		if r == 10 {
			v[8] = 'X'
		} else {
			v[8] = byte('0' + r)
		}
		letters := 0
		for _, c := range v {
			if c >= 'A' {
				letters++
			}
		}
		if letters >= 2 {
			return string(v)
		}
	}
}

func vinValue(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c <= 'H':
		return int(c-'A') + 1
	case c <= 'R':
		return int(c-'J') + 1
	}
	return int(c-'S') + 2
}

func (g *gen) nhs() string {
	for {
		d := g.chars(digits, 9)
		sum := 0
		for i := 0; i < 9; i++ {
			sum += int(d[i]-'0') * (10 - i)
		}
		c := 11 - sum%11
		if c == 11 {
			c = 0
		}
		if c != 10 {
			s := d + string(byte('0'+c))
			return s[:3] + " " + s[3:6] + " " + s[6:]
		}
	}
}

func (g *gen) npi() string {
	d := "1" + g.chars(digits, 8)
	return d + string(luhnDigit("80840"+d))
}

func (g *gen) cpf() string {
	d := []byte(g.chars(digits, 9))
	for k := 9; k <= 10; k++ {
		sum := 0
		for i := 0; i < k; i++ {
			sum += int(d[i]-'0') * (k + 1 - i)
		}
		d = append(d, byte('0'+sum*10%11%10))
	}
	s := string(d)
	return s[:3] + "." + s[3:6] + "." + s[6:9] + "-" + s[9:]
}

func (g *gen) dni() string {
	n := g.r.IntN(100000000)
	return fmt.Sprintf("%08d%c", n, "TRWAGMYFPDXBNJZSQVHLCKE"[n%23])
}

func (g *gen) latLong() string {
	return fmt.Sprintf("%.6f,%.6f", -80+g.r.Float64()*160, -170+g.r.Float64()*340)
}

func (g *gen) postalCA() string {
	f := "ABCEGHJKLMNPRSTVXY"
	o := "ABCEGHJKLMNPRSTVWXYZ"
	return fmt.Sprintf("%c%d%c %d%c%d", f[g.r.IntN(len(f))], g.r.IntN(10), o[g.r.IntN(len(o))], g.r.IntN(10), o[g.r.IntN(len(o))], g.r.IntN(10))
}
