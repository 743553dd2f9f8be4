package policy

import (
	"slices"
	"strings"
	"testing"
)

// The policies of the seed articles, with the allow and deny cases the
// articles state.

func TestSeedSecretsManagerABAC(t *testing.T) {
	p := mustParse(t, Identity, "abac", `{
      "Version": "2012-10-17",
      "Statement": [
          {"Sid": "SecretsManagerABAC", "Effect": "Allow",
           "Action": ["secretsmanager:DescribeSecret","secretsmanager:PutSecretValue","secretsmanager:CreateSecret",
                      "secretsmanager:ListSecretVersionIds","secretsmanager:UpdateSecret","secretsmanager:GetResourcePolicy",
                      "secretsmanager:GetSecretValue","secretsmanager:ListSecrets","secretsmanager:TagResource"],
           "Resource": "*",
           "Condition": {"StringEquals": {"secretsmanager:ResourceTag/Department": "${aws:PrincipalTag/Department}"}}},
          {"Sid": "NeededPermissions", "Effect": "Allow",
           "Action": ["kms:ListKeys","kms:ListAliases","rds:DescribeDBInstances","redshift:DescribeClusters",
                      "rds:DescribeDBClusters","secretsmanager:ListSecrets","tag:GetResources","lambda:ListFunctions"],
           "Resource": "*"}
      ]}`)
	secret := "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-a1b2c3"
	ask := func(principalDept, secretDept string) Decision {
		ctx := Context{}
		ctx.SetPrincipal(devSession, map[string]string{"Department": principalDept})
		if secretDept != "" {
			ctx.Set("secretsmanager:ResourceTag/Department", secretDept)
		}
		return Evaluate(Input{Identity: []*Policy{p}}, Request{Principal: devSession, Action: "secretsmanager:GetSecretValue", Resource: secret, Context: ctx}).Decision
	}
	if d := ask("Finance", "Finance"); d != Allowed {
		t.Errorf("same department: %v", d)
	}
	if d := ask("Finance", "Engineering"); d != ImplicitDeny {
		t.Errorf("other department: %v", d)
	}
	if d := ask("Finance", ""); d != ImplicitDeny {
		t.Errorf("untagged secret: %v", d)
	}
	ctx := Context{}
	ctx.Set("secretsmanager:ResourceTag/Department", "Finance")
	if r := Evaluate(Input{Identity: []*Policy{p}}, Request{Principal: devSession, Action: "secretsmanager:GetSecretValue", Resource: secret, Context: ctx}); r.Decision != ImplicitDeny || !slices.Contains(r.MissingContextValues, "aws:principaltag/department") {
		t.Errorf("untagged principal: %v missing %v", r.Decision, r.MissingContextValues)
	}
	if r := Evaluate(Input{Identity: []*Policy{p}}, Request{Principal: devSession, Action: "kms:ListKeys", Resource: "*"}); r.Decision != Allowed || r.Matched[0].Sid != "NeededPermissions" {
		t.Errorf("kms:ListKeys: %v", r)
	}
}

func TestSeedPetStoreSourceIP(t *testing.T) {
	doc := `{
   "Version":"2012-10-17",
   "Statement":[{"Sid":"PetStore-API","Effect":"Allow","Action":"execute-api:Invoke",
      "Resource":["arn:aws:execute-api:*:*:*/*/*/petstore/v1/*","arn:aws:execute-api:*:*:*/*/GET/petstore/v2/status"],
      "Condition":{"IpAddress":{"aws:SourceIp":["192.0.2.0/24","198.51.100.0/24"]}}}]}`
	// API Gateway authorizers accept the hyphen in the Sid; IAM would not.
	if _, err := Parse([]byte(doc), Identity); err == nil || !strings.Contains(err.Error(), MsgSidAlphanumeric) {
		t.Errorf("IAM grammar accepted Sid PetStore-API: %v", err)
	}
	p := mustParse(t, SCP, "petstore", doc)
	api := "arn:aws:execute-api:us-east-1:111122223333:a1b2c3/prod/"
	tests := []struct {
		path, ip string
		want     Decision
	}{
		{"POST/petstore/v1/pets", "192.0.2.10", Allowed},
		{"DELETE/petstore/v1/pets/7", "198.51.100.200", Allowed},
		{"GET/petstore/v2/status", "192.0.2.10", Allowed},
		{"POST/petstore/v2/status", "192.0.2.10", ImplicitDeny},
		{"GET/petstore/v2/pets", "192.0.2.10", ImplicitDeny},
		{"GET/petstore/v1/pets", "203.0.113.9", ImplicitDeny},
	}
	for _, tc := range tests {
		ctx := Context{}
		ctx.Set("aws:SourceIp", tc.ip)
		r := Evaluate(Input{Identity: []*Policy{p}}, Request{Principal: alice, Action: "execute-api:Invoke", Resource: api + tc.path, Context: ctx})
		if r.Decision != tc.want {
			t.Errorf("%s from %s: %v, want %v", tc.path, tc.ip, r.Decision, tc.want)
		}
	}
}

