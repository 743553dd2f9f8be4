package cloudtrail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/identity"
	"github.com/vigilsec/vigil/internal/runtime"
	"github.com/vigilsec/vigil/internal/services"
	"github.com/vigilsec/vigil/internal/store"
)

const testAccount = "123456789012"

var (
	iamSpec    = &awsproto.Spec{Name: "iam", Protocol: awsproto.Query, EventSource: "iam.amazonaws.com"}
	stsSpec    = &awsproto.Spec{Name: "sts", Protocol: awsproto.Query, EventSource: "sts.amazonaws.com"}
	eventsSpec = &awsproto.Spec{Name: "events", Protocol: awsproto.JSON11, EventSource: "events.amazonaws.com"}
	snsSpec    = &awsproto.Spec{Name: "sns", Protocol: awsproto.Query, EventSource: "sns.amazonaws.com"}

	alice = identity.Principal{Type: identity.IAMUser, ARN: "arn:aws:iam::" + testAccount + ":user/alice",
		AccountID: testAccount, UserName: "alice", PrincipalID: "AIDAALICE", AccessKeyID: "AKIAALICE"}
	root = identity.Principal{Type: identity.Root, ARN: "arn:aws:iam::" + testAccount + ":root",
		AccountID: testAccount, PrincipalID: testAccount, AccessKeyID: "AKIAROOT"}
)

// fakeInvoker records the calls a service makes to others.
type fakeInvoker struct {
	mu    sync.Mutex
	calls []invocation
	out   json.RawMessage
	err   error
}

type invocation struct {
	as              identity.Principal
	service, action string
	input           json.RawMessage
}

func (f *fakeInvoker) Invoke(ctx context.Context, as identity.Principal, service, action string, input any) (json.RawMessage, error) {
	raw, err := json.Marshal(input)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, invocation{as, service, action, raw})
	if f.err != nil {
		return nil, f.err
	}
	if f.out != nil {
		return f.out, nil
	}
	return json.RawMessage(`{"FailedEntryCount":0,"Entries":[{"EventId":"x"}]}`), nil
}

func newTestService(t testing.TB) (*Service, *fakeInvoker) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, t.TempDir(), store.SyncNormal)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	inv := &fakeInvoker{}
	env := &services.Env{DB: db, Runner: runtime.New(db, log, 1), Invoker: inv, Log: log,
		AccountID: testAccount, Region: "us-east-1"}
	s := New(env)
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return s, inv
}

var requestSeq int

func newCall(spec *awsproto.Spec, action string, caller identity.Principal, input string, at time.Time) *awsproto.Call {
	requestSeq++
	return &awsproto.Call{Service: spec, Action: action, Input: json.RawMessage(input), Caller: caller,
		SourceIP: "192.0.2.7", UserAgent: "test-agent/1.0", RequestID: fmt.Sprintf("req-%d", requestSeq),
		Region: "us-east-1", Time: at}
}

func record(t testing.TB, s *Service, call *awsproto.Call, result any, callErr *awsproto.Error) {
	t.Helper()
	if err := s.Record(context.Background(), call, result, callErr); err != nil {
		t.Fatalf("Record %s: %v", call.Action, err)
	}
}

func lookup(t testing.TB, s *Service, input string) (*LookupEventsOutput, error) {
	t.Helper()
	call := newCall(spec, "LookupEvents", root, input, time.Now())
	out, err := s.Handle(context.Background(), call)
	if err != nil {
		return nil, err
	}
	return out.(*LookupEventsOutput), nil
}

// onlyRecord returns the one record in the trail, as a generic JSON object.
func onlyRecord(t *testing.T, s *Service) map[string]any {
	t.Helper()
	out, err := lookup(t, s, `{}`)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Events) != 1 {
		t.Fatalf("got %d events, want 1", len(out.Events))
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(out.Events[0].CloudTrailEvent), &rec); err != nil {
		t.Fatalf("CloudTrailEvent is not JSON: %v", err)
	}
	return rec
}

func jsonEqual(t *testing.T, what string, got any, want string) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want for %s: %v", what, err)
	}
	g, _ := json.Marshal(got)
	wb, _ := json.Marshal(w)
	if string(g) != string(wb) {
		t.Errorf("%s = %s, want %s", what, g, wb)
	}
}

