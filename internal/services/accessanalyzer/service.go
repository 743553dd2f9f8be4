// Package accessanalyzer serves the one operation of IAM Access Analyzer
// that needs no analyzer: ValidatePolicy, which checks a policy document
// with package policy and answers its findings in Access Analyzer's shape
// (restJson, POST /policy/validation, signing name access-analyzer).
package accessanalyzer

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/services"
	"github.com/vigilsec/vigil/policy"
)

var spec = &awsproto.Spec{
	Name:        "access-analyzer",
	Protocol:    awsproto.RESTJSON,
	EventSource: "access-analyzer.amazonaws.com",
}

// Service is the Access Analyzer service.
type Service struct{ env *services.Env }

// New returns the service.
func New(env *services.Env) *Service { return &Service{env: env} }

// Spec describes how the service is reached.
func (s *Service) Spec() *awsproto.Spec { return spec }

// PathPrefix is where the policy operations live.
func (s *Service) PathPrefix() string { return "/policy/" }

// Route maps POST /policy/validation to ValidatePolicy, merging the query
// members maxResults and nextToken into the JSON body.
func (s *Service) Route(r *http.Request, body []byte) (string, json.RawMessage, error) {
	if r.URL.Path != "/policy/validation" || r.Method != http.MethodPost {
		return "", nil, unsupported(r.Method + " " + r.URL.Path)
	}
	in := map[string]any{}
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			return "", nil, awsproto.Errorf(http.StatusBadRequest, "ValidationException", "The request body is not valid JSON: %v", err)
		}
	}
	q := r.URL.Query()
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return "", nil, awsproto.Validation("maxResults %q is not a number.", v)
		}
		in["maxResults"] = n
	}
	if v := q.Get("nextToken"); v != "" {
		in["nextToken"] = v
	}
	raw, err := json.Marshal(in)
	if err != nil {
		return "", nil, err
	}
	return "ValidatePolicy", raw, nil
}

func unsupported(what string) *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, "UnknownOperationException",
		"Vigil's Access Analyzer serves only ValidatePolicy (POST /policy/validation), not %s.", what)
}

// Handle runs one operation.
func (s *Service) Handle(ctx context.Context, call *awsproto.Call) (any, error) {
	if call.Action == "ValidatePolicy" {
		return s.validatePolicy(call)
	}
	return nil, unsupported(call.Action)
}

// WriteResult writes a result as JSON with status 200.
func (s *Service) WriteResult(w http.ResponseWriter, call *awsproto.Call, result any) error {
	body, err := json.Marshal(result)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("x-amzn-RequestId", call.RequestID)
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(body)
	return err
}

type validateInput struct {
	PolicyDocument             *string `json:"policyDocument"`
	PolicyType                 *string `json:"policyType"`
	Locale                     *string `json:"locale"`
	ValidatePolicyResourceType *string `json:"validatePolicyResourceType"`
	MaxResults                 *int    `json:"maxResults"`
	NextToken                  *string `json:"nextToken"`
}

// Finding is one ValidatePolicyFinding.
type Finding struct {
	FindingDetails string            `json:"findingDetails"`
	FindingType    string            `json:"findingType"`
	IssueCode      string            `json:"issueCode"`
	LearnMoreLink  string            `json:"learnMoreLink"`
	Locations      []policy.Location `json:"locations"`
}

// ValidatePolicyOutput is ValidatePolicy's output.
type ValidatePolicyOutput struct {
	Findings  []Finding `json:"findings"`
	NextToken string    `json:"nextToken,omitempty"`
}

var resourceTypes = map[string]bool{
	"AWS::S3::Bucket": true, "AWS::S3::AccessPoint": true, "AWS::S3::MultiRegionAccessPoint": true,
	"AWS::S3ObjectLambda::AccessPoint": true, "AWS::IAM::AssumeRolePolicyDocument": true,
}

func (s *Service) validatePolicy(call *awsproto.Call) (*ValidatePolicyOutput, error) {
	var in validateInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	kind, err := checkInput(&in)
	if err != nil {
		return nil, err
	}
	all := policy.Validate([]byte(*in.PolicyDocument), kind)
	start := 0
	if in.NextToken != nil {
		b, err := base64.RawURLEncoding.DecodeString(*in.NextToken)
		n, convErr := strconv.Atoi(string(b))
		if err != nil || convErr != nil || n < 0 || n > len(all) {
			return nil, awsproto.Validation("Invalid nextToken.")
		}
		start = n
	}
	end := len(all)
	if in.MaxResults != nil && start+*in.MaxResults < end {
		end = start + *in.MaxResults
	}
	out := &ValidatePolicyOutput{Findings: []Finding{}}
	for _, f := range all[start:end] {
		out.Findings = append(out.Findings, Finding{FindingDetails: f.Details, FindingType: string(f.Type),
			IssueCode: f.IssueCode, LearnMoreLink: f.LearnMoreLink, Locations: nonNilPaths(f.Locations)})
	}
	if end < len(all) {
		out.NextToken = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end)))
	}
	return out, nil
}

// checkInput validates the request and picks the kind of policy to
// check it as.
func checkInput(in *validateInput) (policy.Kind, error) {
	switch {
	case in.PolicyDocument == nil:
		return 0, fieldError("policyDocument", "Member must not be null")
	case in.PolicyType == nil:
		return 0, fieldError("policyType", "Member must not be null")
	case in.MaxResults != nil && *in.MaxResults < 1:
		return 0, fieldError("maxResults", "Member must be greater than or equal to 1")
	case in.ValidatePolicyResourceType != nil && !resourceTypes[*in.ValidatePolicyResourceType]:
		return 0, fieldError("validatePolicyResourceType", "Member must satisfy enum value set: [AWS::S3::Bucket, AWS::S3::AccessPoint, AWS::S3::MultiRegionAccessPoint, AWS::S3ObjectLambda::AccessPoint, AWS::IAM::AssumeRolePolicyDocument]")
	}
	switch *in.PolicyType {
	case "IDENTITY_POLICY":
		return policy.Identity, nil
	case "SERVICE_CONTROL_POLICY":
		return policy.SCP, nil
	case "RESOURCE_POLICY":
		if in.ValidatePolicyResourceType != nil && *in.ValidatePolicyResourceType == "AWS::IAM::AssumeRolePolicyDocument" {
			return policy.Trust, nil
		}
		return policy.Resource, nil
	}
	return 0, fieldError("policyType", "Member must satisfy enum value set: [IDENTITY_POLICY, RESOURCE_POLICY, SERVICE_CONTROL_POLICY]")
}

func fieldError(field, msg string) *awsproto.Error {
	return awsproto.Validation("%s", fmt.Sprintf("1 validation error detected: Value at '%s' failed to satisfy constraint: %s", field, msg))
}

// nonNilPaths writes a location without a path as "path": [], which the
// SDKs expect of a required list.
func nonNilPaths(locs []policy.Location) []policy.Location {
	out := make([]policy.Location, len(locs))
	for i, l := range locs {
		if l.Path == nil {
			l.Path = []policy.PathElement{}
		}
		out[i] = l
	}
	return out
}
