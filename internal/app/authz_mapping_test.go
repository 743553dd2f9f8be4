package app

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/identity"
	"github.com/vigilsec/vigil/internal/services"
	"github.com/vigilsec/vigil/internal/store"
)

const (
	mapAccount = "123456789012"
	mapRegion  = "us-east-1"
)

// iamData is the part of package policy's generated service authorization
// data (policy/iamdata.json.gz) the mapping test checks against.
type iamData struct {
	Services map[string]struct {
		Actions map[string]struct {
			R []string `json:"r"`
		} `json:"actions"`
		Resources map[string]struct {
			ARN string `json:"arn"`
		} `json:"resources"`
	} `json:"services"`
}

func loadIAMData(t *testing.T) *iamData {
	t.Helper()
	f, err := os.Open("../../policy/iamdata.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var d iamData
	if err := json.NewDecoder(zr).Decode(&d); err != nil {
		t.Fatal(err)
	}
	return &d
}

var templateVar = regexp.MustCompile(`\$\{[A-Za-z]+\}`)

// arnTemplate turns arn:${Partition}:sns:${Region}:${Account}:${TopicName}
// into a regular expression; a variable never spans a colon.
func arnTemplate(tmpl string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	last := 0
	for _, loc := range templateVar.FindAllStringIndex(tmpl, -1) {
		b.WriteString(regexp.QuoteMeta(tmpl[last:loc[0]]))
		switch tmpl[loc[0]:loc[1]] {
		case "${Partition}":
			b.WriteString("aws")
		case "${Region}", "${Account}":
			b.WriteString("[a-z0-9-]*")
		default:
			b.WriteString("[^:]*")
		}
		last = loc[1]
	}
	b.WriteString(regexp.QuoteMeta(tmpl[last:]) + "$")
	return regexp.MustCompile(b.String())
}

// checkResource reports whether resource is one of the types the Service
// Authorization Reference lists for action, or "*" for an action without
// resource types.
func (d *iamData) checkResource(action, resource string) error {
	prefix, name, _ := strings.Cut(action, ":")
	svc, ok := d.Services[prefix]
	if !ok {
		return errors.New("unknown service " + prefix)
	}
	act, ok := svc.Actions[name]
	if !ok {
		return errors.New("unknown action " + action)
	}
	if len(act.R) == 0 {
		if resource != "*" {
			return errors.New(action + " has no resource types, so its resource must be *, not " + resource)
		}
		return nil
	}
	if resource == "*" {
		return errors.New(action + " acts on " + strings.Join(act.R, ", ") + ", not *")
	}
	for _, r := range act.R {
		rt, ok := svc.Resources[strings.TrimSuffix(r, "*")]
		if ok && arnTemplate(rt.ARN).MatchString(resource) {
			return nil
		}
	}
	return errors.New(resource + " is none of the resource types of " + action + ": " + strings.Join(act.R, ", "))
}

// testApp builds every service on a fresh store, started, with the front
// door as their Invoker.
func testApp(t testing.TB) *App {
	t.Helper()
	ctx := context.Background()
	a, err := New(ctx, Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), AccountID: mapAccount, Region: mapRegion,
		Sync: store.SyncNormal, Workers: 1, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.close)
	for _, svc := range a.svcs {
		if st, ok := svc.(services.Starter); ok {
			if err := st.Start(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	return a
}

func (a *App) mustInvoke(t testing.TB, service, action, input string) json.RawMessage {
	t.Helper()
	out, err := a.srv.Invoke(context.Background(), a.env.Root(), service, action, json.RawMessage(input))
	if err != nil {
		t.Fatalf("%s.%s: %v", service, action, err)
	}
	return out
}

func (a *App) service(name string) services.Service {
	for _, s := range a.svcs {
		if s.Spec().Name == name {
			return s
		}
	}
	return nil
}

const (
	arnAlice   = "arn:aws:iam::" + mapAccount + ":user/eng/alice"
	arnOps     = "arn:aws:iam::" + mapAccount + ":group/g/ops"
	arnWorker  = "arn:aws:iam::" + mapAccount + ":role/svc/worker"
	arnMine    = "arn:aws:iam::" + mapAccount + ":policy/p/mine"
	arnProfile = "arn:aws:iam::" + mapAccount + ":instance-profile/ip/prof"
	arnTopic   = "arn:aws:sns:" + mapRegion + ":" + mapAccount + ":alerts"
	arnRule    = "arn:aws:events:" + mapRegion + ":" + mapAccount + ":rule/r1"
	arnRule2   = "arn:aws:events:" + mapRegion + ":" + mapAccount + ":rule/custom/r2"
	arnBus     = "arn:aws:events:" + mapRegion + ":" + mapAccount + ":event-bus/custom"
	arnDefBus  = "arn:aws:events:" + mapRegion + ":" + mapAccount + ":event-bus/default"
	arnMachine = "arn:aws:states:" + mapRegion + ":" + mapAccount + ":stateMachine:m1"
	arnExec    = "arn:aws:states:" + mapRegion + ":" + mapAccount + ":execution:m1:e1"
	arnAct     = "arn:aws:states:" + mapRegion + ":" + mapAccount + ":activity:act1"
	arnFn      = "arn:aws:lambda:" + mapRegion + ":" + mapAccount + ":function:f"
)

type mapCase struct {
	service, action, input string
	want                   []string          // resources; nil for "*"
	tags                   map[string]string // expected resource tags, when set
	also                   []string          // expected further actions
	public                 bool
}

// mapCases covers every operation Vigil serves.
func mapCases(aliceKey string) []mapCase {
	var cs []mapCase
	add := func(service string, input string, want []string, actions ...string) {
		for _, a := range actions {
			cs = append(cs, mapCase{service: service, action: a, input: input, want: want})
		}
	}
	u := `{"UserName":"alice"}`
	add("iam", `{}`, nil, "ListUsers", "ListGroups", "ListRoles", "ListPolicies", "ListInstanceProfiles",
		"GetAccountAuthorizationDetails", "SimulateCustomPolicy")
	add("iam", u, []string{arnAlice}, "GetUser", "DeleteUser", "UntagUser", "ListUserTags", "ListAccessKeys",
		"DeleteAccessKey", "UpdateAccessKey", "ListGroupsForUser", "ListAttachedUserPolicies", "GetUserPolicy",
		"DeleteUserPolicy", "ListUserPolicies", "PutUserPolicy", "DeleteUserPermissionsBoundary")
	add("iam", `{}`, []string{arnAlice}, "CreateAccessKey") // the caller, alice
	add("iam", `{"UserName":"alice","PolicyArn":"`+arnMine+`"}`, []string{arnAlice}, "AttachUserPolicy", "DetachUserPolicy")
	add("iam", `{"UserName":"alice","PermissionsBoundary":"`+arnMine+`"}`, []string{arnAlice}, "PutUserPermissionsBoundary")
	add("iam", `{"AccessKeyId":"`+aliceKey+`"}`, []string{arnAlice}, "GetAccessKeyLastUsed")
	add("iam", `{"UserName":"bob","Path":"/x/"}`, []string{"arn:aws:iam::" + mapAccount + ":user/x/bob"}, "CreateUser")
	add("iam", `{"GroupName":"g2","Path":"/a/"}`, []string{"arn:aws:iam::" + mapAccount + ":group/a/g2"}, "CreateGroup")
	add("iam", `{"GroupName":"ops","UserName":"alice"}`, []string{arnOps}, "GetGroup", "DeleteGroup", "AddUserToGroup",
		"RemoveUserFromGroup", "ListAttachedGroupPolicies", "PutGroupPolicy", "GetGroupPolicy", "DeleteGroupPolicy", "ListGroupPolicies")
	add("iam", `{"GroupName":"ops","PolicyArn":"`+arnMine+`"}`, []string{arnOps}, "AttachGroupPolicy", "DetachGroupPolicy")
	add("iam", `{"RoleName":"r2"}`, []string{"arn:aws:iam::" + mapAccount + ":role/r2"}, "CreateRole")
	add("iam", `{"RoleName":"worker"}`, []string{arnWorker}, "GetRole", "DeleteRole", "UpdateAssumeRolePolicy", "UpdateRole",
		"UpdateRoleDescription", "TagRole", "UntagRole", "ListRoleTags", "ListInstanceProfilesForRole", "ListAttachedRolePolicies",
		"PutRolePolicy", "GetRolePolicy", "DeleteRolePolicy", "ListRolePolicies", "PutRolePermissionsBoundary", "DeleteRolePermissionsBoundary")
	add("iam", `{"RoleName":"worker","PolicyArn":"`+arnMine+`"}`, []string{arnWorker}, "AttachRolePolicy", "DetachRolePolicy")
	add("iam", `{"PolicyName":"p2","Path":"/"}`, []string{"arn:aws:iam::" + mapAccount + ":policy/p2"}, "CreatePolicy")
	add("iam", `{"PolicyArn":"`+arnMine+`","VersionId":"v1"}`, []string{arnMine}, "GetPolicy", "DeletePolicy", "CreatePolicyVersion",
		"GetPolicyVersion", "ListPolicyVersions", "DeletePolicyVersion", "SetDefaultPolicyVersion", "TagPolicy", "UntagPolicy",
		"ListPolicyTags", "ListEntitiesForPolicy")
	add("iam", `{"InstanceProfileName":"p3","Path":"/"}`, []string{"arn:aws:iam::" + mapAccount + ":instance-profile/p3"}, "CreateInstanceProfile")
	add("iam", `{"InstanceProfileName":"prof"}`, []string{arnProfile}, "GetInstanceProfile", "DeleteInstanceProfile",
		"RemoveRoleFromInstanceProfile", "TagInstanceProfile", "UntagInstanceProfile", "ListInstanceProfileTags")
	add("iam", `{"PolicySourceArn":"`+arnAlice+`"}`, []string{arnAlice}, "SimulatePrincipalPolicy")
	cs = append(cs,
		mapCase{service: "iam", action: "TagUser", input: `{"UserName":"alice","Tags":[{"Key":"k","Value":"v"}]}`, want: []string{arnAlice},
			tags: map[string]string{"team": "red"}},
		mapCase{service: "iam", action: "AddRoleToInstanceProfile", input: `{"InstanceProfileName":"prof","RoleName":"worker"}`,
			want: []string{arnProfile}, also: []string{"iam:PassRole"}},
		mapCase{service: "iam", action: "CreateUser", input: `{"UserName":"carol","Tags":[{"Key":"k","Value":"v"}]}`,
			want: []string{"arn:aws:iam::" + mapAccount + ":user/carol"}, also: []string{"iam:TagUser"}},
		mapCase{service: "sts", action: "GetCallerIdentity", input: `{}`, public: true},
		mapCase{service: "sts", action: "AssumeRole", input: `{"RoleArn":"` + arnWorker + `","RoleSessionName":"s1","Tags":[{"Key":"a","Value":"b"}]}`,
			want: []string{arnWorker}, tags: map[string]string{"tier": "1"}, also: []string{"sts:TagSession"}},
	)

	topic := `{"TopicArn":"` + arnTopic + `"}`
	add("sns", `{}`, nil, "ListTopics", "ListSubscriptions")
	add("sns", `{"Name":"new"}`, []string{"arn:aws:sns:" + mapRegion + ":" + mapAccount + ":new"}, "CreateTopic")
	add("sns", topic, []string{arnTopic}, "DeleteTopic", "GetTopicAttributes", "SetTopicAttributes", "ListSubscriptionsByTopic", "ConfirmSubscription")
	add("sns", `{"ResourceArn":"`+arnTopic+`"}`, []string{arnTopic}, "TagResource", "UntagResource", "ListTagsForResource",
		"PutDataProtectionPolicy", "GetDataProtectionPolicy")
	add("sns", `{"SubscriptionArn":"`+arnTopic+`:0c1d2e3f-aaaa-bbbb-cccc-123456789012"}`, []string{arnTopic},
		"Unsubscribe", "GetSubscriptionAttributes", "SetSubscriptionAttributes")
	cs = append(cs,
		mapCase{service: "sns", action: "Publish", input: topic, want: []string{arnTopic}, tags: map[string]string{"env": "prod"}},
		mapCase{service: "sns", action: "PublishBatch", input: topic, want: []string{arnTopic}, tags: map[string]string{"env": "prod"}},
		mapCase{service: "sns", action: "Subscribe", input: `{"TopicArn":"` + arnTopic + `","Protocol":"https","Endpoint":"https://x"}`, want: []string{arnTopic}})

	add("events", `{}`, nil, "ListRules", "ListRuleNamesByTarget", "TestEventPattern", "ListEventBuses")
	add("events", `{"Name":"r1"}`, []string{arnRule}, "DescribeRule", "DeleteRule", "EnableRule", "DisableRule", "PutRule")
	add("events", `{"Rule":"r1"}`, []string{arnRule}, "ListTargetsByRule", "RemoveTargets")
	add("events", `{"Name":"custom"}`, []string{arnBus}, "CreateEventBus", "DescribeEventBus", "DeleteEventBus")
	add("events", `{"ResourceARN":"`+arnRule2+`"}`, []string{arnRule2}, "TagResource", "UntagResource", "ListTagsForResource")
	cs = append(cs,
		mapCase{service: "events", action: "PutEvents", input: `{"Entries":[{"Source":"a","DetailType":"b"},{"Source":"c","DetailType":"d","EventBusName":"custom"}]}`,
			want: []string{arnDefBus, arnBus}},
		mapCase{service: "events", action: "PutTargets", input: `{"Rule":"r2","EventBusName":"custom","Targets":[{"Id":"1","Arn":"` + arnMachine + `","RoleArn":"` + arnWorker + `"}]}`,
			want: []string{arnRule2}, tags: map[string]string{"owner": "sec"}, also: []string{"iam:PassRole"}},
	)

	add("states", `{}`, nil, "ListStateMachines", "ListActivities", "ValidateStateMachineDefinition", "SendTaskSuccess",
		"SendTaskFailure", "SendTaskHeartbeat")
	add("states", `{"stateMachineArn":"`+arnMachine+`"}`, []string{arnMachine}, "DescribeStateMachine", "DeleteStateMachine", "ListExecutions",
		"StartSyncExecution")
	add("states", `{"executionArn":"`+arnExec+`"}`, []string{arnExec}, "DescribeExecution", "StopExecution", "GetExecutionHistory",
		"DescribeStateMachineForExecution", "RedriveExecution")
	add("states", `{"name":"act2"}`, []string{"arn:aws:states:" + mapRegion + ":" + mapAccount + ":activity:act2"}, "CreateActivity")
	add("states", `{"activityArn":"`+arnAct+`"}`, []string{arnAct}, "DescribeActivity", "DeleteActivity", "GetActivityTask")
	add("states", `{"resourceArn":"`+arnAct+`"}`, []string{arnAct}, "TagResource", "UntagResource", "ListTagsForResource")
	cs = append(cs,
		mapCase{service: "states", action: "StartExecution", input: `{"stateMachineArn":"` + arnMachine + `"}`, want: []string{arnMachine},
			tags: map[string]string{"team": "sec"}},
		mapCase{service: "states", action: "CreateStateMachine", input: `{"name":"m2","roleArn":"` + arnWorker + `"}`,
			want: []string{"arn:aws:states:" + mapRegion + ":" + mapAccount + ":stateMachine:m2"}, also: []string{"iam:PassRole"}},
		mapCase{service: "states", action: "TestState", input: `{"roleArn":"` + arnWorker + `"}`, also: []string{"iam:PassRole"}},
	)

	add("lambda", `{}`, nil, "ListFunctions")
	add("lambda", `{"FunctionName":"f"}`, []string{arnFn}, "Invoke", "GetFunction")
	add("cloudtrail", `{}`, nil, "LookupEvents")
	add("access-analyzer", `{}`, nil, "ValidatePolicy")
	return cs
}

// seed creates the resources the cases name and returns alice's key.
func seed(t testing.TB, a *App) string {
	t.Helper()
	a.mustInvoke(t, "iam", "CreateUser", `{"UserName":"alice","Path":"/eng/","Tags":[{"Key":"team","Value":"red"}]}`)
	var key struct{ AccessKey struct{ AccessKeyId string } }
	json.Unmarshal(a.mustInvoke(t, "iam", "CreateAccessKey", `{"UserName":"alice"}`), &key)
	a.mustInvoke(t, "iam", "CreateGroup", `{"GroupName":"ops","Path":"/g/"}`)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"states.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	in, _ := json.Marshal(map[string]any{"RoleName": "worker", "Path": "/svc/", "AssumeRolePolicyDocument": trust,
		"Tags": []map[string]string{{"Key": "tier", "Value": "1"}}})
	a.mustInvoke(t, "iam", "CreateRole", string(in))
	in, _ = json.Marshal(map[string]any{"PolicyName": "mine", "Path": "/p/",
		"PolicyDocument": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sns:Publish","Resource":"*"}]}`})
	a.mustInvoke(t, "iam", "CreatePolicy", string(in))
	a.mustInvoke(t, "iam", "CreateInstanceProfile", `{"InstanceProfileName":"prof","Path":"/ip/"}`)
	a.mustInvoke(t, "sns", "CreateTopic", `{"Name":"alerts","Tags":[{"Key":"env","Value":"prod"}]}`)
	a.mustInvoke(t, "events", "CreateEventBus", `{"Name":"custom"}`)
	a.mustInvoke(t, "events", "PutRule", `{"Name":"r1","EventPattern":"{\"source\":[\"a\"]}"}`)
	a.mustInvoke(t, "events", "PutRule", `{"Name":"r2","EventBusName":"custom","EventPattern":"{\"source\":[\"a\"]}","Tags":[{"Key":"owner","Value":"sec"}]}`)
	in, _ = json.Marshal(map[string]any{"name": "m1", "roleArn": arnWorker, "tags": []map[string]string{{"key": "team", "value": "sec"}},
		"definition": `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`})
	a.mustInvoke(t, "states", "CreateStateMachine", string(in))
	a.mustInvoke(t, "states", "CreateActivity", `{"name":"act1"}`)
	return key.AccessKey.AccessKeyId
}

// TestAuthorizationMapping checks what each operation asks permission
// for against the Service Authorization Reference data that package
// policy ships: the action exists, and each resource is of a type the
// action acts on (or "*" for actions without resource types).
func TestAuthorizationMapping(t *testing.T) {
	data := loadIAMData(t)
	a := testApp(t)
	aliceKey := seed(t, a)
	alice := identity.Principal{Type: identity.IAMUser, ARN: arnAlice, AccountID: mapAccount, UserName: "alice"}
	ctx := context.Background()
	covered := map[string]bool{}
	for _, c := range mapCases(aliceKey) {
		covered[c.service+":"+c.action] = true
		t.Run(c.service+"."+c.action, func(t *testing.T) {
			svc := a.service(c.service)
			call := &awsproto.Call{Service: svc.Spec(), Action: c.action, Input: json.RawMessage(c.input), Caller: alice, Region: mapRegion}
			var info services.AuthInfo
			if az, ok := svc.(services.Authorizer); ok {
				var err error
				if info, err = az.AuthContext(ctx, call); err != nil {
					t.Fatal(err)
				}
			}
			if info.Public != c.public {
				t.Errorf("Public = %v", info.Public)
			}
			if c.public {
				return
			}
			if !slices.Equal(info.Resources, c.want) {
				t.Errorf("resources %q, want %q", info.Resources, c.want)
			}
			name := info.Action
			if name == "" {
				name = c.action
			}
			resources := info.Resources
			if len(resources) == 0 {
				resources = []string{"*"}
			}
			for _, r := range resources {
				if err := data.checkResource(c.service+":"+name, r); err != nil {
					t.Error(err)
				}
			}
			for k, v := range c.tags {
				if info.ResourceTags[k] != v {
					t.Errorf("resource tag %s = %q, want %q (tags %v)", k, info.ResourceTags[k], v, info.ResourceTags)
				}
			}
			var also []string
			for _, chk := range info.Also {
				also = append(also, chk.Action)
				r := chk.Resource
				if r == "" {
					r = "*"
				}
				if err := data.checkResource(chk.Action, r); err != nil {
					t.Error(err)
				}
			}
			if !slices.Equal(also, c.also) {
				t.Errorf("further checks %q, want %q", also, c.also)
			}
		})
	}
	t.Run("every operation is covered", func(t *testing.T) {
		for _, svc := range a.svcs {
			for _, op := range servedOperations(t, svc) {
				if !covered[svc.Spec().Name+":"+op] {
					t.Errorf("%s:%s has no mapping case", svc.Spec().Name, op)
				}
			}
		}
	})
}

// botocoreNames maps Vigil's service names to botocore's.
var botocoreNames = map[string]string{"states": "stepfunctions", "access-analyzer": "accessanalyzer"}

// servedOperations lists the botocore operations of svc that it serves:
// those it does not answer with InvalidAction or UnknownOperationException
// when called with an empty input.
func servedOperations(t *testing.T, svc services.Service) []string {
	t.Helper()
	name := svc.Spec().Name
	if n, ok := botocoreNames[name]; ok {
		name = n
	}
	models, _ := filepath.Glob("/usr/lib/python3/dist-packages/botocore/data/" + name + "/*/service-2.json")
	if len(models) == 0 {
		t.Skipf("no botocore model for %s (apt-get install python3-botocore)", name)
	}
	b, err := os.ReadFile(models[len(models)-1])
	if err != nil {
		t.Fatal(err)
	}
	var model struct{ Operations map[string]json.RawMessage }
	if err := json.Unmarshal(b, &model); err != nil {
		t.Fatal(err)
	}
	var served []string
	for op := range model.Operations {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := svc.Handle(ctx, &awsproto.Call{Service: svc.Spec(), Action: op, Input: json.RawMessage(`{}`),
			Caller: identity.Principal{Type: identity.Root, AccountID: mapAccount, ARN: "arn:aws:iam::" + mapAccount + ":root"}, Region: mapRegion})
		cancel()
		var e *awsproto.Error
		if errors.As(err, &e) && (e.Code == "InvalidAction" || e.Code == "UnknownOperationException") {
			continue
		}
		served = append(served, op)
	}
	slices.Sort(served)
	return served
}

// FuzzAuthContext feeds every service's AuthContext any input for any of
// its operations: it must never panic or fail on what a caller sends.
func FuzzAuthContext(f *testing.F) {
	a := testApp(f)
	aliceKey := seed(f, a)
	for _, c := range mapCases(aliceKey) {
		f.Add(c.service, c.action, c.input)
	}
	f.Add("iam", "GetUser", `{"UserName":7}`)
	f.Add("sns", "Unsubscribe", `{"SubscriptionArn":"arn:::::::"}`)
	f.Add("events", "PutEvents", `{"Entries":[null,{"EventBusName":"arn:aws:events:x"}]}`)
	f.Add("states", "TagResource", `{"resourceArn":"arn:aws:states:r:a:stateMachine:m:v:w"}`)
	f.Add("lambda", "Invoke", `{"FunctionName":"arn:aws:lambda:us-east-1:1:function:f:1:2"}`)
	alice := identity.Principal{Type: identity.IAMUser, ARN: arnAlice, AccountID: mapAccount, UserName: "alice"}
	f.Fuzz(func(t *testing.T, service, action, input string) {
		svc := a.service(service)
		az, ok := svc.(services.Authorizer)
		if !ok {
			return
		}
		call := &awsproto.Call{Service: svc.Spec(), Action: action, Input: json.RawMessage(input), Caller: alice, Region: mapRegion}
		if _, err := az.AuthContext(context.Background(), call); err != nil {
			t.Errorf("%s.%s %q: %v", service, action, input, err)
		}
	})
}