type createUserResult struct {
	User struct {
		UserName   string           `json:"UserName"`
		Arn        string           `json:"Arn"`
		CreateDate awsproto.ISOTime `json:"CreateDate"`
	} `json:"User"`
}

func TestRecordShape(t *testing.T) {
	s, _ := newTestService(t)
	at := time.Date(2024, 5, 6, 7, 8, 9, 500e6, time.UTC)
	call := newCall(iamSpec, "CreateUser", alice, `{"UserName":"bob","Path":"/","Tags":[{"Key":"team","Value":"sec"}]}`, at)
	call.AddResource("AWS::IAM::User", "arn:aws:iam::"+testAccount+":user/bob")
	var res createUserResult
	res.User.UserName, res.User.Arn = "bob", "arn:aws:iam::"+testAccount+":user/bob"
	res.User.CreateDate = awsproto.ISOTime(at)
	record(t, s, call, &res, nil)

	rec := onlyRecord(t, s)
	want := map[string]any{
		"eventVersion": "1.08", "eventTime": "2024-05-06T07:08:09Z", "eventSource": "iam.amazonaws.com",
		"eventName": "CreateUser", "awsRegion": "us-east-1", "sourceIPAddress": "192.0.2.7",
		"userAgent": "test-agent/1.0", "requestID": call.RequestID, "readOnly": false,
		"eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": testAccount,
		"eventCategory": "Management",
	}
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("%s = %v, want %v", k, rec[k], v)
		}
	}
	jsonEqual(t, "userIdentity", rec["userIdentity"], `{"type":"IAMUser","principalId":"AIDAALICE",
		"arn":"arn:aws:iam::123456789012:user/alice","accountId":"123456789012","accessKeyId":"AKIAALICE","userName":"alice"}`)
	jsonEqual(t, "requestParameters", rec["requestParameters"], `{"userName":"bob","path":"/","tags":[{"key":"team","value":"sec"}]}`)
	jsonEqual(t, "responseElements", rec["responseElements"], `{"user":{"userName":"bob","arn":"arn:aws:iam::123456789012:user/bob","createDate":"2024-05-06T07:08:09Z"}}`)
	jsonEqual(t, "resources", rec["resources"], `[{"accountId":"123456789012","type":"AWS::IAM::User","ARN":"arn:aws:iam::123456789012:user/bob"}]`)
	if _, ok := rec["errorCode"]; ok {
		t.Error("successful call has errorCode")
	}
	id, _ := rec["eventID"].(string)
	if len(id) != 36 || id[14] != '4' {
		t.Errorf("eventID %q is not a version 4 UUID", id)
	}
}

