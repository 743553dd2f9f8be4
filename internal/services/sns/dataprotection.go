package sns

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/vigilsec/vigil/dataprotect"
	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/store"
)

// Message data protection: a topic's DataProtectionPolicy is kept among its
// attributes (so it is committed, shown and compared like the others) and
// compiled once per topic into a dataprotect.Policy. Publish applies the
// Inbound statements to the publisher; each delivery applies the Outbound
// statements to the principal that created the subscription. Audit
// findings go through a durable job to files under the data directory
// (findings.go).

const attrDataProtection = "DataProtectionPolicy"

// attrDeliveriesDenied is Vigil's own attribute, on topics and
// subscriptions, counting deliveries an Outbound Deny statement stopped.
const attrDeliveriesDenied = "DataProtectionDeliveriesDenied"

// dpCache keeps each topic's compiled policy with the text it came from,
// so that neither Publish nor a delivery parses a policy per message.
type dpCache struct {
	mu sync.Mutex
	m  map[string]dpEntry // by topic ARN
}

type dpEntry struct {
	text string
	p    *dataprotect.Policy
	err  error // why text does not parse
}

// get returns the compiled form of a topic's policy text, compiling it
// when the cached one is for another text; compiled reports that it did.
// A text that does not parse is cached with its error, so that it is
// neither parsed nor reported again per message.
func (c *dpCache) get(topicARN, text string) (p *dataprotect.Policy, compiled bool, err error) {
	c.mu.Lock()
	e, ok := c.m[topicARN]
	c.mu.Unlock()
	if ok && e.text == text {
		return e.p, false, e.err
	}
	p, err = parseDataProtection(text)
	c.store(topicARN, dpEntry{text, p, err})
	return p, true, err
}

func (c *dpCache) put(topicARN, text string, p *dataprotect.Policy) {
	c.store(topicARN, dpEntry{text: text, p: p})
}

func (c *dpCache) store(topicARN string, e dpEntry) {
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]dpEntry{}
	}
	c.m[topicARN] = e
	c.mu.Unlock()
}

func (c *dpCache) forget(topicARN string) {
	c.mu.Lock()
	delete(c.m, topicARN)
	c.mu.Unlock()
}

// parseDataProtection parses a policy as AWS would accept it, plus the
// checks Vigil needs to turn audit destinations into file names.
func parseDataProtection(text string) (*dataprotect.Policy, error) {
	p, err := dataprotect.ParsePolicy([]byte(text), dataprotect.ParseOptions{})
	if err != nil {
		return nil, err
	}
	for i := range p.Document.Statement {
		a := p.Document.Statement[i].Operation.Audit
		if a == nil {
			continue
		}
		for _, d := range []*dataprotect.Destination{a.FindingsDestination, a.NoFindingsDestination} {
			if err := checkDestination(d); err != nil {
				return nil, err
			}
		}
	}
	return p, nil
}

var (
	logGroupName   = regexp.MustCompile(`^[A-Za-z0-9_\-./#]{1,512}$`)
	deliveryStream = regexp.MustCompile(`^[A-Za-z0-9_.\-]{1,64}$`)
)

