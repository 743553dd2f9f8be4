package policy

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func codes(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.IssueCode)
	}
	return out
}

func TestValidateChecks(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		doc  string
		want []string // issue codes that must be present
		not  []string // issue codes that must be absent
	}{
		{"clean", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["sns:Publish","sns:Subscribe"],"Resource":"arn:aws:sns:us-east-1:111122223333:alerts"}}`, nil, []string{"ACTION_WITHOUT_APPLICABLE_RESOURCE", "RESOURCE_WITHOUT_APPLICABLE_ACTION", "INVALID_ACTION"}},
		{"syntax", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow",}}`, []string{"JSON_SYNTAX_ERROR"}, nil},
		{"grammar", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*"}}`, []string{"UNSUPPORTED_PRINCIPAL", "MISSING_RESOURCE"}, nil},
		{"unknown action", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sns:Publsh","Resource":"*"}}`, []string{"INVALID_ACTION"}, nil},
		{"unknown service", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"snss:Publish","Resource":"*"}}`, []string{"INVALID_SERVICE_IN_ACTION"}, nil},
		{"wildcard service", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s*:ListTopics","Resource":"*"}}`, []string{"WILDCARD_IN_SERVICE_NAME"}, []string{"INVALID_ACTION"}},
		{"no resource-level permissions", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sns:ListTopics","Resource":"arn:aws:sns:us-east-1:111122223333:alerts"}}`, []string{"ACTION_WITHOUT_APPLICABLE_RESOURCE"}, nil},
		{"resource without action", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"cloudfront:*","Resource":["arn:aws:cloudfront::111122223333:distribution/*","arn:aws:s3:::examplebucket"]}}`, []string{"RESOURCE_WITHOUT_APPLICABLE_ACTION"}, nil},
		{"condition key without action", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:ListBucketVersions","s3:ListBucket"],"Resource":"*","Condition":{"StringEquals":{"s3:prefix":"custom","s3:VersionId":"1234"}}}}`, []string{"CONDITION_WITHOUT_APPLICABLE_ACTION"}, nil},
		{"unknown keys", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceIpp":"x","s3:nope":"y","nosuch:key":"z"}}}}`, []string{"INVALID_GLOBAL_CONDITION_KEY", "INVALID_SERVICE_CONDITION_KEY", "INVALID_SERVICE"}, nil},
		{"tag keys", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sns:TagResource","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"a","aws:ResourceTag/owner":"b"},"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}}}`, nil, []string{"INVALID_GLOBAL_CONDITION_KEY", "MISSING_QUALIFIER", "TYPE_MISMATCH"}},
		{"type mismatch", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceIp":"203.0.113.1"},"Bool":{"aws:SecureTransport":"yes"},"NumericLessThan":{"s3:max-keys":"ten"}}}}`, []string{"TYPE_MISMATCH", "TYPE_MISMATCH_BOOLEAN", "TYPE_MISMATCH_NUMBER"}, nil},
		{"qualifiers", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sns:TagResource","Resource":"*","Condition":{"StringEquals":{"aws:TagKeys":"a"},"ForAllValues:StringEquals":{"aws:PrincipalAccount":"111122223333"},"ForAnyValue:Null":{"aws:TagKeys":"true"}}}}`, []string{"MISSING_QUALIFIER", "FORALLVALUES_WITH_SINGLE_VALUED_KEY", "NULL_WITH_QUALIFIER"}, nil},
		{"wildcard without like", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"dev*"}}}}`, []string{"WILDCARD_WITHOUT_LIKE_OPERATOR"}, nil},
		{"variables", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}","Condition":{"NumericEquals":{"s3:max-keys":"${aws:PrincipalTag/n}"}}}}`, []string{"INVALID_VARIABLE_FOR_OPERATOR"}, []string{"VARIABLE_UNSUPPORTED_IN_VERSION"}},
		{"variables need 2012", Identity, `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}"}}`, []string{"MISSING_VERSION", "VARIABLE_UNSUPPORTED_IN_VERSION"}, nil},
		{"ip checks", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":["10.1.2.3/8"]},"NotIpAddress":{"aws:VpcSourceIp":"bad"}}}}`, []string{"PRIVATE_IP_ADDRESS", "IMPROVE_IP_RANGE", "TYPE_MISMATCH_IP_RANGE"}, nil},
		{"duplicate key case", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/a":"1","AWS:principaltag/A":"2"}}}}`, []string{"DUPLICATE_KEYS_WITH_DIFFERENT_CASE"}, nil},
		{"empty values", Identity, `{"Version":"2012-10-17","Statement":{"Sid":"","Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/a":[]},"ForAllValues:StringEquals":{"aws:TagKeys":[]}}}}`, []string{"EMPTY_SID_VALUE", "EMPTY_ARRAY_CONDITION", "EMPTY_ARRAY_CONDITION_FORALLVALUES"}, nil},
		{"full access", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, []string{"FULL_ACCESS", "PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE"}, nil},
		{"pass role", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["iam:PassRole","iam:GetRole"],"Resource":"arn:aws:iam::111122223333:role/*"}}`, []string{"PASS_ROLE_WITH_STAR_IN_RESOURCE"}, nil},
		{"pass role scoped", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"states.amazonaws.com"}}}}`, nil, []string{"PASS_ROLE_WITH_STAR_IN_RESOURCE", "CONDITION_WITHOUT_APPLICABLE_ACTION"}},
		{"pass role not resource", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:PassRole","NotResource":"arn:aws:iam::111122223333:role/Admin"}}`, []string{"PASS_ROLE_WITH_NOT_RESOURCE"}, nil},
		{"pass role not action", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"s3:*","Resource":"*"}}`, []string{"PASS_ROLE_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION"}, nil},
		{"redundant", Identity, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:Get*"],"Resource":["arn:aws:s3:::b/*","arn:aws:s3:::b/k"]},{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/k"}]}`, []string{"REDUNDANT_ACTION", "REDUNDANT_RESOURCE", "REDUNDANT_STATEMENT"}, nil},
		{"arn checks", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:S3:::b/k","arn:aws:sns:us-east-1:12345:t","arn:aws:s3:::b/${aws:username}","arn:aws:s3::111122223333:b/k"]}}`, []string{"INVALID_ARN_SERVICE_CASE", "INVALID_ARN_ACCOUNT"}, nil},
		{"allow not principal", Resource, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotPrincipal":{"AWS":"111122223333"},"Action":"sns:Publish","Resource":"*"}}`, []string{"ALLOW_WITH_NOT_PRINCIPAL"}, nil},
		{"service principal without source", Resource, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sns:Publish","Resource":"arn:aws:sns:us-east-1:111122223333:t"}}`, []string{"RESTRICT_ACCESS_TO_SERVICE_PRINCIPAL"}, nil},
		{"service principal with source", Resource, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sns:Publish","Resource":"arn:aws:sns:us-east-1:111122223333:t","Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:events:us-east-1:111122223333:rule/r"}}}}`, nil, []string{"RESTRICT_ACCESS_TO_SERVICE_PRINCIPAL"}},
		{"trust wildcard", Trust, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}}`, []string{"ROLE_TRUST_POLICY_UNSUPPORTED_WILDCARD_IN_PRINCIPAL"}, nil},
		{"github oidc trust", Trust, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:o/r:*"},"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}}}}`, nil, []string{"INVALID_SERVICE_CONDITION_KEY", "INVALID_SERVICE", "CONDITION_WITHOUT_APPLICABLE_ACTION"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := Validate([]byte(tc.doc), tc.kind)
			got := codes(fs)
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("missing %s; got %v", w, fs)
				}
			}
			for _, n := range tc.not {
				if slices.Contains(got, n) {
					t.Errorf("unexpected %s; got %v", n, fs)
				}
			}
			for _, f := range fs {
				if f.Details == "" || f.LearnMoreLink == "" || len(f.Locations) != 1 || f.Locations[0].Span.Start.Line == 0 {
					t.Errorf("incomplete finding %+v", f)
				}
			}
		})
	}
}

