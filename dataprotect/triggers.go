package dataprotect

import (
	"bytes"
	"net/netip"
)

// Detectors that need no keyword start from a byte or word trigger found by
// the main loop. Each one examines the token around the trigger and moves a
// high-water mark past it, so a token is examined once.

func isEmailLocal(c byte) bool {
	return isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-' || c == '\''
}

func isDomainChar(c byte) bool { return isAlnum(c) || c == '-' || c == '.' }

// email examines the token around an '@'.
func (t *task) email(at int) {
	text := t.text
	if at < t.emailDone || at == 0 || at+3 >= len(text) {
		return
	}
	s := at
	for s > 0 && at-s < 64 && isEmailLocal(text[s-1]) {
		s--
	}
	for s < at && !isAlnum(text[s]) { // the local part may not start with '.', '+', ...
		s++
	}
	if s == at || text[at-1] == '.' {
		return
	}
	e := at + 1
	for e < len(text) && e-at < 255 && isDomainChar(text[e]) {
		e++
	}
	for e > at+1 && (text[e-1] == '.' || text[e-1] == '-') {
		e--
	}
	t.emailDone = e
	dom := text[at+1 : e]
	dot := bytes.LastIndexByte(dom, '.')
	if dot <= 0 || len(dom)-dot-1 < 2 || !isLetter(dom[0]) && !isDigit(dom[0]) {
		return
	}
	for _, c := range dom[dot+1:] {
		if !isLetter(c) {
			return
		}
	}
	if bytes.Contains(dom, []byte("..")) || (e < len(text) && text[e] == '@') {
		return
	}
	t.emitAll(tgEmail, s, e)
}

// ipv4 examines a dotted-quad token around a '.' between digits.
func (t *task) ipv4(dot int) {
	text := t.text
	if dot < t.ip4Done || dot == 0 || dot+1 >= len(text) || !isDigit(text[dot-1]) || !isDigit(text[dot+1]) {
		return
	}
	s := dot - 1
	for s > 0 && (isDigit(text[s-1]) || text[s-1] == '.') {
		s--
	}
	e := dot + 1
	for e < len(text) && (isDigit(text[e]) || text[e] == '.') {
		e++
	}
	t.ip4Done = e
	for e > s && text[e-1] == '.' { // a sentence may end right after an address
		e--
	}
	if s > 0 && (isLetter(text[s-1]) || text[s-1] == '-') || e < len(text) && isLetter(text[e]) {
		return
	}
	if e-s < 7 || e-s > 15 || !validIPv4(text[s:e]) {
		return
	}
	t.emitAll(tgIPv4, s, e)
}

func isHex(c byte) bool { return isDigit(c) || c|0x20 >= 'a' && c|0x20 <= 'f' }

// ipv6 examines a hex-and-colon token around a ':'.
func (t *task) ipv6(colon int) {
	text := t.text
	if colon < t.ip6Done {
		return
	}
	prevOK := colon > 0 && (isHex(text[colon-1]) || text[colon-1] == ':')
	nextOK := colon+1 < len(text) && (isHex(text[colon+1]) || text[colon+1] == ':')
	if !prevOK && !nextOK {
		return
	}
	s := colon
	for s > 0 && (isHex(text[s-1]) || text[s-1] == ':' || text[s-1] == '.') {
		s--
	}
	e := colon + 1
	for e < len(text) && (isHex(text[e]) || text[e] == ':' || text[e] == '.') {
		e++
	}
	t.ip6Done = e
	for e > s && text[e-1] == '.' {
		e--
	}
	tok := text[s:e]
	if len(tok) < 3 || bytes.Count(tok, []byte{':'}) < 2 || s > 0 && isLetter(text[s-1]) || e < len(text) && isLetter(text[e]) {
		return
	}
	// Text IPv6 has "::" or seven colons (six before an embedded IPv4);
	// timestamps and MAC addresses fail here, before the parser.
	colons := bytes.Count(tok, []byte{':'})
	if !bytes.Contains(tok, []byte("::")) && colons != 7 && !(colons == 6 && bytes.IndexByte(tok, '.') > 0) {
		return
	}
	hex := 0
	for _, c := range tok {
		if isHex(c) {
			hex++
		}
	}
	if hex < 2 {
		return
	}
	a, err := netip.ParseAddr(string(tok))
	if err != nil || !a.Is6() {
		return
	}
	t.emitAll(tgIPv6, s, e)
}