func TestRecordVariants(t *testing.T) {
	tests := []struct {
		name     string
		call     func() *awsproto.Call
		result   any
		err      *awsproto.Error
		check    map[string]any // top-level members expected
		params   string         // requestParameters, JSON
		response string         // responseElements, JSON
	}{
		{
			name:   "read-only call has null responseElements",
			call:   func() *awsproto.Call { return newCall(stsSpec, "GetCallerIdentity", alice, `{}`, time.Now()) },
			result: map[string]string{"Account": testAccount},
			check:  map[string]any{"readOnly": true, "eventCategory": "Management"},
			params: `null`, response: `null`,
		},
		{
			name: "refused call records the error",
			call: func() *awsproto.Call {
				return newCall(iamSpec, "DeleteUser", alice, `{"UserName":"ghost"}`, time.Now())
			},
			err:    awsproto.Errorf(404, "NoSuchEntity", "The user with name ghost cannot be found."),
			check:  map[string]any{"errorCode": "NoSuchEntity", "errorMessage": "The user with name ghost cannot be found.", "readOnly": false},
			params: `{"userName":"ghost"}`, response: `null`,
		},
		{
			name: "PutEvents is a data event",
			call: func() *awsproto.Call {
				return newCall(eventsSpec, "PutEvents", alice, `{"Entries":[{"Source":"x"}]}`, time.Now())
			},
			result: map[string]any{"FailedEntryCount": 0},
			check:  map[string]any{"eventCategory": "Data", "managementEvent": false},
			params: `{"entries":[{"source":"x"}]}`, response: `{"failedEntryCount":0}`,
		},
		{
			name: "audit overrides replace input and result; secrets never recorded",
			call: func() *awsproto.Call {
				c := newCall(iamSpec, "CreateAccessKey", alice, `{"UserName":"bob","Junk":1}`, time.Now())
				c.AuditRequest = map[string]string{"UserName": "bob"}
				c.AuditResponse = map[string]any{"AccessKey": map[string]string{"AccessKeyId": "AKIAX", "SecretAccessKey": "s3cr3t"}}
				return c
			},
			result: map[string]any{"AccessKey": map[string]string{"SecretAccessKey": "s3cr3t", "Other": "x"}},
			params: `{"userName":"bob"}`, response: `{"accessKey":{"accessKeyId":"AKIAX"}}`,
		},
		{
			name: "map members keep their keys",
			call: func() *awsproto.Call {
				return newCall(snsSpec, "CreateTopic", alice, `{"Name":"t","Attributes":{"DisplayName":"T"},"Tags":[{"Key":"A","Value":"B"}]}`, time.Now())
			},
			result:   map[string]string{"TopicArn": "arn:aws:sns:us-east-1:123456789012:t"},
			params:   `{"name":"t","attributes":{"DisplayName":"T"},"tags":[{"key":"A","value":"B"}]}`,
			response: `{"topicArn":"arn:aws:sns:us-east-1:123456789012:t"}`,
		},
		{
			name:   "write with an empty result has null responseElements",
			call:   func() *awsproto.Call { return newCall(iamSpec, "DeleteUser", alice, `{"UserName":"bob"}`, time.Now()) },
			result: nil,
			params: `{"userName":"bob"}`, response: `null`,
		},
		{
			name: "already lowerCamelCase members stay",
			call: func() *awsproto.Call {
				spec := &awsproto.Spec{Name: "states", Protocol: awsproto.JSON10, EventSource: "states.amazonaws.com"}
				return newCall(spec, "StartExecution", alice, `{"stateMachineArn":"arn:x","input":"{\"A\":1}"}`, time.Now())
			},
			result:   map[string]any{"executionArn": "arn:y"},
			params:   `{"stateMachineArn":"arn:x","input":"{\"A\":1}"}`,
			response: `{"executionArn":"arn:y"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestService(t)
			c := tt.call()
			record(t, s, c, tt.result, tt.err)
			var rec map[string]any
			// Data events are not listed by LookupEvents; read the row directly.
			var body string
			if err := s.env.DB.Read().QueryRow(`SELECT record FROM cloudtrail_events`).Scan(&body); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(body), &rec); err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.check {
				if fmt.Sprint(rec[k]) != fmt.Sprint(v) {
					t.Errorf("%s = %v, want %v", k, rec[k], v)
				}
			}
			jsonEqual(t, "requestParameters", rec["requestParameters"], tt.params)
			jsonEqual(t, "responseElements", rec["responseElements"], tt.response)
			if strings.Contains(body, "s3cr3t") {
				t.Errorf("record contains a secret: %s", body)
			}
		})
	}
}

func TestUserIdentity(t *testing.T) {
	svc := identity.Principal{Type: identity.AWSService, ARN: "arn:aws:iam::1:root", AccountID: "1", InvokedBy: "cloudtrail.amazonaws.com"}
	onBehalf := root
	onBehalf.AccessKeyID, onBehalf.InvokedBy = "", "states.amazonaws.com"
	role := identity.Principal{Type: identity.AssumedRole, ARN: "arn:aws:sts::1:assumed-role/R/session-1", AccountID: "1"}
	tests := []struct {
		p        identity.Principal
		want     string
		username string
	}{
		{alice, `{"type":"IAMUser","principalId":"AIDAALICE","arn":"arn:aws:iam::123456789012:user/alice","accountId":"123456789012","accessKeyId":"AKIAALICE","userName":"alice"}`, "alice"},
		{root, `{"type":"Root","principalId":"123456789012","arn":"arn:aws:iam::123456789012:root","accountId":"123456789012","accessKeyId":"AKIAROOT"}`, "root"},
		{onBehalf, `{"type":"Root","principalId":"123456789012","arn":"arn:aws:iam::123456789012:root","accountId":"123456789012","invokedBy":"states.amazonaws.com"}`, "root"},
		{svc, `{"type":"AWSService","invokedBy":"cloudtrail.amazonaws.com"}`, "cloudtrail.amazonaws.com"},
		{role, `{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/R/session-1","accountId":"1"}`, "session-1"},
	}
	for _, tt := range tests {
		got, _ := json.Marshal(userIdentityOf(tt.p))
		if string(got) != tt.want {
			t.Errorf("userIdentity(%s) = %s, want %s", tt.p.Type, got, tt.want)
		}
		if u := lookupUsername(tt.p); u != tt.username {
			t.Errorf("username(%s) = %q, want %q", tt.p.Type, u, tt.username)
		}
	}
}

func TestIsReadOnly(t *testing.T) {
	for action, want := range map[string]bool{
		"GetUser": true, "ListUsers": true, "DescribeRule": true, "LookupEvents": true,
		"TestEventPattern": true, "SimulatePrincipalPolicy": true, "GetCallerIdentity": true,
		"CreateUser": false, "DeleteAccessKey": false, "PutEvents": false, "Getaway": false,
		"UpdateAccessKey": false, "TagUser": false, "Publish": false,
	} {
		if got := isReadOnly(action); got != want {
			t.Errorf("isReadOnly(%s) = %v, want %v", action, got, want)
		}
	}
}

func TestResourceName(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:iam::1:user/bob":                   "bob",
		"arn:aws:iam::1:user/division/team/bob":     "bob",
		"arn:aws:iam::1:role/R":                     "R",
		"arn:aws:sns:us-east-1:1:topic":             "arn:aws:sns:us-east-1:1:topic",
		"arn:aws:states:us-east-1:1:stateMachine:m": "arn:aws:states:us-east-1:1:stateMachine:m",
		"AKIAEXAMPLE":                               "AKIAEXAMPLE",
	} {
		if got := resourceName(arn); got != want {
			t.Errorf("resourceName(%s) = %q, want %q", arn, got, want)
		}
	}
}

// seed records a small history: four calls a minute apart, oldest first.
func seed(t *testing.T, s *Service) (base time.Time) {
	t.Helper()
	base = time.Now().Add(-time.Hour).Truncate(time.Second)
	bob := alice
	bob.UserName, bob.ARN, bob.AccessKeyID = "bob", "arn:aws:iam::"+testAccount+":user/bob", "AKIABOB"
	calls := []struct {
		spec   *awsproto.Spec
		action string
		who    identity.Principal
		res    []awsproto.Resource
	}{
		{iamSpec, "CreateUser", alice, []awsproto.Resource{{ARN: "arn:aws:iam::" + testAccount + ":user/bob", Type: "AWS::IAM::User"}}},
		{iamSpec, "CreateAccessKey", alice, []awsproto.Resource{{ARN: "arn:aws:iam::" + testAccount + ":user/bob", Type: "AWS::IAM::User"}, {ARN: "AKIABOB", Type: "AWS::IAM::AccessKey"}}},
		{stsSpec, "GetCallerIdentity", bob, nil},
		{iamSpec, "ListUsers", bob, nil},
	}
	for i, c := range calls {
		call := newCall(c.spec, c.action, c.who, `{}`, base.Add(time.Duration(i)*time.Minute))
		call.Resources = c.res
		record(t, s, call, nil, nil)
	}
	// A data event, which LookupEvents must not list.
	record(t, s, newCall(eventsSpec, "PutEvents", bob, `{}`, base.Add(5*time.Minute)), nil, nil)
	return base
}

func names(out *LookupEventsOutput) string {
	var ns []string
	for _, e := range out.Events {
		ns = append(ns, e.EventName)
	}
	return strings.Join(ns, ",")
}

func TestLookupFilters(t *testing.T) {
	s, _ := newTestService(t)
	base := seed(t, s)
	attr := func(k, v string) string {
		return fmt.Sprintf(`{"LookupAttributes":[{"AttributeKey":%q,"AttributeValue":%q}]}`, k, v)
	}
	tests := []struct {
		name, input, want string
	}{
		{"all, newest first", `{}`, "ListUsers,GetCallerIdentity,CreateAccessKey,CreateUser"},
		{"username", attr("Username", "bob"), "ListUsers,GetCallerIdentity"},
		{"event name", attr("EventName", "CreateUser"), "CreateUser"},
		{"event source", attr("EventSource", "sts.amazonaws.com"), "GetCallerIdentity"},
		{"access key", attr("AccessKeyId", "AKIAALICE"), "CreateAccessKey,CreateUser"},
		{"read only", attr("ReadOnly", "true"), "ListUsers,GetCallerIdentity"},
		{"writes", attr("ReadOnly", "false"), "CreateAccessKey,CreateUser"},
		{"resource name", attr("ResourceName", "bob"), "CreateAccessKey,CreateUser"},
		{"resource name by ARN", attr("ResourceName", "arn:aws:iam::"+testAccount+":user/bob"), "CreateAccessKey,CreateUser"},
		{"resource name not an ARN", attr("ResourceName", "AKIABOB"), "CreateAccessKey"},
		{"resource type", attr("ResourceType", "AWS::IAM::AccessKey"), "CreateAccessKey"},
		{"no match", attr("Username", "carol"), ""},
		{"time range", fmt.Sprintf(`{"StartTime":%d,"EndTime":%d}`, base.Add(time.Minute).Unix(), base.Add(2*time.Minute).Unix()), "GetCallerIdentity,CreateAccessKey"},
		{"ISO times", fmt.Sprintf(`{"StartTime":%q}`, base.Add(3*time.Minute).Format(time.RFC3339)), "ListUsers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := lookup(t, s, tt.input)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(out); got != tt.want {
				t.Errorf("events = %s, want %s", got, tt.want)
			}
		})
	}

	// The event id filter and the shape of one event.
	all, _ := lookup(t, s, `{}`)
	ev := all.Events[2]
	out, err := lookup(t, s, attr("EventId", ev.EventID))
	if err != nil || len(out.Events) != 1 {
		t.Fatalf("EventId lookup: %v, %d events", err, len(out.Events))
	}
	got := out.Events[0]
	if got.EventName != "CreateAccessKey" || got.ReadOnly != "false" || got.AccessKeyID != "AKIAALICE" ||
		got.Username != "alice" || got.EventSource != "iam.amazonaws.com" ||
		!time.Time(got.EventTime).Equal(base.Add(time.Minute)) {
		t.Errorf("event = %+v", got)
	}
	wantRes := []EventResource{{"AWS::IAM::User", "bob"}, {"AWS::IAM::AccessKey", "AKIABOB"}}
	if fmt.Sprint(got.Resources) != fmt.Sprint(wantRes) {
		t.Errorf("resources = %v, want %v", got.Resources, wantRes)
	}
	var rec Record
	if err := json.Unmarshal([]byte(got.CloudTrailEvent), &rec); err != nil || rec.EventID != got.EventID {
		t.Errorf("CloudTrailEvent does not carry the event id: %v", err)
	}
	// The response must encode EventTime as epoch seconds.
	b, _ := json.Marshal(got)
	if !strings.Contains(string(b), fmt.Sprintf(`"EventTime":%d`, base.Add(time.Minute).Unix())) {
		t.Errorf("EventTime not in epoch seconds: %s", b)
	}
}

