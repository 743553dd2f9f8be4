package dataprotect

// Phone numbers. Near a keyword a national number suffices; without one the
// number must carry its country code (AWS's rule). Candidates are runs of
// digit groups joined by single separators; the longest prefix of groups
// that a country's numbering rules accept is reported.

// phoneCountries maps the countries AWS supports to their calling codes.
var phoneCountries = map[string]string{"US": "1", "CA": "1", "BR": "55", "DE": "49", "ES": "34", "FR": "33", "GB": "44", "IT": "39"}

// nationalOK reports whether digits (no country code) form a plausible
// national number in country cc; trunk says whether a leading trunk 0 is
// expected (national form) or forbidden (after a country code).
//
// first is the digit count of the first group when the number is written
// in groups (0 for one unbroken run); it tells a Brazilian "(11) 3456-7890"
// from a US "(212) 345-6789".
func nationalOK(cc string, d []byte, intl bool, first int) bool {
	n := len(d)
	if n < 6 { // no national number is shorter
		return false
	}
	switch cc {
	case "US", "CA":
		if !intl && n == 11 && d[0] == '1' {
			d, n = d[1:], 10
		}
		return n == 10 && d[0] >= '2' && d[3] >= '2'
	case "GB":
		if intl {
			if d[0] == '0' {
				d, n = d[1:], n-1
			}
			return (n == 9 || n == 10) && d[0] != '0'
		}
		return d[0] == '0' && (n == 10 || n == 11) && d[1] != '0'
	case "DE":
		if intl {
			return n >= 7 && n <= 11 && d[0] != '0'
		}
		return d[0] == '0' && d[1] != '0' && n >= 8 && n <= 12
	case "FR":
		if intl {
			return n == 9 && d[0] != '0'
		}
		return n == 10 && d[0] == '0' && d[1] != '0'
	case "ES":
		return n == 9 && d[0] >= '6'
	case "IT":
		return d[0] == '0' && n >= 6 && n <= 11 || d[0] == '3' && (n == 9 || n == 10)
	case "BR":
		if !intl && first != 2 || n == 11 && d[2] != '9' {
			return false
		}
		return (n == 10 || n == 11) && d[0] != '0' && d[1] != '0'
	}
	return false
}

func isPhoneSep(c byte) bool { return c == ' ' || c == '-' || c == '.' || c == '/' }

// phoneGroups reads digit groups from i: a '(' may open the first group and
// ')' close it; groups are joined by one separator (or ") "). It returns
// each group's end offset and the digits collected.
func phoneGroups(text []byte, i int, ends []int, dig []byte) ([]int, []byte) {
	p := i
	if p < len(text) && text[p] == '(' {
		p++
	}
	for len(ends) < 8 && p < len(text) && isDigit(text[p]) {
		for p < len(text) && isDigit(text[p]) && len(dig) < 20 {
			dig = append(dig, text[p])
			p++
		}
		ends = append(ends, p)
		if p < len(text) && text[p] == ')' {
			p++
			if p < len(text) && text[p] == ' ' {
				p++
			}
			continue
		}
		if p+1 < len(text) && isPhoneSep(text[p]) && (isDigit(text[p+1]) || text[p+1] == '(') {
			p++
			if text[p] == '(' {
				p++
			}
			continue
		}
		break
	}
	return ends, dig
}

// phoneFinder finds national numbers for its countries near a keyword.
type phoneFinder struct{ countries []string }

func (f phoneFinder) find(t *task, id, lo, hi int) {
	text := t.text
	for i := lo; i <= hi && i < len(text); i++ {
		c := text[i]
		if !(isDigit(c) || c == '(' || c == '+') || i > 0 && (isDigit(text[i-1]) || isLetter(text[i-1])) {
			continue
		}
		if afterCountryCode(text, i) {
			continue // the national part of "+44 20 ..." is not a number of its own
		}
		start := i
		if c == '+' { // an international number near a keyword
			if end := t.intlAt(i, f.countries); end > 0 {
				t.emit(id, start, end)
				i = end
			}
			continue
		}
		var endsBuf [8]int
		var digBuf [20]byte
		ends, dig := phoneGroups(text, i, endsBuf[:0], digBuf[:0])
		if end := longestPhone(text, ends, dig, f.countries, false); end > 0 {
			t.emit(id, start, end)
			i = end
		}
	}
}

