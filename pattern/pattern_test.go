package pattern

import (
	"errors"
	"strings"
	"testing"
)

// Cases follow the examples and rules of the EventBridge user guide
// ("Event patterns", "Content filtering", "Comparison operators", "Arrays",
// "Null values and empty strings").
var matchCases = []struct {
	name, pattern, event string
	want                 bool
}{
	{"exact source and detail-type", `{"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]}`, `{"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification"}`, true},
	{"exact is case-sensitive", `{"source": ["aws.ec2"]}`, `{"source": "AWS.EC2"}`, false},
	{"keys are case-sensitive", `{"Source": ["aws.ec2"]}`, `{"source": "aws.ec2"}`, false},
	{"missing field", `{"source": ["aws.ec2"], "detail": {"state": ["running"]}}`, `{"source": "aws.ec2"}`, false},
	{"nested", `{"detail": {"state": ["terminated"]}}`, `{"detail": {"state": "terminated", "instance-id": "i-1"}}`, true},
	{"nesting must agree", `{"detail": {"state": ["terminated"]}}`, `{"state": "terminated"}`, false},
	{"one of several values", `{"source": ["aws.ec2", "aws.fargate"]}`, `{"source": "aws.fargate"}`, true},
	{"event array, any element", `{"resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"]}`, `{"resources": ["arn:x", "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"]}`, true},
	{"event array, no element", `{"resources": ["arn:y"]}`, `{"resources": ["arn:x"]}`, false},
	{"empty string", `{"detail": {"eventVersion": [""]}}`, `{"detail": {"eventVersion": ""}}`, true},
	{"empty string is not missing", `{"detail": {"eventVersion": [""]}}`, `{"detail": {}}`, false},
	{"null", `{"detail": {"responseElements": [null]}}`, `{"detail": {"responseElements": null}}`, true},
	{"null is not missing", `{"detail": {"responseElements": [null]}}`, `{"detail": {}}`, false},
	{"null is not the string", `{"a": [null]}`, `{"a": "null"}`, false},
	{"boolean", `{"a": [true]}`, `{"a": true}`, true},
	{"boolean is not the string", `{"a": [true]}`, `{"a": "true"}`, false},
	{"number equals numerically", `{"a": [300]}`, `{"a": 3.0e2}`, true},
	{"number is not the string", `{"a": [300]}`, `{"a": "300"}`, false},
	{"string is not the number", `{"a": ["300"]}`, `{"a": 300}`, false},
	{"huge number by its text", `{"a": [123456789012345678901]}`, `{"a": 123456789012345678901}`, true},
	{"prefix", `{"time": [{"prefix": "2017-10-02"}]}`, `{"time": "2017-10-02T18:43:48Z"}`, true},
	{"prefix miss", `{"time": [{"prefix": "2017-10-02"}]}`, `{"time": "2017-10-03T18:43:48Z"}`, false},
	{"prefix needs a string", `{"a": [{"prefix": "1"}]}`, `{"a": 12}`, false},
	{"empty prefix matches any string", `{"a": [{"prefix": ""}]}`, `{"a": "x"}`, true},
	{"prefix ignoring case", `{"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}}`, `{"detail": {"service": "eventbridge"}}`, true},
	{"prefix ignoring case, upper", `{"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}}`, `{"detail": {"service": "EVENTBRIDGE"}}`, true},
	{"prefix ignoring case, miss", `{"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}}`, `{"detail": {"service": "AmazonEventBridge"}}`, false},
	{"suffix", `{"FileName": [{"suffix": ".png"}]}`, `{"FileName": "image.png"}`, true},
	{"suffix is case-sensitive", `{"FileName": [{"suffix": ".png"}]}`, `{"FileName": "image.PNG"}`, false},
	{"suffix ignoring case", `{"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}`, `{"FileName": "image.PnG"}`, true},
	{"equals-ignore-case", `{"detail-type": [{"equals-ignore-case": "ec2 instance state-change notification"}]}`, `{"detail-type": "EC2 Instance State-change Notification"}`, true},
	{"equals-ignore-case non-ASCII", `{"name": [{"equals-ignore-case": "ÉCOLE"}]}`, `{"name": "école"}`, true},
	{"equals-ignore-case whole value", `{"name": [{"equals-ignore-case": "alice"}]}`, `{"name": "alice2"}`, false},
	{"wildcard suffix", `{"FileName": [{"wildcard": "*.png"}]}`, `{"FileName": "dir/image.png"}`, true},
	{"wildcard middle", `{"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]}`, `{"EventBusArn": "arn:aws:events:us-east-1:123456789012:event-bus/myEventBus"}`, true},
	{"wildcard miss", `{"FileName": [{"wildcard": "/Users/*/doc.txt"}]}`, `{"FileName": "/Users/a/doc.pdf"}`, false},
	{"wildcard escaped star", `{"a": [{"wildcard": "x\\*y"}]}`, `{"a": "x*y"}`, true},
	{"wildcard escaped star is literal", `{"a": [{"wildcard": "x\\*y"}]}`, `{"a": "xzy"}`, false},
	{"wildcard escaped backslash", `{"a": [{"wildcard": "x\\\\*"}]}`, `{"a": "x\\yz"}`, true},
	{"wildcard empty matches empty", `{"a": [{"wildcard": ""}]}`, `{"a": ""}`, true},
	{"anything-but string", `{"detail": {"state": [{"anything-but": "initializing"}]}}`, `{"detail": {"state": "running"}}`, true},
	{"anything-but string excluded", `{"detail": {"state": [{"anything-but": "initializing"}]}}`, `{"detail": {"state": "initializing"}}`, false},
	{"anything-but needs the field", `{"detail": {"state": [{"anything-but": "initializing"}]}}`, `{"detail": {}}`, false},
	{"anything-but matches null", `{"detail": {"state": [{"anything-but": "initializing"}]}}`, `{"detail": {"state": null}}`, true},
	{"anything-but number", `{"detail": {"x-limit": [{"anything-but": 123}]}}`, `{"detail": {"x-limit": 124}}`, true},
	{"anything-but number excluded numerically", `{"detail": {"x-limit": [{"anything-but": 123}]}}`, `{"detail": {"x-limit": 1.23e2}}`, false},
	{"anything-but number vs string", `{"detail": {"x-limit": [{"anything-but": 123}]}}`, `{"detail": {"x-limit": "123"}}`, true},
	{"anything-but list", `{"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}}`, `{"detail": {"state": "overloaded"}}`, false},
	{"anything-but array with another value", `{"detail": {"state": [{"anything-but": ["stopped"]}]}}`, `{"detail": {"state": ["stopped", "running"]}}`, true},
	{"anything-but prefix", `{"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}`, `{"detail": {"state": "initializing"}}`, false},
	{"anything-but prefix other", `{"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}`, `{"detail": {"state": "running"}}`, true},
	{"anything-but suffix", `{"FileName": [{"anything-but": {"suffix": ".txt"}}]}`, `{"FileName": "notes.txt"}`, false},
	{"anything-but ignore case", `{"state": [{"anything-but": {"equals-ignore-case": ["initializing", "running"]}}]}`, `{"state": "INITIALIZING"}`, false},
	{"anything-but ignore case other", `{"state": [{"anything-but": {"equals-ignore-case": ["initializing", "running"]}}]}`, `{"state": "stopped"}`, true},
	{"anything-but wildcard", `{"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}`, `{"FilePath": "/usr/lib/libc.so"}`, false},
	{"anything-but wildcard other", `{"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}`, `{"FilePath": "/usr/bin/ls"}`, true},
	{"numeric range", `{"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}}`, `{"detail": {"c-count": 5}}`, true},
	{"numeric range open bottom", `{"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}}`, `{"detail": {"c-count": 0}}`, false},
	{"numeric range top", `{"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}}`, `{"detail": {"c-count": 5.000001}}`, false},
	{"numeric less than", `{"detail": {"d-count": [{"numeric": ["<", 10]}]}}`, `{"detail": {"d-count": 9.999}}`, true},
	{"numeric equals", `{"detail": {"x-limit": [{"numeric": ["=", 3.018e2]}]}}`, `{"detail": {"x-limit": 301.8}}`, true},
	{"numeric needs a number", `{"a": [{"numeric": [">", 0]}]}`, `{"a": "5"}`, false},
	{"numeric negative", `{"a": [{"numeric": [">=", -5, "<", -1]}]}`, `{"a": -5}`, true},
	{"numeric large", `{"a": [{"numeric": [">", 5e9]}]}`, `{"a": 6000000000}`, true},
	{"numeric fraction", `{"a": [{"numeric": ["<", 0.3]}]}`, `{"a": 0.29999999}`, true},
	{"cidr v4", `{"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}}`, `{"detail": {"sourceIPAddress": "10.0.0.255"}}`, true},
	{"cidr v4 outside", `{"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}}`, `{"detail": {"sourceIPAddress": "10.0.1.0"}}`, false},
	{"cidr v6", `{"ip": [{"cidr": "2001:db8:1234:1a00::/64"}]}`, `{"ip": "2001:db8:1234:1a00::1"}`, true},
	{"cidr v6 outside", `{"ip": [{"cidr": "2001:db8:1234:1a00::/64"}]}`, `{"ip": "2001:db8:1234:1a01::1"}`, false},
	{"cidr family must agree", `{"ip": [{"cidr": "0.0.0.0/0"}]}`, `{"ip": "::1"}`, false},
	{"cidr not an address", `{"ip": [{"cidr": "10.0.0.0/8"}]}`, `{"ip": "10.0.0.x"}`, false},
	{"exact IP matches any spelling", `{"ip": ["2001:db8::1"]}`, `{"ip": "2001:0db8:0:0:0:0:0:1"}`, true},
	{"exists", `{"detail": {"state": [{"exists": true}]}}`, `{"detail": {"state": "pending"}}`, true},
	{"exists with null", `{"detail": {"state": [{"exists": true}]}}`, `{"detail": {"state": null}}`, true},
	{"exists missing", `{"detail": {"state": [{"exists": true}]}}`, `{"detail": {}}`, false},
	{"exists false", `{"detail": {"c-count": [{"exists": false}]}}`, `{"detail": {"state": "x"}}`, true},
	{"exists false on an object", `{"detail": {"c-count": [{"exists": false}]}}`, `{"detail": {"c-count": {"c1": 100}}}`, true},
	{"exists true on an object", `{"detail": {"c-count": [{"exists": true}]}}`, `{"detail": {"c-count": {"c1": 100}}}`, false},
	{"exists false present", `{"detail": {"c-count": [{"exists": false}]}}`, `{"detail": {"c-count": 1}}`, false},
	{"exists on empty array", `{"resources": [{"exists": true}]}`, `{"resources": []}`, false},
	{"exists false on empty array", `{"resources": [{"exists": false}]}`, `{"resources": []}`, true},
	{"exists false or value", `{"s": [{"anything-but": ["roses"]}, {"exists": false}]}`, `{"t": 1}`, true},
	{"exists false or value, value", `{"s": [{"anything-but": ["roses"]}, {"exists": false}]}`, `{"s": "roses"}`, false},
	{"$or top level", `{"$or": [{"source": ["aws.ec2"]}, {"detail-type": ["x"]}]}`, `{"source": "aws.s3", "detail-type": "x"}`, true},
	{"$or top level, neither", `{"$or": [{"source": ["aws.ec2"]}, {"detail-type": ["x"]}]}`, `{"source": "aws.s3", "detail-type": "y"}`, false},
	{"$or with and", `{"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}]}`, `{"source": "aws.cloudwatch", "namespace": "AWS/EC2"}`, true},
	{"$or with and, and fails", `{"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}]}`, `{"source": "aws.other", "namespace": "AWS/EC2"}`, false},
	{"$or nested", `{"detail": {"$or": [{"c-count": [{"numeric": [">", 0, "<=", 5]}]}, {"d-count": [{"numeric": ["<", 10]}]}]}}`, `{"detail": {"c-count": 7, "d-count": 3}}`, true},
	{"$or of $or", `{"$or": [{"a": ["1"]}, {"$or": [{"b": ["2"]}, {"c": ["3"]}]}]}`, `{"c": "3"}`, true},
	{"dotted pattern key", `{"detail": {"state.status": ["running"]}}`, `{"detail": {"state": {"status": "running"}}}`, true},
	{"dotted event key", `{"detail": {"state": {"status": ["running"]}}}`, `{"detail": {"state.status": "running"}}`, true},
	{"array of objects", `{"detail": {"automations": {"id": ["a"]}}}`, `{"detail": {"automations": [{"id": "b"}, {"id": "a"}]}}`, true},
	{"array consistency", `{"tags": {"key": ["env"], "value": ["prod"]}}`, `{"tags": [{"key": "env", "value": "dev"}, {"key": "team", "value": "prod"}]}`, false},
	{"array consistency, same element", `{"tags": {"key": ["env"], "value": ["prod"]}}`, `{"tags": [{"key": "team", "value": "x"}, {"key": "env", "value": "prod"}]}`, true},
	{"arrays in arrays", `{"a": {"b": ["1"], "c": ["2"]}}`, `{"a": [[{"b": "1"}], [{"b": "1", "c": "2"}]]}`, true},
	{"duplicate pattern key, last wins", `{"a": ["x"], "a": ["y"]}`, `{"a": "y"}`, true},
	{"duplicate pattern key, first ignored", `{"a": ["x"], "a": ["y"]}`, `{"a": "x"}`, false},
	{"duplicate event key", `{"a": ["x"]}`, `{"a": "y", "a": "x"}`, true},
	{"JSON string is not an object", `{"detail": {"k": ["v"]}}`, `{"detail": "{\"k\": \"v\"}"}`, false},
	{"escaped event string", `{"a": ["tab\there"]}`, `{"a": "tab\u0009here"}`, true},
	{"unicode escape", `{"a": ["é"]}`, `{"a": "\u00e9"}`, true},
}