func TestLookupPaging(t *testing.T) {
	s, _ := newTestService(t)
	base := time.Now().Add(-time.Hour)
	// Several events in the same millisecond, so paging must not rely on time alone.
	for i := range 7 {
		at := base.Add(time.Duration(i/3) * time.Second)
		record(t, s, newCall(iamSpec, fmt.Sprintf("CreateUser%d", i), alice, `{}`, at), nil, nil)
	}
	var seen []string
	token := ""
	pages := 0
	for {
		in := `{"MaxResults":3}`
		if token != "" {
			in = fmt.Sprintf(`{"MaxResults":3,"NextToken":%q}`, token)
		}
		out, err := lookup(t, s, in)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, e := range out.Events {
			seen = append(seen, e.EventName)
		}
		if token = out.NextToken; token == "" {
			break
		}
		if pages > 5 {
			t.Fatal("paging does not end")
		}
	}
	want := "CreateUser6,CreateUser5,CreateUser4,CreateUser3,CreateUser2,CreateUser1,CreateUser0"
	if got := strings.Join(seen, ","); got != want || pages != 3 {
		t.Errorf("pages = %d, events = %s; want 3 pages of %s", pages, got, want)
	}

	// A token is bound to its request's parameters.
	first, _ := lookup(t, s, `{"MaxResults":1}`)
	_, err := lookup(t, s, fmt.Sprintf(`{"MaxResults":1,"NextToken":%q,"LookupAttributes":[{"AttributeKey":"Username","AttributeValue":"alice"}]}`, first.NextToken))
	wantCode(t, err, "InvalidNextTokenException")
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var e *awsproto.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want %s", err, code)
	}
	if e.Code != code || e.Status != http.StatusBadRequest {
		t.Errorf("error = %s (%d) %s, want %s (400)", e.Code, e.Status, e.Message, code)
	}
}

