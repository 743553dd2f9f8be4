package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// The allow and deny cases that seed 002's articles state, through the
// real server: the articles' policies on real users and roles with the
// articles' tags, asked of IAM's policy simulator for the services Vigil
// does not run (Secrets Manager, API Gateway, IAM Identity Center, Lambda
// code signing), and one real call per article on a service Vigil does
// run. The tag-based IAM article is TestAuthzSeedTagBasedIAM in
// authz_test.go, with its simulation here.

// azRole creates a role with a trust policy, tags and inline policies
// (name, document pairs) and returns its ARN.
func azRole(t *testing.T, v *vigil, name, trust string, tags []iamtypes.Tag, policies ...string) string {
	t.Helper()
	ctx := context.Background()
	out, err := v.iam().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust), Tags: tags})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(policies); i += 2 {
		if _, err := v.iam().PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name),
			PolicyName: aws.String(policies[i]), PolicyDocument: aws.String(policies[i+1])}); err != nil {
			t.Fatalf("PutRolePolicy %s: %v", policies[i], err)
		}
	}
	return aws.ToString(out.Role.Arn)
}

// azCtx is a context entry of one string value; aws:SourceIp is an ip.
func azCtx(key, value string) iamtypes.ContextEntry {
	typ := iamtypes.ContextKeyTypeEnumString
	if strings.EqualFold(key, "aws:SourceIp") {
		typ = iamtypes.ContextKeyTypeEnumIp
	}
	return iamtypes.ContextEntry{ContextKeyName: aws.String(key), ContextKeyValues: []string{value}, ContextKeyType: typ}
}

// azSimCase is one question to the simulator and the answer a seed gives.
type azSimCase struct {
	name     string // the seed's sentence
	action   string
	resource string // "" for none
	context  []iamtypes.ContextEntry
	want     iamtypes.PolicyEvaluationDecisionType
	sid      string // the statement that decides, by its first line; "" to skip
}

// azSimulate asks SimulatePrincipalPolicy about source (with an optional
// resource policy) and checks each case's decision.
func azSimulate(t *testing.T, c *iam.Client, source, resourcePolicy string, docs map[string]string, cases []azSimCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(source), ActionNames: []string{tc.action}, ContextEntries: tc.context}
			if tc.resource != "" {
				in.ResourceArns = []string{tc.resource}
			}
			if resourcePolicy != "" {
				in.ResourcePolicy = aws.String(resourcePolicy)
			}
			out, err := c.SimulatePrincipalPolicy(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			if len(out.EvaluationResults) != 1 {
				t.Fatalf("%d results", len(out.EvaluationResults))
			}
			azCheck(t, out.EvaluationResults[0], tc, docs)
		})
	}
}

// azCheck compares a result with a case. docs maps SourcePolicyId to the
// document, so that a matched statement's start line can be checked
// against the line where the case's Sid (or Effect) is written.
func azCheck(t *testing.T, r iamtypes.EvaluationResult, tc azSimCase, docs map[string]string) {
	t.Helper()
	if r.EvalDecision != tc.want {
		t.Errorf("%s on %s: %s, want %s (matched %d, missing %v)", tc.action, tc.resource, r.EvalDecision, tc.want,
			len(r.MatchedStatements), r.MissingContextValues)
	}
	if tc.want == iamtypes.PolicyEvaluationDecisionTypeImplicitDeny && len(r.MatchedStatements) != 0 {
		t.Errorf("implicit deny with matched statements %+v", r.MatchedStatements)
	}
	if tc.sid == "" {
		return
	}
	want := tc.sid
	if !strings.HasPrefix(want, `"`) {
		want = `"` + want + `"`
	}
	for _, m := range r.MatchedStatements {
		doc, ok := docs[aws.ToString(m.SourcePolicyId)]
		if !ok || m.StartPosition == nil {
			continue
		}
		lines := strings.Split(doc, "\n")
		// The statement's object opens at or up to three lines above its
		// Sid (the seeds write Sid first, or Effect first when there is none).
		start := int(m.StartPosition.Line)
		for l := start; l <= start+3 && l <= len(lines); l++ {
			if strings.Contains(lines[l-1], want) {
				return
			}
		}
	}
	var got []string
	for _, m := range r.MatchedStatements {
		line := int32(0)
		if m.StartPosition != nil {
			line = m.StartPosition.Line
		}
		got = append(got, fmt.Sprintf("%s (%s) line %d", aws.ToString(m.SourcePolicyId), m.SourcePolicyType, line))
	}
	t.Errorf("no matched statement is %s: %v", want, got)
}

const secretsManagerABAC = `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "SecretsManagerABAC",
            "Effect": "Allow",
            "Action": [
                "secretsmanager:DescribeSecret",
                "secretsmanager:PutSecretValue",
                "secretsmanager:CreateSecret",
                "secretsmanager:ListSecretVersionIds",
                "secretsmanager:UpdateSecret",
                "secretsmanager:GetResourcePolicy",
                "secretsmanager:GetSecretValue",
                "secretsmanager:ListSecrets",
                "secretsmanager:TagResource"
            ],
            "Resource": "*",
            "Condition": {
                "StringEquals": {
                    "secretsmanager:ResourceTag/Department": "${aws:PrincipalTag/Department}"
                }
            }
        },
        {
            "Sid": "NeededPermissions",
            "Effect": "Allow",
            "Action": [
   "kms:ListKeys",
   "kms:ListAliases",
                "rds:DescribeDBInstances",
                "redshift:DescribeClusters",
                "rds:DescribeDBClusters",
                "secretsmanager:ListSecrets",
                "tag:GetResources",
                "lambda:ListFunctions"
            ],
            "Resource": "*"
        }
    ]
}`

