package events

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// ec2Event is the example event of AWS's input transformation guide.
const ec2Event = `{"version":"0","id":"7bf73129-1428-4cd3-a780-95db273d1602","detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","account":"123456789012","time":"2015-11-11T21:29:54Z","region":"us-east-1","resources":["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],"detail":{"instance-id":"i-0123456789","state":"RUNNING","count":3,"tags":{"a":"b"},"list":[{"k":1},{"k":2}],"quote":"say \"hi\""}}`

var ec2Paths = map[string]string{
	"timestamp": "$.time",
	"instance":  "$.detail.instance-id",
	"state":     "$.detail.state",
	"count":     "$.detail.count",
	"tags":      "$.detail.tags",
	"ks":        "$.detail.list[*].k",
	"first":     "$.detail.list[0]",
	"quote":     "$.detail.quote",
	"missing":   "$.detail.nope",
}

func TestInputTransformer(t *testing.T) {
	dv := deliveryVars{RuleARN: "arn:aws:events:us-east-2:123456789012:rule/example", RuleName: "example",
		Ingested: time.Date(2015, 11, 11, 21, 29, 55, 0, time.UTC)}
	tests := []struct {
		name, template, want string
	}{
		{"simple string", `"instance <instance> is in <state>"`, `"instance i-0123456789 is in RUNNING"`},
		{"string with escaped quotes", `"instance \"<instance>\" is in <state>"`, `"instance \"i-0123456789\" is in RUNNING"`},
		{"simple JSON", `{"instance" : <instance>, "state": <state>}`, `{"instance":"i-0123456789","state":"RUNNING"}`},
		{"JSON with strings and variables", `{"instance" : <instance>, "state": "<state>", "instanceStatus": "instance \"<instance>\" is in <state>"}`,
			`{"instance":"i-0123456789","state":"RUNNING","instanceStatus":"instance \"i-0123456789\" is in RUNNING"}`},
		{"mix of variables and static", `{"instance" : <instance>, "state": [ 9, <state>, true ], "Transformed" : "Yes"}`,
			`{"instance":"i-0123456789","state":[9,"RUNNING",true],"Transformed":"Yes"}`},
		{"reserved variables", `{"ruleArn" : <aws.events.rule-arn>, "ruleName" : <aws.events.rule-name>, "at": <aws.events.event.ingestion-time>}`,
			`{"ruleArn":"arn:aws:events:us-east-2:123456789012:rule/example","ruleName":"example","at":"2015-11-11T21:29:55Z"}`},
		{"reserved variable in a string", `"<aws.events.rule-name> triggered"`, `"example triggered"`},
		{"numbers stay numbers", `{"n": <count>, "s": "<count> items"}`, `{"n":3,"s":"3 items"}`},
		{"object as value", `{"tags": <tags>}`, `{"tags":{"a":"b"}}`},
		{"object inside a string loses its quotes", `{"m": "tags are <tags>"}`, `{"m":"tags are {a:b}"}`},
		{"wildcard path gives an array", `{"ks": <ks>, "first": <first>}`, `{"ks":[1,2],"first":{"k":1}}`},
		{"quotes in a value are escaped inside JSON strings", `{"q": "<quote>", "v": <quote>}`, `{"q":"say \"hi\"","v":"say \"hi\""}`},
		{"missing variable", `{"m": <missing>, "s": "[<missing>]"}`, `{"m":null,"s":"[]"}`},
		{"missing variable in text", `state: <state><missing>!`, `state: RUNNING!`},
		{"text keeps quotes raw", `<quote> and <tags>`, `say "hi" and {"a":"b"}`},
		{"unknown placeholders stay in text", `a <b> c <state>`, `a <b> c RUNNING`},
		{"unknown placeholders stay inside JSON strings", `{"html": "<br> <state>"}`, `{"html":"<br> RUNNING"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			it := &InputTransformer{InputPathsMap: ec2Paths, InputTemplate: tc.template}
			if err := checkTemplate(tc.template, ec2Paths); err != nil {
				t.Fatalf("checkTemplate: %v", err)
			}
			got, err := renderTransformer(it, json.RawMessage(ec2Event), dv)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestPredefinedEventVariables(t *testing.T) {
	it := &InputTransformer{InputTemplate: `{"e": <aws.events.event>, "full": <aws.events.event.json>}`}
	got, err := renderTransformer(it, json.RawMessage(ec2Event), deliveryVars{})
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ E, Full map[string]any }
	if err := json.Unmarshal(got, &out); err != nil {
		t.Fatal(err)
	}
	if _, ok := out.E["detail"]; ok || out.E["source"] != "aws.ec2" {
		t.Errorf("aws.events.event = %v, want the event without detail", out.E)
	}
	if _, ok := out.Full["detail"]; !ok {
		t.Errorf("aws.events.event.json lacks detail: %v", out.Full)
	}
}

func TestCheckTemplate(t *testing.T) {
	paths := map[string]string{"a": "$.source"}
	tests := []struct {
		template string
		ok       bool
	}{
		{`{"x": <a>}`, true},
		{`{"x": "<a>"}`, true},
		{`[<a>, 1]`, true},
		{`plain <a> text`, true},
		{`{<a>: 1}`, false},
		{`{"x": <b>}`, false},
		{`{"x": <a>`, false},
		{`{"x": <a> <a>}`, false},
	}
	for _, tc := range tests {
		if err := checkTemplate(tc.template, paths); (err == nil) != tc.ok {
			t.Errorf("checkTemplate(%s) = %v, want ok=%v", tc.template, err, tc.ok)
		}
	}
}

func TestTargetPayload(t *testing.T) {
	in, path := `{"fixed":true}`, "$.detail"
	missing := "$.nope"
	tests := []struct {
		name   string
		target Target
		want   string
	}{
		{"whole event", Target{}, ec2Event},
		{"input", Target{Input: &in}, in},
		{"input path", Target{InputPath: &path}, `{"instance-id":"i-0123456789","state":"RUNNING","count":3,"tags":{"a":"b"},"list":[{"k":1},{"k":2}],"quote":"say \"hi\""}`},
		{"input path missing", Target{InputPath: &missing}, `null`},
	}
	for _, tc := range tests {
		got, err := targetPayload(&tc.target, json.RawMessage(ec2Event), deliveryVars{})
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestJSONPath(t *testing.T) {
	doc := json.RawMessage(`{"a":{"b-c":[10,{"d":"x"},[1,2]],"e/f":1.50},"a2":null,"dup":1,"dup":2}`)
	tests := []struct {
		path, want string
	}{
		{"$", string(doc)},
		{"$.a.b-c[0]", "10"},
		{"$.a.b-c[1].d", `"x"`},
		{"$.a.b-c[2][1]", "2"},
		{"$.a.b-c[3]", ""},
		{"$.a.e/f", "1.50"},
		{"$.a2", "null"},
		{"$.a.b-c[*]", `[10,{"d":"x"},[1,2]]`},
		{"$.a.*", `[[10,{"d":"x"},[1,2]],1.50]`},
		{"$.nope[*]", ""},
		{"$.dup", "2"},
		{"$.a.b-c.d", ""},
	}
	for _, tc := range tests {
		jp, err := parseJSONPath(tc.path)
		if err != nil {
			t.Errorf("parse %s: %v", tc.path, err)
			continue
		}
		if got := string(jp.eval(doc)); got != tc.want {
			t.Errorf("%s = %s, want %s", tc.path, got, tc.want)
		}
	}
	for _, bad := range []string{"", "a.b", "$.", "$..a", "$[x]", "$[-1]", "$[1", "$a"} {
		if _, err := parseJSONPath(bad); err == nil {
			t.Errorf("parseJSONPath(%q) accepted", bad)
		}
	}
}

// FuzzInputTransformer checks that rendering never panics and that a JSON
// template that passes checkTemplate renders valid JSON for any event.
func FuzzInputTransformer(f *testing.F) {
	f.Add(`{"a": <s>, "b": "<s> and <n>", "c": <aws.events.event>}`, `{"detail":{"s":"x\"y","n":{"k":[1]}}}`)
	f.Add(`"<s> is <n>"`, `{"detail":{"s":1}}`)
	f.Add(`[<n>]`, `{}`)
	f.Fuzz(func(t *testing.T, template, detail string) {
		paths := map[string]string{"s": "$.detail.s", "n": "$.detail.n", "w": "$.detail[*]"}
		event := json.RawMessage(detail)
		if !json.Valid(event) {
			event = json.RawMessage(`{}`)
		}
		it := &InputTransformer{InputPathsMap: paths, InputTemplate: template}
		out, err := renderTransformer(it, event, deliveryVars{RuleName: "r<\"'>"})
		if checkTemplate(template, paths) != nil || !isJSONTemplate(template) {
			return
		}
		if err != nil {
			t.Fatalf("valid template %q failed on %s: %v", template, event, err)
		}
		if !json.Valid(out) {
			t.Fatalf("template %q rendered invalid JSON %s", template, out)
		}
	})
}

func FuzzJSONPath(f *testing.F) {
	f.Add("$.a.b[0]", `{"a":{"b":[1]}}`)
	f.Add("$.*[*]", `{"a":[1,2],"b":{"c":3}}`)
	f.Fuzz(func(t *testing.T, path, doc string) {
		jp, err := parseJSONPath(path)
		if err != nil {
			return
		}
		v := jp.eval(json.RawMessage(doc))
		if v != nil && json.Valid([]byte(doc)) && !json.Valid(v) {
			t.Fatalf("%s on %s gave invalid JSON %s", path, doc, v)
		}
		if v != nil && jp.wildcard && !strings.HasPrefix(string(v), "[") {
			t.Fatalf("wildcard result is not an array: %s", v)
		}
	})
}