func TestLookupErrors(t *testing.T) {
	s, _ := newTestService(t)
	now := time.Now().Unix()
	tests := []struct{ input, code string }{
		{`{"LookupAttributes":[{"AttributeKey":"Username","AttributeValue":"a"},{"AttributeKey":"EventName","AttributeValue":"b"}]}`, "InvalidLookupAttributesException"},
		{`{"LookupAttributes":[{"AttributeKey":"Colour","AttributeValue":"a"}]}`, "InvalidLookupAttributesException"},
		{`{"LookupAttributes":[{"AttributeKey":"Username"}]}`, "InvalidLookupAttributesException"},
		{`{"LookupAttributes":[{"AttributeKey":"Username","AttributeValue":""}]}`, "InvalidLookupAttributesException"},
		{`{"LookupAttributes":[{"AttributeValue":"a"}]}`, "InvalidLookupAttributesException"},
		{`{"LookupAttributes":[{"AttributeKey":"ReadOnly","AttributeValue":"maybe"}]}`, "InvalidLookupAttributesException"},
		{`{"MaxResults":0}`, "InvalidMaxResultsException"},
		{`{"MaxResults":51}`, "InvalidMaxResultsException"},
		{`{"MaxResults":-1}`, "InvalidMaxResultsException"},
		{fmt.Sprintf(`{"StartTime":%d,"EndTime":%d}`, now, now-60), "InvalidTimeRangeException"},
		{`{"NextToken":"not a token"}`, "InvalidNextTokenException"},
		{`{"NextToken":"eyJ0IjoxfQ"}`, "InvalidNextTokenException"},
		{`{"EventCategory":"insight"}`, "UnsupportedOperationException"},
		{`{"EventCategory":"management"}`, "InvalidEventCategoryException"},
		{`{"MaxResults":"x"}`, "SerializationException"},
		{`[1,2]`, "SerializationException"},
	}
	for _, tt := range tests {
		_, err := lookup(t, s, tt.input)
		t.Run(tt.input, func(t *testing.T) { wantCode(t, err, tt.code) })
	}
	_, err := s.Handle(context.Background(), newCall(spec, "CreateTrail", root, `{}`, time.Now()))
	wantCode(t, err, "UnknownOperationException")
}