func TestMatches(t *testing.T) {
	for _, tc := range matchCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Matches([]byte(tc.pattern), []byte(tc.event))
			if err != nil {
				t.Fatalf("Matches: %v", err)
			}
			if got != tc.want {
				t.Errorf("Matches = %v, want %v", got, tc.want)
			}
			m := NewMatcher()
			if err := m.Add("p", []byte(tc.pattern)); err != nil {
				t.Fatal(err)
			}
			ids, err := m.Match([]byte(tc.event))
			if err != nil {
				t.Fatal(err)
			}
			if (len(ids) == 1) != tc.want {
				t.Errorf("Matcher.Match = %v, want match %v", ids, tc.want)
			}
		})
	}
}

// TestMatcherAllCases puts every case's pattern into one Matcher and
// checks each event matches exactly the patterns it matches alone.
func TestMatcherAllCases(t *testing.T) {
	m := NewMatcher()
	for i, tc := range matchCases {
		if err := m.Add(matchCases[i].name, []byte(tc.pattern)); err != nil {
			t.Fatal(err)
		}
	}
	for _, ev := range matchCases {
		ids, err := m.Match([]byte(ev.event))
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, id := range ids {
			got[id] = true
		}
		for _, p := range matchCases {
			want, _ := Matches([]byte(p.pattern), []byte(ev.event))
			if got[p.name] != want {
				t.Errorf("event of %q, pattern %q: got %v, want %v", ev.name, p.name, got[p.name], want)
			}
		}
	}
}