func TestSeedSSODelegation(t *testing.T) {
	actions := `["sso:ProvisionPermissionSet","sso:CreateAccountAssignment","sso:DeleteInlinePolicyFromPermissionSet",
	  "sso:UpdateInstanceAccessControlAttributeConfiguration","sso:PutInlinePolicyToPermissionSet","sso:DeleteAccountAssignment",
	  "sso:DetachManagedPolicyFromPermissionSet","sso:DeletePermissionSet","sso:AttachManagedPolicyToPermissionSet",
	  "sso:CreatePermissionSet","sso:UpdatePermissionSet","sso:CreateInstanceAccessControlAttributeConfiguration",
	  "sso:DeleteInstanceAccessControlAttributeConfiguration","sso:ProvisionApplicationInstanceForAWSAccount"]`
	p := mustParse(t, Identity, "delegated-ou-admin", `{"Version":"2012-10-17","Statement":[
	  {"Sid":"DelegatedOUAdmin","Effect":"Allow","Action":`+actions+`,"Resource":"arn:aws:sso:::permissionSet/*/*",
	   "Condition":{"StringEquals":{"aws:ResourceTag/Environment":"Development","aws:ResourceTag/OU":"Test"}}},
	  {"Sid":"Instance","Effect":"Allow","Action":`+actions+`,"Resource":["arn:aws:sso:::instance/ssoins-82593a6ed92c8920",
	   "arn:aws:sso:::account/112233445566","arn:aws:sso:::account/223344556677","arn:aws:sso:::account/334455667788"]}]}`)
	ps := "arn:aws:sso:::permissionSet/ssoins-82593a6ed92c8920/ps-1234"
	ask := func(resource string, tags map[string]string) Decision {
		ctx := Context{}
		for k, v := range tags {
			ctx.Set("aws:ResourceTag/"+k, v)
		}
		return Evaluate(Input{Identity: []*Policy{p}}, Request{Principal: devSession, Action: "sso:ProvisionPermissionSet", Resource: resource, Context: ctx}).Decision
	}
	if d := ask(ps, map[string]string{"Environment": "Development", "OU": "Test"}); d != Allowed {
		t.Errorf("both tags: %v", d)
	}
	if d := ask(ps, map[string]string{"Environment": "Development"}); d != ImplicitDeny {
		t.Errorf("one tag: %v", d)
	}
	if d := ask(ps, map[string]string{"Environment": "Production", "OU": "Test"}); d != ImplicitDeny {
		t.Errorf("production: %v", d)
	}
	if d := ask("arn:aws:sso:::account/223344556677", nil); d != Allowed {
		t.Errorf("development account: %v", d)
	}
	if d := ask("arn:aws:sso:::account/999999999999", nil); d != ImplicitDeny {
		t.Errorf("other account: %v", d)
	}
}