func TestEmitQueuesWrites(t *testing.T) {
	s, _ := newTestService(t)
	at := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	create := newCall(iamSpec, "CreateUser", alice, `{"UserName":"bob"}`, at)
	create.AddResource("AWS::IAM::User", "arn:aws:iam::"+testAccount+":user/bob")
	record(t, s, create, nil, nil)
	record(t, s, newCall(iamSpec, "DeleteUser", alice, `{"UserName":"x"}`, at), nil, awsproto.Errorf(404, "NoSuchEntity", "no"))
	record(t, s, newCall(iamSpec, "GetUser", alice, `{}`, at), nil, nil)
	record(t, s, newCall(eventsSpec, "PutEvents", alice, `{}`, at), nil, nil)
	record(t, s, newCall(snsSpec, "Publish", alice, `{}`, at), nil, nil)

	rows, err := s.env.DB.Read().Query(`SELECT kind, payload FROM jobs ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var payloads [][]byte
	for rows.Next() {
		var kind string
		var p []byte
		if err := rows.Scan(&kind, &p); err != nil {
			t.Fatal(err)
		}
		if kind != emitKind {
			t.Errorf("job kind %q", kind)
		}
		payloads = append(payloads, p)
	}
	// Both writes (the refused one too), but no read and no data event,
	// in one delivery: no worker claimed the first before the second came.
	if len(payloads) != 1 {
		t.Fatalf("%d jobs queued, want 1", len(payloads))
	}
	var in struct {
		Entries []struct {
			Source, DetailType, Detail string
			Time                       float64
			Resources                  []string
		}
	}
	if err := json.Unmarshal(payloads[0], &in); err != nil || len(in.Entries) != 2 {
		t.Fatalf("payload %s: %v", payloads[0], err)
	}
	e := in.Entries[0]
	if e.Source != "aws.iam" || e.DetailType != "AWS API Call via CloudTrail" || e.Time != float64(at.Unix()) ||
		len(e.Resources) != 1 || e.Resources[0] != "arn:aws:iam::"+testAccount+":user/bob" {
		t.Errorf("entry = %+v", e)
	}
	var detail Record
	if err := json.Unmarshal([]byte(e.Detail), &detail); err != nil || detail.EventName != "CreateUser" || detail.EventSource != "iam.amazonaws.com" {
		t.Errorf("detail = %s (%v)", e.Detail, err)
	}
}

func TestEmitCallsEvents(t *testing.T) {
	tests := []struct {
		name      string
		out       string
		err       error
		permanent bool
		ok        bool
	}{
		{name: "delivered", ok: true},
		{name: "entry refused", out: `{"FailedEntryCount":1,"Entries":[{"ErrorCode":"InvalidArgument","ErrorMessage":"too big"}]}`, permanent: true},
		{name: "entry failed inside", out: `{"FailedEntryCount":1,"Entries":[{"ErrorCode":"InternalFailure","ErrorMessage":"x"}]}`},
		{name: "call refused", err: awsproto.Errorf(400, "AccessDeniedException", "no"), permanent: true},
		{name: "throttled", err: awsproto.Errorf(400, "ThrottlingException", "slow down")},
		{name: "server fault", err: awsproto.Errorf(500, "InternalException", "x")},
		{name: "not awsproto", err: errors.New("no such service")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, inv := newTestService(t)
			if tt.out != "" {
				inv.out = json.RawMessage(tt.out)
			}
			inv.err = tt.err
			payload := []byte(`{"Entries":[{"Source":"aws.iam","DetailType":"AWS API Call via CloudTrail","Detail":"{}","Time":1,"Resources":[]}]}`)
			err := s.emit(context.Background(), store.Job{ID: 1, Kind: emitKind, Payload: payload})
			if tt.ok != (err == nil) {
				t.Fatalf("emit error = %v", err)
			}
			if got := isPermanent(err); got != tt.permanent {
				t.Errorf("permanent = %v, want %v (%v)", got, tt.permanent, err)
			}
			if len(inv.calls) != 1 {
				t.Fatalf("%d calls", len(inv.calls))
			}
			c := inv.calls[0]
			if c.service != "events" || c.action != "PutEvents" || string(c.input) != string(payload) {
				t.Errorf("call = %s.%s %s", c.service, c.action, c.input)
			}
			if c.as.Type != identity.AWSService || c.as.InvokedBy != "cloudtrail.amazonaws.com" || c.as.AccountID != testAccount {
				t.Errorf("called as %+v", c.as)
			}
		})
	}
}

// isPermanent tells a runtime.Permanent error apart by what the runner does with it.
func isPermanent(err error) bool {
	return err != nil && fmt.Sprintf("%T", err) == "*runtime.permanent"
}

// TestEmitThroughRunner runs the queued delivery the way the server does.
func TestEmitThroughRunner(t *testing.T) {
	s, inv := newTestService(t)
	record(t, s, newCall(iamSpec, "CreateUser", alice, `{"UserName":"bob"}`, time.Now()), nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.env.Runner.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		s.env.DB.Read().QueryRow(`SELECT count(*) FROM jobs`).Scan(&n)
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("job not finished")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if len(inv.calls) != 1 || inv.calls[0].action != "PutEvents" {
		t.Fatalf("calls = %+v", inv.calls)
	}
}

func TestRecordIgnoresCancelledContext(t *testing.T) {
	s, _ := newTestService(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Record(ctx, newCall(iamSpec, "CreateUser", alice, `{}`, time.Now()), nil, nil); err != nil {
		t.Fatalf("Record with a cancelled context: %v", err)
	}
}

func FuzzAuditJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"UserName":"a","Tags":[{"Key":"k"}]}`, `{"Attributes":{"X":{"Y":1}}}`, `[1,"a",null]`, `"x"`, `{"É":1}`, `1e400`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := auditJSON(json.RawMessage(b))
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("auditJSON(%q) = %q, not JSON", b, out)
		}
	})
}