func TestValidateFindingJSON(t *testing.T) {
	fs := Validate([]byte("{\n \"Version\": \"2012-10-17\",\n \"Statement\": {\"Effect\": \"Allow\", \"Action\": [\"iam:PassRole\"], \"Resource\": \"*\"}\n}"), Identity)
	var f *Finding
	for i := range fs {
		if fs[i].IssueCode == "PASS_ROLE_WITH_STAR_IN_RESOURCE" {
			f = &fs[i]
		}
	}
	if f == nil {
		t.Fatalf("no pass-role finding in %v", fs)
	}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{`"findingType":"SECURITY_WARNING"`, `"issueCode":"PASS_ROLE_WITH_STAR_IN_RESOURCE"`, `"path":[{"value":"Statement"},{"value":"Action"}]`,
		`"start":{"line":3,"column":44,"offset":72}`, `#access-analyzer-reference-policy-checks-security-warning-pass-role-with-star-in-resource"`} {
		if !strings.Contains(s, want) {
			t.Errorf("JSON %s lacks %s", s, want)
		}
	}
	if line := f.String(); !strings.HasPrefix(line, "SECURITY_WARNING 3:45 PASS_ROLE_WITH_STAR_IN_RESOURCE: ") {
		t.Errorf("String() = %q", line)
	}
}