// TestAuthzSeedSecretsManagerABAC: seed 002, "Build an end-to-end
// attribute-based access control strategy with AWS SSO and Okta".
func TestAuthzSeedSecretsManagerABAC(t *testing.T) {
	v := startVigil(t)
	ctx := context.Background()
	c := v.iam()
	a := "arn:aws:iam::" + azAccount + ":"
	// The permission set is a role in the account; the user attributes
	// from the IdP are principal tags. Here a user and a role carry them.
	azUser(t, v, "serverless-admin", tag("Department", "Serverless"))
	azPutUserPolicy(t, v, "serverless-admin", "SecretsManager-Profile", secretsManagerABAC)
	azUser(t, v, "no-attributes")
	azPutUserPolicy(t, v, "no-attributes", "SecretsManager-Profile", secretsManagerABAC)
	trustAcct := azPolicy(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + azAccount + `:root"},"Action":"sts:AssumeRole"}`)
	role := azRole(t, v, "AWSReservedSSO_SecretsManager-Profile_finance", trustAcct, []iamtypes.Tag{tag("Department", "Finance")},
		"SecretsManager-Profile", secretsManagerABAC)
	docs := map[string]string{"SecretsManager-Profile": secretsManagerABAC}
	secret := "arn:aws:secretsmanager:us-east-1:" + azAccount + ":secret:db-creds-a1b2c3"
	dept := func(d string) []iamtypes.ContextEntry {
		return []iamtypes.ContextEntry{azCtx("secretsmanager:ResourceTag/Department", d)}
	}
	allowed, implicit := iamtypes.PolicyEvaluationDecisionTypeAllowed, iamtypes.PolicyEvaluationDecisionTypeImplicitDeny

	t.Run("user", func(t *testing.T) {
		azSimulate(t, c, a+"user/serverless-admin", "", docs, []azSimCase{
			{"the user can only access Secrets Manager resources that have a Department tag identical to the Department tag from the user",
				"secretsmanager:GetSecretValue", secret, dept("Serverless"), allowed, "SecretsManagerABAC"},
			{"another department's secret is out of reach", "secretsmanager:GetSecretValue", secret, dept("Finance"), implicit, ""},
			{"a secret without a Department tag is out of reach", "secretsmanager:DescribeSecret", secret, nil, implicit, ""},
			{"try to create a secret with no tags: not authorized to perform secretsmanager:CreateSecret",
				"secretsmanager:CreateSecret", secret, nil, implicit, ""},
			{"add a tag with the key Department and the value Serverless: secret creation was successful",
				"secretsmanager:CreateSecret", secret, dept("Serverless"), allowed, "SecretsManagerABAC"},
			{"the user can create and list secrets", "secretsmanager:ListSecrets", "", nil, allowed, "NeededPermissions"},
			{"the Lambda permissions enable custom key rotation", "lambda:ListFunctions", "", nil, allowed, "NeededPermissions"},
			{"the RDS permissions let users select an RDS instance for the secret", "rds:DescribeDBInstances", "", nil, allowed, "NeededPermissions"},
			{"nothing else is granted", "secretsmanager:DeleteSecret", secret, dept("Serverless"), implicit, ""},
		})
	})
	t.Run("role", func(t *testing.T) {
		azSimulate(t, c, role, "", docs, []azSimCase{
			{"one permission set serves many teams: Finance reads Finance secrets", "secretsmanager:GetSecretValue", secret, dept("Finance"), allowed, "SecretsManagerABAC"},
			{"one permission set serves many teams: Finance does not read Serverless secrets", "secretsmanager:GetSecretValue", secret, dept("Serverless"), implicit, ""},
		})
	})
	t.Run("users will not be authorised unless the attributes are present", func(t *testing.T) {
		out, err := c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(a + "user/no-attributes"),
			ActionNames: []string{"secretsmanager:GetSecretValue"}, ResourceArns: []string{secret}, ContextEntries: dept("Serverless")})
		if err != nil {
			t.Fatal(err)
		}
		r := out.EvaluationResults[0]
		if r.EvalDecision != implicit || !containsFold(r.MissingContextValues, "aws:PrincipalTag/Department") {
			t.Errorf("untagged user: %s, missing %v", r.EvalDecision, r.MissingContextValues)
		}
	})

	// A real call: the same condition on SNS topics, for a session whose
	// Department comes as a session tag, as the IdP passes attributes.
	t.Run("real call: a session tagged Department=Serverless publishes to its department's topics only", func(t *testing.T) {
		okta := azUser(t, v, "okta-user")
		trust := azPolicy(`{"Effect":"Allow","Principal":{"AWS":"` + a + `user/okta-user"},"Action":["sts:AssumeRole","sts:TagSession"]}`)
		azRole(t, v, "AWSReservedSSO_SNS-Profile", trust, nil, "SNSABAC", azPolicy(
			`{"Sid":"SNSABAC","Effect":"Allow","Action":["sns:Publish","sns:GetTopicAttributes"],"Resource":"*",
			  "Condition":{"StringEquals":{"aws:ResourceTag/Department":"${aws:PrincipalTag/Department}"}}}`))
		mk := func(name string, tags ...snstypes.Tag) *string {
			out, err := v.sns().CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name), Tags: tags})
			if err != nil {
				t.Fatal(err)
			}
			return out.TopicArn
		}
		snsTag := func(v string) snstypes.Tag { return snstypes.Tag{Key: aws.String("Department"), Value: aws.String(v)} }
		own, other, untagged := mk("serverless-alerts", snsTag("Serverless")), mk("finance-alerts", snsTag("Finance")), mk("untagged-alerts")
		out, err := sts.NewFromConfig(okta).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(a + "role/AWSReservedSSO_SNS-Profile"),
			RoleSessionName: aws.String("okta-user"), Tags: []ststypes.Tag{{Key: aws.String("Department"), Value: aws.String("Serverless")}}})
		if err != nil {
			t.Fatal(err)
		}
		cr := out.Credentials
		s := sns.NewFromConfig(v.withSession(aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken)))
		if _, err := s.Publish(ctx, &sns.PublishInput{TopicArn: own, Message: aws.String("rotate")}); err != nil {
			t.Errorf("publish to the department's topic: %v", err)
		}
		for _, topic := range []*string{other, untagged} {
			_, err := s.Publish(ctx, &sns.PublishInput{TopicArn: topic, Message: aws.String("rotate")})
			wantDenied(t, err, "AuthorizationError", 403, "SNS:Publish on resource: "+aws.ToString(topic))
		}
	})
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// The seed's authorizer policy, exactly as the article shows it.
const petStorePolicy = `{
   "Version":"2012-10-17",
   "Statement":[
      {
         "Sid":"PetStore-API",
         "Effect":"Allow",
         "Action":"execute-api:Invoke",
         "Resource":[
            "arn:aws:execute-api:*:*:*/*/*/petstore/v1/*",
            "arn:aws:execute-api:*:*:*/*/GET/petstore/v2/status"
         ],
         "Condition":{
            "IpAddress":{
               "aws:SourceIp":[
                  "192.0.2.0/24",
                  "198.51.100.0/24"
               ]
            }
         }
      }
   ]
}`