// checkDestination refuses destination names CloudWatch Logs or Firehose
// would refuse, and "." or ".." path elements, which would leave the
// findings directory.
func checkDestination(d *dataprotect.Destination) error {
	if d == nil {
		return nil
	}
	if l := d.CloudWatchLogs; l != nil {
		if !logGroupName.MatchString(l.LogGroup) {
			return &dataprotect.PolicyError{Message: fmt.Sprintf("LogGroup %q is not a valid log group name", l.LogGroup)}
		}
		for _, el := range strings.Split(l.LogGroup, "/") {
			if el == "." || el == ".." {
				return &dataprotect.PolicyError{Message: fmt.Sprintf("LogGroup %q must not contain . or .. path elements", l.LogGroup)}
			}
		}
	}
	if f := d.Firehose; f != nil && (!deliveryStream.MatchString(f.DeliveryStream) || f.DeliveryStream == "." || f.DeliveryStream == "..") {
		return &dataprotect.PolicyError{Message: fmt.Sprintf("Firehose DeliveryStream %q is not a valid delivery stream name", f.DeliveryStream)}
	}
	// dataprotect checks bucket names as S3 does, which already keeps out
	// "/" and "." or ".."; checked again here because the name becomes a
	// folder, whatever the parser accepts in the future.
	if b := d.S3; b != nil && (b.Bucket == "" || b.Bucket == "." || b.Bucket == ".." || strings.ContainsAny(b.Bucket, `/\`)) {
		return &dataprotect.PolicyError{Message: fmt.Sprintf("S3 Bucket %q is not a valid bucket name", b.Bucket)}
	}
	return nil
}

// checkDataProtectionAttr validates a DataProtectionPolicy given as a topic
// attribute; prefix is "Attributes Reason: " for CreateTopic, "" for Set.
func checkDataProtectionAttr(value, prefix string) *awsproto.Error {
	if _, err := parseDataProtection(value); err != nil {
		return dataProtectionError(err, prefix+"DataProtectionPolicy: ")
	}
	return nil
}

// dataProtectionError turns a policy error into InvalidParameter, naming
// the element at fault.
func dataProtectionError(err error, prefix string) *awsproto.Error {
	var pe *dataprotect.PolicyError
	if errors.As(err, &pe) {
		return invalid("%s%s", prefix, pe.Message)
	}
	return invalid("%s%v", prefix, err)
}

// PutDataProtectionPolicyInput is PutDataProtectionPolicy's input.
type PutDataProtectionPolicyInput struct {
	ResourceArn          string
	DataProtectionPolicy *string
}

// GetDataProtectionPolicyResult is GetDataProtectionPolicy's output.
type GetDataProtectionPolicyResult struct {
	DataProtectionPolicy string `xml:"DataProtectionPolicy" json:"DataProtectionPolicy"`
}

func (s *Service) putDataProtectionPolicy(ctx context.Context, call *awsproto.Call) (any, error) {
	var in PutDataProtectionPolicyInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	call.AddResource(resourceTopic, in.ResourceArn)
	if e := s.checkTopicARN(in.ResourceArn, "ResourceArn", "PutDataProtectionPolicy"); e != nil {
		return nil, e
	}
	if in.DataProtectionPolicy == nil {
		return nil, invalid("DataProtectionPolicy Reason: no value for required parameter")
	}
	// An empty policy removes the topic's policy, as AWS documents.
	text := *in.DataProtectionPolicy
	var p *dataprotect.Policy
	if text != "" {
		var err error
		if p, err = parseDataProtection(text); err != nil {
			return nil, dataProtectionError(err, "DataProtectionPolicy Reason: ")
		}
	}
	err := s.env.DB.Write(ctx, func(tx *store.Tx) error {
		t, err := s.loadTopic(ctx, tx, in.ResourceArn, "ResourceArn", "PutDataProtectionPolicy")
		if err != nil {
			return err
		}
		if text == "" {
			delete(t.Attrs, attrDataProtection)
		} else {
			t.Attrs[attrDataProtection] = text
		}
		return updateTopic(ctx, tx, t)
	})
	if err != nil {
		return nil, err
	}
	s.policyChanged(in.ResourceArn, text, p)
	return struct{}{}, nil
}

// policyChanged refreshes the cache after a committed change.
func (s *Service) policyChanged(topicARN, text string, p *dataprotect.Policy) {
	if p == nil {
		s.dp.forget(topicARN)
		return
	}
	s.dp.put(topicARN, text, p)
}

func (s *Service) getDataProtectionPolicy(ctx context.Context, call *awsproto.Call) (*GetDataProtectionPolicyResult, error) {
	var in struct{ ResourceArn string }
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	call.AddResource(resourceTopic, in.ResourceArn)
	t, err := s.loadTopic(ctx, s.env.DB.Read(), in.ResourceArn, "ResourceArn", "GetDataProtectionPolicy")
	if err != nil {
		return nil, err
	}
	return &GetDataProtectionPolicyResult{DataProtectionPolicy: t.Attrs[attrDataProtection]}, nil
}

// policyHold is how long a delivery waits before looking again at a
// topic whose data protection policy does not parse.
var policyHold = time.Minute

// topicPolicy returns a topic's compiled data protection policy, or nil
// when it has none. Policies are validated when set, so a stored one that
// no longer parses was accepted by an older Vigil and is refused by a newer
// one that validates more strictly. Data protection then fails closed: the
// error refuses publishing and holds deliveries until the policy is set
// again, and it is logged once per topic and policy text.
func (s *Service) topicPolicy(t *topic) (*dataprotect.Policy, error) {
	text := t.Attrs[attrDataProtection]
	if text == "" {
		return nil, nil
	}
	p, compiled, err := s.dp.get(t.ARN, text)
	if err != nil {
		if compiled {
			s.log.Error("stored data protection policy does not parse; publishing to the topic is refused and its deliveries held until the policy is set again",
				"topic", t.ARN, "err", err)
		}
		return nil, fmt.Errorf("data protection policy of %s does not parse: %w", t.ARN, err)
	}
	return p, nil
}

// brokenPolicyError refuses a message to a topic whose data protection
// policy does not parse. SNS has no code for a topic in a state that
// forbids publishing other than the KMS ones, which would send the reader
// to KMS; InvalidParameter (400, sender's fault, not retried by the SDKs)
// names the topic, which is where the fault lies. The parse error itself
// is left to the log: the publisher need not be the policy's owner.
func brokenPolicyError(topicARN string) *awsproto.Error {
	return invalid("TopicArn Reason: the DataProtectionPolicy of topic %s no longer passes validation; "+
		"messages are refused until the policy is set again", topicARN)
}

// screening is what a topic's Inbound statements made of one message:
// the message to store, the audit findings to write, and the error that
// refuses it, if any (the findings are written even then).
type screening struct {
	msg      *storedMessage
	findings []findingJob
	err      *awsproto.Error
}

// screen applies t's Inbound statements to a copy of msg, so that it can
// be screened again if the policy changes before the message is stored.
func (s *Service) screen(t *topic, msg *storedMessage, caller string) screening {
	p, err := s.topicPolicy(t)
	if err != nil {
		return screening{err: brokenPolicyError(t.ARN)}
	}
	if p == nil {
		return screening{msg: msg}
	}
	m := *msg
	m.Protocols = maps.Clone(msg.Protocols)
	findings, e := s.inbound(p, &m, caller)
	return screening{msg: &m, findings: findings, err: e}
}

// principalOf is the principal data protection statements are matched
// against: the caller's ARN, or its account for Vigil's own services.
func principalOf(arn, account string) string {
	if arn != "" {
		return arn
	}
	return account
}

// inbound applies a topic's Inbound statements to a message about to be
// stored, for the principal that publishes it. Every text a subscriber can
// receive is checked: the message and, for MessageStructure json, each
// protocol's entry. It returns the audit findings to write, or the error
// that refuses the Publish (with the findings, which are written even for
// a refused message).
func (s *Service) inbound(p *dataprotect.Policy, msg *storedMessage, caller string) ([]findingJob, *awsproto.Error) {
	var findings []findingJob
	apply := func(text string) (string, *awsproto.Error) {
		res := p.Evaluate(dataprotect.Request{Direction: dataprotect.Inbound, Principal: caller, Message: []byte(text)})
		findings = appendFindings(findings, res.Audit, msg, caller)
		if res.Denied {
			s.log.Info("publish denied by the topic's data protection policy", "topic", msg.TopicARN, "caller", caller,
				"statement", res.DeniedBy, "identifiers", matchNames(res.Matches))
			return "", awsproto.Errorf(http.StatusForbidden, "AuthorizationError",
				"User: %s is not authorized to perform: SNS:Publish on resource: %s because the topic's data protection policy denies messages with %s (%s)",
				caller, msg.TopicARN, strings.Join(matchNames(res.Matches), ", "), res.DeniedBy)
		}
		if res.EntireMessageSensitive {
			return "", awsproto.Errorf(http.StatusForbidden, "AuthorizationError",
				"User: %s is not authorized to perform: SNS:Publish on resource: %s because the entire message is sensitive data the topic's data protection policy de-identifies",
				caller, msg.TopicARN)
		}
		return string(res.Message), nil
	}
	out, e := apply(msg.Message)
	if e != nil {
		return findings, e
	}
	msg.Message = out
	for k, text := range msg.Protocols {
		if msg.Protocols[k], e = apply(text); e != nil {
			return findings, e
		}
	}
	return findings, nil
}

// outbound applies a topic's Outbound statements to one delivery. It
// returns the message this subscriber receives, whether the delivery is
// denied, and the audit findings to write.
func (s *Service) outbound(p *dataprotect.Policy, sub *subscription, msg *storedMessage) (*storedMessage, bool, []findingJob) {
	principal := principalOf(sub.Principal, sub.Owner)
	text := msg.messageFor(sub.Protocol)
	res := p.Evaluate(dataprotect.Request{Direction: dataprotect.Outbound, Principal: principal, Message: []byte(text)})
	findings := appendFindings(nil, res.Audit, msg, principal)
	if res.Denied {
		s.log.Info("delivery denied by the topic's data protection policy", "topic", msg.TopicARN, "subscription", sub.ARN,
			"message", msg.ID, "principal", principal, "statement", res.DeniedBy, "identifiers", matchNames(res.Matches))
		return nil, true, findings
	}
	if !res.Deidentified {
		return msg, false, findings
	}
	view := *msg
	view.Message, view.Protocols = string(res.Message), nil
	return &view, false, findings
}

func appendFindings(to []findingJob, a *dataprotect.AuditResult, msg *storedMessage, principal string) []findingJob {
	if a == nil || a.Destination == nil {
		return to
	}
	return append(to, findingJob{Dest: *a.Destination, Record: a.Record(msg.ID, principal, msg.TopicARN, time.Now())})
}

// matchNames lists the identifiers that matched, once each, without the
// data they matched.
func matchNames(ms []dataprotect.Match) []string {
	var names []string
	seen := map[string]bool{}
	for _, m := range ms {
		if n := m.Identifier.Name; !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	return names
}

// countDenied records one delivery an Outbound Deny statement stopped.
func countDenied(ctx context.Context, tx *store.Tx, sub *subscription) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO sns_denied_deliveries (subscription_arn, topic_arn, denied) VALUES (?, ?, 1)
		ON CONFLICT(subscription_arn) DO UPDATE SET denied = denied + 1`, sub.ARN, sub.TopicARN)
	return err
}

// deniedDeliveries returns how many deliveries data protection denied, for
// one subscription or (by topic) for all of a topic's.
func deniedDeliveries(ctx context.Context, q querier, column, arn string) (int64, error) {
	var n int64
	err := q.QueryRowContext(ctx, `SELECT COALESCE(SUM(denied), 0) FROM sns_denied_deliveries WHERE `+column+` = ?`, arn).Scan(&n)
	return n, err
}
