package dataprotect

// Check-digit algorithms used by the managed identifiers. Each takes the
// normalised candidate (separators removed) and reports whether its check
// digit or digits are right; none of them allocates.

// luhn reports whether the ASCII digits in s pass the Luhn (mod 10) check.
func luhn(s []byte) bool {
	if len(s) < 2 {
		return false
	}
	sum, double := 0, false
	for i := len(s) - 1; i >= 0; i-- {
		d := int(s[i] - '0')
		if d < 0 || d > 9 {
			return false
		}
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// mod97 returns the remainder of the decimal (and, for IBANs, letter-coded)
// number s modulo 97, consuming it in pieces so any length works. Letters
// count as 10..35 as ISO 13616 and ISO 7064 specify.
func mod97(s []byte) (int, bool) {
	r := 0
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			r = (r*10 + int(c-'0')) % 97
		case c >= 'A' && c <= 'Z':
			v := int(c-'A') + 10
			r = (r*100 + v) % 97
		default:
			return 0, false
		}
	}
	return r, true
}

// ibanValid applies the ISO 13616 check: move the first four characters to
// the end and the result must be 1 modulo 97.
func ibanValid(s []byte) bool {
	if len(s) < 15 || len(s) > 34 {
		return false
	}
	var buf [34]byte
	n := copy(buf[:], s[4:])
	copy(buf[n:], s[:4])
	r, ok := mod97(buf[:len(s)])
	return ok && r == 1
}

// digits reports whether every byte of s is an ASCII digit.
func digits(s []byte) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(s) > 0
}

// weightedSum returns the sum of digit×weight over len(weights) digits.
func weightedSum(s []byte, weights []int) int {
	sum := 0
	for i, w := range weights {
		sum += int(s[i]-'0') * w
	}
	return sum
}

// cpfValid checks a Brazilian CPF (11 digits, two mod-11 check digits).
func cpfValid(s []byte) bool {
	if len(s) != 11 || !digits(s) || allSame(s) {
		return false
	}
	for k := 9; k <= 10; k++ {
		sum := 0
		for i := 0; i < k; i++ {
			sum += int(s[i]-'0') * (k + 1 - i)
		}
		d := sum * 10 % 11 % 10
		if d != int(s[k]-'0') {
			return false
		}
	}
	return true
}

// cnpjValid checks a Brazilian CNPJ (14 digits, two mod-11 check digits).
func cnpjValid(s []byte) bool {
	if len(s) != 14 || !digits(s) || allSame(s) {
		return false
	}
	w1 := []int{5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2}
	w2 := []int{6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2}
	for _, w := range [][]int{w1, w2} {
		r := weightedSum(s, w) % 11
		d := 0
		if r >= 2 {
			d = 11 - r
		}
		if d != int(s[len(w)]-'0') {
			return false
		}
	}
	return true
}

// rgValid checks a São Paulo style RG: 8 digits and a mod-11 check that is a
// digit or X.
func rgValid(s []byte) bool {
	if len(s) != 9 || !digits(s[:8]) {
		return false
	}
	sum := 0
	for i := 0; i < 8; i++ {
		sum += int(s[i]-'0') * (i + 2)
	}
	d := 11 - sum%11
	switch {
	case d == 11:
		return s[8] == '0'
	case d == 10:
		return s[8] == 'X' || s[8] == 'x'
	default:
		return s[8] == byte('0'+d)
	}
}

// dniLetters is the Spanish DNI/NIE check-letter table (number mod 23).
const dniLetters = "TRWAGMYFPDXBNJZSQVHLCKE"

// dniValid checks 8 digits followed by the mod-23 letter.
func dniValid(s []byte) bool {
	if len(s) != 9 || !digits(s[:8]) {
		return false
	}
	n := 0
	for _, c := range s[:8] {
		n = n*10 + int(c-'0')
	}
	return upper(s[8]) == dniLetters[n%23]
}