var invalidCases = []struct{ pattern, reason string }{
	{`["a"]`, "Filter is not an object"},
	{`{"a": "b"}`, `"a" must be an object or an array`},
	{`{"a": []}`, "Empty arrays are not allowed"},
	{`{}`, "Empty objects are not allowed"},
	{`{"a": {}}`, "Empty objects are not allowed"},
	{`{"a": [["x"]]}`, "Match value must be String, number, true, false, or null"},
	{`{"a": [{}]}`, "Match expression name not found"},
	{`{"a": [{"contains": "x"}]}`, "Unrecognized match type contains"},
	{`{"a": [{"prefix": "x", "suffix": "y"}]}`, "Only one key allowed in match expression"},
	{`{"a": [{"exactly": 1}]}`, "exact match pattern must be a string"},
	{`{"a": [{"prefix": {"suffix": "x"}}]}`, "Unsupported prefix pattern: suffix"},
	{`{"a": [{"suffix": {}}]}`, "Suffix expression name not found"},
	{`{"a": [{"numeric": "x"}]}`, "Value of numeric must be an array."},
	{`{"a": [{"numeric": []}]}`, "Invalid member in numeric match: ]"},
	{`{"a": [{"numeric": [1]}]}`, "Invalid member in numeric match: 1"},
	{`{"a": [{"numeric": ["!", 1]}]}`, "Unrecognized numeric range operator: !"},
	{`{"a": [{"numeric": ["=", "1"]}]}`, "Value of equals must be numeric"},
	{`{"a": [{"numeric": ["=", 1, 2]}]}`, "Too many elements in numeric expression"},
	{`{"a": [{"numeric": ["<", 1, ">", 0]}]}`, "Too many elements in numeric expression"},
	{`{"a": [{"numeric": [">", 1, 5]}]}`, "Bad value in numeric range: 5"},
	{`{"a": [{"numeric": [">", 1, "<", 5, 6]}]}`, "Too many terms in numeric range expression"},
	{`{"a": [{"numeric": [">", 5, "<", 1]}]}`, "Bottom must be less than top"},
	{`{"a": [{"numeric": [">=", 5, "<=", 5]}]}`, "Bottom must be less than top"},
	{`{"a": [{"numeric": [">", 0.10000000000000001]}]}`, "Cannot compare number : 0.10000000000000001"},
	{`{"a": [{"numeric": ["<", 1e400]}]}`, "Cannot compare number : 1e400"},
	{`{"a": [{"numeric": [">", 0]}], "b": [{"numeric": [">", 0], "x": 1}]}`, "Too many elements in numeric expression"},
	{`{"a": [{"exists": "true"}]}`, "exists match pattern must be either true or false."},
	{`{"a": [{"exists": true, "prefix": "x"}]}`, "Only one key allowed in match expression"},
	{`{"a": [{"cidr": "10.0.0.0"}]}`, "Malformed CIDR, one '/' required"},
	{`{"a": [{"cidr": "10.0.0.0/x"}]}`, "Malformed CIDR, mask bits must be an integer"},
	{`{"a": [{"cidr": "10.0.0.0/-1"}]}`, "Malformed CIDR, mask bits must not be negative"},
	{`{"a": [{"cidr": "10.0.0.0/32"}]}`, "IPv4 mask bits must be < 32"},
	{`{"a": [{"cidr": "::/128"}]}`, "IPv6 mask bits must be < 128"},
	{`{"a": [{"cidr": "999.0.0.0/8"}]}`, "Invalid IP address: 999.0.0.0"},
	{`{"a": [{"anything-but": ["a", 1]}]}`, "Inside anything but list, either all values are number or string, mixed type is not supported"},
	{`{"a": [{"anything-but": []}]}`, "Inside anything but list, either all values are number or string, mixed type is not supported"},
	{`{"a": [{"anything-but": true}]}`, "Value of anything-but must be an array or single string/number value."},
	{`{"a": [{"anything-but": {}}]}`, "Anything-But expression name not found"},
	{`{"a": [{"anything-but": {"numeric": [">", 1]}}]}`, "Unsupported anything-but pattern: numeric"},
	{`{"a": [{"anything-but": {"prefix": "a", "suffix": "b"}}]}`, "Too many elements in numeric expression"},
	{`{"a": [{"anything-but": "a", "prefix": "b"}]}`, "Too many elements in numeric expression"},
	{`{"a": [{"anything-but": 0.10000000000000001}]}`, "Cannot compare number : 0.10000000000000001"},
	{`{"a": [{"wildcard": "a\\b"}]}`, "Invalid escape character at pos 2"},
	{`{"a": [{"wildcard": "**"}]}`, "Consecutive wildcard characters at pos 1"},
	{`{"a": [{"anything-but": {"wildcard": ["x", "a**"]}}]}`, "Consecutive wildcard characters at pos 2"},
	{`{"a": [{"wildcard": "*a*b*c*d*e*"}]}`, tooComplex},
	{`{"$or": [{"a": ["1"]}]}`, "There must have at least 2 Objects in $or relationship."},
	{`{"$or": {"a": ["1"]}}`, "It must be an Array followed with $or."},
	{`{"$or": [{"a": ["1"]}, "x"]}`, "Only JSON object is allowed in array of $or relationship."},
	{`{"$or": [{"prefix": ["1"]}, {"b": ["2"]}]}`, "prefix is Ruler reserved fieldName which cannot be used inside $or."},
	{`{"$or": [{"a": ["1"]}, {"b": {"numeric": ["2"]}}]}`, "numeric is Ruler reserved fieldName which cannot be used inside $or."},
}

