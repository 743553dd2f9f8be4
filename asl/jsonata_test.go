package asl

import (
	"encoding/json"
	"testing"
	"time"
)

func TestJSONata(t *testing.T) {
	input := mustJSON(t, `{"a":{"b":[1,2,3]},"s":"Hello","items":[{"n":1,"k":"x"},{"n":5,"k":"y"}],"one":[7]}`)
	e := &env{input: input, ctx: map[string]any{"Execution": map[string]any{"Name": "ex"}}}
	tests := []struct{ expr, want string }{
		{`1 + 2 * 3`, `7`},
		{`(1 + 2) * 3`, `9`},
		{`10 / 4`, `2.5`},
		{`7 % 3`, `1`},
		{`-$states.input.a.b[0]`, `-1`},
		{`$states.input.a.b`, `[1,2,3]`},
		{`$states.input.a.b[1]`, `2`},
		{`$states.input.a.b[-1]`, `3`},
		{`$states.input.one`, `[7]`},
		{`$states.input.items.n`, `[1,5]`},
		{`$states.input.items[n > 2].k`, `"y"`},
		{`$states.input.s & " " & "World"`, `"Hello World"`},
		{`$states.input.s = "Hello" and 1 < 2`, `true`},
		{`$states.input.nope = 1 or false`, `false`},
		{`$states.input.s in ["a", "Hello"]`, `true`},
		{`$count($states.input.a.b) > 2 ? "many" : "few"`, `"many"`},
		{`$sum($states.input.a.b) + $max($states.input.a.b)`, `9`},
		{`{"k": $states.input.s, "n": [1, 2][0]}`, `{"k":"Hello","n":1}`},
		{`($x := 5; $y := $x * 2; $y + 1)`, `11`},
		{`$map([1, 2], function($v){ $v * 10 })`, `[10,20]`},
		{`$filter([1, 2, 3], function($v){ $v > 1 })`, `[2,3]`},
		{`$string({"a": 1})`, `"{\"a\":1}"`},
		{`$number("42")`, `42`},
		{`$uppercase($substring($states.input.s, 1, 3))`, `"ELL"`},
		{`$contains("hello$world", /^hello\$/)`, `true`},
		{`$split("a,b", ",")`, `["a","b"]`},
		{`$join(["a", "b"], "-")`, `"a-b"`},
		{`$merge([{"a": 1}, {"b": 2}])`, `{"a":1,"b":2}`},
		{`$partition([1, 2, 3], 2)`, `[[1,2],[3]]`},
		{`$range(0, 4, 2)`, `[0,2,4]`},
		{`$parse('{"x": [1]}')`, `{"x":[1]}`},
		{`$hash("input data", "SHA-1")`, `"aaff4a450a104cd177d28d18d74485e8cae074b7"`},
		{`$states.context.Execution.Name`, `"ex"`},
		{`$keys({"b": 1, "a": 2})`, `["a","b"]`},
		{`$not(true)`, `false`},
		{`$exists($states.input.zzz)`, `false`},
	}
	for _, tc := range tests {
		x, err := compileJSONata(tc.expr)
		if err != nil {
			t.Errorf("compile %s: %v", tc.expr, err)
			continue
		}
		sc := &jscope{vars: map[string]any{"states": map[string]any{"input": input, "context": e.ctx}}, env: e}
		got, err := x.root.eval(nil, sc)
		if err != nil {
			t.Errorf("%s: %v", tc.expr, err)
			continue
		}
		if !jsonEqual(plain(got), mustJSON(t, tc.want)) {
			t.Errorf("%s = %s, want %s", tc.expr, encodeJSON(plain(got)), tc.want)
		}
	}
}

func TestJSONataErrors(t *testing.T) {
	for _, expr := range []string{`1 +`, `"unterminated`, `(1; 2`, `{"a" 1}`, `$f(`, `/[/`, `function($x {1}`} {
		if _, err := compileJSONata(expr); err == nil {
			t.Errorf("compile %q succeeded, want error", expr)
		}
	}
	sc := &jscope{vars: map[string]any{}, env: &env{}}
	for _, expr := range []string{`"a" + 1`, `$undefinedFn(1)`, `{1: 2}`, `$number("x")`} {
		x, err := compileJSONata(expr)
		if err != nil {
			t.Fatalf("compile %s: %v", expr, err)
		}
		if v, err := x.root.eval(nil, sc); err == nil {
			t.Errorf("%s = %v, want error", expr, v)
		}
	}
}