// TestAuthzSeedPetStoreSourceIP: seed 002, "Building fine-grained
// authorization using Amazon Cognito, API Gateway, and IAM".
func TestAuthzSeedPetStoreSourceIP(t *testing.T) {
	v := startVigil(t)
	ctx := context.Background()
	c := v.iam()
	a := "arn:aws:iam::" + azAccount + ":"
	// The Cognito group pet-veterinarian is an IAM group here; its member
	// cognitouser is the caller.
	azUser(t, v, "cognitouser")
	if _, err := c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("pet-veterinarian")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("pet-veterinarian"), UserName: aws.String("cognitouser")}); err != nil {
		t.Fatal(err)
	}

	// The policy's Sid has a hyphen: API Gateway takes it, IAM's grammar
	// (letters and digits) does not.
	t.Run("the Sid PetStore-API is not valid in an IAM identity policy", func(t *testing.T) {
		_, err := c.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{petStorePolicy},
			ActionNames: []string{"execute-api:Invoke"}})
		wantDenied(t, err, "InvalidInput", 400, "alpha-numeric")
		_, err = c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("pet-veterinarian"),
			PolicyName: aws.String("PetStore"), PolicyDocument: aws.String(petStorePolicy)})
		wantAPIError(t, err, "MalformedPolicyDocument", 400)
	})

	// API Gateway evaluates it as the API's policy: a resource policy, with
	// the principal every API Gateway resource policy names.
	resourcePolicy := strings.Replace(petStorePolicy, `"Effect":"Allow",`, `"Effect":"Allow","Principal":"*",`, 1)
	docs := map[string]string{"ResourcePolicy": resourcePolicy}
	api := "arn:aws:execute-api:us-east-1:" + azAccount + ":a1b2c3d4e5/prod/"
	ip := func(addr string) []iamtypes.ContextEntry { return []iamtypes.ContextEntry{azCtx("aws:SourceIp", addr)} }
	allowed, implicit := iamtypes.PolicyEvaluationDecisionTypeAllowed, iamtypes.PolicyEvaluationDecisionTypeImplicitDeny
	cases := []azSimCase{
		{"for version v1, the user can make requests to any verb", "execute-api:Invoke", api + "POST/petstore/v1/pets", ip("192.0.2.10"), allowed, "PetStore-API"},
		{"for version v1, the user can make requests to any path", "execute-api:Invoke", api + "DELETE/petstore/v1/pets/7/visits", ip("198.51.100.200"), allowed, "PetStore-API"},
		{"for v2, the user is only allowed to make a GET request for path /status", "execute-api:Invoke", api + "GET/petstore/v2/status", ip("192.0.2.10"), allowed, "PetStore-API"},
		{"for v2, a POST to /status is not allowed", "execute-api:Invoke", api + "POST/petstore/v2/status", ip("192.0.2.10"), implicit, ""},
		{"requests to endpoint /GET/petstore/v2/pets should be denied", "execute-api:Invoke", api + "GET/petstore/v2/pets", ip("192.0.2.10"), implicit, ""},
		{"a request from outside 192.0.2.0/24 and 198.51.100.0/24 is denied", "execute-api:Invoke", api + "GET/petstore/v1/pets", ip("203.0.113.9"), implicit, ""},
	}
	t.Run("SimulatePrincipalPolicy", func(t *testing.T) {
		azSimulate(t, c, a+"user/cognitouser", resourcePolicy, docs, cases)
	})
	t.Run("SimulateCustomPolicy with CallerArn", func(t *testing.T) {
		// The group grants nothing on the API: the resource policy decides.
		none := azPolicy(`{"Effect":"Allow","Action":"sns:ListTopics","Resource":"*"}`)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				out, err := c.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{none},
					ResourcePolicy: aws.String(resourcePolicy), CallerArn: aws.String(a + "user/cognitouser"),
					ActionNames: []string{tc.action}, ResourceArns: []string{tc.resource}, ContextEntries: tc.context})
				if err != nil {
					t.Fatal(err)
				}
				r := out.EvaluationResults[0]
				azCheck(t, r, tc, docs)
				if tc.want == allowed && (len(r.MatchedStatements) != 1 || r.MatchedStatements[0].SourcePolicyType != iamtypes.PolicySourceTypeResource) {
					t.Errorf("matched %+v, want the resource policy", r.MatchedStatements)
				}
			})
		}
	})
	t.Run("without the caller's address the condition cannot hold", func(t *testing.T) {
		out, err := c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(a + "user/cognitouser"),
			ResourcePolicy: aws.String(resourcePolicy), ActionNames: []string{"execute-api:Invoke"}, ResourceArns: []string{api + "GET/petstore/v1/pets"}})
		if err != nil {
			t.Fatal(err)
		}
		if r := out.EvaluationResults[0]; r.EvalDecision != implicit || !containsFold(r.MissingContextValues, "aws:SourceIp") {
			t.Errorf("%s, missing %v", r.EvalDecision, r.MissingContextValues)
		}
	})

	// A real call: the statement, with the seed's address ranges, as an SNS
	// topic policy. The SDK calls from 127.0.0.1, outside them.
	t.Run("real call: the topic policy admits only the listed address ranges", func(t *testing.T) {
		user := azUser(t, v, "pet-app")
		topic, err := v.sns().CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("petstore")})
		if err != nil {
			t.Fatal(err)
		}
		setPolicy := func(ranges string) {
			t.Helper()
			doc := `{"Version":"2012-10-17","Statement":[{"Sid":"PetStore-API","Effect":"Allow","Principal":"*","Action":"SNS:Publish",
			  "Resource":"` + aws.ToString(topic.TopicArn) + `","Condition":{"IpAddress":{"aws:SourceIp":[` + ranges + `]}}}]}`
			if _, err := v.sns().SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: topic.TopicArn,
				AttributeName: aws.String("Policy"), AttributeValue: aws.String(doc)}); err != nil {
				t.Fatal(err)
			}
		}
		pub := sns.NewFromConfig(user)
		setPolicy(`"192.0.2.0/24","198.51.100.0/24"`)
		_, err = pub.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String("GET /petstore/v1/pets")})
		wantDenied(t, err, "AuthorizationError", 403, "SNS:Publish on resource: "+aws.ToString(topic.TopicArn))
		setPolicy(`"192.0.2.0/24","198.51.100.0/24","127.0.0.0/8"`)
		if _, err := pub.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String("GET /petstore/v1/pets")}); err != nil {
			t.Errorf("publish from a listed range: %v", err)
		}
	})
}