// nieValid checks X/Y/Z, 7 digits and the mod-23 letter.
func nieValid(s []byte) bool {
	if len(s) != 9 {
		return false
	}
	var lead byte
	switch upper(s[0]) {
	case 'X':
		lead = '0'
	case 'Y':
		lead = '1'
	case 'Z':
		lead = '2'
	default:
		return false
	}
	var b [9]byte
	b[0] = lead
	copy(b[1:], s[1:])
	return dniValid(b[:])
}

// cifValid checks a Spanish CIF: an entity letter, 7 digits and a control
// character that is a digit or a letter depending on the entity type.
func cifValid(s []byte) bool {
	if len(s) != 9 || !digits(s[1:8]) {
		return false
	}
	kind := upper(s[0])
	const kinds = "ABCDEFGHJNPQRSUVW"
	if indexByte(kinds, kind) < 0 {
		return false
	}
	sum := 0
	for i := 1; i <= 7; i++ {
		d := int(s[i] - '0')
		if i%2 == 1 {
			d *= 2
			d = d/10 + d%10
		}
		sum += d
	}
	ctl := (10 - sum%10) % 10
	digit, letter := byte('0'+ctl), "JABCDEFGHI"[ctl]
	c := upper(s[8])
	switch kind {
	case 'P', 'Q', 'R', 'S', 'N', 'W':
		return c == letter
	case 'A', 'B', 'E', 'H':
		return c == digit
	}
	return c == digit || c == letter
}

// inseeValid checks a French NIR/INSEE number: 13 characters (Corsican
// departments 2A/2B allowed) and a two-digit key = 97 - n mod 97.
func inseeValid(s []byte) bool {
	if len(s) != 15 || !digits(s[13:]) {
		return false
	}
	if s[0] != '1' && s[0] != '2' && s[0] != '7' && s[0] != '8' {
		return false
	}
	var b [13]byte
	copy(b[:], s[:13])
	var adjust int
	switch {
	case b[5] == '2' && upper(b[6]) == 'A':
		b[6] = '0'
		adjust = 1000000
	case b[5] == '2' && upper(b[6]) == 'B':
		b[6] = '0'
		adjust = 2000000
	}
	if !digits(b[:]) {
		return false
	}
	if m := int(b[3]-'0')*10 + int(b[4]-'0'); m < 1 || (m > 12 && m < 20) || m > 42 {
		return false
	}
	n := 0
	for _, c := range b {
		n = n*10 + int(c-'0')
	}
	n -= adjust
	key := int(s[13]-'0')*10 + int(s[14]-'0')
	return key == 97-n%97
}

// codiceFiscaleValid checks an Italian fiscal code's final check letter.
func codiceFiscaleValid(s []byte) bool {
	if len(s) != 16 {
		return false
	}
	odd := [36]int{1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23}
	sum := 0
	for i := 0; i < 15; i++ {
		c := upper(s[i])
		var v int
		switch {
		case c >= '0' && c <= '9':
			v = int(c - '0')
		case c >= 'A' && c <= 'Z':
			v = int(c - 'A')
		default:
			return false
		}
		if i%2 == 0 { // 1-based odd positions
			idx := v
			if c >= 'A' {
				idx = v + 10
			}
			sum += odd[idx]
		} else {
			sum += v
		}
	}
	return upper(s[15]) == byte('A'+sum%26)
}

// steuerIDValid checks a German tax identification number: 11 digits, the
// first not 0, and an ISO 7064 MOD 11,10 check digit.
func steuerIDValid(s []byte) bool {
	if len(s) != 11 || !digits(s) || s[0] == '0' {
		return false
	}
	p := 10
	for i := 0; i < 10; i++ {
		sum := (int(s[i]-'0') + p) % 10
		if sum == 0 {
			sum = 10
		}
		p = sum * 2 % 11
	}
	d := 11 - p
	if d == 10 {
		d = 0
	}
	return d == int(s[10]-'0')
}

// germanIDValid checks the 7-3-1 weighted check digit of a German identity
// card or passport serial (9 characters plus check digit).
func germanIDValid(s []byte) bool {
	if len(s) != 10 {
		return false
	}
	w := [3]int{7, 3, 1}
	sum := 0
	for i := 0; i < 9; i++ {
		c := upper(s[i])
		var v int
		switch {
		case c >= '0' && c <= '9':
			v = int(c - '0')
		case c >= 'A' && c <= 'Z':
			v = int(c-'A') + 10
		default:
			return false
		}
		sum += v * w[i%3]
	}
	return s[9] == byte('0'+sum%10)
}

