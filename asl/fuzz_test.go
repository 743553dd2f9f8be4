package asl

import (
	"encoding/json"
	"testing"
)

// FuzzParse: Parse must never panic, and a definition it accepts must
// start and run Pass/Choice-only parts without panicking either.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		awsSDKMachine,
		`{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`,
		`{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"And":[{"Variable":"$.a","IsPresent":true}],"Next":"S"}],"Default":"S"},"S":{"Type":"Succeed"}}}`,
		`{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"X","States":{"X":{"Type":"Wait","Seconds":1,"End":true}}}],"End":true}}}`,
		`{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"X","States":{"X":{"Type":"Fail"}}},"End":true}}}`,
		`{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"a.$":"States.Format('{}', $.x)"},"Next":"A"}}}`,
		`[]`, `{"StartAt":1}`, `{`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, def []byte) {
		m, err := Parse(def)
		if err != nil {
			if _, ok := err.(*DefinitionError); !ok {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		run, _, acts, err := Start(m, testCtx(), json.RawMessage(`{"a":[1,{"b":"c"}],"x":"y"}`), t0)
		if err != nil {
			return
		}
		for i := 0; i < 20 && len(acts) > 0 && run.Status() == StatusRunning; i++ {
			_, more, _ := run.Complete(m, acts[0].ID, Result{Output: json.RawMessage(`{"ok":true}`)}, t0)
			acts = append(acts[1:], more...)
		}
	})
}

// FuzzExpression: JSONPath and intrinsic parsing and evaluation never
// panic.
func FuzzExpression(f *testing.F) {
	for _, s := range []string{
		"$", "$.a.b[0]", "$['x y'][*]", "$..c", "$.a[?(@.b > 1 && @.c == 'x')]", "$.a[1:3]", "$$.Execution.Id", "$v.x",
		"$.a.length()", "States.Format('{} {}', $.a, 'b')", "States.ArrayRange(1, 10, 2)",
		"States.JsonMerge(States.StringToJson($.s), $.o, false)", "States.Hash($.s, 'SHA-1')", "States.MathRandom(1, 5, 3)",
		"$states.input.a[b > 1].c", "($x := 1; $map([1,2], function($v){$v + $x}))", "$sum($states.input.a.b) & 'x'",
		`$replace($states.input.s, /k(")/, "$1$$")`, `[1..3, 5] ~> $join(",")`, `$fromMillis(86400000, "[Y0001]-[M01]-[D01] [FNn] [h]:[m01][P] [Z]")`,
		`$match("abab", /(a)(b)?/, 1).groups`, `$reduce([1..4], function($a, $b){ $a * $b })`, `$toMillis("2020-01-01T00:00:00Z") ~> $fromMillis()`,
	} {
		f.Add(s)
	}
	input := mustJSON(f, `{"a":[{"b":2,"c":"x"},{"b":0}],"s":"{\"k\":1}","o":{"z":1},"x y":[1]}`)
	e := &env{input: input, ctx: map[string]any{}, vars: func(string) (any, bool) { return input, true },
		rnd: func(_ *int64, n int64) int64 { return 0 }}
	f.Fuzz(func(t *testing.T, expr string) {
		if p, err := parsePath(expr); err == nil {
			e.lookup(p)
			p.normalized()
		}
		if c, err := parseIntrinsic(expr); err == nil {
			c.eval(e)
		}
		if fe, err := parseFilter(expr); err == nil {
			fe.test(input, input)
		}
		if j, err := compileJSONata(expr); err == nil {
			sc := &jscope{vars: map[string]any{"states": map[string]any{"input": input}}, env: e}
			j.root.eval(nil, sc)
		}
	})
}
