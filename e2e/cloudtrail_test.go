package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

const ctAccount = "000000000000"

// ctLookup returns every event matching one lookup attribute (none when
// key is empty), following NextToken with pages of size pageSize.
func ctLookup(t *testing.T, c *cloudtrail.Client, key cttypes.LookupAttributeKey, value string, pageSize int32) []cttypes.Event {
	t.Helper()
	in := &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(pageSize)}
	if key != "" {
		in.LookupAttributes = []cttypes.LookupAttribute{{AttributeKey: key, AttributeValue: aws.String(value)}}
	}
	var events []cttypes.Event
	p := cloudtrail.NewLookupEventsPaginator(c, in)
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("LookupEvents %s=%s: %v", key, value, err)
		}
		if len(out.Events) > int(pageSize) {
			t.Fatalf("page of %d events, asked for %d", len(out.Events), pageSize)
		}
		events = append(events, out.Events...)
	}
	return events
}

// ctRecord parses an event's CloudTrail record.
func ctRecord(t *testing.T, e cttypes.Event) map[string]any {
	t.Helper()
	var rec map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(e.CloudTrailEvent)), &rec); err != nil {
		t.Fatalf("CloudTrailEvent of %s is not JSON: %v", aws.ToString(e.EventName), err)
	}
	return rec
}

// ctGet walks a path of object members.
func ctGet(v any, path ...string) any {
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	return v
}

func ctCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return fmt.Sprintf("not an API error: %v", err)
}

func ctNames(events []cttypes.Event) string {
	var ns []string
	for _, e := range events {
		ns = append(ns, aws.ToString(e.EventName))
	}
	return strings.Join(ns, ",")
}

