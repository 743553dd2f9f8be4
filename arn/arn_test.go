package arn

import "testing"

func TestParse(t *testing.T) {
	tests := []struct {
		in       string
		want     ARN
		typ, id  string
		wantFail bool
	}{
		{in: "arn:aws:iam::000000000000:user/alice", want: ARN{"aws", "iam", "", "000000000000", "user/alice"}, typ: "user", id: "alice"},
		{in: "arn:aws:lambda:us-east-1:1:function:f:1", want: ARN{"aws", "lambda", "us-east-1", "1", "function:f:1"}, typ: "function", id: "f:1"},
		{in: "arn:aws:sns:us-east-1:1:topic", want: ARN{"aws", "sns", "us-east-1", "1", "topic"}, typ: "", id: "topic"},
		{in: "arn:aws:states:::sns:publish", want: ARN{"aws", "states", "", "", "sns:publish"}, typ: "sns", id: "publish"},
		{in: "aws:iam::1:user/a", wantFail: true},
		{in: "arn:aws:iam", wantFail: true},
		{in: "arn::iam::1:x", wantFail: true},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if tt.wantFail {
			if err == nil {
				t.Errorf("Parse(%q) = %+v, want error", tt.in, got)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.in, err)
		}
		if got != tt.want || got.ResourceType() != tt.typ || got.ResourceID() != tt.id {
			t.Errorf("Parse(%q) = %+v (%q, %q), want %+v (%q, %q)", tt.in, got, got.ResourceType(), got.ResourceID(), tt.want, tt.typ, tt.id)
		}
		if got.String() != tt.in {
			t.Errorf("String() = %q, want %q", got.String(), tt.in)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("arn:aws:iam::000000000000:user/alice")
	f.Add("arn:::::")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := Parse(s)
		if err == nil && a.String() != s {
			t.Fatalf("round trip %q -> %q", s, a.String())
		}
	})
}
