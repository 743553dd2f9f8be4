package states

import (
	"context"
	"encoding/json"
	"testing"
)

func TestTestStateOperation(t *testing.T) {
	var calls []string
	inv := invokeFunc(func(ctx context.Context, service, action string, input json.RawMessage) (json.RawMessage, error) {
		calls = append(calls, service+"."+action+" "+string(input))
		return json.RawMessage(`{"UserId":"u"}`), nil
	})
	in := newInstance(t, inv)
	task := `{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:sts:getCallerIdentity","Parameters":{"x.$":"$.a"},"ResultSelector":{"id.$":"$.UserId"},"ResultPath":"$.r","Next":"N"}`
	out := in.must(t, "TestState", map[string]any{"definition": task, "roleArn": testRole, "input": `{"a":1}`, "inspectionLevel": "DEBUG"})
	insp, _ := out["inspectionData"].(map[string]any)
	if out["status"] != "SUCCEEDED" || out["output"] != `{"a":1,"r":{"id":"u"}}` || out["nextState"] != "N" ||
		insp["afterParameters"] != `{"x":1}` || insp["result"] != `{"UserId":"u"}` || insp["afterResultSelector"] != `{"id":"u"}` || insp["input"] != `{"a":1}` {
		t.Errorf("task: %v", out)
	}
	if len(calls) != 1 || calls[0] != `sts.GetCallerIdentity {"x":1}` {
		t.Errorf("calls %v", calls)
	}
	out = in.must(t, "TestState", map[string]any{"definition": `{"Type":"Pass","Result":1,"End":true}`, "input": `{}`})
	if out["status"] != "SUCCEEDED" || out["output"] != "1" || out["inspectionData"] != nil {
		t.Errorf("INFO pass: %v", out)
	}
	machine := `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.v","BooleanEquals":true,"Next":"Y"}],"Default":"N"},
	  "Y":{"Type":"Succeed"},"N":{"Type":"Fail","Error":"No"}}}`
	out = in.must(t, "TestState", map[string]any{"definition": machine, "stateName": "C", "input": `{"v":true}`})
	if out["nextState"] != "Y" {
		t.Errorf("choice: %v", out)
	}
	out = in.must(t, "TestState", map[string]any{"definition": machine, "stateName": "N", "input": `{}`})
	if out["status"] != "FAILED" || out["error"] != "No" {
		t.Errorf("fail: %v", out)
	}
	for _, tc := range []struct {
		input map[string]any
		code  string
	}{
		{map[string]any{"definition": task}, "ValidationException"},
		{map[string]any{"definition": `{"Type":"Nope"}`}, "InvalidDefinition"},
		{map[string]any{"definition": `{"Type":"Task","Resource":"arn:aws:states:::dynamodb:putItem","End":true}`, "roleArn": testRole}, "InvalidDefinition"},
		{map[string]any{"definition": `{"Type":"Pass","End":true}`, "mock": map[string]any{"result": "{}"}}, "ValidationException"},
		{map[string]any{"definition": `{"Type":"Pass","End":true}`, "inspectionLevel": "LOUD"}, "ValidationException"},
	} {
		if _, e := in.call(t, "TestState", tc.input); e == nil || e.Code != tc.code {
			t.Errorf("%v: %v, want %s", tc.input, e, tc.code)
		}
	}
}

