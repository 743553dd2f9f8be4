package asl

import (
	"errors"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		def, want string
	}{
		{`{"States":{"A":{"Type":"Succeed"}}}`,
			`Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Missing required field: StartAt at /'`},
		{`{"StartAt":"A"}`,
			`Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Missing required field: States at /'`},
		{`{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}}`,
			`Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: B at /States/A/Next, MISSING_END_STATE: Workflow has no terminal state'`},
		{`{"StartAt":"A","States":{"A":{"Type":"Succeed"},"B":{"Type":"Succeed"}}}`,
			`Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: State "B" is not reachable. at /States/B'`},
		{`{"StartAt":"W","States":{"W":{"Type":"Wait","Timestamp":"2016-03-14T01:59:00","End":true}}}`,
			`Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: String does not match RFC3339 timestamp at /States/W/Timestamp'`},
		{`{"StartAt":"A","States":{"A":{"Type":"Pass","Catch":[],"End":true}}}`,
			`Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Field 'Catch' is not supported at /States/A'`},
		{`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sns:publish","Credentials":{},"End":true}}}`,
			`Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The field 'RoleArn' is required but was missing at /States/T/Credentials'`},
		{`{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"not a path"},"End":true}}}`,
			`Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The value for the field 'x.$' must be a valid JSONPath or a valid intrinsic function call at /States/A/Parameters'`},
		{`{"StartAt":"A","States":{"A":{"Type":"Nope"}}}`,
			`Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The value for the field 'Type' must be one of [Pass, Task, Choice, Wait, Succeed, Fail, Parallel, Map] at /States/A/Type'`},
		{`{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","StringEquals":"x","Next":"Z"}],"Default":"S"},"S":{"Type":"Succeed"}}}`,
			`Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: Z at /States/C/Choices[0]/Next'`},
		{`not json`, `Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: `},
	}
	for _, tc := range tests {
		_, err := Parse([]byte(tc.def))
		var de *DefinitionError
		if !errors.As(err, &de) {
			t.Errorf("Parse(%s) = %v, want *DefinitionError", tc.def, err)
			continue
		}
		if !strings.HasPrefix(de.Message, tc.want) {
			t.Errorf("Parse(%s)\n got  %s\n want %s", tc.def, de.Message, tc.want)
		}
	}
}

func TestParseValid(t *testing.T) {
	for _, def := range []string{
		awsSDKMachine,
		`{"Comment":"c","TimeoutSeconds":10,"StartAt":"A","States":{"A":{"Type":"Pass","Result":1,"ResultPath":"$.a","Next":"B"},"B":{"Type":"Succeed"}}}`,
		`{"StartAt":"M","States":{"M":{"Type":"Map","Iterator":{"StartAt":"X","States":{"X":{"Type":"Pass","End":true}}},"Parameters":{"v.$":"$$.Map.Item.Value"},"End":true}}}`,
		`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:iam:deleteAccessKey","Retry":[{"ErrorEquals":["States.ALL"],"JitterStrategy":"FULL","MaxDelaySeconds":10}],"Catch":[{"ErrorEquals":["States.ALL"],"Next":"F"}],"End":true},"F":{"Type":"Fail","Error":"E"}}}`,
	} {
		if _, err := Parse([]byte(def)); err != nil {
			t.Errorf("Parse(%s): %v", def, err)
		}
	}
}
