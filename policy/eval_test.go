package policy

import (
	"slices"
	"testing"
)

func mustParse(t testing.TB, kind Kind, id, doc string) *Policy {
	t.Helper()
	p, err := Parse([]byte(doc), kind)
	if err != nil {
		t.Fatalf("Parse %s: %v", id, err)
	}
	p.ID = id
	return p
}

const acct = "111122223333"

var (
	carlos = Principal{Type: User, ARN: "arn:aws:iam::123456789012:user/carlossalazar", Account: "123456789012", ID: "AIDACARLOS0000000001"}
	// A session of role Dev in acct.
	devSession = Principal{
		Type: AssumedRole, ARN: "arn:aws:sts::111122223333:assumed-role/Dev/sess1", Account: acct,
		ID: "AROADEVROLE000000001:sess1", RoleARN: "arn:aws:iam::111122223333:role/Dev",
	}
	bob     = Principal{Type: User, ARN: "arn:aws:iam::111122223333:user/bob", Account: acct, ID: "AIDABOB0000000000001"}
	mallory = Principal{Type: User, ARN: "arn:aws:iam::444455556666:user/mallory", Account: "444455556666", ID: "AIDAMALLORY000000001"}
	fedBob  = Principal{Type: FederatedUser, ARN: "arn:aws:sts::111122223333:federated-user/bob", Account: acct, ID: acct + ":bob", SourceUserARN: "arn:aws:iam::111122223333:user/bob"}
	rootP   = Principal{Type: Root, ARN: "arn:aws:iam::111122223333:root", Account: acct, ID: acct}
	anon    = Principal{Type: Anonymous}
	events  = Principal{Type: Service, Service: "events.amazonaws.com"}
)

// The example of AWS's "Policy evaluation logic" page: Carlos and his
// buckets.
func TestEvaluateCarlos(t *testing.T) {
	identity := mustParse(t, Identity, "carlos-inline", `{
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "AllowS3ListRead", "Effect": "Allow",
         "Action": ["s3:GetBucketLocation","s3:GetAccountPublicAccessBlock","s3:ListAccessPoints","s3:ListAllMyBuckets"],
         "Resource": "arn:aws:s3:::*"},
        {"Sid": "AllowS3Self", "Effect": "Allow", "Action": "s3:*",
         "Resource": ["arn:aws:s3:::carlossalazar/*","arn:aws:s3:::carlossalazar"]},
        {"Sid": "DenyS3Logs", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::*log*"}
    ]}`)
	bucket := mustParse(t, Resource, "bucket-policy", `{
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:user/carlossalazar"},
        "Action": "s3:*", "Resource": ["arn:aws:s3:::carlossalazar/*","arn:aws:s3:::carlossalazar"]}]}`)
	in := Input{Identity: []*Policy{identity}, Resource: []*Policy{bucket}, ResourceAccount: "123456789012"}

	r := Evaluate(in, Request{Principal: carlos, Action: "s3:PutObject", Resource: "arn:aws:s3:::carlossalazar-logs/file"})
	if r.Decision != ExplicitDeny || r.Matched[0].Sid != "DenyS3Logs" || r.Reason != Identity {
		t.Errorf("logs bucket: %v, want explicitDeny by DenyS3Logs", r)
	}
	r = Evaluate(in, Request{Principal: carlos, Action: "s3:PutObject", Resource: "arn:aws:s3:::carlossalazar/file"})
	if r.Decision != Allowed {
		t.Errorf("own bucket: %v, want allowed", r)
	}
	if r.Matched[0].PolicyID != "bucket-policy" {
		t.Errorf("own bucket decided by %v, want the bucket policy naming carlos", r.Matched)
	}
	if span := r.Matched[0].Span; span.Start.Line != 3 || span.Start.Column != 18 {
		t.Errorf("statement span %+v, want start at line 3 column 18", span)
	}
	r = Evaluate(in, Request{Principal: carlos, Action: "S3:listallmybuckets", Resource: "arn:aws:s3:::any"})
	if r.Decision != Allowed || r.Matched[0].Sid != "AllowS3ListRead" {
		t.Errorf("case-insensitive action: %v", r)
	}
	r = Evaluate(in, Request{Principal: carlos, Action: "s3:PutObject", Resource: "arn:aws:s3:::CarlosSalazar/file"})
	if r.Decision != ImplicitDeny || r.Reason != Identity {
		t.Errorf("resource names are case-sensitive: %v", r)
	}
}

