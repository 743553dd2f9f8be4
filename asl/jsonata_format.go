package asl

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// JSONata's number formatting: $formatNumber follows XPath's
// fn:format-number picture strings, $formatInteger and $parseInteger
// XPath's fn:format-integer (decimal patterns, letters, roman numerals,
// English words, ordinals); $eval evaluates an expression given as text.

func init() {
	fns := map[string]func([]any, *jscope) (any, error){
		"formatNumber":  jformatNumber,
		"formatInteger": jformatInteger,
		"parseInteger":  jparseInteger,
		"eval":          jeval,
	}
	for name, fn := range fns {
		jbuiltins[name] = &jbuiltin{name: name, fn: fn}
	}
}

// decimalFormat holds the symbols of a number picture.
type decimalFormat struct {
	decimal, grouping, exponent, zero, digit, pattern rune
	minus, percent, perMille                          string
}

func newDecimalFormat(opts any) (decimalFormat, error) {
	f := decimalFormat{decimal: '.', grouping: ',', exponent: 'e', zero: '0', digit: '#', pattern: ';',
		minus: "-", percent: "%", perMille: "‰"}
	o, _ := opts.(map[string]any)
	for k, v := range o {
		s, ok := v.(string)
		if !ok {
			return f, fmt.Errorf("the option %s of $formatNumber must be a string", k)
		}
		r, n := utf8.DecodeRuneInString(s)
		single := func(dst *rune) error {
			if n == 0 || n != len(s) {
				return fmt.Errorf("the option %s of $formatNumber must be a single character", k)
			}
			*dst = r
			return nil
		}
		var err error
		switch k {
		case "decimal-separator":
			err = single(&f.decimal)
		case "grouping-separator":
			err = single(&f.grouping)
		case "exponent-separator":
			err = single(&f.exponent)
		case "zero-digit":
			err = single(&f.zero)
		case "digit":
			err = single(&f.digit)
		case "pattern-separator":
			err = single(&f.pattern)
		case "minus-sign":
			f.minus = s
		case "percent":
			f.percent = s
		case "per-mille":
			f.perMille = s
		case "infinity", "NaN":
			// JSON has neither, so these symbols never show.
		}
		if err != nil {
			return f, err
		}
	}
	return f, nil
}

func (f *decimalFormat) isDigit(r rune) bool { return r >= f.zero && r <= f.zero+9 }

// subPicture is one side (positive or negative) of a number picture.
type subPicture struct {
	prefix, suffix             string
	minInt, scaling            int
	minFrac, maxFrac           int
	intGroups, fracGroups      []int // separator positions: from the right / from the left
	regular                    int   // the interval of regular integer grouping, or 0
	hasExponent                bool
	minExp                     int
	percent, perMille          bool
	intHasOptional, hasDecimal bool
}