func FuzzDecodeToken(f *testing.F) {
	f.Add("eyJ0IjoxLCJzIjoxLCJxIjoiYWIifQ", "ab")
	f.Add("", "")
	f.Add("!!!", "x")
	f.Fuzz(func(t *testing.T, tok, fp string) {
		c, err := decodeToken(tok, fp)
		if err == nil && c.Seq <= 0 {
			t.Fatalf("accepted token with seq %d", c.Seq)
		}
	})
}

func BenchmarkRecord(b *testing.B) {
	s, _ := newTestService(b)
	var res createUserResult
	res.User.UserName, res.User.Arn = "bob", "arn:aws:iam::"+testAccount+":user/bob"
	b.ResetTimer()
	for b.Loop() {
		call := newCall(iamSpec, "CreateUser", alice, `{"UserName":"bob","Tags":[{"Key":"team","Value":"sec"}]}`, time.Now())
		call.AddResource("AWS::IAM::User", res.User.Arn)
		record(b, s, call, &res, nil)
	}
}

func BenchmarkLookupByUsername(b *testing.B) {
	s, _ := newTestService(b)
	for i := range 2000 {
		who := alice
		if i%10 == 0 {
			who.UserName = "bob"
		}
		record(b, s, newCall(iamSpec, "GetUser", who, `{}`, time.Now()), nil, nil)
	}
	b.ResetTimer()
	for b.Loop() {
		out, err := lookup(b, s, `{"LookupAttributes":[{"AttributeKey":"Username","AttributeValue":"bob"}],"MaxResults":50}`)
		if err != nil || len(out.Events) != 50 {
			b.Fatalf("lookup: %v", err)
		}
	}
}

