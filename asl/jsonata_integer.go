package asl

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// intPicture is a parsed $formatInteger / $parseInteger picture: a
// primary format token and the ordinal modifier.
type intPicture struct {
	kind    string // "decimal", "a", "A", "i", "I", "w", "W", "Ww"
	ordinal bool
	// decimal pattern: mandatory digits, grouping separators (positions
	// from the right), whether grouping repeats, the digit family's zero.
	minDigits int
	groups    []int
	groupSep  []rune
	regular   int
	zero      rune
}

func parseIntPicture(p string) (intPicture, error) {
	var ip intPicture
	primary := p
	if i := strings.LastIndexByte(p, ';'); i > 0 {
		primary = p[:i]
		mod := p[i+1:]
		if strings.HasPrefix(mod, "o") {
			ip.ordinal = true
		} else if mod != "" && !strings.HasPrefix(mod, "c") {
			return ip, fmt.Errorf("the format modifier %q of the picture is not supported", mod)
		}
	}
	switch primary {
	case "a", "A", "i", "I", "w", "W", "Ww":
		ip.kind = primary
		return ip, nil
	case "":
		return ip, fmt.Errorf("the picture string must not be empty")
	}
	ip.kind, ip.zero = "decimal", -1
	rs := []rune(primary)
	digits := 0
	for i := len(rs) - 1; i >= 0; i-- {
		r := rs[i]
		switch {
		case unicode.IsDigit(r):
			z := r - rune(digitValue(r))
			if ip.zero >= 0 && z != ip.zero {
				return ip, fmt.Errorf("a decimal-digit pattern must use digits of one family")
			}
			ip.zero = z
			digits++
			ip.minDigits++
		case r == '#':
			digits++
		case unicode.IsLetter(r):
			return ip, fmt.Errorf("the picture %q is not supported", primary)
		default:
			if i == 0 || i == len(rs)-1 {
				return ip, fmt.Errorf("a grouping separator cannot start or end a decimal-digit pattern")
			}
			ip.groups = append(ip.groups, digits)
			ip.groupSep = append(ip.groupSep, r)
		}
	}
	if ip.minDigits == 0 {
		return ip, fmt.Errorf("a decimal-digit pattern needs at least one mandatory digit")
	}
	if len(ip.groups) > 0 {
		g := ip.groups[0]
		regular := g > 0
		for i, pos := range ip.groups {
			regular = regular && pos == g*(i+1) && ip.groupSep[i] == ip.groupSep[0]
		}
		if regular {
			ip.regular = g
		}
	}
	return ip, nil
}

func digitValue(r rune) int {
	// Unicode digit families are runs of ten code points from zero.
	for z := r; z >= r-9; z-- {
		if !unicode.IsDigit(z - 1) {
			return int(r - z)
		}
	}
	return int(r-'0') % 10
}

func jformatInteger(a []any, _ *jscope) (any, error) {
	if arg(a, 0) == undefined {
		return undefined, nil
	}
	x, ok := toFloat(arg(a, 0))
	if !ok {
		return nil, fmt.Errorf("the first argument of $formatInteger must be a number")
	}
	picture, ok := arg(a, 1).(string)
	if !ok {
		return nil, fmt.Errorf("the second argument of $formatInteger must be a string")
	}
	ip, err := parseIntPicture(picture)
	if err != nil {
		return nil, fmt.Errorf("$formatInteger: %w", err)
	}
	if math.Abs(x) > 1e15 {
		return nil, fmt.Errorf("$formatInteger: the number %v is too large", x)
	}
	n := int64(math.Floor(x))
	neg := n < 0
	if neg {
		n = -n
	}
	var s string
	switch ip.kind {
	case "a", "A":
		s = letters(n, ip.kind == "A")
	case "i", "I":
		if n >= maxRoman {
			return nil, fmt.Errorf("$formatInteger: %d is too large for roman numerals", n)
		}
		s = roman(n)
		if ip.kind == "i" {
			s = strings.ToLower(s)
		}
	case "w", "W", "Ww":
		s = numberWords(n, ip.ordinal)
		switch ip.kind {
		case "w":
			s = strings.ToLower(s)
		case "W":
			s = strings.ToUpper(s)
		}
		if neg {
			s = map[string]string{"w": "minus ", "W": "MINUS ", "Ww": "Minus "}[ip.kind] + s
			neg = false
		}
	default:
		s = ip.decimal(n)
	}
	if neg {
		s = "-" + s
	}
	return s, nil
}