// The tag-based IAM policies: the developer must tag what it creates with its
// user name and attach the S3ActionBoundary, whose own condition limits the
// role to us-east-1.
func TestSeedTagBasedIAM(t *testing.T) {
	create := mustParse(t, Identity, "DeveloperCreateActions", `{"Version":"2012-10-17","Statement":[
	  {"Sid":"CreateRole","Effect":"Allow","Action":"iam:CreateRole","Resource":"arn:aws:iam::111122223333:role/Developer-*",
	   "Condition":{"StringEquals":{"aws:RequestTag/Owner":"${aws:username}","iam:PermissionsBoundary":"arn:aws:iam::111122223333:policy/S3ActionBoundary"}}},
	  {"Sid":"CreatePolicyandInstanceProfile","Effect":"Allow","Action":["iam:CreateInstanceProfile","iam:CreatePolicy"],
	   "Resource":["arn:aws:iam::111122223333:instance-profile/Developer-*","arn:aws:iam::111122223333:policy/Developer-*"],
	   "Condition":{"StringEquals":{"aws:RequestTag/Owner":"${aws:username}"}}},
	  {"Sid":"TagActionsAndAttachActions","Effect":"Allow","Action":["iam:TagInstanceProfile","iam:TagPolicy","iam:AttachRolePolicy","iam:TagRole"],
	   "Resource":["arn:aws:iam::111122223333:instance-profile/Developer-*","arn:aws:iam::111122223333:policy/Developer-*","arn:aws:iam::111122223333:role/Developer-*"],
	   "Condition":{"StringEquals":{"aws:ResourceTag/Owner":"${aws:username}"}}}]}`)
	john := Principal{Type: User, ARN: "arn:aws:iam::111122223333:user/JohnA", Account: acct, ID: "AIDAJOHNA00000000001"}
	ask := func(action, resource string, kv ...string) Decision {
		ctx := Context{}
		ctx.SetPrincipal(john, nil)
		for i := 0; i < len(kv); i += 2 {
			ctx.Set(kv[i], kv[i+1])
		}
		return Evaluate(Input{Identity: []*Policy{create}}, Request{Principal: john, Action: action, Resource: resource, Context: ctx}).Decision
	}
	profile := "arn:aws:iam::111122223333:instance-profile/Developer-EC2-InstanceProfile"
	if d := ask("iam:CreateInstanceProfile", profile); d != ImplicitDeny {
		t.Errorf("untagged instance profile: %v", d)
	}
	if d := ask("iam:CreateInstanceProfile", profile, "aws:RequestTag/Owner", "JohnA"); d != Allowed {
		t.Errorf("tagged instance profile: %v", d)
	}
	if d := ask("iam:CreatePolicy", "arn:aws:iam::111122223333:policy/TestPolicy", "aws:RequestTag/Owner", "JohnA"); d != ImplicitDeny {
		t.Errorf("policy without the Developer- prefix: %v", d)
	}
	role := "arn:aws:iam::111122223333:role/Developer-EC2"
	if d := ask("iam:CreateRole", role, "aws:RequestTag/Owner", "JohnA"); d != ImplicitDeny {
		t.Errorf("role without boundary: %v", d)
	}
	if d := ask("iam:CreateRole", role, "aws:RequestTag/Owner", "JohnA", "iam:PermissionsBoundary", "arn:aws:iam::111122223333:policy/S3ActionBoundary"); d != Allowed {
		t.Errorf("role with tag and boundary: %v", d)
	}
	if d := ask("iam:TagRole", role, "aws:ResourceTag/Owner", "Someone"); d != ImplicitDeny {
		t.Errorf("tagging someone else's role: %v", d)
	}

	// The role Developer-EC2 then runs with the boundary.
	boundary := mustParse(t, Boundary, "S3ActionBoundary", `{"Version":"2012-10-17","Statement":[{"Sid":"S3ActionBoundary","Effect":"Allow",
	  "Action":["S3:CreateBucket","S3:ListAllMyBuckets","S3:GetBucketLocation","S3:PutObject","S3:PutObjectAcl"],
	  "Resource":"arn:aws:s3:::Developer-*","Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}}]}`)
	access := mustParse(t, Identity, "Developer-ApplicationS3Access", `{"Version":"2012-10-17","Statement":[{"Sid":"S3Access","Effect":"Allow",
	  "Action":["S3:GetBucketLocation","S3:PutObject","S3:PutObjectAcl"],"Resource":"arn:aws:s3:::Developer-*"}]}`)
	ec2 := Principal{Type: AssumedRole, ARN: "arn:aws:sts::111122223333:assumed-role/Developer-EC2/i-0abc", Account: acct, RoleARN: role, ID: "AROADEVEC20000000001:i-0abc"}
	put := func(bucket, region string) Result {
		ctx := Context{}
		ctx.Set("aws:RequestedRegion", region)
		return Evaluate(Input{Identity: []*Policy{access}, Boundary: []*Policy{boundary}}, Request{Principal: ec2, Action: "s3:PutObject", Resource: "arn:aws:s3:::" + bucket, Context: ctx})
	}
	if r := put("Developer-data", "us-east-1"); r.Decision != Allowed || len(r.Matched) != 2 {
		t.Errorf("put in us-east-1: %v", r)
	}
	if r := put("Developer-data", "eu-west-1"); r.Decision != ImplicitDeny || r.Reason != Boundary {
		t.Errorf("put in eu-west-1: %v, want implicit deny by the boundary", r)
	}
	if r := put("other-data", "us-east-1"); r.Decision != ImplicitDeny {
		t.Errorf("put outside Developer- buckets: %v", r)
	}
	ctx := Context{}
	ctx.Set("aws:RequestedRegion", "us-east-1")
	if r := Evaluate(Input{Identity: []*Policy{access}, Boundary: []*Policy{boundary}}, Request{Principal: ec2, Action: "s3:CreateBucket", Resource: "arn:aws:s3:::Developer-new", Context: ctx}); r.Decision != ImplicitDeny || r.Reason != Identity {
		t.Errorf("boundary alone grants nothing: %v", r)
	}
}