// armorLabels maps PEM-style armour labels to the identifier triggered.
var armorLabels = []struct {
	label, name string
}{
	{"OPENSSH PRIVATE KEY", "OpenSshPrivateKey"},
	{"PGP PRIVATE KEY BLOCK", "PgpPrivateKey"},
	{"PRIVATE KEY", "PkcsPrivateKey"},
	{"RSA PRIVATE KEY", "PkcsPrivateKey"},
	{"EC PRIVATE KEY", "PkcsPrivateKey"},
	{"DSA PRIVATE KEY", "PkcsPrivateKey"},
	{"ENCRYPTED PRIVATE KEY", "PkcsPrivateKey"},
}

// armor examines "-----BEGIN <label>-----" and reports the whole block, to
// its END line when present.
func (t *task) armor(i int) {
	text := t.text
	const begin = "-----BEGIN "
	if i < t.armorDone || len(text)-i < len(begin)+16 || string(text[i:i+len(begin)]) != begin {
		return
	}
	rest := text[i+len(begin):]
	end := bytes.Index(rest[:min(len(rest), 40)], []byte("-----"))
	if end < 0 {
		return
	}
	label := string(rest[:end])
	name := ""
	for _, a := range armorLabels {
		if a.label == label {
			name = a.name
		}
	}
	if name == "" {
		return
	}
	stop := i + len(begin) + end + 5
	closing := []byte("-----END " + label + "-----")
	limit := min(len(text), stop+64<<10)
	if k := bytes.Index(text[stop:limit], closing); k >= 0 {
		stop += k + len(closing)
	} else {
		for stop < limit && (isB64(text[stop]) || text[stop] == '\n' || text[stop] == '\r' || text[stop] == ' ' || text[stop] == ':' || text[stop] == '-' || text[stop] == '\\') {
			stop++
		}
	}
	t.armorDone = stop
	for _, id := range t.s.byTrig[bitIndex(tgArmor)] {
		if t.s.ids[id].Name == name {
			t.emit(id, i, stop)
		}
	}
}

// putty examines "PuTTY-User-Key-File-N: " and reports the key file through
// its Private-MAC line.
func (t *task) putty(i int) {
	text := t.text
	const head = "PuTTY-User-Key-File-"
	if len(text)-i < len(head)+3 || string(text[i:i+len(head)]) != head || !isDigit(text[i+len(head)]) {
		return
	}
	limit := min(len(text), i+64<<10)
	stop := i + len(head)
	if k := bytes.Index(text[stop:limit], []byte("Private-MAC:")); k >= 0 {
		stop += k + len("Private-MAC:")
		for stop < limit && (text[stop] == ' ' || isHex(text[stop])) {
			stop++
		}
	} else if k := bytes.IndexByte(text[stop:limit], '\n'); k >= 0 {
		stop += k
	} else {
		stop = limit
	}
	t.emitAll(tgPutty, i, stop)
}

// accessKey examines a 20-character upper-case access key ID at i.
func (t *task) accessKey(i int) {
	text := t.text
	if len(text)-i < 20 {
		return
	}
	switch string(text[i : i+4]) {
	case "AKIA", "ASIA", "ABIA", "ACCA":
	default:
		return
	}
	for _, c := range text[i : i+20] {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return
		}
	}
	if !bndAlnum.ok(text, i, i+20) {
		return
	}
	t.emitAll(tgAKID, i, i+20)
}

const postalFirst = "ABCEGHJKLMNPRSTVXY"
const postalOther = "ABCEGHJKLMNPRSTVWXYZ"

// postalCA examines a Canadian postal code (A1A 1A1) at i.
func (t *task) postalCA(i int) {
	text := t.text
	if len(text)-i < 6 || indexByte(postalFirst, text[i]) < 0 {
		return
	}
	p := text[i:]
	if !isDigit(p[1]) || indexByte(postalOther, p[2]) < 0 {
		return
	}
	j := 3
	if p[j] == ' ' || p[j] == '-' {
		j++
	}
	if len(p) < j+3 || !isDigit(p[j]) || indexByte(postalOther, p[j+1]) < 0 || !isDigit(p[j+2]) {
		return
	}
	if !bndAlnum.ok(text, i, i+j+3) {
		return
	}
	t.emitAll(tgPostal, i, i+j+3)
}

func bitIndex(m triggerMask) int {
	for i := 0; i < 16; i++ {
		if m == 1<<i {
			return i
		}
	}
	return 0
}

// validIPv4 checks a dotted quad: four decimal octets up to 255 without
// leading zeros.
func validIPv4(b []byte) bool {
	parts, v, n := 0, 0, 0
	for i := 0; i <= len(b); i++ {
		if i == len(b) || b[i] == '.' {
			if n == 0 || n > 3 || v > 255 || n > 1 && b[i-n] == '0' {
				return false
			}
			parts++
			v, n = 0, 0
			continue
		}
		if !isDigit(b[i]) {
			return false
		}
		v = v*10 + int(b[i]-'0')
		n++
	}
	return parts == 4
}