func TestTestStateMock(t *testing.T) {
	in := newInstance(t, noInvoker()) // a mocked task calls nothing
	retrying := `{"Type":"Task","Resource":"arn:aws:states:::dynamodb:putItem.waitForTaskToken","Parameters":{"token.$":"$$.Task.Token"},
	  "Retry":[{"ErrorEquals":["Busy"],"IntervalSeconds":2,"BackoffRate":3,"MaxAttempts":2}],
	  "Catch":[{"ErrorEquals":["States.ALL"],"Next":"Recover"}],"End":true}`
	for _, tc := range []struct {
		name  string
		input map[string]any
		want  map[string]any
		insp  map[string]any
	}{
		{"result", map[string]any{"mock": map[string]any{"result": `{"ok":1}`}, "input": `{}`},
			map[string]any{"status": "SUCCEEDED", "output": `{"ok":1}`}, nil},
		{"first retry", map[string]any{"mock": map[string]any{"errorOutput": map[string]any{"error": "Busy", "cause": "try later"}}, "inspectionLevel": "DEBUG"},
			map[string]any{"status": "RETRIABLE", "error": "Busy", "cause": "try later"},
			map[string]any{"retryIndex": 0.0, "retryBackoffIntervalSeconds": 2.0}},
		{"second retry", map[string]any{"mock": map[string]any{"errorOutput": map[string]any{"error": "Busy"}}, "inspectionLevel": "DEBUG",
			"stateConfiguration": map[string]any{"retrierRetryCount": 1}},
			map[string]any{"status": "RETRIABLE", "error": "Busy"},
			map[string]any{"retryIndex": 0.0, "retryBackoffIntervalSeconds": 6.0}},
		{"retries spent", map[string]any{"mock": map[string]any{"errorOutput": map[string]any{"error": "Busy"}}, "inspectionLevel": "DEBUG",
			"stateConfiguration": map[string]any{"retrierRetryCount": 2}},
			map[string]any{"status": "CAUGHT_ERROR", "error": "Busy", "nextState": "Recover"},
			map[string]any{"catchIndex": 0.0}},
	} {
		req := map[string]any{"definition": retrying}
		for k, v := range tc.input {
			req[k] = v
		}
		out := in.must(t, "TestState", req)
		for k, v := range tc.want {
			if out[k] != v {
				t.Errorf("%s: %s = %v, want %v (%v)", tc.name, k, out[k], v, out)
			}
		}
		if tc.insp != nil {
			insp, _ := out["inspectionData"].(map[string]any)
			details, _ := insp["errorDetails"].(map[string]any)
			for k, v := range tc.insp {
				if details[k] != v {
					t.Errorf("%s: errorDetails.%s = %v, want %v (%v)", tc.name, k, details[k], v, details)
				}
			}
		}
	}

	// The context object a mocked state sees can be given.
	pass := `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"name.$":"$$.Execution.Name","state.$":"$$.State.Name"},
	  "ResultPath":null,"OutputPath":"$","End":true}`
	out := in.must(t, "TestState", map[string]any{"definition": pass, "mock": map[string]any{"result": `{}`}, "inspectionLevel": "DEBUG",
		"context": `{"Execution":{"Name":"given"}}`})
	insp, _ := out["inspectionData"].(map[string]any)
	if insp["afterParameters"] != `{"name":"given","state":"State"}` {
		t.Errorf("context: %v", out)
	}

	// Numbers in it are numbers to the intrinsic functions.
	sum := `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"n.$":"States.MathAdd($$.Execution.N, 1)"},
	  "ResultPath":null,"End":true}`
	out = in.must(t, "TestState", map[string]any{"definition": sum, "mock": map[string]any{"result": `{}`}, "inspectionLevel": "DEBUG",
		"context": `{"Execution":{"N":3}}`})
	insp, _ = out["inspectionData"].(map[string]any)
	if insp["afterParameters"] != `{"n":4}` {
		t.Errorf("numeric context: %v", out)
	}

	for _, tc := range []map[string]any{
		{"definition": pass, "context": `{}`},
		{"definition": pass, "mock": map[string]any{"result": `{}`, "errorOutput": map[string]any{"error": "E"}}},
		{"definition": pass, "mock": map[string]any{}},
		{"definition": pass, "mock": map[string]any{"result": `{`}},
		{"definition": pass, "mock": map[string]any{"errorOutput": map[string]any{"cause": "no error"}}},
		{"definition": pass, "mock": map[string]any{"result": `{}`, "fieldValidationMode": "LAX"}},
		{"definition": pass, "mock": map[string]any{"result": `{}`}, "context": `[1]`},
		{"definition": pass, "mock": map[string]any{"result": `{}`}, "stateConfiguration": map[string]any{"mapIterationFailureCount": 1}},
	} {
		if _, e := in.call(t, "TestState", tc); e == nil || e.Code != "ValidationException" {
			t.Errorf("%v: %v, want ValidationException", tc, e)
		}
	}
}