func TestCloudTrailRecordsCalls(t *testing.T) {
	v := startVigil(t)
	ctx := context.Background()
	ic, ct := v.iam(), v.cloudtrail()
	started := time.Now()

	if _, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ct-alice")}); err != nil {
		t.Fatal(err)
	}
	key, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("ct-alice")})
	if err != nil {
		t.Fatal(err)
	}
	akid, secret := aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey)
	alice := v.Cfg.Copy()
	alice.Credentials = credentials.NewStaticCredentialsProvider(akid, secret, "")
	if _, err := sts.NewFromConfig(alice).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	_, err = ic.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("ct-nobody")})
	if code := ctCode(err); code != "NoSuchEntity" {
		t.Fatalf("GetUser of a missing user: %s", code)
	}

	// The user's own call, found by user name and by access key.
	byUser := ctLookup(t, ct, cttypes.LookupAttributeKeyUsername, "ct-alice", 50)
	if ctNames(byUser) != "GetCallerIdentity" {
		t.Fatalf("events of ct-alice = %s", ctNames(byUser))
	}
	e := byUser[0]
	if aws.ToString(e.EventSource) != "sts.amazonaws.com" || aws.ToString(e.AccessKeyId) != akid ||
		aws.ToString(e.ReadOnly) != "true" || aws.ToString(e.Username) != "ct-alice" {
		t.Errorf("event = %+v", e)
	}
	if et := aws.ToTime(e.EventTime); et.Before(started.Add(-time.Second)) || et.After(time.Now().Add(time.Second)) {
		t.Errorf("EventTime %s is not now", et)
	}
	rec := ctRecord(t, e)
	for path, want := range map[string]any{
		"eventVersion": "1.08", "eventSource": "sts.amazonaws.com", "eventName": "GetCallerIdentity",
		"awsRegion": "us-east-1", "sourceIPAddress": "127.0.0.1", "readOnly": true, "eventType": "AwsApiCall",
		"managementEvent": true, "eventCategory": "Management", "recipientAccountId": ctAccount,
		"eventID":           aws.ToString(e.EventId),
		"userIdentity.type": "IAMUser", "userIdentity.userName": "ct-alice", "userIdentity.accessKeyId": akid,
		"userIdentity.accountId": ctAccount, "userIdentity.arn": "arn:aws:iam::" + ctAccount + ":user/ct-alice",
	} {
		if got := ctGet(rec, strings.Split(path, ".")...); got != want {
			t.Errorf("record %s = %v, want %v", path, got, want)
		}
	}
	if ua, _ := rec["userAgent"].(string); !strings.Contains(ua, "aws-sdk-go-v2") {
		t.Errorf("userAgent = %q", ua)
	}
	if ts, _ := rec["eventTime"].(string); !strings.HasSuffix(ts, "Z") || len(ts) != len("2006-01-02T15:04:05Z") {
		t.Errorf("eventTime = %q", ts)
	}
	if rec["responseElements"] != nil {
		t.Errorf("read-only call has responseElements %v", rec["responseElements"])
	}
	if got := ctNames(ctLookup(t, ct, cttypes.LookupAttributeKeyAccessKeyId, akid, 50)); got != "GetCallerIdentity" {
		t.Errorf("events of key %s = %s", akid, got)
	}

	// A write, with its parameters, response and resources.
	created := ctLookup(t, ct, cttypes.LookupAttributeKeyEventName, "CreateUser", 50)
	if len(created) != 1 {
		t.Fatalf("%d CreateUser events", len(created))
	}
	rec = ctRecord(t, created[0])
	if ctGet(rec, "requestParameters", "userName") != "ct-alice" || ctGet(rec, "responseElements", "user", "userName") != "ct-alice" ||
		rec["readOnly"] != false || ctGet(rec, "userIdentity", "type") != "Root" {
		t.Errorf("CreateUser record = %v", rec)
	}
	if aws.ToString(created[0].Username) != "root" {
		t.Errorf("root's Username = %q", aws.ToString(created[0].Username))
	}
	foundUser := false
	for _, r := range created[0].Resources {
		foundUser = foundUser || (aws.ToString(r.ResourceType) == "AWS::IAM::User" && aws.ToString(r.ResourceName) == "ct-alice")
	}
	if !foundUser {
		t.Errorf("CreateUser resources = %+v", created[0].Resources)
	}
	// The secret of the new key is nowhere in the trail.
	keyEvents := ctLookup(t, ct, cttypes.LookupAttributeKeyEventName, "CreateAccessKey", 50)
	if len(keyEvents) != 1 || strings.Contains(aws.ToString(keyEvents[0].CloudTrailEvent), secret) {
		t.Errorf("CreateAccessKey events: %d, or the record holds the secret", len(keyEvents))
	}
	if got := ctNames(ctLookup(t, ct, cttypes.LookupAttributeKeyResourceName, "ct-alice", 50)); got != "CreateAccessKey,CreateUser" {
		t.Errorf("events on resource ct-alice = %s", got)
	}
	if got := ctNames(ctLookup(t, ct, cttypes.LookupAttributeKeyResourceType, "AWS::IAM::AccessKey", 50)); got != "CreateAccessKey" {
		t.Errorf("events on access keys = %s", got)
	}

	// The refused call is recorded with its error.
	refused := ctLookup(t, ct, cttypes.LookupAttributeKeyEventName, "GetUser", 50)
	if len(refused) != 1 {
		t.Fatalf("%d GetUser events", len(refused))
	}
	rec = ctRecord(t, refused[0])
	if rec["errorCode"] != "NoSuchEntity" || !strings.Contains(fmt.Sprint(rec["errorMessage"]), "ct-nobody") ||
		ctGet(rec, "requestParameters", "userName") != "ct-nobody" {
		t.Errorf("refused GetUser record: errorCode %v, errorMessage %v, requestParameters %v", rec["errorCode"], rec["errorMessage"], rec["requestParameters"])
	}

	// Other filters.
	for _, e := range ctLookup(t, ct, cttypes.LookupAttributeKeyEventSource, "iam.amazonaws.com", 50) {
		if aws.ToString(e.EventSource) != "iam.amazonaws.com" {
			t.Errorf("EventSource filter let %s through", aws.ToString(e.EventSource))
		}
	}
	for _, e := range ctLookup(t, ct, cttypes.LookupAttributeKeyReadOnly, "false", 50) {
		if aws.ToString(e.ReadOnly) != "false" {
			t.Errorf("ReadOnly=false let %s through", aws.ToString(e.EventName))
		}
	}
	byID := ctLookup(t, ct, cttypes.LookupAttributeKeyEventId, aws.ToString(created[0].EventId), 50)
	if len(byID) != 1 || aws.ToString(byID[0].EventId) != aws.ToString(created[0].EventId) {
		t.Errorf("EventId lookup found %d events", len(byID))
	}
}