func (ip intPicture) decimal(n int64) string {
	ds := strconv.FormatInt(n, 10)
	for len(ds) < ip.minDigits {
		ds = "0" + ds
	}
	var out []rune
	for i, r := range ds {
		fromRight := len(ds) - i
		if i > 0 {
			if sep, ok := ip.sepAt(fromRight); ok {
				out = append(out, sep)
			}
		}
		out = append(out, ip.zero+(r-'0'))
	}
	s := string(out)
	if ip.ordinal {
		s += ordinalSuffix(int(n % 100))
	}
	return s
}

func (ip intPicture) sepAt(pos int) (rune, bool) {
	if ip.regular > 0 {
		return ip.groupSep[0], pos%ip.regular == 0
	}
	for i, g := range ip.groups {
		if g == pos {
			return ip.groupSep[i], true
		}
	}
	return 0, false
}

// letters numbers in bijective base 26: a..z, aa, ab, ...
func letters(n int64, upper bool) string {
	base := 'a'
	if upper {
		base = 'A'
	}
	var out []rune
	for n > 0 {
		n--
		out = append([]rune{base + rune(n%26)}, out...)
		n /= 26
	}
	return string(out)
}

var romanValues = []struct {
	v int64
	s string
}{
	{1000, "M"}, {900, "CM"}, {500, "D"}, {400, "CD"}, {100, "C"}, {90, "XC"},
	{50, "L"}, {40, "XL"}, {10, "X"}, {9, "IX"}, {5, "V"}, {4, "IV"}, {1, "I"},
}

// maxRoman bounds roman numerals, which repeat M for every thousand.
const maxRoman = 100000

func roman(n int64) string {
	var b strings.Builder
	for _, rv := range romanValues {
		for n >= rv.v {
			b.WriteString(rv.s)
			n -= rv.v
		}
	}
	return b.String()
}

var (
	smallWords   = strings.Fields("Zero One Two Three Four Five Six Seven Eight Nine Ten Eleven Twelve Thirteen Fourteen Fifteen Sixteen Seventeen Eighteen Nineteen")
	smallOrdinal = strings.Fields("Zeroth First Second Third Fourth Fifth Sixth Seventh Eighth Ninth Tenth Eleventh Twelfth Thirteenth Fourteenth Fifteenth Sixteenth Seventeenth Eighteenth Nineteenth")
	tensWords    = strings.Fields("Twenty Thirty Forty Fifty Sixty Seventy Eighty Ninety")
	scaleWords   = strings.Fields("Thousand Million Billion Trillion")
)

// numberWords spells n in English as JSONata does: "Two Thousand, Seven
// Hundred and Eighty-Nine"; ordinal gives "...Eighty-Ninth".
func numberWords(n int64, ordinal bool) string {
	return spell(n, false, ordinal)
}

// spell spells n; after says that words precede it in the same number.
func spell(n int64, after, ordinal bool) string {
	switch {
	case n < 20:
		w := smallWords[n]
		if ordinal {
			w = smallOrdinal[n]
		}
		if after {
			return " and " + w
		}
		return w
	case n < 100:
		w := tensWords[n/10-2]
		if after {
			w = " and " + w
		}
		if n%10 > 0 {
			return w + "-" + spell(n%10, false, ordinal)
		}
		if ordinal {
			w = strings.TrimSuffix(w, "y") + "ieth"
		}
		return w
	case n < 1000:
		w := smallWords[n/100] + " Hundred"
		if after {
			w = ", " + w
		}
		return w + spellRest(n%100, ordinal)
	}
	scale := 1
	for f := int64(1000); n/f >= 1000 && scale < len(scaleWords); f *= 1000 {
		scale++
	}
	factor := int64(math.Pow(1000, float64(scale)))
	w := spell(n/factor, false, false) + " " + scaleWords[scale-1]
	if after {
		w = ", " + w
	}
	return w + spellRest(n%factor, ordinal)
}

