package dataprotect

// Credit card numbers: 13–19 digits, optionally in groups joined by one
// consistent space or hyphen, with an issuer prefix, a valid Luhn digit, and
// not one of the test numbers card issuers publish.

// cardTestNumbers are the issuers' public test numbers, which AWS does not
// report.
var cardTestNumbers = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range []string{
		"122000000000003", "2222405343248877", "2222990905257051", "2223007648726984", "2223577120017656",
		"30569309025904", "34343434343434", "3528000700000000", "3530111333300000", "3566002020360505",
		"36148900647913", "36700102000000", "371449635398431", "378282246310005", "378734493671000",
		"38520000023237", "4012888888881881", "4111111111111111", "4222222222222", "4444333322221111",
		"4462030000000000", "4484070000000000", "4911830000000", "4917300800000000", "4917610000000000",
		"4917610000000000003", "5019717010103742", "5105105105105100", "5111010030175156", "5185540810000019",
		"5200828282828210", "5204230080000017", "5204740009900014", "5420923878724339", "5454545454545454",
		"5455330760000018", "5506900490000436", "5506900490000444", "5506900510000234", "5506920809243667",
		"5506922400634930", "5506927427317625", "5553042241984105", "5555553753048194", "5555555555554444",
		"5610591081018250", "6011000990139424", "6011000400000000", "6011111111111117", "630490017740292441",
		"630495060000000000", "6331101999990016", "6759649826438453", "6799990100000000019", "76009244561",
	} {
		m[n] = true
	}
	return m
}()

// cardPrefixOK checks the issuer identification number of the brands AWS
// names: American Express, Dankort, Diners Club, Discover, Electron, JCB,
// Mastercard, UnionPay, Visa (and Elo).
func cardPrefixOK(d []byte) bool {
	n := len(d)
	p := func(k int) int {
		v := 0
		for i := 0; i < k; i++ {
			v = v*10 + int(d[i]-'0')
		}
		return v
	}
	switch d[0] {
	case '4': // Visa, Electron, Dankort (4571), Elo (4011, 4312, 4389, 4514, 4576)
		return n == 13 || n == 16 || n == 19
	case '5':
		p2, p4 := p(2), p(4)
		return p2 >= 51 && p2 <= 55 && n == 16 || p4 == 5019 && n == 16 || (p4 == 5041 || p4 == 5066 || p4 == 5067 || p(3) == 509) && n == 16
	case '2':
		p4 := p(4)
		return p4 >= 2221 && p4 <= 2720 && n == 16
	case '3':
		p2, p3, p4 := p(2), p(3), p(4)
		switch {
		case p2 == 34 || p2 == 37:
			return n == 15
		case p3 >= 300 && p3 <= 305 || p4 == 3095 || p2 == 36 || p2 == 38 || p2 == 39:
			return n >= 14 && n <= 19
		case p4 >= 3528 && p4 <= 3589:
			return n >= 16 && n <= 19
		}
	case '6':
		p2, p3, p4 := p(2), p(3), p(4)
		switch {
		case p4 == 6011 || p3 >= 644 && p3 <= 649 || p2 == 65 || p2 == 62:
			return n >= 16 && n <= 19
		case p4 == 6277 || p4 == 6362 || p4 == 6363:
			return n == 16
		}
	}
	return false
}

func cardNumberOK(d []byte) bool {
	return len(d) >= 13 && len(d) <= 19 && cardPrefixOK(d) && luhn(d) && !cardTestNumbers[string(d)]
}

// cardFinder finds card numbers that start in the window.
type cardFinder struct{}

func (cardFinder) find(t *task, id, lo, hi int) {
	text := t.text
	for i := lo; i <= hi && i < len(text); i++ {
		if !isDigit(text[i]) || i > 0 && (isAlnum(text[i-1]) || text[i-1] == '.') {
			continue
		}
		if end := cardAt(text, i); end > 0 {
			t.emit(id, i, end)
			i = end
		}
	}
}

// cardAt returns the end of the longest valid card number starting at i, or
// 0. Groups must share one separator.
func cardAt(text []byte, i int) int {
	var dig [19]byte
	var ends [8]int
	nd, ng := 0, 0
	sep := byte(0)
	p := i
	for ng < len(ends) {
		q := p
		for q < len(text) && isDigit(text[q]) {
			q++
		}
		if nd+q-p > len(dig) {
			if ng == 0 {
				return 0 // one run of more than 19 digits is no card number
			}
			break
		}
		nd += copy(dig[nd:], text[p:q])
		p = q
		ends[ng] = p
		ng++
		if p+1 < len(text) && (text[p] == ' ' || text[p] == '-') && isDigit(text[p+1]) && (sep == 0 || sep == text[p]) {
			sep = text[p]
			p++
			continue
		}
		break
	}
	for g := ng; g > 0; g-- {
		end := ends[g-1]
		if end < len(text) && (isAlnum(text[end]) || text[end] == '.' && end+1 < len(text) && isDigit(text[end+1])) {
			continue
		}
		k := 0
		for _, c := range text[i:end] {
			if isDigit(c) {
				k++
			}
		}
		if cardNumberOK(dig[:k]) {
			return end
		}
	}
	return 0
}