func TestJSONataStates(t *testing.T) {
	def := `{"QueryLanguage":"JSONata","StartAt":"T","States":{
	  "T":{"Type":"Task","Resource":"arn:aws:states:::sns:publish",
	    "Arguments":{"Message":"{% 'key ' & $states.input.key %}"},
	    "Assign":{"msgId":"{% $states.result.MessageId %}"},
	    "Output":{"id":"{% $states.result.MessageId %}"},
	    "Catch":[{"ErrorEquals":["States.ALL"],"Output":{"err":"{% $states.errorOutput.Error %}"},"Next":"C"}],"Next":"C"},
	  "C":{"Type":"Choice","Choices":[{"Condition":"{% $exists($msgId) %}","Next":"OK"}],"Default":"Bad"},
	  "OK":{"Type":"Pass","Output":"{% $msgId %}","End":true},
	  "Bad":{"Type":"Fail","Error":"{% 'E' & $states.input.err %}"}}}`
	run, x := runMachine(t, def, `{"key":"AKIA"}`, ok(`{"MessageId":"m1"}`))
	if run.Status() != StatusSucceeded || string(run.Output()) != `"m1"` {
		t.Fatalf("status %s output %s", run.Status(), run.Output())
	}
	if string(x.tasks[0].Input) != `{"Message":"key AKIA"}` {
		t.Errorf("arguments %s", x.tasks[0].Input)
	}
	run, _ = runMachine(t, def, `{"key":"AKIA"}`, func(Action, int) Result { return Result{Error: "X"} })
	if e, _ := run.Error(); run.Status() != StatusFailed || e != "EX" {
		t.Errorf("caught path: status %s error %s", run.Status(), e)
	}
}

