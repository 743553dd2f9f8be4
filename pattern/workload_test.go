package pattern

// A synthetic but realistic workload for benchmarks: CloudTrail events as
// EventBridge delivers them ("AWS API Call via CloudTrail") and security
// rules over them that mix every operator. The generator is deterministic,
// and self-contained so that a comparison harness can reuse it verbatim.

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

type wlService struct {
	name   string
	events []string
}

var wlServices = []wlService{
	{"iam", []string{"CreateUser", "DeleteUser", "CreateAccessKey", "DeleteAccessKey", "AttachUserPolicy", "PutUserPolicy", "CreateRole", "UpdateAssumeRolePolicy", "ListUsers", "GetUser", "CreateLoginProfile", "DeactivateMFADevice"}},
	{"s3", []string{"PutBucketPolicy", "DeleteBucketPolicy", "PutBucketAcl", "CreateBucket", "DeleteBucket", "PutBucketPublicAccessBlock", "GetBucketAcl", "ListBuckets", "PutObject", "GetObject"}},
	{"ec2", []string{"RunInstances", "TerminateInstances", "AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress", "CreateSecurityGroup", "DescribeInstances", "StopInstances", "CreateKeyPair", "ModifyInstanceAttribute"}},
	{"sts", []string{"AssumeRole", "GetCallerIdentity", "GetSessionToken", "AssumeRoleWithWebIdentity"}},
	{"kms", []string{"Decrypt", "Encrypt", "ScheduleKeyDeletion", "DisableKey", "CreateKey", "PutKeyPolicy"}},
	{"cloudtrail", []string{"StopLogging", "DeleteTrail", "UpdateTrail", "LookupEvents", "PutEventSelectors"}},
	{"lambda", []string{"CreateFunction20150331", "UpdateFunctionCode20150331v2", "AddPermission20150331v2", "GetFunction20150331v2"}},
	{"guardduty", []string{"DeleteDetector", "UpdateDetector", "CreateFilter", "ArchiveFindings"}},
	{"organizations", []string{"LeaveOrganization", "InviteAccountToOrganization", "DescribeOrganization"}},
	{"secretsmanager", []string{"GetSecretValue", "DeleteSecret", "PutSecretValue", "CreateSecret"}},
	{"ssm", []string{"SendCommand", "StartSession", "GetParameter", "PutParameter"}},
	{"rds", []string{"ModifyDBInstance", "DeleteDBInstance", "CreateDBSnapshot", "RestoreDBInstanceFromDBSnapshot"}},
}

var (
	wlRegions    = []string{"us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1", "ap-northeast-1", "sa-east-1"}
	wlIdentities = []string{"IAMUser", "AssumedRole", "Root", "AWSService", "FederatedUser"}
	wlAgents     = []string{"aws-cli/2.15.30 Python/3.11.8 Linux/6.1.0 exe/x86_64.ubuntu.22", "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#6.1.0", "console.amazonaws.com", "aws-internal/3 aws-sdk-java/1.12.655", "aws-sdk-go-v2/1.26.0 os/linux lang/go#1.22.1", "Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-aws/5.42.0", "cloudformation.amazonaws.com"}
	wlErrors     = []string{"AccessDenied", "UnauthorizedOperation", "NoSuchEntity", "ThrottlingException", "Client.InvalidPermission.Duplicate"}
)

func wlUser(i int) string { return fmt.Sprintf("user-%03d", i%1000) }

func wlAccount(r *rand.Rand) string { return fmt.Sprintf("1234567890%02d", r.IntN(20)) }

func wlIP(r *rand.Rand) string {
	switch r.IntN(4) {
	case 0:
		return fmt.Sprintf("10.%d.%d.%d", r.IntN(256), r.IntN(256), r.IntN(256))
	case 1:
		return fmt.Sprintf("198.51.%d.%d", r.IntN(256), r.IntN(256))
	case 2:
		return fmt.Sprintf("203.0.113.%d", r.IntN(256))
	default:
		return "AWS Internal"
	}
}

// GenEvents returns n CloudTrail-shaped EventBridge events.
func GenEvents(n int, seed uint64) [][]byte {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte(genEvent(r, i))
	}
	return out
}

