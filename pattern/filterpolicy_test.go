package pattern

import (
	"errors"
	"testing"
)

// Cases follow the SNS developer guide: "Subscription filter policies",
// "Filter policy constraints", "String value matching", "Numeric value
// matching", "Key matching", "AND/OR logic".
func TestFilterPolicyAttributes(t *testing.T) {
	str := func(v string) MessageAttribute { return MessageAttribute{DataType: "String", StringValue: v} }
	num := func(v string) MessageAttribute { return MessageAttribute{DataType: "Number", StringValue: v} }
	arr := func(v string) MessageAttribute { return MessageAttribute{DataType: "String.Array", StringValue: v} }
	cases := []struct {
		name   string
		policy string
		attrs  map[string]MessageAttribute
		want   bool
	}{
		{"exact", `{"customer_interests": ["rugby", "tennis"]}`, map[string]MessageAttribute{"customer_interests": str("rugby")}, true},
		{"exact miss", `{"customer_interests": ["rugby", "tennis"]}`, map[string]MessageAttribute{"customer_interests": str("baseball")}, false},
		{"string array", `{"customer_interests": ["rugby"]}`, map[string]MessageAttribute{"customer_interests": arr(`["rugby", "tennis"]`)}, true},
		{"string array miss", `{"customer_interests": ["rugby"]}`, map[string]MessageAttribute{"customer_interests": arr(`["baseball"]`)}, false},
		{"anything-but", `{"customer_interests": [{"anything-but": ["rugby", "tennis"]}]}`, map[string]MessageAttribute{"customer_interests": str("baseball")}, true},
		{"anything-but excluded", `{"customer_interests": [{"anything-but": ["rugby", "tennis"]}]}`, map[string]MessageAttribute{"customer_interests": str("rugby")}, false},
		{"anything-but prefix", `{"event_type": [{"anything-but": {"prefix": "order-"}}]}`, map[string]MessageAttribute{"event_type": str("product-view")}, true},
		{"prefix", `{"customer_interests": [{"prefix": "bas"}]}`, map[string]MessageAttribute{"customer_interests": str("basketball")}, true},
		{"suffix", `{"customer_interests": [{"suffix": "ball"}]}`, map[string]MessageAttribute{"customer_interests": str("baseball")}, true},
		{"equals-ignore-case", `{"customer_interests": [{"equals-ignore-case": "tennis"}]}`, map[string]MessageAttribute{"customer_interests": str("TeNnis")}, true},
		{"cidr", `{"source_ip": [{"cidr": "10.0.0.0/24"}]}`, map[string]MessageAttribute{"source_ip": str("10.0.0.255")}, true},
		{"numeric exact", `{"price_usd": [{"numeric": ["=", 301.5]}]}`, map[string]MessageAttribute{"price_usd": num("3.015e2")}, true},
		{"numeric range", `{"price_usd": [{"numeric": [">", 0, "<=", 150]}]}`, map[string]MessageAttribute{"price_usd": num("150")}, true},
		{"numeric range miss", `{"price_usd": [{"numeric": [">", 0, "<=", 150]}]}`, map[string]MessageAttribute{"price_usd": num("151")}, false},
		{"numeric on a string attribute", `{"price_usd": [{"numeric": [">", 0]}]}`, map[string]MessageAttribute{"price_usd": str("5")}, false},
		{"number array", `{"price": [{"anything-but": [100, 500]}]}`, map[string]MessageAttribute{"price": {DataType: "Number.Array", StringValue: "[100, 50]"}}, true},
		{"exists", `{"store": [{"exists": true}]}`, map[string]MessageAttribute{"store": str("x")}, true},
		{"exists false", `{"store": [{"exists": false}]}`, map[string]MessageAttribute{"other": str("x")}, true},
		{"exists false present", `{"store": [{"exists": false}]}`, map[string]MessageAttribute{"store": str("x")}, false},
		{"binary takes no part", `{"store": [{"exists": true}]}`, map[string]MessageAttribute{"store": {DataType: "Binary", StringValue: "AAEC"}}, false},
		{"and", `{"store": ["example_corp"], "event": ["order_placed"]}`, map[string]MessageAttribute{"store": str("example_corp"), "event": str("order_cancelled")}, false},
		{"or", `{"$or": [{"store": ["example_corp"]}, {"event": ["order_placed"]}]}`, map[string]MessageAttribute{"store": str("other"), "event": str("order_placed")}, true},
		{"empty policy accepts all", `{}`, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := CompileFilterPolicy([]byte(tc.policy), ScopeMessageAttributes)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.MatchAttributes(tc.attrs); got != tc.want {
				t.Errorf("MatchAttributes = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFilterPolicyBody(t *testing.T) {
	p, err := CompileFilterPolicy([]byte(`{"store": ["example_corp"], "order": {"details": {"price": [{"numeric": [">", 100]}]}}}`), ScopeMessageBody)
	if err != nil {
		t.Fatal(err)
	}
	for body, want := range map[string]bool{
		`{"store": "example_corp", "order": {"details": {"price": 150}}}`: true,
		`{"store": "example_corp", "order": {"details": {"price": 50}}}`:  false,
		`{"store": "example_corp"}`:                                       false,
		`not json`:                                                        false,
		`["example_corp"]`:                                                false,
	} {
		if got := p.MatchBody([]byte(body)); got != want {
			t.Errorf("MatchBody(%s) = %v, want %v", body, got, want)
		}
	}
	if p.Scope() != ScopeMessageBody {
		t.Errorf("Scope = %v", p.Scope())
	}
}

func TestFilterPolicyInvalid(t *testing.T) {
	cases := []struct {
		policy string
		scope  FilterPolicyScope
		msg    string
	}{
		{`{"a": ["1"], "b": ["1"], "c": ["1"], "d": ["1"], "e": ["1"], "f": ["1"]}`, ScopeMessageAttributes, "Invalid parameter: FilterPolicy: Filter policy can not have more than 5 keys"},
		{`{"a": {"b": ["1"]}}`, ScopeMessageAttributes, "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy"},
		{`{"a": [1,2,3,4,5,6,7,8,9,10], "b": [1,2,3,4,5,6,7,8,9,10], "c": [1,2]}`, ScopeMessageAttributes, "Invalid parameter: FilterPolicy: Filter policy is too complex"},
		{`{"a": {"b": {"c": [1,2,3,4]}}, "d": {"e": [1,2,3]}}`, ScopeMessageBody, ""}, // 3x4 x 2x3 = 72, allowed
		{`{"a": [{"wildcard": "x*"}]}`, ScopeMessageAttributes, "Invalid parameter: FilterPolicy: Unrecognized match type wildcard"},
		{`{"a": [{"anything-but": {"suffix": "x"}}]}`, ScopeMessageAttributes, "Invalid parameter: FilterPolicy: Unsupported anything-but pattern: suffix"},
		{`{"a": [{"prefix": {"equals-ignore-case": "x"}}]}`, ScopeMessageAttributes, "Invalid parameter: FilterPolicy: prefix match pattern must be a string"},
		{`{"a": []}`, ScopeMessageAttributes, "Invalid parameter: FilterPolicy: Empty arrays are not allowed"},
		{`{"a": "b"}`, ScopeMessageAttributes, `Invalid parameter: FilterPolicy: "a" must be an object or an array`},
		{`{"a": [{"numeric": [">", 5, "<", 1]}]}`, ScopeMessageAttributes, "Invalid parameter: FilterPolicy: Bottom must be less than top"},
		{`{"a": ["1"]}`, "Body", "Invalid parameter: FilterPolicyScope: Invalid value [Body]. Please use either MessageBody or MessageAttributes"},
	}
	for _, tc := range cases {
		_, err := CompileFilterPolicy([]byte(tc.policy), tc.scope)
		if tc.msg == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.policy, err)
			}
			continue
		}
		var pe *Error
		if !errors.As(err, &pe) || pe.Message != tc.msg {
			t.Errorf("%s:\n got  %v\n want %s", tc.policy, err, tc.msg)
		}
	}
	if err := ValidateFilterPolicy([]byte(`{"a": {"b": ["1"]}}`)); err == nil {
		t.Error("ValidateFilterPolicy accepted a nested policy")
	}
}