func TestSeedLambdaCodeSigning(t *testing.T) {
	p := mustParse(t, Identity, "csc", `{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["lambda:CreateFunction","lambda:PutFunctionCodeSigningConfig"], "Resource": "*",
      "Condition": {"ForAnyValue:StringEquals": {"lambda:CodeSigningConfig": ["arn:aws:lambda:sa-east-1:111122223333:code-signing-config:approved-csc-0123456789abcdef0"]}}},
    {"Effect": "Deny",
     "Action": ["signer:PutSigningProfile","lambda:DeleteFunctionCodeSigningConfig","lambda:UpdateCodeSigningConfig",
                "lambda:DeleteCodeSigningConfig","lambda:CreateCodeSigningConfig"],
     "Resource": "*"}
  ]}`)
	all := mustParse(t, Identity, "admin", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`)
	ask := func(action, csc string, extra ...*Policy) Result {
		ctx := Context{}
		if csc != "" {
			ctx.Set("lambda:CodeSigningConfig", csc)
		}
		return Evaluate(Input{Identity: append([]*Policy{p}, extra...)}, Request{Principal: devSession, Action: action, Resource: "arn:aws:lambda:sa-east-1:111122223333:function:signed-main-function", Context: ctx})
	}
	approved := "arn:aws:lambda:sa-east-1:111122223333:code-signing-config:approved-csc-0123456789abcdef0"
	if r := ask("lambda:CreateFunction", approved); r.Decision != Allowed {
		t.Errorf("approved CSC: %v", r)
	}
	if r := ask("lambda:CreateFunction", "arn:aws:lambda:sa-east-1:111122223333:code-signing-config:mine"); r.Decision != ImplicitDeny {
		t.Errorf("other CSC: %v", r)
	}
	if r := ask("lambda:CreateFunction", ""); r.Decision != ImplicitDeny {
		t.Errorf("no CSC: %v", r)
	}
	if r := ask("lambda:CreateCodeSigningConfig", "", all); r.Decision != ExplicitDeny || r.Matched[0].PolicyID != "csc" {
		t.Errorf("creating a CSC even with admin rights: %v", r)
	}
	if r := ask("signer:PutSigningProfile", "", all); r.Decision != ExplicitDeny {
		t.Errorf("signing profile: %v", r)
	}
}

// Seed 000: the two policies the IAM policy summary flags, and their fixes.
func TestSeedPolicySummaryWarnings(t *testing.T) {
	broken1 := `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ThisPolicyDoesNotGrantAllListandGetActions",
            "Effect": "Allow",
            "Action": ["s3:List*",
                       "s3:GetObject"],
            "Resource": ["arn:aws:s3:::HumanResources"]
        }
    ]
}`
	fixed1 := `{
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "TheseActionsSupportBucketResourceType", "Effect": "Allow",
         "Action": ["s3:ListBucket","s3:ListBucketByTags","s3:ListBucketMultipartUploads","s3:ListBucketVersions"],
         "Resource": ["arn:aws:s3:::HumanResources"]},
        {"Sid": "TheseActionsRequireAllResources", "Effect": "Allow",
         "Action": ["s3:ListAllMyBuckets","s3:ListMultipartUploadParts","s3:ListObjects"], "Resource": [ "*"]},
        {"Sid": "TheseActionsRequireSupportsObjectResourceType", "Effect": "Allow",
         "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::HumanResources/*"]}
    ]
}`
	broken2 := `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ListReadAccesstoCodeServices",
            "Effect": "Allow",
            "Action": [
                "codebuild:List*",
                "codebuild:BatchGet*"
            ],
            "Resource": ["*"], 
             "Condition": {
                "StringEquals": {
                    "ec2:Region": "us-west-2"
                }
            }
        }
    ]	
}`
	fixed2 := `{
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "TheseActionsSupportAllResources", "Effect": "Allow",
         "Action": ["codebuild:ListBuilds","codebuild:ListProjects","codebuild:ListRepositories",
                    "codebuild:ListCuratedEnvironmentImages","codebuild:ListConnectedOAuthAccounts"],
         "Resource": ["*"]},
        {"Sid": "TheseActionsSupportAResource", "Effect": "Allow",
         "Action": ["codebuild:ListBuildsForProject","codebuild:BatchGet*"],
         "Resource": ["arn:aws:codebuild:us-west-2:123456789012:project/*"]}
    ]
}`
	find := func(fs []Finding, code string) []Finding {
		var out []Finding
		for _, f := range fs {
			if f.IssueCode == code {
				out = append(out, f)
			}
		}
		return out
	}
	fs := Validate([]byte(broken1), Identity)
	got := find(fs, "ACTION_WITHOUT_APPLICABLE_RESOURCE")
	if len(got) != 2 {
		t.Fatalf("broken S3 policy: %v", fs)
	}
	if l := got[0].Locations[0].Span.Start; l.Line != 7 || !strings.Contains(got[0].Details, "s3:ListAllMyBuckets") {
		t.Errorf("s3:List* finding: %v at %+v", got[0], l)
	}
	if l := got[1].Locations[0].Span.Start; l.Line != 8 || !strings.Contains(got[1].Details, "s3:GetObject") {
		t.Errorf("s3:GetObject finding: %v at %+v", got[1], l)
	}
	fs = Validate([]byte(fixed1), Identity)
	if got := find(fs, "ACTION_WITHOUT_APPLICABLE_RESOURCE"); len(got) != 0 {
		t.Errorf("fixed S3 policy still mismatched: %v", got)
	}
	// The article's fix names two actions S3 has since retired.
	if got := find(fs, "INVALID_ACTION"); len(got) != 2 {
		t.Errorf("retired S3 actions: %v", fs)
	}

	fs = Validate([]byte(broken2), Identity)
	got = find(fs, "CONDITION_WITHOUT_APPLICABLE_ACTION")
	if len(got) != 1 || got[0].Locations[0].Span.Start.Line != 14 || !strings.Contains(got[0].Details, "ec2:Region") {
		t.Errorf("broken CodeBuild policy: %v", fs)
	}
	fs = Validate([]byte(fixed2), Identity)
	for _, code := range []string{"CONDITION_WITHOUT_APPLICABLE_ACTION", "RESOURCE_WITHOUT_APPLICABLE_ACTION"} {
		if got := find(fs, code); len(got) != 0 {
			t.Errorf("fixed CodeBuild policy: %v", got)
		}
	}
	// CodeBuild has added BatchGet actions on other resource types since the
	// article; the ones it meant act on projects.
	for _, f := range find(fs, "ACTION_WITHOUT_APPLICABLE_RESOURCE") {
		if strings.Contains(f.Details, "BatchGetProjects") || strings.Contains(f.Details, "BatchGetBuilds,") || strings.Contains(f.Details, "ListBuildsForProject") {
			t.Errorf("fixed CodeBuild policy: %v", f)
		}
	}
}