func TestCloudTrailPagingAndTimeRange(t *testing.T) {
	v := startVigil(t)
	ctx := context.Background()
	ic, ct := v.iam(), v.cloudtrail()
	const n = 7
	for range n {
		if _, err := ic.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
			t.Fatal(err)
		}
	}
	events := ctLookup(t, ct, cttypes.LookupAttributeKeyEventName, "ListUsers", 2)
	if len(events) != n {
		t.Fatalf("paged through %d ListUsers events, want %d", len(events), n)
	}
	seen := map[string]bool{}
	for i, e := range events {
		if seen[aws.ToString(e.EventId)] {
			t.Errorf("event %s listed twice", aws.ToString(e.EventId))
		}
		seen[aws.ToString(e.EventId)] = true
		if i > 0 && aws.ToTime(e.EventTime).After(aws.ToTime(events[i-1].EventTime)) {
			t.Errorf("event %d is newer than event %d: not newest first", i, i-1)
		}
	}

	// A window that ends before the calls finds none of them; one around them finds all.
	past := time.Now().Add(-48 * time.Hour)
	out, err := ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{StartTime: aws.Time(past.Add(-time.Hour)), EndTime: aws.Time(past)})
	if err != nil || len(out.Events) != 0 {
		t.Errorf("window in the past: %v, %d events", err, len(out.Events))
	}
	out, err = ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{
		StartTime: aws.Time(time.Now().Add(-time.Hour)), EndTime: aws.Time(time.Now().Add(time.Minute)),
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("ListUsers")}},
	})
	if err != nil || len(out.Events) != n {
		t.Errorf("window around the calls: %v, %d events", err, len(out.Events))
	}

	// A token belongs to the request that got it.
	first, err := ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(1)})
	if err != nil || first.NextToken == nil {
		t.Fatalf("first page: %v, token %v", err, first.NextToken)
	}
	_, err = ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(1), NextToken: first.NextToken,
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyUsername, AttributeValue: aws.String("root")}}})
	if code := ctCode(err); code != "InvalidNextTokenException" {
		t.Errorf("token reused with other parameters: %s", code)
	}
}

func TestCloudTrailInvalidInput(t *testing.T) {
	v := startVigil(t)
	ct, ctx := v.cloudtrail(), context.Background()
	attr := func(k cttypes.LookupAttributeKey, val string) cttypes.LookupAttribute {
		return cttypes.LookupAttribute{AttributeKey: k, AttributeValue: aws.String(val)}
	}
	now := time.Now()
	tests := []struct {
		name string
		in   *cloudtrail.LookupEventsInput
		code string
	}{
		{"two attributes", &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{
			attr(cttypes.LookupAttributeKeyUsername, "a"), attr(cttypes.LookupAttributeKeyEventName, "b")}}, "InvalidLookupAttributesException"},
		{"unknown key", &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{attr("Colour", "red")}}, "InvalidLookupAttributesException"},
		{"bad ReadOnly", &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{attr(cttypes.LookupAttributeKeyReadOnly, "sometimes")}}, "InvalidLookupAttributesException"},
		{"MaxResults 0", &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(0)}, "InvalidMaxResultsException"},
		{"MaxResults 51", &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(51)}, "InvalidMaxResultsException"},
		{"start after end", &cloudtrail.LookupEventsInput{StartTime: aws.Time(now), EndTime: aws.Time(now.Add(-time.Hour))}, "InvalidTimeRangeException"},
		{"garbage token", &cloudtrail.LookupEventsInput{NextToken: aws.String("garbage")}, "InvalidNextTokenException"},
		{"insights", &cloudtrail.LookupEventsInput{EventCategory: cttypes.EventCategoryInsight}, "UnsupportedOperationException"},
		{"unknown category", &cloudtrail.LookupEventsInput{EventCategory: "data"}, "InvalidEventCategoryException"},
	}
	for _, tt := range tests {
		_, err := ct.LookupEvents(ctx, tt.in)
		if code := ctCode(err); code != tt.code {
			t.Errorf("%s: error %s, want %s", tt.name, code, tt.code)
		}
	}
	// Operations Vigil does not serve say so.
	_, err := ct.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
	if code := ctCode(err); code != "UnknownOperationException" {
		t.Errorf("DescribeTrails: %s", code)
	}
}