const ssoActions = `[
                "sso:ProvisionPermissionSet",
                "sso:CreateAccountAssignment",
                "sso:DeleteInlinePolicyFromPermissionSet",
                "sso:UpdateInstanceAccessControlAttributeConfiguration",
                "sso:PutInlinePolicyToPermissionSet",
                "sso:DeleteAccountAssignment",
                "sso:DetachManagedPolicyFromPermissionSet",
                "sso:DeletePermissionSet",
                "sso:AttachManagedPolicyToPermissionSet",
                "sso:CreatePermissionSet",
                "sso:UpdatePermissionSet",
                "sso:CreateInstanceAccessControlAttributeConfiguration",
                "sso:DeleteInstanceAccessControlAttributeConfiguration"`

// The three delegation policies of the article; it shows their statements,
// which are wrapped here in a policy document.
var (
	ssoAccountsPolicy = `{"Version":"2012-10-17","Statement":[
        {
            "Sid": "DelegatedAdminsAccounts",
            "Effect": "Allow",
            "Action": ` + ssoActions + `
            ],
            "Resource": [
                "arn:aws:sso:::account/112233445566",
                "arn:aws:sso:::account/223344556677",
                "arn:aws:sso:::account/334455667788"
            ]
        }]}`
	ssoPermissionPolicy = `{"Version":"2012-10-17","Statement":[
        {
            "Sid": "DelegatedPermissionsAdmin",
            "Effect": "Allow",
            "Action": ` + ssoActions + `,
                "sso:ProvisionApplicationInstanceForAWSAccount"
            ],
            "Resource": [
                "arn:aws:sso:::instance/ssoins-1111111111",
                "arn:aws:sso:::account/*",
                "arn:aws:sso:::permissionSet/ssoins-1111111111/ps-112233abcdef123"
            ]
        }]}`
	ssoOUPolicy = `{"Version":"2012-10-17","Statement":[
        {
            "Sid": "DelegatedOUAdmin",
            "Effect": "Allow",
            "Action": ` + ssoActions + `,
                "sso:ProvisionApplicationInstanceForAWSAccount"
            ],
            "Resource": "arn:aws:sso:::permissionSet/*/*",
            "Condition": {
                "StringEquals": {
                    "aws:ResourceTag/Environment": "Development",
                    "aws:ResourceTag/OU": "Test"
                }
            }
        },
        {
            "Sid": "Instance",
            "Effect": "Allow",
            "Action": ` + ssoActions + `,
                "sso:ProvisionApplicationInstanceForAWSAccount"
            ],
            "Resource": [
                "arn:aws:sso:::instance/ssoins-82593a6ed92c8920",
                "arn:aws:sso:::account/112233445566",
                "arn:aws:sso:::account/223344556677",
                "arn:aws:sso:::account/334455667788"
            ]
        }]}`
)