func genEvent(r *rand.Rand, i int) string {
	svc := wlServices[r.IntN(len(wlServices))]
	name := svc.events[r.IntN(len(svc.events))]
	region := wlRegions[r.IntN(len(wlRegions))]
	acct := wlAccount(r)
	user := wlUser(r.IntN(1000))
	idType := wlIdentities[r.IntN(len(wlIdentities))]
	arn := fmt.Sprintf("arn:aws:iam::%s:user/%s", acct, user)
	if idType == "AssumedRole" {
		arn = fmt.Sprintf("arn:aws:sts::%s:assumed-role/role-%d/%s", acct, r.IntN(50), user)
	}
	var errPart string
	if r.IntN(8) == 0 {
		errPart = fmt.Sprintf(`, "errorCode": %q, "errorMessage": "User: %s is not authorized to perform: %s:%s"`, wlErrors[r.IntN(len(wlErrors))], arn, svc.name, name)
	}
	var params string
	switch r.IntN(4) {
	case 0:
		params = fmt.Sprintf(`{"userName": %q, "durationSeconds": %d}`, wlUser(r.IntN(1000)), 900*(1+r.IntN(16)))
	case 1:
		params = fmt.Sprintf(`{"bucketName": "bucket-%d", "maxResults": %d, "tags": [{"key": "env", "value": "prod"}, {"key": "team", "value": "t%d"}]}`, r.IntN(500), r.IntN(1000), r.IntN(30))
	case 2:
		params = fmt.Sprintf(`{"instancesSet": {"items": [{"instanceId": "i-%016x"}, {"instanceId": "i-%016x"}]}, "instanceType": "m5.large"}`, r.Uint64(), r.Uint64())
	default:
		params = "null"
	}
	resources := "[]"
	if r.IntN(3) == 0 {
		resources = fmt.Sprintf(`["arn:aws:%s:%s:%s:resource/r-%d"]`, svc.name, region, acct, r.IntN(10000))
	}
	return fmt.Sprintf(`{"version": "0", "id": "%08x-%04x-%04x-%04x-%012x", "detail-type": "AWS API Call via CloudTrail", "source": "aws.%s", "account": %q, "time": "2024-03-%02dT%02d:%02d:%02dZ", "region": %q, "resources": %s, "detail": {"eventVersion": "1.09", "userIdentity": {"type": %q, "principalId": "AIDA%012d", "arn": %q, "accountId": %q, "accessKeyId": "AKIA%016d", "userName": %q, "sessionContext": {"attributes": {"creationDate": "2024-03-01T00:00:00Z", "mfaAuthenticated": "%v"}}}, "eventTime": "2024-03-%02dT%02d:%02d:%02dZ", "eventSource": "%s.amazonaws.com", "eventName": %q, "awsRegion": %q, "sourceIPAddress": %q, "userAgent": %q, "requestParameters": %s, "responseElements": null, "requestID": "%016x", "eventID": "%016x", "readOnly": %v, "eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": %q, "eventCategory": "Management", "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": "%s.amazonaws.com"}%s}}`,
		r.Uint32(), r.IntN(65536), r.IntN(65536), r.IntN(65536), r.Uint64()>>16,
		svc.name, acct, 1+i%28, r.IntN(24), r.IntN(60), r.IntN(60), region, resources,
		idType, r.IntN(1000000000000), arn, acct, r.IntN(1000000000000), user, r.IntN(2) == 0,
		1+i%28, r.IntN(24), r.IntN(60), r.IntN(60), svc.name, name, region, wlIP(r), wlAgents[r.IntN(len(wlAgents))],
		params, r.Uint64(), r.Uint64(), strings.HasPrefix(name, "Get") || strings.HasPrefix(name, "List") || strings.HasPrefix(name, "Describe"), acct, svc.name, errPart)
}

// GenRules returns n rules. With common set, only operators Quamina also
// supports are used (exact values, prefix, equals-ignore-case, wildcard,
// anything-but over strings, exists); otherwise every operator appears.
func GenRules(n int, common bool, seed uint64) []string {
	kinds := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	if common {
		kinds = kinds[:8]
	}
	return GenRuleKinds(n, kinds, seed)
}

// WildcardRule is the kind of rule GenRuleKinds makes with a wildcard.
const WildcardRule = 3

// GenRuleKinds returns n rules drawn evenly from the given kinds (see
// genRule).
func GenRuleKinds(n int, kinds []int, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, 2))
	out := make([]string, n)
	for i := range out {
		out[i] = genRule(r, kinds[r.IntN(len(kinds))])
	}
	return out
}

