package policy

import (
	"fmt"
	"testing"
)

var alice = Principal{Type: User, ARN: "arn:aws:iam::111122223333:user/alice", Account: "111122223333", ID: "AIDAEXAMPLEALICE0001"}

// condAllows builds an identity policy allowing everything under one
// condition block and reports whether it allows a request with ctx.
func condAllows(t *testing.T, version, cond string, ctx Context) bool {
	t.Helper()
	doc := fmt.Sprintf(`{"Version":%q,"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":%s}}`, version, cond)
	p, err := Parse([]byte(doc), Identity)
	if err != nil {
		t.Fatalf("Parse(%s): %v", doc, err)
	}
	r := Evaluate(Input{Identity: []*Policy{p}}, Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: ctx})
	return r.Decision == Allowed
}

func ctxOf(kv ...any) Context {
	c := Context{}
	for i := 0; i < len(kv); i += 2 {
		switch v := kv[i+1].(type) {
		case string:
			c.Set(kv[i].(string), v)
		case []string:
			c.Set(kv[i].(string), v...)
		}
	}
	return c
}

func TestConditionOperators(t *testing.T) {
	tests := []struct {
		name    string
		version string // default 2012-10-17
		cond    string
		ctx     Context
		want    bool
	}{
		// String operators.
		{"StringEquals match", "", `{"StringEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}}`, ctxOf("aws:PrincipalTag/job-category", "iamuser-admin"), true},
		{"StringEquals is case-sensitive", "", `{"StringEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}}`, ctxOf("aws:PrincipalTag/job-category", "IAMUser-Admin"), false},
		{"StringEquals missing key", "", `{"StringEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}}`, ctxOf(), false},
		{"StringEquals OR across values", "", `{"StringEquals":{"aws:PrincipalTag/role":["audit","security"]}}`, ctxOf("aws:PrincipalTag/role", "security"), true},
		{"condition key names ignore case", "", `{"StringEquals":{"AWS:principaltag/ROLE":"audit"}}`, ctxOf("aws:PrincipalTag/role", "audit"), true},
		{"operator names ignore case", "", `{"stringequals":{"aws:PrincipalTag/role":"audit"}}`, ctxOf("aws:PrincipalTag/role", "audit"), true},
		{"StringNotEquals missing key is true", "", `{"StringNotEquals":{"aws:PrincipalAccount":"123456789012"}}`, ctxOf(), true},
		{"StringNotEquals NOR across values", "", `{"StringNotEquals":{"aws:PrincipalAccount":["111","222"]}}`, ctxOf("aws:PrincipalAccount", "222"), false},
		{"StringNotEquals none listed", "", `{"StringNotEquals":{"aws:PrincipalAccount":["111","222"]}}`, ctxOf("aws:PrincipalAccount", "333"), true},
		{"StringEqualsIgnoreCase", "", `{"StringEqualsIgnoreCase":{"aws:PrincipalTag/department":["finance","hr"]}}`, ctxOf("aws:PrincipalTag/department", "HR"), true},
		{"StringNotEqualsIgnoreCase", "", `{"StringNotEqualsIgnoreCase":{"aws:PrincipalTag/department":"hr"}}`, ctxOf("aws:PrincipalTag/department", "Hr"), false},
		{"StringLike prefix", "", `{"StringLike":{"s3:prefix":["","home/","home/${aws:username}/*"]}}`, ctxOf("s3:prefix", "home/alice/docs", "aws:username", "alice"), true},
		{"StringLike other home", "", `{"StringLike":{"s3:prefix":["","home/","home/${aws:username}/*"]}}`, ctxOf("s3:prefix", "home/bob/docs", "aws:username", "alice"), false},
		{"StringLike empty value", "", `{"StringLike":{"s3:prefix":["","home/"]}}`, ctxOf("s3:prefix", ""), true},
		{"StringLike ? is one character", "", `{"StringLike":{"aws:PrincipalTag/x":"a?c"}}`, ctxOf("aws:PrincipalTag/x", "aéc"), true},
		{"StringLike ? is exactly one", "", `{"StringLike":{"aws:PrincipalTag/x":"a?c"}}`, ctxOf("aws:PrincipalTag/x", "abbc"), false},
		{"StringLike is case-sensitive", "", `{"StringLike":{"ec2:InstanceType":"t2.*"}}`, ctxOf("ec2:InstanceType", "T2.micro"), false},
		{"StringEquals star is literal", "", `{"StringEquals":{"ec2:InstanceType":"t2.*"}}`, ctxOf("ec2:InstanceType", "t2.micro"), false},
		{"StringNotLike", "", `{"StringNotLike":{"ec2:InstanceType":["t1.*","t2.*"]}}`, ctxOf("ec2:InstanceType", "m5.large"), true},
		{"StringNotLike matched", "", `{"StringNotLike":{"ec2:InstanceType":["t1.*","t2.*"]}}`, ctxOf("ec2:InstanceType", "t2.nano"), false},

		// Numeric.
		{"NumericLessThanEquals", "", `{"NumericLessThanEquals":{"s3:max-keys":"10"}}`, ctxOf("s3:max-keys", "10"), true},
		{"NumericLessThanEquals over", "", `{"NumericLessThanEquals":{"s3:max-keys":"10"}}`, ctxOf("s3:max-keys", "11"), false},
		{"Numeric unquoted", "", `{"NumericLessThan":{"s3:max-keys":10}}`, ctxOf("s3:max-keys", "9.5"), true},
		{"Numeric non-number request", "", `{"NumericEquals":{"s3:max-keys":"10"}}`, ctxOf("s3:max-keys", "ten"), false},
		{"NumericEquals decimals", "", `{"NumericEquals":{"s3:max-keys":"10.0"}}`, ctxOf("s3:max-keys", "10"), true},
		{"NumericNotEquals missing", "", `{"NumericNotEquals":{"s3:max-keys":"10"}}`, ctxOf(), true},
		{"NumericGreaterThan big integers", "", `{"NumericGreaterThan":{"x:n":"9007199254740993"}}`, ctxOf("x:n", "9007199254740994"), true},
		{"NumericGreaterThanEquals", "", `{"NumericGreaterThanEquals":{"aws:MultiFactorAuthAge":"3600"}}`, ctxOf("aws:MultiFactorAuthAge", "3599"), false},

		// Dates.
		{"DateGreaterThan", "", `{"DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"}}`, ctxOf("aws:TokenIssueTime", "2020-06-01T12:00:00Z"), true},
		{"DateGreaterThan before", "", `{"DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"}}`, ctxOf("aws:TokenIssueTime", "2019-12-31T23:59:59Z"), false},
		{"DateGreaterThan missing", "", `{"DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"}}`, ctxOf(), false},
		{"DateLessThan epoch policy", "", `{"DateLessThan":{"aws:CurrentTime":"1893456000"}}`, ctxOf("aws:CurrentTime", "2029-12-31T00:00:00Z"), true},
		{"DateEquals day", "", `{"DateEquals":{"aws:CurrentTime":"2024-03-01"}}`, ctxOf("aws:CurrentTime", "2024-03-01T00:00:00Z"), true},
		{"DateLessThanEquals offset", "", `{"DateLessThanEquals":{"aws:EpochTime":"2024-03-01T01:00:00+01:00"}}`, ctxOf("aws:EpochTime", "1709251200"), true},
		{"DateNotEquals", "", `{"DateNotEquals":{"aws:CurrentTime":"2024-03-01"}}`, ctxOf("aws:CurrentTime", "2024-03-02"), true},

		// Bool and binary.
		{"Bool false", "", `{"Bool":{"aws:SecureTransport":"false"}}`, ctxOf("aws:SecureTransport", "false"), true},
		{"Bool mismatch", "", `{"Bool":{"aws:SecureTransport":"false"}}`, ctxOf("aws:SecureTransport", "true"), false},
		{"Bool unquoted and case", "", `{"Bool":{"aws:SecureTransport":true}}`, ctxOf("aws:SecureTransport", "TRUE"), true},
		{"Bool with variable", "", `{"Bool":{"aws:MultiFactorAuthPresent":"${aws:PrincipalTag/mfa}"}}`, ctxOf("aws:MultiFactorAuthPresent", "true", "aws:PrincipalTag/mfa", "true"), true},
		{"BinaryEquals", "", `{"BinaryEquals":{"x:bin":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}`, ctxOf("x:bin", "QmluYXJ5VmFsdWVJbkJhc2U2NA=="), true},
		{"BinaryEquals differs", "", `{"BinaryEquals":{"x:bin":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}`, ctxOf("x:bin", "QmluYXJ5"), false},

		// IP addresses.
		{"IpAddress v4 in range", "", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctxOf("aws:SourceIp", "203.0.113.77"), true},
		{"IpAddress v4 outside", "", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctxOf("aws:SourceIp", "203.0.114.1"), false},
		{"IpAddress v6 range", "", `{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:DB8:1234:5678::/64"]}}`, ctxOf("aws:SourceIp", "2001:db8:1234:5678::9"), true},
		{"IpAddress bare address is /32", "", `{"IpAddress":{"aws:SourceIp":"203.0.113.9"}}`, ctxOf("aws:SourceIp", "203.0.113.10"), false},
		{"IpAddress non-canonical range", "", `{"IpAddress":{"aws:SourceIp":"203.0.113.9/24"}}`, ctxOf("aws:SourceIp", "203.0.113.10"), true},
		{"IpAddress mapped v4", "", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctxOf("aws:SourceIp", "::ffff:203.0.113.5"), true},
		{"IpAddress missing", "", `{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`, ctxOf(), false},
		{"NotIpAddress", "", `{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","198.51.100.0/24"]}}`, ctxOf("aws:SourceIp", "203.0.113.1"), true},
		{"NotIpAddress inside", "", `{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","198.51.100.0/24"]}}`, ctxOf("aws:SourceIp", "198.51.100.7"), false},

		// ARNs.
		{"ArnLike components", "", `{"ArnLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}}`, ctxOf("aws:SourceArn", "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"), false},
		{"StringLike spans colons", "", `{"StringLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}}`, ctxOf("aws:SourceArn", "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"), true},
		{"ArnEquals", "", `{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:123456789012:topic"}}`, ctxOf("aws:SourceArn", "arn:aws:sns:us-east-1:123456789012:topic"), true},
		{"ArnLike resource part keeps colons", "", `{"ArnLike":{"aws:SourceArn":"arn:aws:lambda:*:123456789012:function:*"}}`, ctxOf("aws:SourceArn", "arn:aws:lambda:us-east-1:123456789012:function:f:3"), true},
		{"ArnLike is case-sensitive", "", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/Admin"}}`, ctxOf("aws:PrincipalArn", "arn:aws:iam::123456789012:role/admin"), false},
		{"ArnNotLike", "", `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/Admin"}}`, ctxOf("aws:PrincipalArn", "arn:aws:iam::123456789012:role/Dev"), true},
		{"ArnLike not an ARN", "", `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:*:*"}}`, ctxOf("aws:SourceArn", "sns-topic"), false},
		{"ArnEquals variable", "", `{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:*:*:${aws:username}"}}`, ctxOf("aws:SourceArn", "arn:aws:sns:us-east-1:1:alice", "aws:username", "alice"), true},

		// Null and IfExists.
		{"Null true when absent", "", `{"Null":{"aws:TokenIssueTime":"true"}}`, ctxOf(), true},
		{"Null true when present", "", `{"Null":{"aws:TokenIssueTime":"true"}}`, ctxOf("aws:TokenIssueTime", "2024-01-01T00:00:00Z"), false},
		{"Null false when present", "", `{"Null":{"aws:TokenIssueTime":"false"}}`, ctxOf("aws:TokenIssueTime", "2024-01-01T00:00:00Z"), true},
		{"Null unquoted", "", `{"Null":{"aws:TokenIssueTime":false}}`, ctxOf(), false},
		{"Null on empty set", "", `{"Null":{"aws:TagKeys":"true"}}`, Context{"aws:tagkeys": {}}, true},
		{"IfExists absent", "", `{"StringLikeIfExists":{"ec2:InstanceType":["t1.*","t2.*","m3.*"]}}`, ctxOf(), true},
		{"IfExists present mismatch", "", `{"StringLikeIfExists":{"ec2:InstanceType":["t1.*","t2.*","m3.*"]}}`, ctxOf("ec2:InstanceType", "c5.large"), false},
		{"IfExists present match", "", `{"StringLikeIfExists":{"ec2:InstanceType":["t1.*","t2.*","m3.*"]}}`, ctxOf("ec2:InstanceType", "m3.medium"), true},
		{"NotEqualsIfExists absent", "", `{"StringNotEqualsIfExists":{"aws:RequestTag/team":"x"}}`, ctxOf(), true},
		{"NumericIfExists", "", `{"NumericLessThanIfExists":{"s3:max-keys":"5"}}`, ctxOf(), true},

		// Set operators.
		{"ForAllValues subset", "", `{"ForAllValues:StringEquals":{"dynamodb:Attributes":["ID","Message","Tags"]}}`, ctxOf("dynamodb:Attributes", []string{"Message", "Tags"}), true},
		{"ForAllValues not subset", "", `{"ForAllValues:StringEquals":{"dynamodb:Attributes":["PostDateTime","Message","Tags"]}}`, ctxOf("dynamodb:Attributes", []string{"PostDateTime", "UserName"}), false},
		{"ForAllValues missing key", "", `{"ForAllValues:StringEquals":{"aws:TagKeys":["a"]}}`, ctxOf(), true},
		{"ForAllValues empty set", "", `{"ForAllValues:StringEquals":{"aws:TagKeys":["a"]}}`, Context{"aws:tagkeys": {}}, true},
		{"ForAnyValue hit", "", `{"ForAnyValue:StringEquals":{"dynamodb:Attributes":["ID","PostDateTime"]}}`, ctxOf("dynamodb:Attributes", []string{"UserName", "Message", "PostDateTime"}), true},
		{"ForAnyValue miss", "", `{"ForAnyValue:StringEquals":{"dynamodb:Attributes":["ID","PostDateTime"]}}`, ctxOf("dynamodb:Attributes", []string{"UserName"}), false},
		{"ForAnyValue missing key", "", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["a"]}}`, ctxOf(), false},
		{"ForAnyValue empty set", "", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["a"]}}`, Context{"aws:tagkeys": {}}, false},
		{"ForAnyValue IfExists missing", "", `{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":["a"]}}`, ctxOf(), true},
		{"ForAllValues negated", "", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret","owner"]}}`, ctxOf("aws:TagKeys", []string{"env", "team"}), true},
		{"ForAllValues negated hit", "", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret","owner"]}}`, ctxOf("aws:TagKeys", []string{"env", "owner"}), false},
		{"ForAnyValue negated", "", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["env"]}}`, ctxOf("aws:TagKeys", []string{"env", "x"}), true},
		{"ForAnyValue single value", "", `{"ForAnyValue:StringEquals":{"lambda:CodeSigningConfig":["arn:csc"]}}`, ctxOf("lambda:CodeSigningConfig", "arn:csc"), true},
		{"ForAllValues StringLike", "", `{"ForAllValues:StringLike":{"aws:TagKeys":["team-*"]}}`, ctxOf("aws:TagKeys", []string{"team-a", "team-b"}), true},
		{"multivalued key needs a qualifier", "", `{"StringEquals":{"aws:TagKeys":"a"}}`, ctxOf("aws:TagKeys", []string{"a", "b"}), false},
		{"multivalued key negated needs a qualifier", "", `{"StringNotEquals":{"aws:TagKeys":"c"}}`, ctxOf("aws:TagKeys", []string{"a", "b"}), false},
		{"ForAllValues Null always true", "", `{"ForAllValues:Null":{"aws:TagKeys":"false"}}`, ctxOf(), true},
		{"ForAnyValue Null always false", "", `{"ForAnyValue:Null":{"aws:TagKeys":"true"}}`, ctxOf(), false},

		// AND across keys and operators.
		{"AND across keys", "", `{"StringEquals":{"aws:PrincipalTag/a":"1","aws:PrincipalTag/b":"2"}}`, ctxOf("aws:PrincipalTag/a", "1", "aws:PrincipalTag/b", "3"), false},
		{"AND across operators", "", `{"StringEquals":{"aws:PrincipalTag/a":"1"},"Bool":{"aws:SecureTransport":"true"}}`, ctxOf("aws:PrincipalTag/a", "1", "aws:SecureTransport", "true"), true},
		{"AND across operators fails", "", `{"StringEquals":{"aws:PrincipalTag/a":"1"},"Bool":{"aws:SecureTransport":"true"}}`, ctxOf("aws:PrincipalTag/a", "1", "aws:SecureTransport", "false"), false},
		{"empty condition block", "", `{}`, ctxOf(), true},

		// Policy variables.
		{"variable resolves", "", `{"StringEquals":{"aws:RequestTag/Owner":"${aws:username}"}}`, ctxOf("aws:RequestTag/Owner", "JohnA", "aws:username", "JohnA"), true},
		{"variable unresolved is false", "", `{"StringEquals":{"s3:ExistingObjectTag/Team":"${aws:PrincipalTag/Team}"}}`, ctxOf("s3:ExistingObjectTag/Team", ""), false},
		{"variable unresolved negated is false", "", `{"StringNotEquals":{"s3:ExistingObjectTag/Team":"${aws:PrincipalTag/Team}"}}`, ctxOf("s3:ExistingObjectTag/Team", "red"), false},
		{"variable unresolved negated among values is false", "", `{"StringNotLike":{"s3:ExistingObjectTag/Team":["blue","${aws:PrincipalTag/Team}"]}}`, ctxOf("s3:ExistingObjectTag/Team", "red"), false},
		{"variable unresolved negated key absent is true", "", `{"StringNotEquals":{"s3:ExistingObjectTag/Team":"${aws:PrincipalTag/Team}"}}`, ctxOf(), true},
		{"variable unresolved ArnNotLike is false", "", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:sns:*:*:${aws:username}"}}`, ctxOf("aws:SourceArn", "arn:aws:sns:us-east-1:1:t"), false},
		{"variable name ignores case", "", `{"StringEquals":{"aws:RequestTag/Owner":"${AWS:UserName}"}}`, ctxOf("aws:RequestTag/Owner", "JohnA", "aws:username", "JohnA"), true},
		{"variable default", "", `{"StringEquals":{"x:bucket":"b-${aws:PrincipalTag/team, 'company-wide'}"}}`, ctxOf("x:bucket", "b-company-wide"), true},
		{"variable default unused", "", `{"StringEquals":{"x:bucket":"b-${aws:PrincipalTag/team, 'company-wide'}"}}`, ctxOf("x:bucket", "b-yellow", "aws:PrincipalTag/team", "yellow"), true},
		{"multivalued key is no variable", "", `{"StringEquals":{"x:k":"${aws:TagKeys}"}}`, ctxOf("x:k", "a", "aws:TagKeys", []string{"a", "b"}), false},
		{"substituted value is literal", "", `{"StringLike":{"x:k":"${aws:PrincipalTag/p}"}}`, ctxOf("x:k", "anything", "aws:PrincipalTag/p", "*"), false},
		{"escape ${*} is a literal star", "", `{"StringLike":{"x:k":"a${*}b"}}`, ctxOf("x:k", "a*b"), true},
		{"escape ${*} is not a wildcard", "", `{"StringLike":{"x:k":"a${*}b"}}`, ctxOf("x:k", "axb"), false},
		{"escapes ${?} and ${$}", "", `{"StringEquals":{"x:k":"${?}${$}"}}`, ctxOf("x:k", "?$"), true},
		{"2008 version has no variables", Version2008, `{"StringEquals":{"x:k":"${aws:username}"}}`, ctxOf("x:k", "${aws:username}", "aws:username", "alice"), true},
		{"numeric takes no variables", "", `{"NumericEquals":{"x:n":"${x:m}"}}`, ctxOf("x:n", "1", "x:m", "1"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := tc.version
			if v == "" {
				v = Version2012
			}
			if got := condAllows(t, v, tc.cond, tc.ctx); got != tc.want {
				t.Errorf("condition %s with %v = %v, want %v", tc.cond, tc.ctx, got, tc.want)
			}
		})
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pat, s string
		fold   bool
		want   bool
	}{
		{"*", "", false, true},
		{"*", "anything:at/all", false, true},
		{"a*b*c", "aXXbYYc", false, true},
		{"a*b*c", "aXXbYY", false, false},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b/x/y/z", false, true},
		{"arn:aws:s3:::B/*", "arn:aws:s3:::b/x", false, false},
		{"iam:*accesskey*", "iam:CreateAccessKey", true, true},
		{"???", "ab", false, false},
		{"???", "日本語", false, true},
		{"*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false, false},
		{"", "", false, true},
		{"", "x", false, false},
	}
	for _, tc := range tests {
		p := compilePattern(tc.pat, false, true)
		if got := globMatch(p.segs, tc.s, tc.fold); got != tc.want {
			t.Errorf("globMatch(%q, %q, %v) = %v, want %v", tc.pat, tc.s, tc.fold, got, tc.want)
		}
	}
}
