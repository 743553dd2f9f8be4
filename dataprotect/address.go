package dataprotect

import (
	"regexp"
)

// The Address identifier. AWS finds mailing addresses with a model and
// requires the address to include a city or place and a ZIP or postal
// code. Vigil anchors on a street-type word (street, Ave, rue, Via,
// Straße, ...), requires a street line with a house number and a street
// name around it, and then a locality in one of the shapes of the
// countries AWS lists: "City, ST 12345", "City, ON K1A 0B1", "London SW1A
// 2AA", "Suburb NSW 2000", or "75002 Paris". Addresses without a street-type
// word or without a postal code are missed; BENCHMARKS.md gives the
// measured precision and recall.

// lowerStreetWords may be written in lower case ("12 rue de la Paix").
var lowerStreetWords = map[string]bool{
	"rue": true, "via": true, "calle": true, "chemin": true, "allée": true, "impasse": true,
	"quai": true, "rua": true, "carrer": true, "viale": true, "piazza": true, "corso": true,
	"paseo": true, "avenida": true, "strasse": true, "straße": true, "str": true, "weg": true,
}

var localityRE = regexp.MustCompile(`^\.?(?:,? (?:Apt|Apartment|Suite|Ste|Unit|Floor|Fl|Room|Rm|Flat|Bldg)\.? ?#?[0-9A-Za-z-]{1,6}|,? #[0-9A-Za-z-]{1,6})?` +
	`(?:, ?| ?\r?\n ?| )` +
	`(?:` +
	// US: City, ST 12345(-6789); CA: City, ON K1A 0B1; AU: Suburb NSW 2000
	`(?:[A-Z][\pL.'-]+ ){0,3}[A-Z][\pL.'-]+,? (?:[A-Z]{2} \d{5}(?:-\d{4})?|[A-Z]{2},? [ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d|(?:NSW|VIC|QLD|WA|SA|TAS|ACT|NT) \d{4})` +
	// UK: Town SW1A 2AA
	`|(?:[A-Z][\pL.'-]+ ){0,3}[A-Z][\pL.'-]+,? [A-Z]{1,2}\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2}` +
	// Continental Europe: 75002 Paris, 10115 Berlin, 1012 AB Amsterdam
	`|\d{4,5}(?: [A-Z]{2})? [A-Z][\pL'-]+(?: [A-Z][\pL'-]+)?` +
	`)`)

// street-line token kinds
const (
	tokOther = iota
	tokNumber
	tokName
	tokParticle
)

var streetParticles = map[string]bool{"de": true, "la": true, "le": true, "du": true, "des": true, "del": true, "di": true, "da": true, "of": true, "the": true, "dos": true, "das": true}

// streetToken classifies a token of the street line.
func streetToken(w []byte) int {
	if len(w) == 0 {
		return tokOther
	}
	if isDigit(w[0]) {
		d := 0
		for d < len(w) && isDigit(w[d]) {
			d++
		}
		rest := string(w[d:])
		switch {
		case d <= 5 && (rest == "" || len(rest) == 1 && isLetter(rest[0])):
			return tokNumber
		case d <= 3 && (rest == "st" || rest == "nd" || rest == "rd" || rest == "th"):
			return tokName // 5th Avenue
		}
		return tokOther
	}
	if kinds[w[0]]&kUpper != 0 || w[0] >= 0x80 {
		return tokName
	}
	if streetParticles[string(w)] {
		return tokParticle
	}
	return tokOther
}

func isStreetWordByte(c byte) bool { return isAlnum(c) || c >= 0x80 || c == '\'' || c == '-' }

// address examines a street-type word at [ws, we).
func (t *task) address(ws, we int) {
	text := t.text
	if ws < t.addrDone {
		return
	}
	if kinds[text[ws]]&kUpper == 0 && !lowerStreetWords[string(toLowerASCII(text[ws:we]))] {
		return
	}
	start, hasNum, names := ws, false, 0
	// Left: "123 North Main St", "12 rue".
	for k, p := 0, ws; k < 5 && p > 1 && text[p-1] == ' '; k++ {
		q := p - 1
		for q > 0 && isStreetWordByte(text[q-1]) {
			q--
		}
		kind := streetToken(text[q : p-1])
		if kind == tokOther {
			break
		}
		start, p = q, q
		if kind == tokNumber {
			hasNum = true
			break
		}
		if kind == tokName {
			names++
		}
	}
	// Right: "rue de la Paix", "Via Roma 10", "Straße 5".
	end := we
	if end < len(text) && text[end] == '.' {
		end++
	}
	for k := 0; k < 5 && end+1 < len(text) && text[end] == ' '; k++ {
		q := end + 1
		r := q
		for r < len(text) && isStreetWordByte(text[r]) {
			r++
		}
		kind := streetToken(text[q:r])
		if kind == tokOther || kind == tokNumber && hasNum {
			break
		}
		end = r
		if kind == tokNumber {
			hasNum = true
			break
		}
		if kind == tokName {
			names++
		}
	}
	if !hasNum || names == 0 {
		return
	}
	loc := localityRE.FindIndex(text[end:min(len(text), end+120)])
	if loc == nil {
		return
	}
	stop := end + loc[1]
	if stop < len(text) && isAlnum(text[stop]) {
		return
	}
	t.addrDone = stop
	t.emitAll(tgStreet, start, stop)
}

func toLowerASCII(b []byte) []byte {
	var buf [16]byte
	if len(b) > len(buf) {
		return b
	}
	for i, c := range b {
		buf[i] = lower(c)
	}
	return buf[:len(b)]
}
