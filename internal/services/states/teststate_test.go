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
