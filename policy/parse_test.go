package policy

import (
	"errors"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name      string
		kind      Kind
		doc       string
		msg       string
		code      string
		line, col int // col from 1, as people count
	}{
		{"not JSON", Identity, "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n}", MsgSyntax, "JSON_SYNTAX_ERROR", 4, 1},
		{"trailing garbage", Identity, `{"Statement":[]} x`, MsgSyntax, "JSON_SYNTAX_ERROR", 1, 18},
		{"not an object", Identity, `["Statement"]`, MsgSyntax, "DATA_TYPE_MISMATCH", 1, 1},
		{"no statement", Identity, `{"Version":"2012-10-17"}`, MsgSyntax, "MISSING_STATEMENT", 1, 1},
		{"empty statement list", Identity, `{"Version":"2012-10-17","Statement":[]}`, MsgSyntax, "MISSING_STATEMENT", 1, 37},
		{"unknown top element", Identity, `{"Version":"2012-10-17","Statements":[]}`, MsgSyntax, "INVALID_POLICY_ELEMENT", 1, 25},
		{"bad version", Identity, `{"Version":"2012-10-18","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, MsgSyntax, "INVALID_VERSION", 1, 12},
		{"unknown statement element", Identity, "{\"Version\":\"2012-10-17\",\"Statement\":{\n \"Effect\":\"Allow\",\"Actions\":\"*\",\"Resource\":\"*\"}}", MsgSyntax, "INVALID_POLICY_ELEMENT", 2, 19},
		{"duplicate element", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Effect":"Deny","Action":"*","Resource":"*"}}`, MsgSyntax, "JSON_SYNTAX_ERROR", 1, 55},
		{"missing effect", Identity, `{"Version":"2012-10-17","Statement":{"Action":"*","Resource":"*"}}`, MsgSyntax, "MISSING_EFFECT", 1, 37},
		{"bad effect", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Permit","Action":"*","Resource":"*"}}`, MsgSyntax, "INVALID_EFFECT", 1, 47},
		{"effect case", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"allow","Action":"*","Resource":"*"}}`, MsgLegacyParsing, "INVALID_EFFECT", 1, 47},
		{"principal in identity policy", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}`, MsgNoPrincipalAllowed, "UNSUPPORTED_PRINCIPAL", 1, 67},
		{"principal in boundary", Boundary, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotPrincipal":{"AWS":"1"},"Action":"*","Resource":"*"}}`, MsgNoPrincipalAllowed, "UNSUPPORTED_PRINCIPAL", 1, 70},
		{"resource policy without principal", Resource, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, MsgMissingPrincipal, "MISSING_PRINCIPAL", 1, 37},
		{"trust policy with resource", Trust, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}}`, "Has prohibited field Resource", "ROLE_TRUST_POLICY_SYNTAX_ERROR_RESOURCE", 1, 136},
		{"missing actions", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Resource":"*"}}`, MsgMissingActions, "MISSING_ACTION", 1, 37},
		{"empty actions", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":[],"Resource":"*"}}`, MsgMissingActions, "MISSING_ACTION", 1, 64},
		{"missing resources", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*"}}`, MsgMissingResources, "MISSING_RESOURCE", 1, 37},
		{"action and notaction", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","NotAction":"s3:*","Resource":"*"}}`, MsgSyntax, "UNSUPPORTED_ELEMENT_COMBINATION", 1, 80},
		{"action without vendor", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"GetObject","Resource":"*"}}`, MsgActionVendor, "INVALID_ACTION", 1, 64},
		{"action with two colons", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:a:b"],"Resource":"*"}}`, MsgActionColon, "INVALID_ACTION", 1, 65},
		{"bad vendor", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s 3:Get","Resource":"*"}}`, "Vendor s 3 is not valid", "INVALID_SERVICE_IN_ACTION", 1, 64},
		{"resource not an ARN", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"bucket"}}`, `Resource bucket must be in ARN format or "*".`, "INVALID_ARN_PREFIX", 1, 79},
		{"short ARN", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3"}}`, MsgLegacyParsing, "MISSING_ARN_FIELD", 1, 79},
		{"bad partition", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aw:s3:::b"}}`, `Partition "aw" is not valid for resource "arn:aw:s3:::b".`, "INVALID_PARTITION", 1, 79},
		{"iam region", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:iam:us-east-1:111122223333:user/x"}}`, "IAM resource arn:aws:iam:us-east-1:111122223333:user/x cannot contain region information.", "ARN_REGION_NOT_ALLOWED", 1, 79},
		{"sid characters", Identity, `{"Version":"2012-10-17","Statement":{"Sid":"my sid","Effect":"Allow","Action":"*","Resource":"*"}}`, MsgSidAlphanumeric, "UNSUPPORTED_SID", 1, 44},
		{"duplicate sids", Identity, `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"*","Resource":"*"}]}`, MsgUniqueSids, "UNIQUE_SIDS_REQUIRED", 1, 102},
		{"unknown operator", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualz":{"aws:x":"y"}}}}`, MsgSyntax, "INVALID_CONDITION_OPERATOR", 1, 96},
		{"null ifexists", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NullIfExists":{"aws:x":"true"}}}}`, MsgSyntax, "NULL_WITH_IF_EXISTS", 1, 96},
		{"condition key without vendor", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"x":"y"}}}}`, MsgActionVendor, "INVALID_CONDITION_KEY_FORMAT", 1, 112},
		{"bad date", Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"yesterday"}}}}`, MsgLegacyParsing, "TYPE_MISMATCH_DATE", 1, 130},
		{"principal wildcard in ARN", Resource, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/*"},"Action":"*","Resource":"*"}}`, `Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:user/*"`, "UNSUPPORTED_WILDCARD_IN_PRINCIPAL", 1, 74},
		{"principal key", Resource, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"IAM":"x"},"Action":"*","Resource":"*"}}`, `Invalid principal in policy: "IAM"`, "INVALID_PRINCIPAL_KEY", 1, 74},
		{"principal string", Resource, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"111122223333","Action":"*","Resource":"*"}}`, `Invalid principal in policy: "111122223333"`, "INVALID_PRINCIPAL_FORMAT", 1, 67},
		{"notprincipal in trust", Trust, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotPrincipal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}}`, "Has prohibited field NotPrincipal", "ROLE_TRUST_POLICY_SYNTAX_ERROR_NOTPRINCIPAL", 1, 70},
		{"deep nesting", Identity, strings.Repeat("[", 100) + strings.Repeat("]", 100), MsgSyntax, "JSON_SYNTAX_ERROR", 1, 65},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc), tc.kind)
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Parse = %v, want *Error", err)
			}
			if pe.Message != tc.msg || pe.Code != tc.code {
				t.Errorf("error %q (%s), want %q (%s); detail %q", pe.Message, pe.Code, tc.msg, tc.code, pe.Detail)
			}
			if got := pe.Span.Start; got.Line != tc.line || got.Column+1 != tc.col {
				t.Errorf("at %d:%d, want %d:%d (%v)", got.Line, got.Column+1, tc.line, tc.col, pe)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	docs := []struct {
		kind Kind
		doc  string
	}{
		{Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`},
		{Identity, `{"Version":"2008-10-17","Id":"x","Statement":[{"Effect":"Deny","NotAction":["s3:*"],"NotResource":"arn:aws:s3:::b"}]}`},
		{Identity, "\ufeff" + `{"Version":"2012-10-17","Statement":{"Sid":"","Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":[10, "20"]},"Bool":{"aws:SecureTransport":true}}}}`},
		{Resource, `{"Version":"2012-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{"AWS":"*"},"Action":["SNS:Publish"],"Resource":"arn:aws:sns:us-east-1:111122223333:t","Condition":{"StringEquals":{"AWS:SourceOwner":"111122223333"}}}]}`},
		{Resource, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::111122223333:root","arn:aws:iam::111122223333:role/path/R","arn:aws:sts::111122223333:assumed-role/R/s","AIDAJQABLZS4A3QDU576Q"],"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}}`},
		{Trust, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:saml-provider/idp"},"Action":"sts:AssumeRoleWithSAML","Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}}`},
		{SCP, `{"Version":"2012-10-17","Statement":{"Sid":"deny-root","Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"}}}}`},
	}
	for _, d := range docs {
		p, err := Parse([]byte(d.doc), d.kind)
		if err != nil {
			t.Errorf("Parse(%s, %v): %v", d.doc, d.kind, err)
			continue
		}
		if len(p.Statements) == 0 {
			t.Errorf("no statements from %s", d.doc)
		}
	}
}

func TestParseKeepsElements(t *testing.T) {
	p := mustParse(t, Resource, "p", `{
  "Version": "2012-10-17",
  "Id": "TopicPolicy",
  "Statement": [{
    "Sid": "S1", "Effect": "Deny", "Principal": "*", "NotAction": "sns:Get*",
    "Resource": ["arn:aws:sns:us-east-1:1:t"],
    "Condition": {"ForAnyValue:StringLikeIfExists": {"aws:TagKeys": ["a*", 7]}}
  }]
}`)
	s := p.Statements[0]
	if p.PolicyID != "TopicPolicy" || p.Version != Version2012 || s.Sid != "S1" || s.Effect != Deny {
		t.Errorf("policy %+v statement %+v", p, s)
	}
	if !s.Principal.Wildcard || len(s.NotAction) != 1 || len(s.Resource) != 1 {
		t.Errorf("elements %+v", s)
	}
	c := s.Conditions[0]
	if c.Operator != "ForAnyValue:StringLikeIfExists" || c.Key != "aws:TagKeys" || len(c.Values) != 2 || c.Values[1] != "7" {
		t.Errorf("condition %+v", c)
	}
	if c.Span.Start.Line != 7 || s.Span.Start.Line != 4 || s.Span.End.Line != 8 {
		t.Errorf("spans: condition %+v statement %+v", c.Span, s.Span)
	}
}
