package cloudtrail

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/identity"
)

// Record is one CloudTrail event record, with its members in the order
// CloudTrail writes them.
type Record struct {
	EventVersion       string           `json:"eventVersion"`
	UserIdentity       UserIdentity     `json:"userIdentity"`
	EventTime          string           `json:"eventTime"`
	EventSource        string           `json:"eventSource"`
	EventName          string           `json:"eventName"`
	AWSRegion          string           `json:"awsRegion"`
	SourceIPAddress    string           `json:"sourceIPAddress"`
	UserAgent          string           `json:"userAgent"`
	ErrorCode          string           `json:"errorCode,omitempty"`
	ErrorMessage       string           `json:"errorMessage,omitempty"`
	RequestParameters  json.RawMessage  `json:"requestParameters"`
	ResponseElements   json.RawMessage  `json:"responseElements"`
	RequestID          string           `json:"requestID"`
	EventID            string           `json:"eventID"`
	ReadOnly           bool             `json:"readOnly"`
	Resources          []RecordResource `json:"resources,omitempty"`
	EventType          string           `json:"eventType"`
	ManagementEvent    bool             `json:"managementEvent"`
	RecipientAccountID string           `json:"recipientAccountId"`
	EventCategory      string           `json:"eventCategory"`
}

// UserIdentity is the record's userIdentity element.
type UserIdentity struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId,omitempty"`
	ARN         string `json:"arn,omitempty"`
	AccountID   string `json:"accountId,omitempty"`
	AccessKeyID string `json:"accessKeyId,omitempty"`
	UserName    string `json:"userName,omitempty"`
	InvokedBy   string `json:"invokedBy,omitempty"`
}

// RecordResource is one entry of the record's resources element.
type RecordResource struct {
	AccountID string `json:"accountId,omitempty"`
	Type      string `json:"type,omitempty"`
	ARN       string `json:"ARN"`
}

const (
	eventVersion  = "1.08"
	timeLayout    = "2006-01-02T15:04:05Z"
	categoryMgmt  = "Management"
	categoryData  = "Data"
	eventTypeCall = "AwsApiCall"
)

// dataEvents are the operations CloudTrail counts as data events, keyed
// by service name and action. Everything else is a management event.
var dataEvents = map[string]bool{
	"events.PutEvents":   true,
	"sns.Publish":        true,
	"sns.PublishBatch":   true,
	"lambda.Invoke":      true,
	"lambda.InvokeAsync": true,
}

// readOnlyPrefixes mark actions that change nothing.
var readOnlyPrefixes = []string{"Get", "List", "Describe", "Lookup", "Test", "Simulate"}

// isReadOnly reports whether action only reads, by its name as AWS names it.
func isReadOnly(action string) bool {
	for _, p := range readOnlyPrefixes {
		if rest, ok := strings.CutPrefix(action, p); ok && (rest == "" || isUpper(rest)) {
			return true
		}
	}
	return false
}

func isUpper(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsUpper(r)
}

func isDataEvent(service, action string) bool { return dataEvents[service+"."+action] }

// buildRecord turns a finished call into its record. accountID is the
// account receiving the call and t its time. A parameter or result that cannot be
// rendered is recorded as null and reported in warn: the call happened,
// so its record must be written anyway.
func buildRecord(call *awsproto.Call, t time.Time, result any, callErr *awsproto.Error, accountID string) (r *Record, warn error) {
	var svcName, source string
	if call.Service != nil {
		svcName, source = call.Service.Name, call.Service.EventSource
	}
	readOnly := isReadOnly(call.Action)
	data := isDataEvent(svcName, call.Action)
	r = &Record{
		EventVersion:       eventVersion,
		UserIdentity:       userIdentityOf(call.Caller),
		EventTime:          t.UTC().Format(timeLayout),
		EventSource:        source,
		EventName:          call.Action,
		AWSRegion:          call.Region,
		SourceIPAddress:    call.SourceIP,
		UserAgent:          call.UserAgent,
		RequestID:          call.RequestID,
		EventID:            newUUID(),
		ReadOnly:           readOnly,
		EventType:          eventTypeCall,
		ManagementEvent:    !data,
		RecipientAccountID: accountID,
		EventCategory:      categoryMgmt,
		ResponseElements:   json.RawMessage("null"),
	}
	if data {
		r.EventCategory = categoryData
	}
	if callErr != nil {
		r.ErrorCode, r.ErrorMessage = callErr.Code, callErr.Message
	}
	var errs []error
	var err error
	if r.RequestParameters, err = requestParameters(call); err != nil {
		r.RequestParameters = json.RawMessage("null")
		errs = append(errs, fmt.Errorf("requestParameters: %w", err))
	}
	// AWS leaves responseElements null for reads and for refused calls.
	if !readOnly && callErr == nil {
		out := result
		if call.AuditResponse != nil {
			out = call.AuditResponse
		}
		if r.ResponseElements, err = auditJSON(out); err != nil {
			r.ResponseElements = json.RawMessage("null")
			errs = append(errs, fmt.Errorf("responseElements: %w", err))
		}
	}
	r.Resources = recordResources(call.Resources, accountID)
	return r, errors.Join(errs...)
}