func (f *decimalFormat) parseSubPicture(p string) (subPicture, error) {
	var sp subPicture
	rs := []rune(p)
	active := func(r rune) bool { return r == f.decimal || r == f.grouping || r == f.digit || f.isDigit(r) }
	first, last := -1, -1
	for i, r := range rs {
		if active(r) {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return sp, fmt.Errorf("the picture string of $formatNumber must contain at least one digit")
	}
	sp.prefix, sp.suffix = string(rs[:first]), string(rs[last+1:])
	body := rs[first : last+1]
	sp.percent = strings.Contains(sp.prefix+sp.suffix, f.percent)
	sp.perMille = strings.Contains(sp.prefix+sp.suffix, f.perMille)
	if sp.percent && sp.perMille {
		return sp, fmt.Errorf("a picture string of $formatNumber must not contain both percent and per-mille")
	}
	mantissa, exponent := body, []rune(nil)
	for i, r := range body {
		if r == f.exponent && i > 0 && i < len(body)-1 {
			mantissa, exponent = body[:i], body[i+1:]
			sp.hasExponent = true
			break
		}
	}
	intPart, fracPart := mantissa, []rune(nil)
	for i, r := range mantissa {
		if r == f.decimal {
			intPart, fracPart = mantissa[:i], mantissa[i+1:]
			sp.hasDecimal = true
			break
		}
	}
	if err := f.scanIntPart(&sp, intPart); err != nil {
		return sp, err
	}
	f.scanFracPart(&sp, fracPart)
	for _, r := range exponent {
		if !f.isDigit(r) {
			return sp, fmt.Errorf("the exponent of a $formatNumber picture may contain only digits")
		}
		sp.minExp++
	}
	sp.adjust()
	return sp, nil
}

func (f *decimalFormat) scanIntPart(sp *subPicture, part []rune) error {
	digits := 0
	for i := len(part) - 1; i >= 0; i-- {
		switch r := part[i]; {
		case r == f.grouping:
			sp.intGroups = append(sp.intGroups, digits)
		case f.isDigit(r):
			if sp.intHasOptional {
				return fmt.Errorf("a mandatory digit may not follow an optional one in the integer part of a $formatNumber picture")
			}
			digits++
			sp.minInt++
		case r == f.digit:
			digits++
			sp.intHasOptional = true
		}
	}
	sp.scaling = sp.minInt
	if len(sp.intGroups) == 0 {
		return nil
	}
	g := sp.intGroups[0]
	if g <= 0 {
		return nil
	}
	for i, pos := range sp.intGroups {
		if pos != g*(i+1) {
			return nil
		}
	}
	sp.regular = g
	return nil
}

func (f *decimalFormat) scanFracPart(sp *subPicture, part []rune) {
	digits := 0
	for _, r := range part {
		switch {
		case r == f.grouping:
			sp.fracGroups = append(sp.fracGroups, digits)
		case f.isDigit(r):
			digits++
			sp.minFrac++
			sp.maxFrac++
		case r == f.digit:
			digits++
			sp.maxFrac++
		}
	}
}

// adjust applies XPath's rules for pictures without mandatory digits.
func (sp *subPicture) adjust() {
	if sp.minInt == 0 && sp.maxFrac == 0 {
		if sp.hasExponent {
			sp.minFrac, sp.maxFrac = 1, max(sp.maxFrac, 1)
		} else {
			sp.minInt = 1
		}
	}
	if sp.hasExponent && sp.minInt == 0 && sp.intHasOptional {
		sp.minInt = 1
	}
	if sp.minInt == 0 && sp.minFrac == 0 && !sp.hasDecimal {
		sp.minInt = 1
	}
}

func jformatNumber(a []any, _ *jscope) (any, error) {
	if arg(a, 0) == undefined {
		return undefined, nil
	}
	x, ok := toFloat(arg(a, 0))
	if !ok {
		return nil, fmt.Errorf("the first argument of $formatNumber must be a number")
	}
	picture, ok := arg(a, 1).(string)
	if !ok {
		return nil, fmt.Errorf("the second argument of $formatNumber must be a string")
	}
	f, err := newDecimalFormat(arg(a, 2))
	if err != nil {
		return nil, err
	}
	parts := strings.Split(picture, string(f.pattern))
	if len(parts) > 2 {
		return nil, fmt.Errorf("a $formatNumber picture may contain at most one pattern separator")
	}
	pos, err := f.parseSubPicture(parts[0])
	if err != nil {
		return nil, err
	}
	sp, prefix := pos, pos.prefix
	if x < 0 {
		prefix = f.minus + pos.prefix
		if len(parts) == 2 {
			if sp, err = f.parseSubPicture(parts[1]); err != nil {
				return nil, err
			}
			prefix = sp.prefix
		}
	}
	x = math.Abs(x)
	switch {
	case sp.percent:
		x *= 100
	case sp.perMille:
		x *= 1000
	}
	return prefix + f.formatAbs(x, sp) + sp.suffix, nil
}

// formatAbs renders a non-negative number by a sub-picture.
func (f *decimalFormat) formatAbs(x float64, sp subPicture) string {
	exp := 0
	if sp.hasExponent && x != 0 {
		// Scale the mantissa so that its integer part has as many
		// digits as the picture's.
		exp = int(math.Floor(math.Log10(x))) + 1 - sp.scaling
		m := shiftDecimal(x, -exp)
		// Rounding may carry into one more integer digit (9.99 -> 10.0).
		if r := roundDecimal(m, sp.maxFrac); len(strings.TrimLeft(r.intDigits, "0")) > sp.scaling {
			exp++
			m = shiftDecimal(x, -exp)
		}
		x = m
	}
	r := roundDecimal(x, sp.maxFrac)
	intDigits := strings.TrimLeft(r.intDigits, "0")
	for len(intDigits) < sp.minInt {
		intDigits = "0" + intDigits
	}
	frac := r.fracDigits
	for len(frac) > sp.minFrac && strings.HasSuffix(frac, "0") {
		frac = frac[:len(frac)-1]
	}
	var b strings.Builder
	b.WriteString(f.group(f.digits(intDigits), sp))
	if frac != "" {
		b.WriteRune(f.decimal)
		b.WriteString(f.groupFrac(f.digits(frac), sp))
	}
	if sp.hasExponent {
		b.WriteRune(f.exponent)
		e := strconv.Itoa(abs(exp))
		for len(e) < sp.minExp {
			e = "0" + e
		}
		if exp < 0 {
			b.WriteString(f.minus)
		}
		b.WriteString(f.digits(e))
	}
	return b.String()
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// digits maps ASCII digits to the picture's digit family.
func (f *decimalFormat) digits(s string) string {
	if f.zero == '0' {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(f.zero + (r - '0'))
	}
	return b.String()
}

func (f *decimalFormat) group(s string, sp subPicture) string {
	rs := []rune(s)
	var out []rune
	for i := range rs {
		fromRight := len(rs) - i
		if i > 0 && f.groupAt(fromRight, sp) {
			out = append(out, f.grouping)
		}
		out = append(out, rs[i])
	}
	return string(out)
}

func (f *decimalFormat) groupAt(pos int, sp subPicture) bool {
	if sp.regular > 0 {
		return pos%sp.regular == 0
	}
	for _, g := range sp.intGroups {
		if g == pos {
			return true
		}
	}
	return false
}

func (f *decimalFormat) groupFrac(s string, sp subPicture) string {
	rs := []rune(s)
	var out []rune
	for i, r := range rs {
		for _, g := range sp.fracGroups {
			if g == i && i > 0 {
				out = append(out, f.grouping)
			}
		}
		out = append(out, r)
	}
	return string(out)
}

// shiftDecimal multiplies x by 10^n through its decimal text, so that
// no binary rounding creeps in.
func shiftDecimal(x float64, n int) float64 {
	s := strconv.FormatFloat(x, 'e', -1, 64)
	mant, e, _ := strings.Cut(s, "e")
	ev, _ := strconv.Atoi(e)
	v, err := strconv.ParseFloat(mant+"e"+strconv.Itoa(ev+n), 64)
	if err != nil {
		return x * math.Pow(10, float64(n))
	}
	return v
}

// rounded is a non-negative decimal number as digit strings.
type rounded struct{ intDigits, fracDigits string }

// roundDecimal rounds x to places decimals, half to even, on its
// shortest decimal text (as JSONata's $round does).
func roundDecimal(x float64, places int) rounded {
	s := strconv.FormatFloat(x, 'f', -1, 64)
	ip, fp, _ := strings.Cut(s, ".")
	if len(fp) <= places {
		return rounded{ip, fp + strings.Repeat("0", places-len(fp))}
	}
	keep, next, rest := fp[:places], fp[places], strings.Trim(fp[places+1:], "0")
	digits := []byte(ip + keep)
	up := next > '5' || next == '5' && (rest != "" || (digits[len(digits)-1]-'0')%2 == 1)
	if up {
		i := len(digits) - 1
		for ; i >= 0; i-- {
			if digits[i] < '9' {
				digits[i]++
				break
			}
			digits[i] = '0'
		}
		if i < 0 {
			digits = append([]byte{'1'}, digits...)
		}
	}
	n := len(digits) - places
	return rounded{string(digits[:n]), string(digits[n:])}
}

// jeval evaluates an expression given as text, against the context
// item (or the second argument) and in the caller's bindings.
func jeval(a []any, sc *jscope) (any, error) {
	src, ok := arg(a, 0).(string)
	if !ok {
		if arg(a, 0) == undefined {
			return undefined, nil
		}
		return nil, fmt.Errorf("the first argument of $eval must be a string")
	}
	e, err := compileJSONata(src)
	if err != nil {
		return nil, fmt.Errorf("syntax error in expression passed to function eval: %v", err)
	}
	v, err := e.root.eval(arg(a, 1), sc)
	if err != nil {
		return nil, fmt.Errorf("dynamic error evaluating the expression passed to function eval: %v", err)
	}
	return v, nil
}