// TestAuthzSeedSSODelegation: seed 002, "How to delegate management of
// identity in AWS Single Sign-On". Permission sets are provisioned as IAM
// roles; each use case's policy is a role here.
func TestAuthzSeedSSODelegation(t *testing.T) {
	v := startVigil(t)
	ctx := context.Background()
	c := v.iam()
	trust := azPolicy(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + azAccount + `:root"},"Action":"sts:AssumeRole"}`)
	accounts := azRole(t, v, "AWSReservedSSO_accounts-delegated-admin", trust, nil, "delegation", ssoAccountsPolicy)
	perms := azRole(t, v, "AWSReservedSSO_permissions-delegated-admin", trust, nil, "delegation", ssoPermissionPolicy)
	ou := azRole(t, v, "AWSReservedSSO_developer-delegated-admin", trust, nil, "delegation", ssoOUPolicy)
	allowed, implicit := iamtypes.PolicyEvaluationDecisionTypeAllowed, iamtypes.PolicyEvaluationDecisionTypeImplicitDeny
	tags := func(kv ...string) []iamtypes.ContextEntry {
		var out []iamtypes.ContextEntry
		for i := 0; i+1 < len(kv); i += 2 {
			out = append(out, azCtx("aws:ResourceTag/"+kv[i], kv[i+1]))
		}
		return out
	}
	acct := func(id string) string { return "arn:aws:sso:::account/" + id }

	t.Run("use case 1", func(t *testing.T) {
		azSimulate(t, c, accounts, "", map[string]string{"delegation": ssoAccountsPolicy}, []azSimCase{
			{"delegated admins are allowed to provision any permission set to the three accounts listed",
				"sso:ProvisionPermissionSet", acct("223344556677"), nil, allowed, "DelegatedAdminsAccounts"},
			{"delegated admins may assign to the listed accounts", "sso:CreateAccountAssignment", acct("112233445566"), nil, allowed, "DelegatedAdminsAccounts"},
			{"an account that is not listed is refused", "sso:ProvisionPermissionSet", acct("999999999999"), nil, implicit, ""},
			{"an action the statement does not list is refused", "sso:ProvisionApplicationInstanceForAWSAccount", acct("112233445566"), nil, implicit, ""},
		})
	})
	t.Run("use case 2", func(t *testing.T) {
		azSimulate(t, c, perms, "", map[string]string{"delegation": ssoPermissionPolicy}, []azSimCase{
			{"delegated admins are allowed to provision only the specific permission set listed",
				"sso:ProvisionPermissionSet", "arn:aws:sso:::permissionSet/ssoins-1111111111/ps-112233abcdef123", nil, allowed, "DelegatedPermissionsAdmin"},
			{"another permission set is refused", "sso:ProvisionPermissionSet", "arn:aws:sso:::permissionSet/ssoins-1111111111/ps-999999abcdef999", nil, implicit, ""},
			{"to any account", "sso:CreateAccountAssignment", acct("999999999999"), nil, allowed, "DelegatedPermissionsAdmin"},
		})
	})
	t.Run("use case 3", func(t *testing.T) {
		ps := "arn:aws:sso:::permissionSet/ssoins-82593a6ed92c8920/ps-1234567890abcdef"
		azSimulate(t, c, ou, "", map[string]string{"delegation": ssoOUPolicy}, []azSimCase{
			{"only allowed to provision permission sets that have both tags",
				"sso:ProvisionPermissionSet", ps, tags("Environment", "Development", "OU", "Test"), allowed, "DelegatedOUAdmin"},
			{"a permission set with only the Environment tag is refused", "sso:ProvisionPermissionSet", ps, tags("Environment", "Development"), implicit, ""},
			{"a Production permission set is refused", "sso:PutInlinePolicyToPermissionSet", ps, tags("Environment", "Production", "OU", "Test"), implicit, ""},
			{"an organization-wide (All) permission set is not the Test OU's", "sso:ProvisionPermissionSet", ps, tags("Environment", "Development", "OU", "All"), implicit, ""},
			{"and only to accounts in the Development OU", "sso:CreateAccountAssignment", acct("334455667788"), nil, allowed, "Instance"},
			{"an account outside the OU is refused", "sso:CreateAccountAssignment", acct("445566778899"), nil, implicit, ""},
			{"the SSO instance", "sso:ProvisionPermissionSet", "arn:aws:sso:::instance/ssoins-82593a6ed92c8920", nil, allowed, "Instance"},
		})
	})

	// A real call: the OU delegation's condition on Step Functions
	// activities, which carry tags, for a session of the delegated role.
	t.Run("real call: a delegated admin manages only what is tagged Environment=Development and OU=Test", func(t *testing.T) {
		admin := azUser(t, v, "delegated-admin")
		roleTrust := azPolicy(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + azAccount + `:user/delegated-admin"},"Action":"sts:AssumeRole"}`)
		azRole(t, v, "AWSReservedSSO_activity-delegated-admin", roleTrust, nil, "delegation", azPolicy(
			`{"Sid":"DelegatedOUAdmin","Effect":"Allow","Action":["states:DescribeActivity","states:DeleteActivity"],"Resource":"*",
			  "Condition":{"StringEquals":{"aws:ResourceTag/Environment":"Development","aws:ResourceTag/OU":"Test"}}}`))
		mk := func(name string, kv ...string) *string {
			var tags []sfntypes.Tag
			for i := 0; i+1 < len(kv); i += 2 {
				tags = append(tags, sfntypes.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
			}
			out, err := v.sfn().CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String(name), Tags: tags})
			if err != nil {
				t.Fatal(err)
			}
			return out.ActivityArn
		}
		both := mk("dev-test", "Environment", "Development", "OU", "Test")
		oneTag := mk("dev-only", "Environment", "Development")
		prod := mk("prod-test", "Environment", "Production", "OU", "Test")
		out, err := sts.NewFromConfig(admin).AssumeRole(ctx, &sts.AssumeRoleInput{
			RoleArn: aws.String("arn:aws:iam::" + azAccount + ":role/AWSReservedSSO_activity-delegated-admin"), RoleSessionName: aws.String("delegated-admin")})
		if err != nil {
			t.Fatal(err)
		}
		cr := out.Credentials
		s := sfn.NewFromConfig(v.withSession(aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken)))
		if _, err := s.DescribeActivity(ctx, &sfn.DescribeActivityInput{ActivityArn: both}); err != nil {
			t.Errorf("activity with both tags: %v", err)
		}
		for _, arn := range []*string{oneTag, prod} {
			_, err := s.DeleteActivity(ctx, &sfn.DeleteActivityInput{ActivityArn: arn})
			wantDenied(t, err, "AccessDeniedException", 400, "states:DeleteActivity on resource: "+aws.ToString(arn))
		}
		if _, err := s.DeleteActivity(ctx, &sfn.DeleteActivityInput{ActivityArn: both}); err != nil {
			t.Errorf("delete the activity with both tags: %v", err)
		}
	})
}