func TestJSONataMore(t *testing.T) {
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	e := &env{input: map[string]any{}, ctx: map[string]any{}, now: now}
	tests := []struct{ expr, want string }{
		{`$match("ababbabbcc", /a(b+)/)`, `[{"match":"ab","index":0,"groups":["b"]},{"match":"abb","index":2,"groups":["bb"]},{"match":"abb","index":5,"groups":["bb"]}]`},
		{`$match("ababbabbcc", /a(b+)/, 1)`, `{"match":"ab","index":0,"groups":["b"]}`},
		{`$exists($match("abc", /x/))`, `false`},
		{`$replace("John Smith and John Jones", "John", "Mr")`, `"Mr Smith and Mr Jones"`},
		{`$replace("John Smith and John Jones", "John", "Mr", 1)`, `"Mr Smith and John Jones"`},
		{`$replace("abracadabra", /a.*?a/, "*")`, `"*c*bra"`},
		{`$replace("John Smith", /(\w+)\s(\w+)/, "$2, $1")`, `"Smith, John"`},
		{`$replace("265USD", /([0-9]+)USD/, "$$$1")`, `"$265"`},
		{`$replace("a-b", "-", function($m){ "[" & $m.match & "]" })`, `"a[-]b"`},
		{`$split("a1b2c", /[0-9]/)`, `["a","b","c"]`},
		{`$split("a,b,c", ",")`, `["a","b","c"]`},
		{`$join(["a", "b", "c"], ", ")`, `"a, b, c"`},
		{`"hello" ~> $uppercase()`, `"HELLO"`},
		{`"  a  b " ~> $trim ~> $uppercase`, `"A B"`},
		{`"a,b" ~> $split(",") ~> $join("+")`, `"a+b"`},
		{`[1..5]`, `[1,2,3,4,5]`},
		{`[1..3, 7]`, `[1,2,3,7]`},
		{`[5..1]`, `[]`},
		{`$count([0..9])`, `10`},
		{`$now()`, `"2024-01-02T03:04:05.000Z"`},
		{`$millis()`, `1704164645000`},
		{`$fromMillis(1510067557121)`, `"2017-11-07T15:12:37.121Z"`},
		{`$fromMillis(1510067557121, "[M01]/[D01]/[Y0001] [h#1]:[m01][P]")`, `"11/07/2017 3:12pm"`},
		{`$fromMillis(1510067557121, "[Y0001]-[M01]-[D01]")`, `"2017-11-07"`},
		{`$fromMillis(1510067557121, "[H01]:[m01]:[s01] [z]", "-0500")`, `"10:12:37 GMT-05:00"`},
		{`$fromMillis(1510067557121, "[FNn], [D1o] [MNn] [Y]")`, `"Tuesday, 7th November 2017"`},
		{`$toMillis("2017-11-07T15:07:54.972Z")`, `1510067274972`},
		{`$toMillis("2017-11-07")`, `1510012800000`},
		{`$toMillis($now()) = $millis()`, `true`},
		{`$substringBefore("Hello World", " ")`, `"Hello"`},
		{`$substringAfter("Hello World", " ")`, `"World"`},
		{`$pad("foo", 5)`, `"foo  "`},
		{`$pad("foo", -5, "#")`, `"##foo"`},
		{`$base64encode("myuser:mypass")`, `"bXl1c2VyOm15cGFzcw=="`},
		{`$base64decode("bXl1c2VyOm15cGFzcw==")`, `"myuser:mypass"`},
		{`$encodeUrlComponent("a b&c")`, `"a+b%26c"`},
		{`$reduce([1..5], function($i, $j){ $i * $j })`, `120`},
		{`$reduce([1, 2], function($i, $j){ $i + $j }, 10)`, `13`},
		{`$zip([1, 2, 3], [4, 5, 6])`, `[[1,4],[2,5],[3,6]]`},
		{`$each({"a": 1, "b": 2}, function($v, $k){ $k & "=" & $v })`, `["a=1","b=2"]`},
		{`$sift({"a": 1, "b": 2}, function($v){ $v > 1 })`, `{"b":2}`},
		{`$spread({"a": 1, "b": 2})`, `[{"a":1},{"b":2}]`},
		{`$single([1, 2, 3], function($v){ $v = 2 })`, `2`},
		{`$formatBase(100, 2)`, `"1100100"`},
	}
	for _, tc := range tests {
		x, err := compileJSONata(tc.expr)
		if err != nil {
			t.Errorf("compile %s: %v", tc.expr, err)
			continue
		}
		sc := &jscope{vars: map[string]any{"states": map[string]any{"input": e.input, "context": e.ctx}}, env: e}
		got, err := x.root.eval(nil, sc)
		if err != nil {
			t.Errorf("%s: %v", tc.expr, err)
			continue
		}
		if !jsonEqual(plain(got), mustJSON(t, tc.want)) {
			t.Errorf("%s = %s, want %s", tc.expr, encodeJSON(plain(got)), tc.want)
		}
	}
	for _, expr := range []string{`[1..1.5]`, `[0..100000000]`, `$single([1, 2])`, `$error("boom")`, `$assert(false, "no")`, `$toMillis("yesterday")`, `$fromMillis(0, "[W]")`} {
		x, err := compileJSONata(expr)
		if err != nil {
			t.Fatalf("compile %s: %v", expr, err)
		}
		sc := &jscope{vars: map[string]any{}, env: e}
		if v, err := x.root.eval(nil, sc); err == nil {
			t.Errorf("%s = %v, want error", expr, v)
		}
	}
}

func TestJSONataTaskToken(t *testing.T) {
	def := `{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sns:publish.waitForTaskToken",
	  "Arguments":{"Message":"{% $states.context.Task.Token %}"},"End":true}}}`
	m, err := Parse([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	_, _, acts, err := Start(m, testCtx(), json.RawMessage(`{}`), t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(acts) != 1 || acts[0].TaskToken == "" || string(acts[0].Input) != `{"Message":"`+acts[0].TaskToken+`"}` {
		t.Fatalf("actions %+v", acts)
	}
}
