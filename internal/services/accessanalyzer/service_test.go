package accessanalyzer

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/awsproto"
)

func call(t *testing.T, input string) (*ValidatePolicyOutput, error) {
	t.Helper()
	s := New(nil)
	out, err := s.Handle(context.Background(), &awsproto.Call{Service: spec, Action: "ValidatePolicy", Input: json.RawMessage(input)})
	if err != nil {
		return nil, err
	}
	return out.(*ValidatePolicyOutput), nil
}

func TestValidatePolicy(t *testing.T) {
	doc := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	wide := doc(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"},{"Effect":"Allow","Action":"s3:GetObjekt","Resource":"*"}]}`)
	trust := doc(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"states.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	for _, tt := range []struct {
		name, input string
		codes       []string // issue codes, in order
		errCode     string
	}{
		{name: "identity", input: `{"policyType":"IDENTITY_POLICY","policyDocument":` + wide + `}`,
			codes: []string{"PASS_ROLE_WITH_STAR_IN_RESOURCE", "INVALID_ACTION"}},
		{name: "trust as resource policy of a role", input: `{"policyType":"RESOURCE_POLICY","validatePolicyResourceType":"AWS::IAM::AssumeRolePolicyDocument","policyDocument":` + trust + `}`},
		{name: "trust as identity policy", input: `{"policyType":"IDENTITY_POLICY","policyDocument":` + trust + `}`, codes: []string{"*"}},
		{name: "broken JSON", input: `{"policyType":"IDENTITY_POLICY","policyDocument":"{"}`, codes: []string{"JSON_SYNTAX_ERROR"}},
		{name: "paged", input: `{"policyType":"IDENTITY_POLICY","maxResults":1,"policyDocument":` + wide + `}`,
			codes: []string{"PASS_ROLE_WITH_STAR_IN_RESOURCE"}},
		{name: "no document", input: `{"policyType":"IDENTITY_POLICY"}`, errCode: "ValidationException"},
		{name: "no type", input: `{"policyDocument":"{}"}`, errCode: "ValidationException"},
		{name: "bad type", input: `{"policyType":"TRUST","policyDocument":"{}"}`, errCode: "ValidationException"},
		{name: "bad resource type", input: `{"policyType":"RESOURCE_POLICY","validatePolicyResourceType":"AWS::SNS::Topic","policyDocument":"{}"}`, errCode: "ValidationException"},
		{name: "bad token", input: `{"policyType":"IDENTITY_POLICY","nextToken":"zz","policyDocument":"{}"}`, errCode: "ValidationException"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, err := call(t, tt.input)
			if tt.errCode != "" {
				if e, ok := err.(*awsproto.Error); !ok || e.Code != tt.errCode || e.Status != 400 {
					t.Fatalf("error %v, want %s", err, tt.errCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var codes []string
			for _, f := range out.Findings {
				codes = append(codes, f.IssueCode)
				if f.Locations == nil || f.LearnMoreLink == "" || f.FindingDetails == "" {
					t.Errorf("finding %+v lacks a member", f)
				}
				for _, l := range f.Locations {
					if l.Path == nil {
						t.Errorf("finding %s has a null path", f.IssueCode)
					}
				}
			}
			if len(tt.codes) == 1 && tt.codes[0] == "*" {
				if len(codes) == 0 {
					t.Error("no findings")
				}
				return
			}
			if strings.Join(codes, ",") != strings.Join(tt.codes, ",") {
				t.Errorf("findings %q, want %q", codes, tt.codes)
			}
		})
	}
}

func TestValidatePolicyPages(t *testing.T) {
	doc, _ := json.Marshal(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"},{"Effect":"Allow","Action":"s3:GetObjekt","Resource":"*"}]}`)
	first, err := call(t, `{"policyType":"IDENTITY_POLICY","maxResults":1,"policyDocument":`+string(doc)+`}`)
	if err != nil || first.NextToken == "" {
		t.Fatalf("first page %+v, %v", first, err)
	}
	second, err := call(t, `{"policyType":"IDENTITY_POLICY","maxResults":1,"nextToken":"`+first.NextToken+`","policyDocument":`+string(doc)+`}`)
	if err != nil || len(second.Findings) != 1 || second.NextToken != "" || second.Findings[0].IssueCode != "INVALID_ACTION" {
		t.Fatalf("second page %+v, %v", second, err)
	}
}

func TestRoute(t *testing.T) {
	s := New(nil)
	r := httptest.NewRequest(http.MethodPost, "/policy/validation?maxResults=5&nextToken=abc", nil)
	action, input, err := s.Route(r, []byte(`{"policyType":"IDENTITY_POLICY"}`))
	if err != nil || action != "ValidatePolicy" {
		t.Fatalf("Route = %s, %v", action, err)
	}
	var in map[string]any
	json.Unmarshal(input, &in)
	if in["maxResults"] != float64(5) || in["nextToken"] != "abc" || in["policyType"] != "IDENTITY_POLICY" {
		t.Errorf("input %s", input)
	}
	for _, bad := range []*http.Request{httptest.NewRequest(http.MethodGet, "/policy/validation", nil),
		httptest.NewRequest(http.MethodPost, "/policy/generation", nil)} {
		if _, _, err := s.Route(bad, nil); err == nil {
			t.Errorf("%s %s routed", bad.Method, bad.URL.Path)
		}
	}
	if _, _, err := s.Route(httptest.NewRequest(http.MethodPost, "/policy/validation", nil), []byte("{")); err == nil {
		t.Error("a broken body was routed")
	}
}