func spellRest(rest int64, ordinal bool) string {
	if rest > 0 {
		return spell(rest, true, ordinal)
	}
	if ordinal {
		return "th"
	}
	return ""
}

func jparseInteger(a []any, _ *jscope) (any, error) {
	if arg(a, 0) == undefined {
		return undefined, nil
	}
	s, ok := arg(a, 0).(string)
	if !ok {
		return nil, fmt.Errorf("the first argument of $parseInteger must be a string")
	}
	picture, ok := arg(a, 1).(string)
	if !ok {
		return nil, fmt.Errorf("the second argument of $parseInteger must be a string")
	}
	ip, err := parseIntPicture(picture)
	if err != nil {
		return nil, fmt.Errorf("$parseInteger: %w", err)
	}
	var n int64
	switch ip.kind {
	case "a", "A":
		n, err = parseLetters(s)
	case "i", "I":
		n, err = parseRoman(strings.ToUpper(s))
	case "w", "W", "Ww":
		n, err = parseWords(s)
	default:
		n, err = ip.parseDecimal(s)
	}
	if err != nil {
		return nil, fmt.Errorf("$parseInteger: %w", err)
	}
	return intNumber(n), nil
}

func (ip intPicture) parseDecimal(s string) (int64, error) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if ip.ordinal {
		for _, suf := range []string{"st", "nd", "rd", "th"} {
			s = strings.TrimSuffix(s, suf)
		}
	}
	var n int64
	seen := false
	for _, r := range s {
		if unicode.IsDigit(r) {
			n = n*10 + int64(digitValue(r))
			seen = true
			if n > 1<<53 {
				return 0, fmt.Errorf("the number %q is too large", s)
			}
			continue
		}
		if !strings.ContainsRune(string(ip.groupSep), r) {
			return 0, fmt.Errorf("%q does not match the picture", s)
		}
	}
	if !seen {
		return 0, fmt.Errorf("%q has no digits", s)
	}
	if neg {
		n = -n
	}
	return n, nil
}

func parseLetters(s string) (int64, error) {
	var n int64
	for _, r := range strings.ToLower(s) {
		if r < 'a' || r > 'z' || n > 1<<50 {
			return 0, fmt.Errorf("%q is not a letter sequence", s)
		}
		n = n*26 + int64(r-'a'+1)
	}
	return n, nil
}

func parseRoman(s string) (int64, error) {
	var n int64
	rest := s
	for _, rv := range romanValues {
		for strings.HasPrefix(rest, rv.s) {
			n += rv.v
			rest = rest[len(rv.s):]
		}
	}
	if rest != "" || s == "" {
		return 0, fmt.Errorf("%q is not a roman numeral", s)
	}
	return n, nil
}

// wordValues maps number words (cardinal and ordinal) to their values.
var wordValues = func() map[string]int64 {
	m := map[string]int64{}
	for i, w := range smallWords {
		m[strings.ToLower(w)] = int64(i)
		m[strings.ToLower(smallOrdinal[i])] = int64(i)
	}
	for i, w := range tensWords {
		lw := strings.ToLower(w)
		m[lw] = int64(20 + 10*i)
		m[strings.TrimSuffix(lw, "y")+"ieth"] = int64(20 + 10*i)
	}
	return m
}()

func parseWords(s string) (int64, error) {
	words := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return r == ' ' || r == ',' || r == '-' })
	var total, current int64
	seen := false
	neg := false
	for i, w := range words {
		if w == "and" {
			continue
		}
		if w == "minus" && i == 0 {
			neg = true
			continue
		}
		if v, ok := wordValues[w]; ok {
			current += v
			seen = true
			continue
		}
		base := strings.TrimSuffix(w, "th")
		if base == "hundred" {
			current *= 100
			seen = true
			continue
		}
		found := false
		for k, sw := range scaleWords {
			if base == strings.ToLower(sw) {
				total += current * int64(math.Pow(1000, float64(k+1)))
				current, found, seen = 0, true, true
			}
		}
		if !found {
			return 0, fmt.Errorf("%q is not a number in words", s)
		}
	}
	if !seen {
		return 0, fmt.Errorf("%q is not a number in words", s)
	}
	n := total + current
	if neg {
		n = -n
	}
	return n, nil
}