// The code-signing guardrail, with the article's placeholder replaced by a
// CSC ARN of the form the article gives.
const (
	approvedCSC       = "arn:aws:lambda:sa-east-1:" + azAccount + ":code-signing-config:approved-csc-0123456789abcdef0"
	codeSigningPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "lambda:CreateFunction",
        "lambda:PutFunctionCodeSigningConfig"
      ],
      "Resource": "*",
      "Condition": {
        "ForAnyValue:StringEquals": {
          "lambda:CodeSigningConfig": ["` + approvedCSC + `"]
          }
         }
        },
       {
         "Effect": "Deny",
         "Action": [
        "signer:PutSigningProfile",
        "lambda:DeleteFunctionCodeSigningConfig",
        "lambda:UpdateCodeSigningConfig",
        "lambda:DeleteCodeSigningConfig",
        "lambda:CreateCodeSigningConfig"
      ],
         "Resource": "*"
       }
  ]
}`
)

// TestAuthzSeedLambdaCodeSigning: seed 002, "Best practices and advanced
// patterns for Lambda code signing".
func TestAuthzSeedLambdaCodeSigning(t *testing.T) {
	v := startVigil(t)
	ctx := context.Background()
	c := v.iam()
	user := azUser(t, v, "developer")
	trust := azPolicy(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + azAccount + `:user/developer"},"Action":"sts:AssumeRole"}`)
	dev := azRole(t, v, "developer", trust, nil, "CodeSigningGuardrail", codeSigningPolicy)
	// The same guardrail on a developer role that may otherwise do anything.
	admin := azRole(t, v, "developer-admin", trust, nil, "CodeSigningGuardrail", codeSigningPolicy,
		"Everything", azPolicy(`{"Effect":"Allow","Action":"*","Resource":"*"}`))
	docs := map[string]string{"CodeSigningGuardrail": codeSigningPolicy}
	fn := "arn:aws:lambda:sa-east-1:" + azAccount + ":function:signed-main-function"
	csc := func(arn string) []iamtypes.ContextEntry {
		return []iamtypes.ContextEntry{azCtx("lambda:CodeSigningConfig", arn)}
	}
	allowed, implicit, explicit := iamtypes.PolicyEvaluationDecisionTypeAllowed, iamtypes.PolicyEvaluationDecisionTypeImplicitDeny,
		iamtypes.PolicyEvaluationDecisionTypeExplicitDeny
	denied := []string{"signer:PutSigningProfile", "lambda:DeleteFunctionCodeSigningConfig", "lambda:UpdateCodeSigningConfig",
		"lambda:DeleteCodeSigningConfig", "lambda:CreateCodeSigningConfig"}

	t.Run("developer", func(t *testing.T) {
		cases := []azSimCase{
			{"developers can create functions only if they are using the approved CSC", "lambda:CreateFunction", fn, csc(approvedCSC), allowed, `"lambda:CreateFunction"`},
			{"the approved CSC may be put on a function", "lambda:PutFunctionCodeSigningConfig", fn, csc(approvedCSC), allowed, `"lambda:CreateFunction"`},
			{"a function with a CSC of the developer's own is refused", "lambda:CreateFunction", fn,
				csc("arn:aws:lambda:sa-east-1:" + azAccount + ":code-signing-config:csc-mine"), implicit, ""},
			{"a function without code signing is refused", "lambda:CreateFunction", fn, nil, implicit, ""},
		}
		for _, action := range denied {
			cases = append(cases, azSimCase{"Deny the developers from creating their own signing profiles or CSCs: " + action,
				action, "", nil, explicit, `"Effect": "Deny"`})
		}
		azSimulate(t, c, dev, "", docs, cases)
	})
	t.Run("developer with every other permission", func(t *testing.T) {
		var cases []azSimCase
		for _, action := range denied {
			cases = append(cases, azSimCase{"the explicit Deny overrides any Allow: " + action, action, "", nil, explicit, `"Effect": "Deny"`})
		}
		cases = append(cases, azSimCase{"the central team's CSC still works", "lambda:CreateFunction", fn, csc(approvedCSC), allowed, ""})
		azSimulate(t, c, admin, "", docs, cases)
	})

	// Real calls with the role's session: Vigil's Lambda has none of the
	// code-signing operations, so the guardrail's own Deny is shown with the
	// one statement adapted to an operation Vigil serves.
	t.Run("real call: the guardrail alone grants nothing else; its explicit Deny beats an Allow of everything", func(t *testing.T) {
		session := func(role string) *lambda.Client {
			t.Helper()
			out, err := sts.NewFromConfig(user).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("dev")})
			if err != nil {
				t.Fatal(err)
			}
			cr := out.Credentials
			return lambda.NewFromConfig(v.withSession(aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken)))
		}
		_, err := session(dev).ListFunctions(ctx, &lambda.ListFunctionsInput{})
		wantDenied(t, err, "AccessDeniedException", 403, "because no identity-based policy allows the lambda:ListFunctions action")
		if _, err := session(admin).ListFunctions(ctx, &lambda.ListFunctionsInput{}); err != nil {
			t.Errorf("ListFunctions with everything allowed and the guardrail: %v", err)
		}
		adapted := strings.Replace(codeSigningPolicy, `"lambda:CreateCodeSigningConfig"`, `"lambda:CreateCodeSigningConfig", "lambda:GetFunction"`, 1)
		if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("developer-admin"),
			PolicyName: aws.String("CodeSigningGuardrail"), PolicyDocument: aws.String(adapted)}); err != nil {
			t.Fatal(err)
		}
		_, err = session(admin).GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("signed-main-function")})
		wantDenied(t, err, "AccessDeniedException", 403, "with an explicit deny in an identity-based policy")
	})
}

// TestAuthzSeedTagBasedIAMSimulation asks the simulator the questions of
// seed 002's tag-based IAM article for the real user JohnA: ${aws:username}
// is his, from the user itself.
func TestAuthzSeedTagBasedIAMSimulation(t *testing.T) {
	v := startVigil(t)
	ctx := context.Background()
	c := v.iam()
	a := "arn:aws:iam::" + azAccount + ":"
	boundary := a + "policy/S3ActionBoundary"
	create := `{"Version":"2012-10-17","Statement":[
	  {"Sid":"CreateRole","Effect":"Allow","Action":"iam:CreateRole","Resource":"` + a + `role/Developer-*",
	   "Condition":{"StringEquals":{"aws:RequestTag/Owner":"${aws:username}","iam:PermissionsBoundary":"` + boundary + `"}}},
	  {"Sid":"CreatePolicyandInstanceProfile","Effect":"Allow","Action":["iam:CreateInstanceProfile","iam:CreatePolicy"],
	   "Resource":["` + a + `instance-profile/Developer-*","` + a + `policy/Developer-*"],
	   "Condition":{"StringEquals":{"aws:RequestTag/Owner":"${aws:username}"}}},
	  {"Sid":"TagActionsAndAttachActions","Effect":"Allow","Action":["iam:TagInstanceProfile","iam:TagPolicy","iam:AttachRolePolicy","iam:TagRole"],
	   "Resource":["` + a + `instance-profile/Developer-*","` + a + `policy/Developer-*","` + a + `role/Developer-*"],
	   "Condition":{"StringEquals":{"aws:ResourceTag/Owner":"${aws:username}"}}}]}`
	pa := azManaged(t, v, "DeveloperCreateActions", create)
	azUser(t, v, "JohnA")
	if _, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("JohnA"), PolicyArn: aws.String(pa)}); err != nil {
		t.Fatal(err)
	}
	owner := func(who string, more ...iamtypes.ContextEntry) []iamtypes.ContextEntry {
		return append([]iamtypes.ContextEntry{azCtx("aws:RequestTag/Owner", who)}, more...)
	}
	allowed, implicit := iamtypes.PolicyEvaluationDecisionTypeAllowed, iamtypes.PolicyEvaluationDecisionTypeImplicitDeny
	docs := map[string]string{"DeveloperCreateActions": create}
	azSimulate(t, c, a+"user/JohnA", "", docs, []azSimCase{
		{"a policy without the Developer- prefix is refused", "iam:CreatePolicy", a + "policy/TestPolicy", owner("JohnA"), implicit, ""},
		{"with the prefix and his user name as the Owner tag the policy is created", "iam:CreatePolicy", a + "policy/Developer-TestPolicy", owner("JohnA"), allowed, "CreatePolicyandInstanceProfile"},
		{"another user's name as the Owner tag is refused", "iam:CreateInstanceProfile", a + "instance-profile/Developer-EC2-InstanceProfile", owner("MaryM"), implicit, ""},
		{"a role needs the S3ActionBoundary", "iam:CreateRole", a + "role/Developer-EC2", owner("JohnA"), implicit, ""},
		{"a role with the Owner tag and the boundary is created", "iam:CreateRole", a + "role/Developer-EC2",
			owner("JohnA", azCtx("iam:PermissionsBoundary", boundary)), allowed, `"Sid":"CreateRole"`},
		{"he may tag and attach to roles he owns", "iam:AttachRolePolicy", a + "role/Developer-EC2",
			[]iamtypes.ContextEntry{azCtx("aws:ResourceTag/Owner", "JohnA")}, allowed, "TagActionsAndAttachActions"},
		{"not to roles another owns", "iam:TagRole", a + "role/Developer-Other", []iamtypes.ContextEntry{azCtx("aws:ResourceTag/Owner", "MaryM")}, implicit, ""},
	})
}