// TestCloudTrailEventsOnTheBus checks that write calls reach the default
// event bus as "AWS API Call via CloudTrail" events, and reads do not.
func TestCloudTrailEventsOnTheBus(t *testing.T) {
	dir := t.TempDir()
	// The function saves every event it gets as a file in dir.
	v := startVigil(t, "--function", `ct-sink=sh -c 'cat > "$0/$(date +%s%N)-$$.json"' `+dir)
	ctx := context.Background()
	eb, ic := v.events(), v.iam()
	pattern := `{"source":["aws.iam"],"detail-type":["AWS API Call via CloudTrail"]}`
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("iam-calls"), EventPattern: aws.String(pattern)}); err != nil {
		t.Fatal(err)
	}
	fn := "arn:aws:lambda:us-east-1:" + ctAccount + ":function:ct-sink"
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("iam-calls"),
		Targets: []ebtypes.Target{{Id: aws.String("sink"), Arn: aws.String(fn)}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ic.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ct-bob")}); err != nil {
		t.Fatal(err)
	}
	_, err := ic.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("ct-ghost")})
	if ctCode(err) != "NoSuchEntity" {
		t.Fatalf("DeleteUser of a missing user: %v", err)
	}

	var got map[string]map[string]any // eventName -> event
	eventually(t, 20*time.Second, func() error {
		got = map[string]map[string]any{}
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		for _, f := range files {
			b, _ := os.ReadFile(f)
			var ev map[string]any
			if json.Unmarshal(b, &ev) != nil {
				continue // still being written
			}
			name, _ := ctGet(ev, "detail", "eventName").(string)
			got[name] = ev
		}
		if got["CreateUser"] == nil || got["DeleteUser"] == nil {
			return fmt.Errorf("events so far: %d", len(got))
		}
		return nil
	})
	ev := got["CreateUser"]
	if ev["source"] != "aws.iam" || ev["detail-type"] != "AWS API Call via CloudTrail" || ev["account"] != ctAccount ||
		ctGet(ev, "detail", "requestParameters", "userName") != "ct-bob" || ctGet(ev, "detail", "eventSource") != "iam.amazonaws.com" {
		t.Errorf("CreateUser event = %v", ev)
	}
	if ctGet(got["DeleteUser"], "detail", "errorCode") != "NoSuchEntity" {
		t.Errorf("refused DeleteUser event = %v", got["DeleteUser"])
	}
	if got["ListUsers"] != nil {
		t.Errorf("a read-only call reached the bus: %v", got["ListUsers"])
	}
	// The record on the bus is the one LookupEvents returns.
	id, _ := ctGet(ev, "detail", "eventID").(string)
	byID := ctLookup(t, v.cloudtrail(), cttypes.LookupAttributeKeyEventId, id, 50)
	if len(byID) != 1 || aws.ToString(byID[0].EventName) != "CreateUser" {
		t.Errorf("the bus event's eventID %s is not in the trail", id)
	}
}