func TestEvaluateDecisions(t *testing.T) {
	allowAll := mustParse(t, Identity, "allow-all", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`)
	allowSNS := mustParse(t, Identity, "allow-sns", `{"Version":"2012-10-17","Statement":{"Sid":"Pub","Effect":"Allow","Action":"sns:Publish","Resource":"*"}}`)
	allowIAM := mustParse(t, Identity, "allow-iam", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:CreateUser","Resource":"*"}}`)
	boundaryS3 := mustParse(t, Boundary, "boundary", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:*","cloudwatch:*","ec2:*"],"Resource":"*"}}`)
	denySNS := mustParse(t, Identity, "deny-sns", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"sns:*","Resource":"*"}}`)
	sessS3 := mustParse(t, Session, "session", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`)
	topic := "arn:aws:sns:us-east-1:111122223333:alerts"
	topicFor := func(principal string) *Policy {
		return mustParse(t, Resource, "topic-policy", `{"Version":"2012-10-17","Statement":{"Sid":"T","Effect":"Allow","Principal":`+principal+`,"Action":"sns:Publish","Resource":"`+topic+`"}}`)
	}
	pub := func(p Principal) Request { return Request{Principal: p, Action: "sns:Publish", Resource: topic} }

	tests := []struct {
		name   string
		in     Input
		req    Request
		want   Decision
		reason Kind
	}{
		{"no policies", Input{}, pub(bob), ImplicitDeny, Identity},
		{"identity allow", Input{Identity: []*Policy{allowSNS}}, pub(bob), Allowed, Identity},
		{"explicit deny wins", Input{Identity: []*Policy{allowAll, denySNS}}, pub(bob), ExplicitDeny, Identity},
		{"boundary cuts identity", Input{Identity: []*Policy{allowIAM}, Boundary: []*Policy{boundaryS3}}, Request{Principal: bob, Action: "iam:CreateUser", Resource: "*"}, ImplicitDeny, Boundary},
		{"boundary and identity both allow", Input{Identity: []*Policy{allowAll}, Boundary: []*Policy{boundaryS3}}, Request{Principal: bob, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}, Allowed, Identity},
		{"empty boundary allows nothing", Input{Identity: []*Policy{allowAll}, Boundary: []*Policy{}}, pub(bob), ImplicitDeny, Boundary},
		{"boundary allows but identity does not", Input{Boundary: []*Policy{boundaryS3}}, Request{Principal: bob, Action: "s3:GetObject", Resource: "*"}, ImplicitDeny, Identity},
		{"deny in boundary", Input{Identity: []*Policy{allowAll}, Boundary: []*Policy{mustParse(t, Boundary, "b", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"sns:*","Resource":"*"}]}`)}}, pub(bob), ExplicitDeny, Boundary},

		// Resource-based policies in the same account.
		{"topic policy naming the user allows alone", Input{Resource: []*Policy{topicFor(`{"AWS":"arn:aws:iam::111122223333:user/bob"}`)}}, pub(bob), Allowed, Resource},
		{"topic policy naming the user beats the boundary", Input{Resource: []*Policy{topicFor(`{"AWS":"arn:aws:iam::111122223333:user/bob"}`)}, Boundary: []*Policy{boundaryS3}}, pub(bob), Allowed, Resource},
		{"topic policy naming the account needs identity", Input{Resource: []*Policy{topicFor(`{"AWS":"111122223333"}`)}}, pub(bob), ImplicitDeny, Identity},
		{"topic policy naming the account root needs identity", Input{Resource: []*Policy{topicFor(`{"AWS":"arn:aws:iam::111122223333:root"}`)}, Identity: []*Policy{allowSNS}}, pub(bob), Allowed, Identity},
		{"topic policy naming another user", Input{Resource: []*Policy{topicFor(`{"AWS":"arn:aws:iam::111122223333:user/carol"}`)}}, pub(bob), ImplicitDeny, Identity},
		{"topic policy with star allows", Input{Resource: []*Policy{topicFor(`"*"`)}}, pub(bob), Allowed, Resource},
		{"topic policy naming the role is cut by boundary", Input{Resource: []*Policy{topicFor(`{"AWS":"arn:aws:iam::111122223333:role/Dev"}`)}, Boundary: []*Policy{boundaryS3}}, pub(devSession), ImplicitDeny, Boundary},
		{"topic policy naming the role allows without identity", Input{Resource: []*Policy{topicFor(`{"AWS":"arn:aws:iam::111122223333:role/Dev"}`)}}, pub(devSession), Allowed, Resource},
		{"topic policy naming the role by id", Input{Resource: []*Policy{topicFor(`{"AWS":"AROADEVROLE000000001"}`)}}, pub(devSession), Allowed, Resource},
		{"topic policy naming the session beats the boundary", Input{Resource: []*Policy{topicFor(`{"AWS":"arn:aws:sts::111122223333:assumed-role/Dev/sess1"}`)}, Boundary: []*Policy{boundaryS3}}, pub(devSession), Allowed, Resource},
		{"topic policy naming the session beats the session policy", Input{Resource: []*Policy{topicFor(`{"AWS":"arn:aws:sts::111122223333:assumed-role/Dev/sess1"}`)}, Session: []*Policy{sessS3}}, pub(devSession), Allowed, Resource},
		{"topic policy naming the role is cut by the session policy", Input{Resource: []*Policy{topicFor(`{"AWS":"arn:aws:iam::111122223333:role/Dev"}`)}, Session: []*Policy{sessS3}}, pub(devSession), ImplicitDeny, Session},
		{"resource deny naming the account", Input{Identity: []*Policy{allowAll}, Resource: []*Policy{mustParse(t, Resource, "d", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":{"AWS":"111122223333"},"Action":"sns:*","Resource":"*"}}`)}}, pub(bob), ExplicitDeny, Resource},

		// Sessions.
		{"session policy intersects", Input{Identity: []*Policy{allowAll}, Session: []*Policy{sessS3}}, pub(devSession), ImplicitDeny, Session},
		{"session policy allows", Input{Identity: []*Policy{allowAll}, Session: []*Policy{sessS3}}, Request{Principal: devSession, Action: "s3:GetObject", Resource: "*"}, Allowed, Identity},
		{"role session without session policy", Input{Identity: []*Policy{allowSNS}}, pub(devSession), Allowed, Identity},
		{"federated user needs a session policy", Input{Identity: []*Policy{allowSNS}}, pub(fedBob), ImplicitDeny, Session},
		{"federated user with session policy", Input{Identity: []*Policy{allowAll}, Session: []*Policy{sessS3}}, Request{Principal: fedBob, Action: "s3:GetObject", Resource: "*"}, Allowed, Identity},
		{"resource naming the federating user is cut by session policy", Input{Resource: []*Policy{topicFor(`{"AWS":"arn:aws:iam::111122223333:user/bob"}`)}, Session: []*Policy{sessS3}}, pub(fedBob), ImplicitDeny, Session},
		{"resource naming the federated session", Input{Resource: []*Policy{topicFor(`{"AWS":"arn:aws:sts::111122223333:federated-user/bob"}`)}, Session: []*Policy{sessS3}}, pub(fedBob), Allowed, Resource},

		// Across accounts.
		{"cross account needs both", Input{Resource: []*Policy{topicFor(`{"AWS":"444455556666"}`)}, ResourceAccount: acct}, pub(mallory), ImplicitDeny, Identity},
		{"cross account both allow", Input{Identity: []*Policy{allowSNS}, Resource: []*Policy{topicFor(`{"AWS":"444455556666"}`)}, ResourceAccount: acct}, pub(mallory), Allowed, Identity},
		{"cross account no resource policy", Input{Identity: []*Policy{allowSNS}, ResourceAccount: acct}, pub(mallory), ImplicitDeny, Resource},
		{"cross account boundary", Input{Identity: []*Policy{allowSNS}, Boundary: []*Policy{boundaryS3}, Resource: []*Policy{topicFor(`{"AWS":"arn:aws:iam::444455556666:user/mallory"}`)}, ResourceAccount: acct}, pub(mallory), ImplicitDeny, Boundary},

		// Root, anonymous and services.
		{"root allowed by default", Input{}, pub(rootP), Allowed, Identity},
		{"root denied by resource policy", Input{Resource: []*Policy{mustParse(t, Resource, "d", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"sns:*","Resource":"*"}}`)}}, pub(rootP), ExplicitDeny, Resource},
		{"other account's root needs the resource policy", Input{ResourceAccount: "999999999999"}, pub(rootP), ImplicitDeny, Resource},
		{"anonymous needs star", Input{Resource: []*Policy{topicFor(`{"AWS":"111122223333"}`)}}, pub(anon), ImplicitDeny, Resource},
		{"anonymous with star", Input{Resource: []*Policy{topicFor(`"*"`)}}, pub(anon), Allowed, Resource},
		{"service principal", Input{Resource: []*Policy{topicFor(`{"Service":"events.amazonaws.com"}`)}}, pub(events), Allowed, Resource},
		{"other service principal", Input{Resource: []*Policy{topicFor(`{"Service":"s3.amazonaws.com"}`)}}, pub(events), ImplicitDeny, Resource},

		// SCPs.
		{"SCP allows", Input{Identity: []*Policy{allowSNS}, SCPs: [][]*Policy{{allowAll}}}, pub(bob), Allowed, Identity},
		{"SCP level without allow", Input{Identity: []*Policy{allowSNS}, SCPs: [][]*Policy{{allowAll}, {sessS3}}}, pub(bob), ImplicitDeny, SCP},
		{"SCP binds root", Input{SCPs: [][]*Policy{{sessS3}}}, pub(rootP), ImplicitDeny, SCP},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Evaluate(tc.in, tc.req)
			if r.Decision != tc.want || r.Reason != tc.reason {
				t.Errorf("got %v (reason %v), want %v (reason %v)", r.Decision, r.Reason, tc.want, tc.reason)
			}
			if (r.Decision == ImplicitDeny) != (len(r.Matched) == 0) && !(r.Decision == Allowed && tc.req.Principal.Type == Root) {
				t.Errorf("matched statements %v for %v", r.Matched, r.Decision)
			}
		})
	}
}

func TestEvaluateTrustPolicy(t *testing.T) {
	trust := func(principal string) *Policy {
		return mustParse(t, Trust, "trust", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":`+principal+`,"Action":"sts:AssumeRole"}}`)
	}
	assume := mustParse(t, Identity, "assume", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::111122223333:role/*"}}`)
	role := "arn:aws:iam::111122223333:role/Ops"
	req := Request{Principal: bob, Action: "sts:AssumeRole", Resource: role}
	tests := []struct {
		name string
		in   Input
		want Decision
	}{
		{"trust names the user", Input{Resource: []*Policy{trust(`{"AWS":"arn:aws:iam::111122223333:user/bob"}`)}}, Allowed},
		{"trust names the account, no identity allow", Input{Resource: []*Policy{trust(`{"AWS":"111122223333"}`)}}, ImplicitDeny},
		{"trust names the account, identity allows", Input{Identity: []*Policy{assume}, Resource: []*Policy{trust(`{"AWS":"111122223333"}`)}}, Allowed},
		{"identity alone is not enough", Input{Identity: []*Policy{assume}, Resource: []*Policy{trust(`{"Service":"ec2.amazonaws.com"}`)}}, ImplicitDeny},
		{"no trust policy", Input{Identity: []*Policy{assume}}, ImplicitDeny},
	}
	for _, tc := range tests {
		tc.in.ResourcePolicyRequired = true
		if r := Evaluate(tc.in, req); r.Decision != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, r, tc.want)
		}
	}
	// A web identity caller is matched by Federated principals.
	web := Principal{Type: WebIdentity, Federated: "accounts.google.com"}
	in := Input{Resource: []*Policy{trust(`{"Federated":"accounts.google.com"}`)}, ResourcePolicyRequired: true}
	if r := Evaluate(in, Request{Principal: web, Action: "sts:AssumeRoleWithWebIdentity", Resource: role}); r.Decision != ImplicitDeny {
		t.Errorf("trust allows sts:AssumeRole only: %v", r)
	}
	in.Resource[0] = mustParse(t, Trust, "t", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Federated":"accounts.google.com"},"Action":"sts:AssumeRoleWithWebIdentity"}}`)
	if r := Evaluate(in, Request{Principal: web, Action: "sts:AssumeRoleWithWebIdentity", Resource: role}); r.Decision != Allowed {
		t.Errorf("web identity: %v", r)
	}
}

// NotPrincipal with Deny, from AWS's NotPrincipal page: every principal but
// Bob is denied, and Bob is exempt only when his account is listed too.
func TestEvaluateNotPrincipal(t *testing.T) {
	allow := mustParse(t, Identity, "allow", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`)
	deny := func(list string) *Policy {
		return mustParse(t, Resource, "bucket", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":`+list+`},"Action":"s3:*","Resource":["arn:aws:s3:::BUCKETNAME","arn:aws:s3:::BUCKETNAME/*"]}]}`)
	}
	req := func(p Principal) Request {
		return Request{Principal: p, Action: "s3:GetObject", Resource: "arn:aws:s3:::BUCKETNAME/k"}
	}
	full := deny(`["arn:aws:iam::111122223333:user/bob","arn:aws:iam::111122223333:root"]`)
	if r := Evaluate(Input{Identity: []*Policy{allow}, Resource: []*Policy{full}}, req(bob)); r.Decision != Allowed {
		t.Errorf("bob listed with his account: %v", r)
	}
	if r := Evaluate(Input{Identity: []*Policy{allow}, Resource: []*Policy{full}}, req(Principal{Type: User, ARN: "arn:aws:iam::111122223333:user/eve", Account: acct})); r.Decision != ExplicitDeny {
		t.Errorf("eve: %v", r)
	}
	if r := Evaluate(Input{Identity: []*Policy{allow}, Resource: []*Policy{deny(`"arn:aws:iam::111122223333:user/bob"`)}}, req(bob)); r.Decision != ExplicitDeny {
		t.Errorf("bob without his account listed: %v, want explicitDeny (AWS may check the account first)", r)
	}
	// With a permissions boundary the NotPrincipal deny always applies.
	if r := Evaluate(Input{Identity: []*Policy{allow}, Boundary: []*Policy{allow}, Resource: []*Policy{full}}, req(bob)); r.Decision != ExplicitDeny {
		t.Errorf("bob with a boundary: %v", r)
	}
	session := deny(`["arn:aws:sts::111122223333:assumed-role/Dev/sess1","arn:aws:iam::111122223333:role/Dev","arn:aws:iam::111122223333:root"]`)
	if r := Evaluate(Input{Identity: []*Policy{allow}, Resource: []*Policy{session}}, req(devSession)); r.Decision != Allowed {
		t.Errorf("session listed with role and account: %v", r)
	}
	if r := Evaluate(Input{Identity: []*Policy{allow}, Resource: []*Policy{deny(`["arn:aws:sts::111122223333:assumed-role/Dev/sess1","arn:aws:iam::111122223333:root"]`)}}, req(devSession)); r.Decision != ExplicitDeny {
		t.Errorf("session without its role listed: %v", r)
	}
	// The account principal is the root user itself (found by the
	// differential test: the root was denied though its account was listed).
	for _, list := range []string{`"111122223333"`, `"arn:aws:iam::111122223333:root"`} {
		if r := Evaluate(Input{Resource: []*Policy{deny(list)}}, req(rootP)); r.Decision != Allowed {
			t.Errorf("root with its account %s listed: %v", list, r)
		}
	}
	if r := Evaluate(Input{Resource: []*Policy{deny(`"444455556666"`)}}, req(rootP)); r.Decision != ExplicitDeny {
		t.Errorf("root with another account listed: %v", r)
	}
	// NotPrincipal with Allow grants everyone else, anonymous callers too.
	open := mustParse(t, Resource, "open", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/bob"},"Action":"s3:*","Resource":"*"}}`)
	if r := Evaluate(Input{Resource: []*Policy{open}}, req(anon)); r.Decision != Allowed {
		t.Errorf("anonymous with NotPrincipal allow: %v", r)
	}
	if r := Evaluate(Input{Resource: []*Policy{open}}, req(bob)); r.Decision != ImplicitDeny {
		t.Errorf("bob excluded by NotPrincipal allow: %v", r)
	}
}

func TestEvaluateElements(t *testing.T) {
	pol := func(stmt string) *Policy {
		return mustParse(t, Identity, "p", `{"Version":"2012-10-17","Statement":`+stmt+`}`)
	}
	tests := []struct {
		name     string
		stmt     string
		action   string
		resource string
		ctx      Context
		want     Decision
	}{
		{"NotAction allows the rest", `{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}`, "sns:Publish", "*", nil, Allowed},
		{"NotAction excludes", `{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}`, "iam:CreateUser", "*", nil, ImplicitDeny},
		{"NotResource", `{"Effect":"Deny","Action":"*","NotResource":"arn:aws:s3:::safe/*"}`, "s3:GetObject", "arn:aws:s3:::other/k", nil, ExplicitDeny},
		{"NotResource excluded", `[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","NotResource":"arn:aws:s3:::safe/*"}]`, "s3:GetObject", "arn:aws:s3:::safe/k", nil, Allowed},
		{"action ? wildcard", `{"Effect":"Allow","Action":"s3:Get?bject","Resource":"*"}`, "s3:GetObject", "*", nil, Allowed},
		{"service wildcard", `{"Effect":"Allow","Action":"s*:List*","Resource":"*"}`, "sns:ListTopics", "*", nil, Allowed},
		{"action needs a match", `{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}`, "s3:PutObject", "*", nil, ImplicitDeny},
		{"resource wildcard spans colons", `{"Effect":"Allow","Action":"*","Resource":"arn:aws:execute-api:*:*:*/*/*/petstore/v1/*"}`, "execute-api:Invoke", "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/petstore/v1/pets/1", nil, Allowed},
		{"resource ? matches one char", `{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b?"}`, "s3:ListBucket", "arn:aws:s3:::bc", nil, Allowed},
		{"resource star does not match request star", `{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::*"}`, "s3:ListAllMyBuckets", "*", nil, ImplicitDeny},
		{"resource variable", `{"Effect":"Allow","Action":"iam:*AccessKey*","Resource":"arn:aws:iam::111122223333:user/${aws:username}"}`, "iam:CreateAccessKey", "arn:aws:iam::111122223333:user/alice", ctxOf("aws:username", "alice"), Allowed},
		{"resource variable other user", `{"Effect":"Allow","Action":"iam:*AccessKey*","Resource":"arn:aws:iam::111122223333:user/${aws:username}"}`, "iam:CreateAccessKey", "arn:aws:iam::111122223333:user/bob", ctxOf("aws:username", "alice"), ImplicitDeny},
		{"resource variable unresolved", `{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:username}/*"}`, "s3:GetObject", "arn:aws:s3:::b//k", nil, ImplicitDeny},
		{"resource variable default", `{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b-${aws:PrincipalTag/team, 'company-wide'}"}`, "s3:ListBucket", "arn:aws:s3:::b-company-wide", nil, Allowed},
		{"NotResource variable unresolved makes the statement invalid", `{"Effect":"Deny","Action":"*","NotResource":"arn:aws:s3:::b/${aws:username}/*"}`, "s3:GetObject", "arn:aws:s3:::b/x/k", nil, ImplicitDeny},
		{"NotResource variable unresolved grants nothing", `{"Effect":"Allow","Action":"*","NotResource":["arn:aws:s3:::safe/*","arn:aws:s3:::b/${aws:username}/*"]}`, "s3:GetObject", "arn:aws:s3:::b/x/k", nil, ImplicitDeny},
		{"NotResource variable resolved", `{"Effect":"Allow","Action":"*","NotResource":"arn:aws:s3:::b/${aws:username}/*"}`, "s3:GetObject", "arn:aws:s3:::b/x/k", ctxOf("aws:username", "alice"), Allowed},
		{"substituted star is literal", `{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:username}"}`, "s3:GetObject", "arn:aws:s3:::b/anything", ctxOf("aws:username", "*"), ImplicitDeny},
		{"2008 policies do not substitute", `{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:username}"}`, "s3:GetObject", "arn:aws:s3:::b/alice", ctxOf("aws:username", "alice"), Allowed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := pol(tc.stmt)
			if tc.name == "2008 policies do not substitute" {
				p = mustParse(t, Identity, "p", `{"Version":"2008-10-17","Statement":`+tc.stmt+`}`)
				if r := Evaluate(Input{Identity: []*Policy{p}}, Request{Principal: alice, Action: tc.action, Resource: tc.resource, Context: tc.ctx}); r.Decision != ImplicitDeny {
					t.Errorf("2008 substituted a variable: %v", r)
				}
				tc.resource = "arn:aws:s3:::b/${aws:username}"
			}
			r := Evaluate(Input{Identity: []*Policy{p}}, Request{Principal: alice, Action: tc.action, Resource: tc.resource, Context: tc.ctx})
			if r.Decision != tc.want {
				t.Errorf("got %v, want %v", r, tc.want)
			}
		})
	}
}

func TestMissingContextValues(t *testing.T) {
	p := mustParse(t, Identity, "p", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/Dept":"${aws:PrincipalTag/Dept}"},"Bool":{"aws:SecureTransport":"true"}}},
		{"Effect":"Allow","Action":"ec2:*","Resource":"*","Condition":{"StringEquals":{"ec2:Region":"x"}}}]}`)
	r := Evaluate(Input{Identity: []*Policy{p}}, Request{Principal: alice, Action: "s3:GetObject", Resource: "*", Context: ctxOf("aws:SecureTransport", "true", "aws:ResourceTag/Dept", "a")})
	if r.Decision != ImplicitDeny {
		t.Errorf("decision %v", r.Decision)
	}
	if want := []string{"aws:principaltag/dept"}; !slices.Equal(r.MissingContextValues, want) {
		t.Errorf("MissingContextValues = %v, want %v", r.MissingContextValues, want)
	}
	r = Evaluate(Input{Identity: []*Policy{p}}, Request{Principal: alice, Action: "s3:GetObject", Resource: "*"})
	if want := []string{"aws:ResourceTag/Dept", "aws:SecureTransport"}; !slices.Equal(r.MissingContextValues, want) {
		t.Errorf("MissingContextValues = %v, want %v (ec2 statement does not apply)", r.MissingContextValues, want)
	}
}

func TestSetPrincipal(t *testing.T) {
	c := Context{}
	c.SetPrincipal(Principal{Type: User, ARN: "arn:aws:iam::111122223333:user/division/JohnA", Account: acct, ID: "AIDAJOHN"}, map[string]string{"Department": "Eng"})
	for k, want := range map[string]string{"aws:username": "JohnA", "aws:principaltype": "User", "aws:userid": "AIDAJOHN", "aws:principaltag/department": "Eng", "aws:principalaccount": acct} {
		if v, _ := c.Get(k); len(v) != 1 || v[0] != want {
			t.Errorf("%s = %v, want %q", k, v, want)
		}
	}
	c = Context{}
	c.SetPrincipal(devSession, nil)
	if v, _ := c.Get("aws:PrincipalArn"); len(v) != 1 || v[0] != devSession.RoleARN {
		t.Errorf("aws:PrincipalArn of a session = %v, want the role ARN", v)
	}
	if _, ok := c.Get("aws:username"); ok {
		t.Error("a role session has no aws:username")
	}
}