// Seed 000, "IAM policy summaries": the two policies the article's policy
// summary warns about, and their corrections, word for word.
const (
	hrBucketPermissions = `{
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
	hrBucketPermissionsFixed = `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "TheseActionsSupportBucketResourceType",
            "Effect": "Allow",
            "Action": ["s3:ListBucket",
                       "s3:ListBucketByTags",
                       "s3:ListBucketMultipartUploads",
                       "s3:ListBucketVersions"],
            "Resource": ["arn:aws:s3:::HumanResources"]
        },{
            "Sid": "TheseActionsRequireAllResources",
            "Effect": "Allow",
            "Action": ["s3:ListAllMyBuckets",
                       "s3:ListMultipartUploadParts",
                       "s3:ListObjects"],
            "Resource": [ "*"]
        },{
            "Sid": "TheseActionsRequireSupportsObjectResourceType",
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": ["arn:aws:s3:::HumanResources/*"]
        }
    ]
}`
	pmCodeBuildAccess = `{
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
	pmCodeBuildAccessFixed = `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "TheseActionsSupportAllResources",
            "Effect": "Allow",
            "Action": [
                "codebuild:ListBuilds",
                "codebuild:ListProjects",
                "codebuild:ListRepositories",
                "codebuild:ListCuratedEnvironmentImages",
                "codebuild:ListConnectedOAuthAccounts"
            ],
            "Resource": ["*"] 
        }, {
            "Sid": "TheseActionsSupportAResource",
            "Effect": "Allow",
            "Action": [
                "codebuild:ListBuildsForProject",
                "codebuild:BatchGet*"
            ],
            "Resource": ["arn:aws:codebuild:us-west-2:123456789012:project/*"] 
        }

    ]	
}`
)

// azFinding is one finding, from the CLI or the ValidatePolicy API.
type azFinding struct {
	code, details string
	line          int
}

// azValidateCLI runs vigil policy validate on doc and returns its exit
// status and findings.
func azValidateCLI(t *testing.T, doc string) (int, []azFinding) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(vigilBin, "policy", "validate", "--json", file)
	cmd.Stderr = io.Discard
	out, err := cmd.Output()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	var report struct {
		Files []struct {
			Findings []struct {
				IssueCode, FindingDetails string
				Locations                 []struct {
					Span struct{ Start struct{ Line int } }
				}
			}
		}
	}
	if err := json.Unmarshal(out, &report); err != nil || len(report.Files) != 1 {
		t.Fatalf("vigil policy validate --json: %v:\n%s", err, out)
	}
	var fs []azFinding
	for _, f := range report.Files[0].Findings {
		af := azFinding{code: f.IssueCode, details: f.FindingDetails}
		if len(f.Locations) > 0 {
			af.line = f.Locations[0].Span.Start.Line
		}
		fs = append(fs, af)
	}
	return code, fs
}

// azValidateAPI asks Access Analyzer's ValidatePolicy, signed as the root.
func azValidateAPI(t *testing.T, v *vigil, doc string) []azFinding {
	t.Helper()
	ctx := context.Background()
	creds, err := v.Cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := json.Marshal(doc)
	body := `{"policyType":"IDENTITY_POLICY","policyDocument":` + string(d) + `}`
	r, _ := http.NewRequest(http.MethodPost, v.URL+"/policy/validation", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	h := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(ctx, creds, r, hex.EncodeToString(h[:]), "access-analyzer", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Findings []struct {
			IssueCode, FindingDetails string
			Locations                 []struct {
				Span struct{ Start struct{ Line int } }
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
		t.Fatalf("ValidatePolicy: %d, %v", resp.StatusCode, err)
	}
	var fs []azFinding
	for _, f := range out.Findings {
		af := azFinding{code: f.IssueCode, details: f.FindingDetails}
		if len(f.Locations) > 0 {
			af.line = f.Locations[0].Span.Start.Line
		}
		fs = append(fs, af)
	}
	return fs
}

func azWithCode(fs []azFinding, code string) []azFinding {
	var out []azFinding
	for _, f := range fs {
		if f.code == code {
			out = append(out, f)
		}
	}
	return out
}

// TestAuthzSeedPolicySummary: seed 000's two broken policies are reported
// by the validator (command and API) where the article's policy summary
// warns, their corrections are not; and on real users, the broken policies
// deny what the article says they fail to grant, the corrections allow it.
func TestAuthzSeedPolicySummary(t *testing.T) {
	v := startVigil(t)
	ctx := context.Background()
	c := v.iam()
	validators := map[string]func(doc string) []azFinding{
		"vigil policy validate": func(doc string) []azFinding {
			code, fs := azValidateCLI(t, doc)
			if len(fs) > 0 && code != 1 {
				t.Errorf("exit status %d with findings, want 1", code)
			}
			return fs
		},
		"ValidatePolicy": func(doc string) []azFinding { return azValidateAPI(t, v, doc) },
	}
	for name, validate := range validators {
		t.Run(name, func(t *testing.T) {
			t.Run("one or more S3 actions do not have an applicable resource", func(t *testing.T) {
				got := azWithCode(validate(hrBucketPermissions), "ACTION_WITHOUT_APPLICABLE_RESOURCE")
				if len(got) != 2 {
					t.Fatalf("findings %+v", got)
				}
				// The article names s3:ListAllMyBuckets, s3:ListMultipartUploadParts
				// and s3:ListObjects (since retired) from s3:List* on line 7,
				// and s3:GetObject on line 8.
				if got[0].line != 7 || !strings.Contains(got[0].details, "s3:ListAllMyBuckets") || !strings.Contains(got[0].details, "s3:ListMultipartUploadParts") {
					t.Errorf("s3:List*: %+v", got[0])
				}
				if got[1].line != 8 || !strings.Contains(got[1].details, "s3:GetObject") {
					t.Errorf("s3:GetObject: %+v", got[1])
				}
			})
			t.Run("after the correction the warnings are no longer displayed", func(t *testing.T) {
				fs := validate(hrBucketPermissionsFixed)
				if got := azWithCode(fs, "ACTION_WITHOUT_APPLICABLE_RESOURCE"); len(got) != 0 {
					t.Errorf("still mismatched: %+v", got)
				}
				// S3 has since retired two actions the correction names.
				if got := azWithCode(fs, "INVALID_ACTION"); len(got) != 2 || len(fs) != 2 ||
					!strings.Contains(got[0].details+got[1].details, "s3:ListBucketByTags") || !strings.Contains(got[0].details+got[1].details, "s3:ListObjects") {
					t.Errorf("findings %+v, want only the two retired actions", fs)
				}
			})
			t.Run("one or more conditions do not have an applicable action", func(t *testing.T) {
				got := azWithCode(validate(pmCodeBuildAccess), "CONDITION_WITHOUT_APPLICABLE_ACTION")
				if len(got) != 1 || got[0].line != 14 || !strings.Contains(got[0].details, "ec2:Region") {
					t.Errorf("findings %+v", got)
				}
			})
			t.Run("the corrected CodeBuild policy shows no such warning", func(t *testing.T) {
				fs := validate(pmCodeBuildAccessFixed)
				for _, code := range []string{"CONDITION_WITHOUT_APPLICABLE_ACTION", "RESOURCE_WITHOUT_APPLICABLE_ACTION", "INVALID_ACTION"} {
					if got := azWithCode(fs, code); len(got) != 0 {
						t.Errorf("%s: %+v", code, got)
					}
				}
				// CodeBuild has added BatchGet actions on other resource types
				// since; those the article meant act on projects.
				for _, f := range azWithCode(fs, "ACTION_WITHOUT_APPLICABLE_RESOURCE") {
					for _, a := range []string{"BatchGetProjects", "BatchGetBuilds,", "BatchGetBuilds ", "ListBuildsForProject"} {
						if strings.Contains(f.details, a) {
							t.Errorf("%s reported: %+v", a, f)
						}
					}
				}
			})
		})
	}

	// The same policies on real users: Casey (HR) and Bob (project manager).
	a := "arn:aws:iam::" + azAccount + ":"
	hr := azManaged(t, v, "HRBucketPermissions", hrBucketPermissions)
	pm := azManaged(t, v, "PMCodeBuildAccess", pmCodeBuildAccess)
	for user, p := range map[string]string{"Casey": hr, "Bob": pm} {
		azUser(t, v, user)
		if _, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(user), PolicyArn: aws.String(p)}); err != nil {
			t.Fatal(err)
		}
	}
	allowed, implicit := iamtypes.PolicyEvaluationDecisionTypeAllowed, iamtypes.PolicyEvaluationDecisionTypeImplicitDeny
	object := "arn:aws:s3:::HumanResources/personnel/casey.csv"
	project := func(region string) string { return "arn:aws:codebuild:" + region + ":123456789012:project/payments" }
	t.Run("broken policies on real users", func(t *testing.T) {
		azSimulate(t, c, a+"user/Casey", "", map[string]string{"HRBucketPermissions": hrBucketPermissions}, []azSimCase{
			{"s3:GetObject on the bucket ARN does not reach the personnel files", "s3:GetObject", object, nil, implicit, ""},
			{"s3:ListAllMyBuckets does not support resource-level permissions", "s3:ListAllMyBuckets", "", nil, implicit, ""},
			{"s3:ListBucket on the bucket is granted", "s3:ListBucket", "arn:aws:s3:::HumanResources", nil, allowed, "ThisPolicyDoesNotGrantAllListandGetActions"},
		})
		azSimulate(t, c, a+"user/Bob", "", map[string]string{"PMCodeBuildAccess": pmCodeBuildAccess}, []azSimCase{
			{"the policy does not grant any permissions", "codebuild:ListProjects", "", nil, implicit, ""},
			{"not even on a us-west-2 project", "codebuild:BatchGetProjects", project("us-west-2"), nil, implicit, ""},
		})
	})
	for p, doc := range map[string]string{hr: hrBucketPermissionsFixed, pm: pmCodeBuildAccessFixed} {
		if _, err := c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(p), PolicyDocument: aws.String(doc),
			SetAsDefault: true}); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("corrected policies on real users", func(t *testing.T) {
		azSimulate(t, c, a+"user/Casey", "", map[string]string{"HRBucketPermissions": hrBucketPermissionsFixed}, []azSimCase{
			{"Casey can view and read all of the objects in the HumanResources bucket", "s3:GetObject", object, nil, allowed,
				"TheseActionsRequireSupportsObjectResourceType"},
			{"s3:ListAllMyBuckets with a wildcard resource", "s3:ListAllMyBuckets", "", nil, allowed, "TheseActionsRequireAllResources"},
			{"s3:ListBucket on the bucket", "s3:ListBucket", "arn:aws:s3:::HumanResources", nil, allowed, "TheseActionsSupportBucketResourceType"},
			{"other buckets stay closed", "s3:GetObject", "arn:aws:s3:::Finance/ledger.csv", nil, implicit, ""},
		})
		azSimulate(t, c, a+"user/Bob", "", map[string]string{"PMCodeBuildAccess": pmCodeBuildAccessFixed}, []azSimCase{
			{"list actions without resource-level permissions on *", "codebuild:ListProjects", "", nil, allowed, "TheseActionsSupportAllResources"},
			{"for the actions that support resource-level permissions, access is limited to us-west-2", "codebuild:BatchGetProjects",
				project("us-west-2"), nil, allowed, "TheseActionsSupportAResource"},
			{"a us-east-1 project is out of reach", "codebuild:BatchGetProjects", project("us-east-1"), nil, implicit, ""},
		})
	})
}