func TestInvalid(t *testing.T) {
	for _, tc := range invalidCases {
		t.Run(tc.pattern, func(t *testing.T) {
			err := Validate([]byte(tc.pattern))
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Validate = %v, want *Error", err)
			}
			if pe.Reason != tc.reason {
				t.Errorf("reason:\n got  %q\n want %q", pe.Reason, tc.reason)
			}
			if want := "Event pattern is not valid. Reason: " + tc.reason; pe.Error() != want {
				t.Errorf("Error() = %q, want %q", pe.Error(), want)
			}
			if err := NewMatcher().Add("x", []byte(tc.pattern)); err == nil {
				t.Error("Add accepted an invalid pattern")
			}
		})
	}
}

func TestInvalidJSON(t *testing.T) {
	for _, p := range []string{``, `{`, `{"a": ["x"],}`, `{"a": [01]}`, `{"a": ["x"]} x`, `{'a': ["x"]}`, `{"a": ["\x"]}`} {
		var pe *Error
		if err := Validate([]byte(p)); !errors.As(err, &pe) || !strings.HasPrefix(pe.Message, "Event pattern is not valid. Reason: ") {
			t.Errorf("Validate(%q) = %v, want an invalid-pattern error", p, err)
		}
	}
}

func TestPatternTooLong(t *testing.T) {
	p := `{"a": ["` + strings.Repeat("x", MaxPatternLength) + `"]}`
	if err := Validate([]byte(p)); !errors.Is(err, ErrPatternTooLong) {
		t.Errorf("Validate = %v, want ErrPatternTooLong", err)
	}
}

