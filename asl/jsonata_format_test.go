package asl

import "testing"

// The expected values are those of the JSONata reference implementation
// (its documentation and test suite) and of XPath's format-number and
// format-integer, which JSONata follows.
func TestJSONataNumberFunctions(t *testing.T) {
	tests := []struct{ expr, want string }{
		{`$formatNumber(12345.6, '#,###.00')`, `"12,345.60"`},
		{`$formatNumber(12345678.9, '9,999.99')`, `"12,345,678.90"`},
		{`$formatNumber(123412345678.9, '9,9,99.99')`, `"123412345,6,78.90"`},
		{`$formatNumber(1234.56789, '9,999.999,999')`, `"1,234.567,890"`},
		{`$formatNumber(123.9, '9999')`, `"0124"`},
		{`$formatNumber(0.14, '01%')`, `"14%"`},
		{`$formatNumber(0.4857, '###.###‰')`, `"485.7‰"`},
		{`$formatNumber(0.14, '###pm', {'per-mille': 'pm'})`, `"140pm"`},
		{`$formatNumber(1234.5678, '00.000e0')`, `"12.346e2"`},
		{`$formatNumber(0.234, '0.0e0')`, `"2.3e-1"`},
		{`$formatNumber(0.234, '#.00e0')`, `"0.23e0"`},
		{`$formatNumber(0.123, '.00e0')`, `".12e0"`},
		{`$formatNumber(-6, '000')`, `"-006"`},
		{`$formatNumber(34.555, '#0.00;(#0.00)')`, `"34.56"`},
		{`$formatNumber(-34.555, '#0.00;(#0.00)')`, `"(34.56)"`},
		{`$formatNumber(1e20, '#,######')`, `"100,000000,000000,000000"`},
		{`$formatNumber(1234.5678, '#.##0,00', {'decimal-separator': ',', 'grouping-separator': '.'})`, `"1.234,57"`},
		{`$formatNumber(0.5, '#.00')`, `".50"`},
		{`$formatNumber(2.5, '0')`, `"2"`},
		{`$formatNumber(3.5, '0')`, `"4"`},
		{`$formatNumber(99.99, '0.0e0')`, `"1.0e2"`},
		{`$formatNumber(12, '#0 items')`, `"12 items"`},
		{`$formatInteger(2789, 'w')`, `"two thousand, seven hundred and eighty-nine"`},
		{`$formatInteger(1999, 'I')`, `"MCMXCIX"`},
		{`$formatInteger(14, 'i')`, `"xiv"`},
		{`$formatInteger(123, 'Ww')`, `"One Hundred and Twenty-Three"`},
		{`$formatInteger(21, 'w;o')`, `"twenty-first"`},
		{`$formatInteger(20, 'w;o')`, `"twentieth"`},
		{`$formatInteger(100, 'w;o')`, `"one hundredth"`},
		{`$formatInteger(1000000, 'W')`, `"ONE MILLION"`},
		{`$formatInteger(28, 'a')`, `"ab"`},
		{`$formatInteger(26, 'A')`, `"Z"`},
		{`$formatInteger(1234567, '#,##0')`, `"1,234,567"`},
		{`$formatInteger(7, '000')`, `"007"`},
		{`$formatInteger(11, '0;o')`, `"11th"`},
		{`$formatInteger(22, '0;o')`, `"22nd"`},
		{`$formatInteger(-42, '0')`, `"-42"`},
		{`$parseInteger('twelve thousand, four hundred and seventy-six', 'w')`, `12476`},
		{`$parseInteger('MCMXCIX', 'I')`, `1999`},
		{`$parseInteger('ab', 'a')`, `28`},
		{`$parseInteger('1,234,567', '#,##0')`, `1234567`},
		{`$parseInteger('22nd', '0;o')`, `22`},
		{`$parseInteger('twenty-first', 'w;o')`, `21`},
		{`$parseInteger($formatInteger(987654321, 'w'), 'w')`, `987654321`},
		{`$eval('[1,2,3]')`, `[1,2,3]`},
		{`$eval('$sum(a)', {"a": [1, 2]})`, `3`},
		{`$eval('$states.input.s & "!"')`, `"hi!"`},
		{`{"n": 4}.$eval('n * 2')`, `8`},
	}
	input := mustJSON(t, `{"s":"hi"}`)
	for _, tc := range tests {
		x, err := compileJSONata(tc.expr)
		if err != nil {
			t.Errorf("compile %s: %v", tc.expr, err)
			continue
		}
		sc := &jscope{vars: map[string]any{"states": map[string]any{"input": input}}, env: &env{input: input}}
		got, err := x.root.eval(nil, sc)
		if err != nil {
			t.Errorf("%s: %v", tc.expr, err)
			continue
		}
		if !jsonEqual(plain(got), mustJSON(t, tc.want)) {
			t.Errorf("%s = %s, want %s", tc.expr, encodeJSON(plain(got)), tc.want)
		}
	}
	for _, expr := range []string{
		`$formatNumber(1, '')`,
		`$formatNumber(1, '#;#;#')`,
		`$formatNumber("1", '#')`,
		`$formatNumber(1, '#', {'decimal-separator': 'ab'})`,
		`$formatInteger(1, 'x')`,
		`$parseInteger('XIZ', 'I')`,
		`$parseInteger('12a', '0')`,
		`$eval('1 +')`,
		`$eval('$error("boom")')`,
	} {
		x, err := compileJSONata(expr)
		if err != nil {
			t.Errorf("compile %s: %v", expr, err)
			continue
		}
		if v, err := x.root.eval(nil, &jscope{vars: map[string]any{}, env: &env{}}); err == nil {
			t.Errorf("%s = %v, want an error", expr, plain(v))
		}
	}
}

func FuzzFormatNumber(f *testing.F) {
	f.Add(1234.5678, "#,##0.00;(#)")
	f.Add(0.001, "0.0e0")
	f.Add(-1e300, "###%")
	f.Fuzz(func(t *testing.T, x float64, picture string) {
		// Must not panic; errors are fine.
		jformatNumber([]any{floatNumber(x), picture}, nil)
		jformatInteger([]any{floatNumber(x), picture}, nil)
		jparseInteger([]any{picture, picture}, nil)
	})
}
