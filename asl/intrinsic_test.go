package asl

import (
	"strings"
	"testing"
)

func TestIntrinsics(t *testing.T) {
	input := mustJSON(t, `{"name":"bob","n":3,"arr":[1,2,2,3],"obj":{"a":1},"s":"a,b;c","txt":"{\"k\":[1]}"}`)
	e := &env{input: input, ctx: mustJSON(t, `{"Execution":{"Name":"ex1"}}`),
		vars: func(n string) (any, bool) {
			if n == "v" {
				return mustJSON(t, `{"x":"y"}`), true
			}
			return nil, false
		},
		rnd: func(seed *int64, n int64) int64 { return n - 1 }, uuidf: func() string { return "u-u-i-d" }}
	tests := []struct {
		expr, want string
	}{
		{`States.Format('Hello {}, you have {} items', $.name, $.n)`, `"Hello bob, you have 3 items"`},
		{`States.Format('obj {} arr {} null {}', $.obj, $.arr, $.missing2)`, ``},
		{`States.Format('esc \{\} {}', 'x')`, `"esc {} x"`},
		{`States.Format('{}', $$.Execution.Name)`, `"ex1"`},
		{`States.Format('{}', $v.x)`, `"y"`},
		{`States.StringToJson($.txt)`, `{"k":[1]}`},
		{`States.JsonToString($.obj)`, `"{\"a\":1}"`},
		{`States.Array(1, 'two', true, null, $.n)`, `[1,"two",true,null,3]`},
		{`States.ArrayPartition($.arr, 3)`, `[[1,2,2],[3]]`},
		{`States.ArrayContains($.arr, 2)`, `true`},
		{`States.ArrayContains($.arr, 7)`, `false`},
		{`States.ArrayRange(1, 9, 2)`, `[1,3,5,7,9]`},
		{`States.ArrayRange(5, 1, -2)`, `[5,3,1]`},
		{`States.ArrayGetItem($.arr, 3)`, `3`},
		{`States.ArrayLength($.arr)`, `4`},
		{`States.ArrayUnique($.arr)`, `[1,2,3]`},
		{`States.Base64Encode('Data to encode')`, `"RGF0YSB0byBlbmNvZGU="`},
		{`States.Base64Decode('RGF0YSB0byBlbmNvZGU=')`, `"Data to encode"`},
		{`States.Hash('input data', 'SHA-256')`, `"b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3"`},
		{`States.JsonMerge($.obj, States.StringToJson('{"b":2,"a":5}'), false)`, `{"a":5,"b":2}`},
		{`States.MathRandom(1, 10)`, `9`},
		{`States.MathAdd(1.5, -0.5)`, `2`},
		{`States.MathAdd($.n, -1)`, `2`},
		{`States.StringSplit($.s, ',;')`, `["a","b","c"]`},
		{`States.UUID()`, `"u-u-i-d"`},
		{`States.ArrayGetItem(States.StringSplit($.s, ','), States.MathAdd(0, 1))`, `"b;c"`},
	}
	for _, tc := range tests {
		c, err := parseIntrinsic(tc.expr)
		if err != nil {
			t.Errorf("parse %s: %v", tc.expr, err)
			continue
		}
		got, err := c.eval(e)
		if tc.want == "" {
			if err == nil {
				t.Errorf("%s: want error (missing path), got %s", tc.expr, encodeJSON(got))
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.expr, err)
			continue
		}
		if !jsonEqual(got, mustJSON(t, tc.want)) {
			t.Errorf("%s = %s, want %s", tc.expr, encodeJSON(got), tc.want)
		}
	}
}

func TestIntrinsicFormatObjects(t *testing.T) {
	got, err := fnFormat([]any{"{} {}", mustJSON(t, `{"Arg1":1,"Arg2":[]}`), mustJSON(t, `[1,"a"]`)})
	if err != nil || got != "{Arg1=1, Arg2=[]} [1, a]" {
		t.Errorf("Format = %v, %v", got, err)
	}
}

func TestIntrinsicErrors(t *testing.T) {
	e := &env{input: mustJSON(t, `{"arr":[1],"s":"x"}`)}
	for _, expr := range []string{
		`States.ArrayGetItem($.arr, 5)`,
		`States.ArrayPartition($.arr, 0)`,
		`States.ArrayRange(1, 5000, 1)`,
		`States.Format('{} {}', 'a')`,
		`States.Format('{}', 'a', 'b')`,
		`States.StringToJson('{bad')`,
		`States.Base64Decode('!!!')`,
		`States.Hash('x', 'CRC32')`,
		`States.JsonMerge($.arr, $.arr, false)`,
		`States.MathAdd($.s, 1)`,
		`States.ArrayLength($.s)`,
	} {
		c, err := parseIntrinsic(expr)
		if err != nil {
			t.Errorf("parse %s: %v", expr, err)
			continue
		}
		if v, err := c.eval(e); err == nil {
			t.Errorf("%s = %s, want error", expr, encodeJSON(v))
		}
	}
}

func TestIntrinsicParseErrors(t *testing.T) {
	for _, expr := range []string{
		`States.Nope(1)`, `States.Format(`, `States.Format('a'`, `States.Array(1,)`, `States.UUID(1)`,
		`States.Format('unterminated)`, `States.ArrayLength(foo)`, `States.Array() extra`,
		strings.Repeat("States.Array(", 60) + strings.Repeat(")", 60),
	} {
		if _, err := parseIntrinsic(expr); err == nil {
			t.Errorf("parseIntrinsic(%q) succeeded, want error", expr)
		}
	}
}