// TestPruneKeepsNinetyDays deletes expired records with their resources,
// oldest first, and keeps the rest whole.
func TestPruneKeepsNinetyDays(t *testing.T) {
	s, _ := newTestService(t)
	now := time.Now()
	for i, at := range []time.Time{now.Add(-100 * 24 * time.Hour), now.Add(-91 * 24 * time.Hour), now.Add(-89 * 24 * time.Hour), now} {
		call := newCall(iamSpec, "CreateUser", root, fmt.Sprintf(`{"UserName":"u%d"}`, i), at)
		call.AddResource("AWS::IAM::User", fmt.Sprintf("arn:aws:iam::%s:user/u%d", testAccount, i))
		record(t, s, call, nil, nil)
	}
	count := func(table string) int {
		var n int
		if err := s.env.DB.Read().QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	resources := count("cloudtrail_resources")
	n, err := s.prune(context.Background(), now.Add(-retention))
	if err != nil || n != 2 {
		t.Fatalf("prune: %d records, %v; want 2", n, err)
	}
	if got := count("cloudtrail_events"); got != 2 {
		t.Errorf("%d records left, want 2", got)
	}
	if got := count("cloudtrail_resources"); got != resources/2 {
		t.Errorf("%d resource rows left of %d, want half", got, resources)
	}
	out, err := lookup(t, s, `{"LookupAttributes":[{"AttributeKey":"ResourceName","AttributeValue":"u2"}]}`)
	if err != nil || len(out.Events) != 1 {
		t.Fatalf("the 89-day-old record by its resource: %v, %v", out, err)
	}
	if n, err := s.prune(context.Background(), now.Add(-retention)); err != nil || n != 0 {
		t.Errorf("second prune: %d, %v", n, err)
	}
}