// eventTime is when the call was made.
func eventTime(call *awsproto.Call) time.Time {
	if call.Time.IsZero() {
		return time.Now()
	}
	return call.Time
}

func userIdentityOf(p identity.Principal) UserIdentity {
	if p.Type == identity.AWSService {
		// A service acting for itself shows only which service it is.
		return UserIdentity{Type: p.Type, InvokedBy: p.InvokedBy}
	}
	typ := p.Type
	if typ == "" {
		typ = "Unknown"
	}
	u := UserIdentity{Type: typ, PrincipalID: p.PrincipalID, ARN: p.ARN, AccountID: p.AccountID,
		AccessKeyID: p.AccessKeyID, InvokedBy: p.InvokedBy}
	if p.Type == identity.IAMUser {
		u.UserName = p.UserName
	}
	return u
}

// lookupUsername is the Username LookupEvents shows and filters on: the
// user name, "root", the role session name, or the invoking service.
func lookupUsername(p identity.Principal) string {
	switch p.Type {
	case identity.Root:
		return "root"
	case identity.IAMUser:
		if p.UserName != "" {
			return p.UserName
		}
	case identity.AWSService:
		return p.InvokedBy
	}
	if p.UserName != "" {
		return p.UserName
	}
	if i := strings.LastIndexByte(p.ARN, '/'); i >= 0 {
		return p.ARN[i+1:]
	}
	return ""
}

func recordResources(rs []awsproto.Resource, accountID string) []RecordResource {
	var out []RecordResource
	for _, r := range rs {
		rr := RecordResource{Type: r.Type, ARN: r.ARN}
		if strings.HasPrefix(r.ARN, "arn:") {
			rr.AccountID = arnAccount(r.ARN)
		}
		if rr.AccountID == "" {
			rr.AccountID = accountID
		}
		out = append(out, rr)
	}
	return out
}

func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

// resourceName is the ResourceName LookupEvents shows for a resource: the
// last part of an IAM ARN (a user or role name, or "root", as CloudTrail
// shows IAM resources), the whole ARN of anything else, or the identifier itself when
// a service recorded one that is not an ARN (an access key id, say).
func resourceName(arn string) string {
	if !strings.HasPrefix(arn, "arn:") {
		return arn
	}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[2] != "iam" || parts[5] == "" {
		return arn
	}
	res := parts[5]
	if i := strings.LastIndexByte(res, '/'); i >= 0 && i+1 < len(res) {
		return res[i+1:]
	}
	return res
}

func requestParameters(call *awsproto.Call) (json.RawMessage, error) {
	if call.AuditRequest != nil {
		return auditJSON(call.AuditRequest)
	}
	if len(bytes.TrimSpace(call.Input)) == 0 {
		return json.RawMessage("null"), nil
	}
	return auditJSON(call.Input)
}

// auditJSON renders v the way CloudTrail shows request and response
// members: names in lowerCamelCase, secrets left out. An empty object
// becomes null, as CloudTrail writes calls without parameters.
func auditJSON(v any) (json.RawMessage, error) {
	if v == nil {
		return json.RawMessage("null"), nil
	}
	raw, ok := v.(json.RawMessage)
	if !ok {
		var err error
		if raw, err = json.Marshal(v); err != nil {
			return nil, err
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, err
	}
	tree = camelize(tree)
	if m, ok := tree.(map[string]any); ok && len(m) == 0 {
		return json.RawMessage("null"), nil
	}
	return marshalNoEscape(tree)
}

// mapMembers are members whose values are maps with user-chosen keys: their
// keys stay as written, and only the members of their values are renamed.
var mapMembers = map[string]bool{
	"Attributes": true, "MessageAttributes": true, "MessageSystemAttributes": true,
	"Tags": true, "Variables": true, "attributes": true, "tags": true,
}

// secretMembers never reach the trail, whatever a service hands over.
var secretMembers = map[string]bool{"secretAccessKey": true, "password": true, "newPassword": true, "oldPassword": true}

func camelize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			name := lowerFirst(k)
			if secretMembers[name] || k == "XMLName" {
				continue
			}
			if m, ok := val.(map[string]any); ok && mapMembers[k] {
				kept := make(map[string]any, len(m))
				for mk, mv := range m {
					kept[mk] = camelize(mv)
				}
				out[name] = kept
				continue
			}
			out[name] = camelize(val)
		}
		return out
	case []any:
		for i := range x {
			x[i] = camelize(x[i])
		}
		return x
	}
	return v
}

// lowerFirst lowers a member name's first letter, as CloudTrail renders
// UserName as userName and TopicArn as topicArn.
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || !unicode.IsUpper(r) {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}

// marshalNoEscape marshals without turning <, > and & into \u escapes, so
// the record reads like CloudTrail's.
func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