// longestPhone tries the longest prefix of groups first and returns the end
// offset of the first one valid for any of the countries, or 0.
func longestPhone(text []byte, ends []int, dig []byte, countries []string, intl bool) int {
	for k := len(ends); k > 0; k-- {
		end := ends[k-1]
		if end < len(text) && (isDigit(text[end]) || isLetter(text[end])) {
			continue
		}
		nd := digitsUpTo(text, ends, k, len(dig))
		first := 0
		if k > 1 {
			first = digitsUpTo(text, ends, 1, len(dig))
		}
		nanp := !intl && nanpStyle(text, ends, k, nd)
		for _, cc := range countries {
			if nanp && cc != "US" && cc != "CA" {
				continue // "(206) 555-0142" and "206-555-0142" are North American
			}
			if nationalOK(cc, dig[:nd], intl, first) {
				return end
			}
		}
	}
	return 0
}

// digitsUpTo counts the digits in the first k groups.
func digitsUpTo(text []byte, ends []int, k, total int) int {
	n := total
	for g := len(ends) - 1; g >= k; g-- {
		e := ends[g]
		s := e
		for s > 0 && isDigit(text[s-1]) {
			s--
		}
		n -= e - s
	}
	return n
}

// phoneIntl handles a '+' trigger: an international number needs no
// keyword. The number is parsed once; each phone identifier covering its
// country reports it.
func (t *task) phoneIntl(i int) {
	text := t.text
	if i < t.plusDone || i+7 >= len(text) || !isDigit(text[i+1]) || i > 0 && (isAlnum(text[i-1]) || text[i-1] == '+') {
		return
	}
	cc, end := t.intlCountry(i)
	if end == 0 {
		return
	}
	t.plusDone = end
	for _, id := range t.s.phone {
		for _, c := range t.s.ids[id].phoneCC {
			if c == cc || cc == "US" && c == "CA" {
				t.emit(id, i, end)
				break
			}
		}
	}
}

// phoneCodes lists the calling codes of the supported countries.
var phoneCodes = []struct{ code, cc string }{{"1", "US"}, {"33", "FR"}, {"34", "ES"}, {"39", "IT"}, {"44", "GB"}, {"49", "DE"}, {"55", "BR"}}

// intlCountry parses "+CC national" at i and returns the country and the
// end offset (0 when it is no valid number).
func (t *task) intlCountry(i int) (string, int) {
	for _, pc := range phoneCodes {
		if t.text[i+1] != pc.code[0] {
			continue
		}
		if end := t.intlAt(i, []string{pc.cc}); end > 0 {
			return pc.cc, end
		}
	}
	return "", 0
}

// intlAt parses "+CC national" at i for the given countries and returns the
// end offset, or 0.
func (t *task) intlAt(i int, countries []string) int {
	text := t.text
	p := i + 1
	for _, cc := range countries {
		code := phoneCountries[cc]
		if len(text)-p < len(code)+6 || string(text[p:p+len(code)]) != code {
			continue
		}
		q := p + len(code)
		if q < len(text) && (text[q] == ' ' || text[q] == '-' || text[q] == '.') {
			q++
		}
		if q+1 < len(text) && text[q] == '(' && text[q+1] == '0' && q+2 < len(text) && text[q+2] == ')' {
			q += 3 // "+44 (0)20 ..."
			if q < len(text) && text[q] == ' ' {
				q++
			}
		}
		if q >= len(text) || !(isDigit(text[q]) || text[q] == '(') {
			continue
		}
		var endsBuf [8]int
		var digBuf [20]byte
		ends, dig := phoneGroups(text, q, endsBuf[:0], digBuf[:0])
		if end := longestPhone(text, ends, dig, []string{cc}, true); end > 0 {
			return end
		}
	}
	return 0
}

// afterCountryCode reports whether text[i] follows "+<1-3 digits><sep>".
func afterCountryCode(text []byte, i int) bool {
	p := i - 1
	if p < 0 || !isPhoneSep(text[p]) {
		return false
	}
	q := p
	for q > 0 && p-q < 4 && isDigit(text[q-1]) {
		q--
	}
	return q < p && q > 0 && text[q-1] == '+'
}

// nanpStyle reports whether k groups are written the North American way:
// "(ddd) ddd-dddd", or ddd-ddd-dddd / ddd.ddd.dddd.
func nanpStyle(text []byte, ends []int, k, nd int) bool {
	if k != 3 || nd != 10 {
		return false
	}
	s := ends[0] - 3
	if s > 0 && text[s-1] == '(' {
		return true
	}
	sep1, sep2 := text[ends[0]], text[ends[1]]
	return sep1 == sep2 && (sep1 == '-' || sep1 == '.')
}
