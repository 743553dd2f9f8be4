package policy

import (
	"encoding/json"
	"testing"
)

var fuzzSeeds = []string{
	`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`,
	`{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Deny","NotAction":["s3:Get*"],"NotResource":"arn:aws:s3:::b/${aws:username}/*","Condition":{"ForAnyValue:StringLikeIfExists":{"aws:TagKeys":["a*",1,true]},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`,
	`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::111122223333:role/R"],"Service":"sns.amazonaws.com"},"Action":"sns:Publish","Resource":"arn:aws:sns:*:*:t","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:events:*:${aws:PrincipalAccount}:rule/*"},"DateLessThan":{"aws:CurrentTime":"2030-01-01"},"Null":{"aws:TokenIssueTime":"true"}}}}`,
	`{"Statement":{"Effect":"Allow","NotPrincipal":"*","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":1e400},"BinaryEquals":{"x:b":"QQ=="},"Bool":{"aws:SecureTransport":"${aws:x, 'true'}"}}}}`,
	`{"Version":"2012-10-17","Statement":[]}`,
	`[`, `{"a":"\ud83d\ude00\u0000"}`, "",
}

// FuzzParse checks that no document makes Parse, Validate or Evaluate
// panic, and that an accepted document evaluates.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(1))
	}
	f.Fuzz(func(t *testing.T, doc []byte, k uint8) {
		kind := Kind(k % 6)
		Validate(doc, kind)
		p, err := Parse(doc, kind)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("Parse error %T is not *Error", err)
			}
			return
		}
		ctx := Context{"aws:username": {"alice"}, "aws:tagkeys": {"a", "b"}, "aws:sourceip": {"10.1.2.3"}, "aws:currenttime": {"2024-01-01T00:00:00Z"}}
		in := Input{ResourceAccount: acct}
		switch kind {
		case Resource, Trust:
			in.Resource = []*Policy{p}
		case Boundary:
			in.Boundary, in.Identity = []*Policy{p}, []*Policy{p}
		default:
			in.Identity = []*Policy{p}
		}
		for _, pr := range []Principal{alice, devSession, anon, events, rootP, fedBob} {
			Evaluate(in, Request{Principal: pr, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/alice/k", Context: ctx})
		}
	})
}

// FuzzCondition evaluates one condition with arbitrary operator, key, policy
// value and request values.
func FuzzCondition(f *testing.F) {
	f.Add("StringLike", "aws:PrincipalTag/a", "x*${aws:username}?", "xyzalicez", "")
	f.Add("ForAllValues:IpAddress", "aws:SourceIp", "2001:db8::/32", "2001:db8::1", "10.0.0.1")
	f.Add("DateGreaterThanIfExists", "aws:CurrentTime", "1700000000", "2024-01-01T00:00:00+01:00", "")
	f.Add("ArnNotLike", "aws:SourceArn", "arn:aws:*:*:${aws:x}:*", "arn:aws:s3:::b", "")
	f.Add("NumericGreaterThan", "s3:max-keys", "1.5", "2", "abc")
	f.Fuzz(func(t *testing.T, op, key, value, v1, v2 string) {
		cond, err := json.Marshal(map[string]map[string]string{op: {key: value}})
		if err != nil {
			return
		}
		doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":` + string(cond) + `}}`
		p, err := Parse([]byte(doc), Identity)
		Validate([]byte(doc), Identity)
		if err != nil {
			return
		}
		vals := []string{v1}
		if v2 != "" {
			vals = append(vals, v2)
		}
		ctx := Context{}
		ctx.Set(key, vals...)
		ctx.Set("aws:username", v1)
		r := Evaluate(Input{Identity: []*Policy{p}}, Request{Principal: alice, Action: "a:b", Resource: "*", Context: ctx})
		if r.Decision == ExplicitDeny {
			t.Fatalf("an allow-only policy denied explicitly")
		}
	})
}