// nhsValid checks a UK NHS number's mod-11 check digit.
func nhsValid(s []byte) bool {
	if len(s) != 10 || !digits(s) {
		return false
	}
	sum := 0
	for i := 0; i < 9; i++ {
		sum += int(s[i]-'0') * (10 - i)
	}
	d := 11 - sum%11
	if d == 11 {
		d = 0
	}
	return d != 10 && d == int(s[9]-'0')
}

// npiValid checks a US National Provider Identifier: Luhn over the card
// issuer prefix 80840 followed by the ten digits.
func npiValid(s []byte) bool {
	if len(s) != 10 || !digits(s) || (s[0] != '1' && s[0] != '2') {
		return false
	}
	var b [15]byte
	copy(b[:], "80840")
	copy(b[5:], s)
	return luhn(b[:])
}

// deaValid checks a DEA registration number: two letters, six digits and a
// check digit = (d1+d3+d5 + 2×(d2+d4+d6)) mod 10.
func deaValid(s []byte) bool {
	if len(s) != 9 || !digits(s[2:]) {
		return false
	}
	if indexByte("ABCDEFGHJKLMPRSTUX", upper(s[0])) < 0 || !isLetter(s[1]) && s[1] != '9' {
		return false
	}
	d := func(i int) int { return int(s[i+1] - '0') }
	sum := d(1) + d(3) + d(5) + 2*(d(2)+d(4)+d(6))
	return sum%10 == d(7)
}

// bcPHNValid checks a British Columbia personal health number (10 digits,
// leading 9, mod-11 check digit in position 10).
func bcPHNValid(s []byte) bool {
	if len(s) != 10 || !digits(s) || s[0] != '9' {
		return false
	}
	w := [8]int{2, 4, 8, 5, 10, 9, 7, 3}
	sum := 0
	for i := 0; i < 8; i++ {
		sum += int(s[i+1]-'0') * w[i] % 11
	}
	d := 11 - sum%11
	return d < 10 && d == int(s[9]-'0')
}

// vinValid checks a 17-character VIN. The position-9 check digit is
// mandatory only for North American VINs (WMI starting 1-5); others need
// only ISO 3779's alphabet.
func vinValid(s []byte) bool {
	if len(s) != 17 {
		return false
	}
	w := [17]int{8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2}
	sum, letters, nums := 0, 0, 0
	for i, c := range s {
		c = upper(c)
		var v int
		switch {
		case c >= '0' && c <= '9':
			v = int(c - '0')
			nums++
		case c >= 'A' && c <= 'Z' && c != 'I' && c != 'O' && c != 'Q':
			if c >= 'S' {
				v = int(c-'S') + 2
			} else if c >= 'J' {
				v = int(c-'J') + 1
			} else {
				v = int(c-'A') + 1
			}
			letters++
		default:
			return false
		}
		sum += v * w[i]
	}
	if letters < 2 || nums < 3 {
		return false
	}
	if s[0] < '1' || s[0] > '5' {
		return true
	}
	r := sum % 11
	if r == 10 {
		return upper(s[8]) == 'X'
	}
	return s[8] == byte('0'+r)
}

// sinValid checks a Canadian social insurance number (9 digits, Luhn, no
// leading 8, which is not issued).
func sinValid(s []byte) bool {
	return len(s) == 9 && s[0] != '8' && luhn(s)
}

// swedishPNValid checks a Swedish personnummer's Luhn digit (10 digits).
func swedishPNValid(s []byte) bool {
	return len(s) == 10 && luhn(s)
}

func allSame(s []byte) bool {
	for _, c := range s[1:] {
		if c != s[0] {
			return false
		}
	}
	return true
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 32
	}
	return c
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 32
	}
	return c
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isAlnum(c byte) bool  { return isDigit(c) || isLetter(c) }

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}
