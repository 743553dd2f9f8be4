package iam

import (
	"net/url"
	"strings"
	"testing"
)

const (
	allowAll   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	trustRoot  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
	trustLocal = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":["states.amazonaws.com"]},"Action":["sts:AssumeRole","sts:TagSession"]}}`
)

func TestCheckPolicy(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		kind docKind
		want string // "" for valid, else a part of the MalformedPolicyDocument message
	}{
		{"allow all", allowAll, identityDoc, ""},
		{"statement object, no version", `{"Statement":{"Effect":"Deny","NotAction":"iam:*","NotResource":["arn:aws:iam::*:role/x"]}}`, identityDoc, ""},
		{"old version", `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::b/*"}]}`, identityDoc, ""},
		{"conditions", `{"Statement":[{"Sid":"A1","Effect":"Allow","Action":"sns:Publish","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":["a","b"]},"Bool":{"aws:SecureTransport":true},"NumericLessThan":{"s3:max-keys":10}}}]}`, identityDoc, ""},
		{"trust with account", trustRoot, trustDoc, ""},
		{"trust with service", trustLocal, trustDoc, ""},
		{"trust with star", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`, trustDoc, ""},
		{"session policy", allowAll, sessionDoc, ""},

		{"not json", `{"Version":`, identityDoc, "invalid Json"},
		{"not an object", `["x"]`, identityDoc, "invalid Json"},
		{"trailing data", allowAll + `{}`, identityDoc, "invalid Json"},
		{"unknown top field", `{"Statement":[],"Foo":1}`, identityDoc, "Syntax errors"},
		{"bad version", `{"Version":"2020-01-01","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, identityDoc, "legacy parsing"},
		{"no statement", `{"Version":"2012-10-17"}`, identityDoc, "Syntax errors"},
		{"empty statements", `{"Statement":[]}`, identityDoc, "Syntax errors"},
		{"statement not object", `{"Statement":["x"]}`, identityDoc, "Syntax errors"},
		{"null statement", `{"Statement":[null]}`, identityDoc, "Syntax errors"},
		{"no effect", `{"Statement":[{"Action":"*","Resource":"*"}]}`, identityDoc, "Missing required field Effect"},
		{"bad effect", `{"Statement":[{"Effect":"allow","Action":"*","Resource":"*"}]}`, identityDoc, "Invalid effect: allow"},
		{"no action", `{"Statement":[{"Effect":"Allow","Resource":"*"}]}`, identityDoc, "must contain actions"},
		{"action and notaction", `{"Statement":[{"Effect":"Allow","Action":"*","NotAction":"x:y","Resource":"*"}]}`, identityDoc, "Syntax errors"},
		{"action without vendor", `{"Statement":[{"Effect":"Allow","Action":"GetObject","Resource":"*"}]}`, identityDoc, "prefaced by a vendor"},
		{"bad vendor", `{"Statement":[{"Effect":"Allow","Action":"s 3:Get","Resource":"*"}]}`, identityDoc, "Vendor s 3 is not valid"},
		{"action a number", `{"Statement":[{"Effect":"Allow","Action":3,"Resource":"*"}]}`, identityDoc, "Syntax errors"},
		{"no resource", `{"Statement":[{"Effect":"Allow","Action":"*"}]}`, identityDoc, "must contain resources"},
		{"resource not arn", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"bucket"}]}`, identityDoc, `Resource bucket must be in ARN format or "*".`},
		{"principal in identity policy", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`, identityDoc, "should not specify a principal"},
		{"principal in session policy", `{"Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"*"},"Action":"*","Resource":"*"}]}`, sessionDoc, "should not specify a principal"},
		{"trust without principal", `{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`, trustDoc, "Missing required field Principal"},
		{"trust with resource", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}]}`, trustDoc, "Has prohibited field Resource"},
		{"bad principal type", `{"Statement":[{"Effect":"Allow","Principal":{"Users":"x"},"Action":"sts:AssumeRole"}]}`, trustDoc, "Invalid principal"},
		{"bad aws principal", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"alice"},"Action":"sts:AssumeRole"}]}`, trustDoc, `Invalid principal in policy: "AWS":"alice"`},
		{"principal string not star", `{"Statement":[{"Effect":"Allow","Principal":"alice","Action":"sts:AssumeRole"}]}`, trustDoc, "Invalid principal"},
		{"unknown statement field", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Foo":"x"}]}`, identityDoc, "Syntax errors"},
		{"bad condition", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":"x"}}]}`, identityDoc, "Syntax errors"},
		{"nested condition value", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"k":{"a":1}}}}]}`, identityDoc, "Syntax errors"},
		{"sid not alphanumeric", `{"Statement":[{"Sid":"a-b","Effect":"Allow","Action":"*","Resource":"*"}]}`, identityDoc, "alpha-numeric"},
		{"duplicate sid", `{"Statement":[{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"*","Resource":"*"}]}`, identityDoc, "must be unique"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := checkPolicy(tt.doc, tt.kind)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("checkPolicy: %v", err)
				}
				return
			}
			e := wantCode(t, err, "MalformedPolicyDocument", 400)
			if !strings.Contains(e.Message, tt.want) {
				t.Errorf("message %q, want it to contain %q", e.Message, tt.want)
			}
		})
	}
}

func TestCheckPolicyReturnsAWSPrincipals(t *testing.T) {
	doc := `{"Statement":[{"Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::123456789012:user/a"],"Service":"x.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	ps, err := checkPolicy(doc, trustDoc)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ps, ",") != "123456789012,arn:aws:iam::123456789012:user/a" {
		t.Errorf("principals %v", ps)
	}
}

