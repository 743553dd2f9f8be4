package asl

import (
	"encoding/json"
	"testing"
)

func TestTestState(t *testing.T) {
	lambdaOK := func(a Action) Result { return Result{Output: json.RawMessage(`"HelloWorld!"`)} }
	boom := func(a Action) Result { return Result{Error: "Boom", Cause: "it broke"} }
	tests := []struct {
		name, def, state, input string
		call                    func(Action) Result
		status, output, next    string
		errName                 string
		insp                    map[string]string // field -> JSON text
	}{
		{name: "pass", def: `{"Type":"Pass","Next":"N"}`, input: `{"v":1}`, status: TestSucceeded, output: `{"v":1}`, next: "N",
			insp: map[string]string{"input": `{"v":1}`, "afterInputPath": `{"v":1}`, "afterParameters": `{"v":1}`, "afterResultSelector": `{"v":1}`, "afterResultPath": `{"v":1}`}},
		{name: "pass result", def: `{"Type":"Pass","Result":{"r":2},"End":true}`, input: `{"v":1}`, status: TestSucceeded, output: `{"r":2}`,
			insp: map[string]string{"input": `{"v":1}`, "result": `{"r":2}`, "afterResultSelector": `{"r":2}`, "afterResultPath": `{"r":2}`}},
		{name: "pass io", def: `{"Type":"Pass","InputPath":"$.a","Parameters":{"x.$":"$.b"},"ResultPath":"$.out","End":true}`, input: `{"a":{"b":3},"c":4}`,
			status: TestSucceeded, output: `{"a":{"b":3},"c":4,"out":{"x":3}}`,
			insp: map[string]string{"afterInputPath": `{"b":3}`, "afterParameters": `{"x":3}`, "afterResultPath": `{"a":{"b":3},"c":4,"out":{"x":3}}`}},
		{name: "fail", def: `{"Type":"Fail","Error":"SomeFailure","Cause":"because"}`, input: `{}`, status: TestFailed, errName: "SomeFailure",
			insp: map[string]string{"input": `{}`, "afterInputPath": `{}`}},
		{name: "choice", def: `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.v","NumericGreaterThan":20,"Next":"Big"}],"Default":"Small"},
		  "Big":{"Type":"Succeed"},"Small":{"Type":"Succeed"}}}`, state: "C", input: `{"v":22}`, status: TestSucceeded, output: `{"v":22}`, next: "Big"},
		{name: "wait does not wait", def: `{"Type":"Wait","Seconds":3600,"Next":"N"}`, input: `{}`, status: TestSucceeded, output: `{}`, next: "N"},
		{name: "task", def: `{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:000000000000:function:f","End":true}`, input: `{"in":1}`, call: lambdaOK,
			status: TestSucceeded, output: `"HelloWorld!"`, insp: map[string]string{"result": `"HelloWorld!"`, "afterResultPath": `"HelloWorld!"`, "afterParameters": `{"in":1}`}},
		{name: "task caught", def: `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f"},
		  "Catch":[{"ErrorEquals":["Other"],"Next":"X"},{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"Handle"}],"End":true}`,
			input: `{"a":1}`, call: boom, status: TestCaughtError, errName: "Boom", next: "Handle", output: `{"a":1,"err":{"Cause":"it broke","Error":"Boom"}}`},
		{name: "task retriable", def: `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f"},
		  "Retry":[{"ErrorEquals":["Boom"],"IntervalSeconds":4}],"End":true}`, input: `{}`, call: boom, status: TestRetriable, errName: "Boom"},
		{name: "task failed", def: `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f"},"End":true}`,
			input: `{}`, call: boom, status: TestFailed, errName: "Boom"},
		{name: "jsonata", def: `{"Type":"Pass","QueryLanguage":"JSONata","Output":"{% $states.input.n + $k %}","End":true}`, input: `{"n":1}`,
			status: TestSucceeded, output: `11`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, name, err := ParseState([]byte(tc.def), tc.state)
			if err != nil {
				t.Fatal(err)
			}
			res, err := TestState(m, name, TestInput{Input: json.RawMessage(tc.input), Context: testCtx(), Now: t0, Call: tc.call,
				Variables: map[string]json.RawMessage{"k": json.RawMessage(`10`)}})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tc.status || res.NextState != tc.next || res.Error != tc.errName {
				t.Errorf("status %s next %q error %q (%s), want %s %q %q", res.Status, res.NextState, res.Error, res.Cause, tc.status, tc.next, tc.errName)
			}
			if tc.output != "" && string(res.Output) != tc.output {
				t.Errorf("output %s, want %s", res.Output, tc.output)
			}
			got := map[string]json.RawMessage{"input": res.Inspection.Input, "afterInputPath": res.Inspection.AfterInputPath,
				"afterParameters": res.Inspection.AfterParameters, "result": res.Inspection.Result,
				"afterResultSelector": res.Inspection.AfterResultSelector, "afterResultPath": res.Inspection.AfterResultPath}
			for k, want := range tc.insp {
				if string(got[k]) != want {
					t.Errorf("inspection %s = %s, want %s", k, got[k], want)
				}
			}
		})
	}
	m, name, _ := ParseState([]byte(`{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Retry":[{"ErrorEquals":["Boom"],"IntervalSeconds":4}],"Catch":[{"ErrorEquals":["States.ALL"],"Next":"H"}],"End":true}`), "")
	res, _ := TestState(m, name, TestInput{Call: boom, Now: t0})
	if res.Inspection.RetryIndex != 0 || res.Inspection.RetryBackoffSeconds != 4 || res.Inspection.CatchIndex != -1 {
		t.Errorf("retry details %+v", res.Inspection)
	}
	for _, def := range []string{`{"Type":"Parallel","Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}],"End":true}`,
		`{"Type":"Task","Resource":"arn:aws:states:::sns:publish.waitForTaskToken","End":true}`} {
		m, name, err := ParseState([]byte(def), "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := TestState(m, name, TestInput{}); err == nil {
			t.Errorf("%s: want unsupported", def)
		}
	}
	if _, _, err := ParseState([]byte(`{"Type":"Nope"}`), ""); err == nil {
		t.Errorf("invalid state accepted")
	}
}