func TestBadEvent(t *testing.T) {
	m := NewMatcher()
	if err := m.Add("p", []byte(`{"a": ["x"]}`)); err != nil {
		t.Fatal(err)
	}
	for _, ev := range []string{``, `[]`, `"a"`, `{"a": "x"`, `{"a": "x"} {}`, `{"b": [1,]}`, `{"b": "\q"}`} {
		if _, err := m.Match([]byte(ev)); err == nil {
			t.Errorf("Match(%q) succeeded, want an error", ev)
		}
		if _, err := Matches([]byte(`{"a": ["x"]}`), []byte(ev)); err == nil {
			t.Errorf("Matches(%q) succeeded, want an error", ev)
		}
	}
}

func TestMatcherReplaceDelete(t *testing.T) {
	m := NewMatcher()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(m.Add("r", []byte(`{"a": ["1"]}`)))
	must(m.Add("r", []byte(`{"a": ["2"]}`)))
	if err := m.Add("r", []byte(`{"a": []}`)); err == nil {
		t.Fatal("invalid replacement accepted")
	}
	check := func(ev string, want ...string) {
		t.Helper()
		got, err := m.Match([]byte(ev))
		must(err)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("Match(%s) = %v, want %v", ev, got, want)
		}
	}
	check(`{"a": "1"}`)
	check(`{"a": "2"}`, "r")
	m.Delete("r")
	m.Delete("never-added")
	check(`{"a": "2"}`)
	// Enough churn to force rebuilds.
	for i := 0; i < 200; i++ {
		must(m.Add("k", []byte(`{"a": ["3"]}`)))
		must(m.Add("z", []byte(`{"a": [{"prefix": "3"}]}`)))
	}
	check(`{"a": "3"}`, "k", "z")
}