func genRule(r *rand.Rand, kind int) string {
	svc := wlServices[r.IntN(len(wlServices))]
	ev := func() string { return svc.events[r.IntN(len(svc.events))] }
	src := fmt.Sprintf(`"source": ["aws.%s"], "detail-type": ["AWS API Call via CloudTrail"]`, svc.name)
	user := wlUser(r.IntN(1000))
	switch kind {
	case 0: // exact values
		return fmt.Sprintf(`{%s, "detail": {"eventSource": ["%s.amazonaws.com"], "eventName": [%q, %q]}}`, src, svc.name, ev(), ev())
	case 1: // prefix
		e := ev()
		return fmt.Sprintf(`{%s, "detail": {"eventName": [{"prefix": %q}], "userIdentity": {"userName": [%q, %q]}}}`, src, e[:3+r.IntN(len(e)-3)], user, wlUser(r.IntN(1000)))
	case 2: // equals-ignore-case
		return fmt.Sprintf(`{"detail": {"userIdentity": {"type": [{"equals-ignore-case": %q}], "userName": [%q]}, "eventName": [%q]}}`, strings.ToLower(wlIdentities[r.IntN(len(wlIdentities))]), user, ev())
	case 3: // wildcard
		return fmt.Sprintf(`{%s, "detail": {"userIdentity": {"arn": [{"wildcard": "arn:aws:iam::*:user/%s*"}]}}}`, src, user[:5+r.IntN(4)])
	case 4: // anything-but
		return fmt.Sprintf(`{%s, "detail": {"eventName": [%q], "awsRegion": [{"anything-but": [%q, %q]}]}}`, src, ev(), wlRegions[r.IntN(8)], wlRegions[r.IntN(8)])
	case 5: // exists true
		return fmt.Sprintf(`{%s, "detail": {"errorCode": [{"exists": true}], "eventName": [%q]}}`, src, ev())
	case 6: // exists false
		return fmt.Sprintf(`{%s, "detail": {"errorCode": [{"exists": false}], "eventName": [%q], "userIdentity": {"userName": [%q]}}}`, src, ev(), user)
	case 7: // exact values across several fields
		return fmt.Sprintf(`{"account": [%q], "detail": {"userIdentity": {"userName": [%q]}, "awsRegion": [%q]}}`, wlAccount(r), user, wlRegions[r.IntN(8)])
	case 8: // suffix
		return fmt.Sprintf(`{%s, "detail": {"eventName": [{"suffix": %q}]}}`, src, []string{"Policy", "AccessKey", "Instances", "Key", "Detector", "Secret"}[r.IntN(6)])
	case 9: // numeric
		return fmt.Sprintf(`{"detail": {"eventName": [%q], "requestParameters": {"durationSeconds": [{"numeric": [">", %d, "<=", %d]}]}}}`, ev(), 900*r.IntN(8), 900*(8+r.IntN(9)))
	case 10: // cidr
		return fmt.Sprintf(`{%s, "detail": {"sourceIPAddress": [{"cidr": "198.51.%d.0/24"}]}}`, src, r.IntN(256))
	case 11: // anything-but prefix, ignore-case
		return fmt.Sprintf(`{%s, "detail": {"userAgent": [{"anything-but": {"prefix": "aws-internal"}}], "userIdentity": {"type": [{"prefix": {"equals-ignore-case": %q}}]}, "eventName": [%q]}}`, src, strings.ToUpper(wlIdentities[r.IntN(5)][:4]), ev())
	case 12: // $or
		return fmt.Sprintf(`{%s, "$or": [{"detail": {"eventName": [%q]}}, {"detail": {"errorCode": [%q]}}]}`, src, ev(), wlErrors[r.IntN(len(wlErrors))])
	case 13: // anything-but wildcard and suffix ignore-case
		return fmt.Sprintf(`{%s, "detail": {"eventName": [{"suffix": {"equals-ignore-case": %q}}], "userIdentity": {"arn": [{"anything-but": {"wildcard": "*:assumed-role/*"}}]}}}`, src, strings.ToLower(ev()[2:]))
	case 14: // arrays: tags must match in the same element
		return fmt.Sprintf(`{"detail": {"requestParameters": {"tags": {"key": ["team"], "value": ["t%d"]}}}}`, r.IntN(30))
	default: // numeric equality and anything-but numbers
		return fmt.Sprintf(`{"detail": {"requestParameters": {"maxResults": [{"numeric": ["=", %d]}, {"anything-but": [0, 1, 2]}], "bucketName": [{"prefix": "bucket-%d"}]}}}`, r.IntN(1000), r.IntN(50))
	}
}
