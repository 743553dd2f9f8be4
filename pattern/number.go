package pattern

import (
	"math"
	"strconv"
)

// EventBridge compares numbers as IEEE-754 doubles, and only numbers whose
// decimal text denotes exactly the value of the double nearest to it (the
// double's shortest decimal form). Others, like 0.10000000000000001 or an
// 20-digit account number, are not comparable: a pattern may not use them in
// numeric and anything-but conditions, and an event's value of that kind
// matches only by its literal text.

// comparable returns the double a JSON number literal stands for, and whether
// EventBridge can compare it.
func comparable(lit string) (float64, bool) {
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	if f == 0 {
		// Only a literal zero parses to zero exactly; tiny values underflow.
		d := decimalOf(lit)
		return 0, d.digits == ""
	}
	short := strconv.FormatFloat(f, 'e', -1, 64)
	return f, decimalOf(lit) == decimalOf(short)
}

// decimal is a normalized decimal number: value = 0.digits × 10^exp, no
// leading or trailing zeros in digits; zero has empty digits.
type decimal struct {
	neg    bool
	digits string
	exp    int64
}

// decimalOf normalizes a well-formed JSON number literal (or Go's %e form).
func decimalOf(lit string) decimal {
	var d decimal
	i := 0
	if i < len(lit) && lit[i] == '-' {
		d.neg = true
		i++
	}
	var digits []byte
	var pointExp int64 // exponent contribution of the digits' position
	seenPoint := false
	for ; i < len(lit); i++ {
		c := lit[i]
		if c == '.' {
			seenPoint = true
			continue
		}
		if c < '0' || c > '9' {
			break
		}
		if c == '0' && len(digits) == 0 {
			if seenPoint {
				pointExp--
			}
			continue
		}
		digits = append(digits, c)
		if !seenPoint {
			pointExp++
		}
	}
	var e int64
	if i < len(lit) && (lit[i] == 'e' || lit[i] == 'E') {
		i++
		eneg := false
		if i < len(lit) && (lit[i] == '+' || lit[i] == '-') {
			eneg = lit[i] == '-'
			i++
		}
		for ; i < len(lit); i++ {
			if e < 1<<40 { // saturate: such exponents are out of any range anyway
				e = e*10 + int64(lit[i]-'0')
			}
		}
		if eneg {
			e = -e
		}
	}
	for len(digits) > 0 && digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
	}
	if len(digits) == 0 {
		return decimal{}
	}
	d.digits = string(digits)
	d.exp = pointExp + e
	return d
}

// comparableFast is comparable with a shortcut for the common case: a
// plain decimal of at most 15 significant digits always round-trips
// through a double, since distinct such decimals map to distinct doubles.
func comparableFast(lit string) (float64, bool) {
	digits := 0
	for i := 0; i < len(lit); i++ {
		switch c := lit[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '-' && i == 0, c == '.':
		default:
			return comparable(lit) // exponent
		}
	}
	if digits > 15 {
		return comparable(lit)
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil {
		return 0, false
	}
	if f == 0 {
		f = 0 // no negative zero
	}
	return f, true
}