func TestPolicySize(t *testing.T) {
	if n := policySize("{ \"a\" :\n\t\"b c\" }"); n != 10 {
		t.Errorf("policySize = %d, want 10 (white space not counted)", n)
	}
}

func TestEncodeDocument(t *testing.T) {
	doc := "{\n  \"Action\": \"s3:*\", \"R\": \"a+b~c\"\n}"
	enc := encodeDocument(doc)
	if strings.ContainsAny(enc, " \n+\"{") {
		t.Errorf("encodeDocument = %q: reserved characters left", enc)
	}
	if !strings.Contains(enc, "%20") || !strings.Contains(enc, "%2B") {
		t.Errorf("encodeDocument = %q: want spaces as %%20 and plus as %%2B", enc)
	}
	back, err := url.QueryUnescape(enc)
	if err != nil || back != doc {
		t.Errorf("QueryUnescape(encodeDocument) = %q, %v", back, err)
	}
	back, err = url.PathUnescape(enc)
	if err != nil || back != doc {
		t.Errorf("PathUnescape(encodeDocument) = %q, %v", back, err)
	}
}

func TestBuiltinPoliciesAreValid(t *testing.T) {
	for _, p := range awsManagedPolicies {
		if _, err := checkPolicy(p.document, identityDoc); err != nil {
			t.Errorf("%s: %v", p.name, err)
		}
		b := builtinPolicies[strings.ToLower(p.name)]
		if !policyIDRe.MatchString(b.id) || b.arn != "arn:aws:iam::aws:policy/"+p.name {
			t.Errorf("%s: id %q arn %q", p.name, b.id, b.arn)
		}
	}
	// Ids derive from names alone, so every server and restart agrees.
	if id := builtinID("AdministratorAccess"); id != builtinPolicies["administratoraccess"].id || id == builtinID("ReadOnlyAccess") {
		t.Errorf("built-in ids are not stable and distinct: %s", id)
	}
}

func FuzzCheckPolicy(f *testing.F) {
	f.Add(allowAll, 0)
	f.Add(trustRoot, 1)
	f.Add(`{"Statement":{"Effect":"Deny","NotAction":"iam:*","NotResource":"*","Condition":{"Null":{"a":"true"}}}}`, 2)
	f.Add(`{"Statement":[{"Principal":{"AWS":["*",1]}}]}`, 1)
	f.Fuzz(func(t *testing.T, doc string, kind int) {
		k := docKind(kind % 3)
		if k < 0 {
			k = -k
		}
		ps, err := checkPolicy(doc, k)
		if err != nil {
			if e := wantCode(t, err, "MalformedPolicyDocument", 400); e.Message == "" {
				t.Fatal("empty message")
			}
			return
		}
		if k != trustDoc && len(ps) > 0 {
			t.Fatalf("principals %v from a policy of kind %d", ps, k)
		}
	})
}