func TestDataVersion(t *testing.T) {
	v, at := DataVersion()
	if v == "" || !strings.HasPrefix(at, "20") {
		t.Fatalf("DataVersion() = %q, %q", v, at)
	}
	d, err := loadData()
	if err != nil {
		t.Fatal(err)
	}
	for _, svc := range []string{"iam", "sts", "sns", "states", "events", "cloudtrail", "lambda", "s3", "kms"} {
		if d.Services[svc] == nil || len(d.Services[svc].Actions) == 0 {
			t.Errorf("no actions for %s", svc)
		}
	}
	if info, _, ok := d.keyLookup("iam:PermissionsBoundary"); !ok || info.typ != "ARN" {
		t.Errorf("iam:PermissionsBoundary = %+v %v", info, ok)
	}
	if _, _, ok := d.keyLookup("aws:PrincipalTag/Department"); !ok {
		t.Error("aws:PrincipalTag/K unknown")
	}
}

func TestARNOverlap(t *testing.T) {
	tests := []struct {
		tmpl, res string
		want      bool
	}{
		{"arn:${Partition}:s3:::${BucketName}", "arn:aws:s3:::HumanResources", true},
		{"arn:${Partition}:s3:::${BucketName}/${ObjectName}", "arn:aws:s3:::HumanResources", false},
		{"arn:${Partition}:s3:::${BucketName}/${ObjectName}", "arn:aws:s3:::HumanResources/*", true},
		{"arn:${Partition}:s3:::${BucketName}", "arn:aws:s3:::HumanResources/*", false},
		{"arn:${Partition}:s3:::${BucketName}", "arn:aws:s3:::*", true},
		{"arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}", "arn:aws:iam::111122223333:role/a/b/c", true},
		{"arn:${Partition}:ec2:${Region}:${Account}:instance/${InstanceId}", "arn:aws:ec2:us-east-2:ACCOUNT-ID:instance/*", true},
		{"arn:${Partition}:sns:${Region}:${Account}:${TopicName}", "arn:aws:ec2:*:*:instance/*", false},
		{"arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}", "arn:aws:lambda:*:*:function:f:1", true},
		{"arn:${Partition}:codebuild:${Region}:${Account}:project/${ProjectName}", "arn:aws:codebuild:us-west-2:123456789012:project/*", true},
		{"arn:${Partition}:execute-api:${Region}:${Account}:${ApiId}/${Stage}/${Method}/${ApiSpecificResourcePath}", "arn:aws:execute-api:*:*:*/*/GET/petstore/v2/status", true},
	}
	for _, tc := range tests {
		got := overlap(patternAtoms(compilePattern(tc.res, true, true)), compileARNTemplate(tc.tmpl))
		if got != tc.want {
			t.Errorf("overlap(%s, %s) = %v, want %v", tc.res, tc.tmpl, got, tc.want)
		}
	}
}
