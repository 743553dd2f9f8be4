package dataprotect

import (
	"slices"
	"strings"
	"time"
)

// Request is one message crossing a topic: Inbound with the principal that
// called Publish, or Outbound with the principal that created the
// subscription.
type Request struct {
	Direction Direction
	Principal string // an IAM ARN or an account ID
	Message   []byte
}

// Result is what the policy decides for a message.
type Result struct {
	// Message is the message to deliver: de-identified when Deidentified,
	// otherwise the request's message itself.
	Message      []byte
	Deidentified bool

	// Denied is set when a Deny statement applies and its identifiers find
	// data; DeniedBy names that statement (its Sid, or Statement[i]).
	Denied   bool
	DeniedBy string

	// EntireMessageSensitive is set when every non-space character of a
	// text message was de-identified; SNS refuses such an inbound message.
	EntireMessageSensitive bool

	// Matches lists what the Deny and Deidentify statements found.
	Matches []Match

	// Audit is set when an Audit statement applies and sampled the message.
	Audit *AuditResult
}

// AuditResult is an Audit statement's report on one sampled message.
type AuditResult struct {
	Statement string
	// Destination is FindingsDestination when there were findings and
	// NoFindingsDestination otherwise; nil means the statement names no
	// destination for this outcome.
	Destination     *Destination
	DataIdentifiers []AuditIdentifier
}

// AuditIdentifier counts one identifier's detections.
type AuditIdentifier struct {
	Name       string      `json:"name"`
	Count      int         `json:"count"`
	Detections []Detection `json:"detections"`
}

// Detection locates one occurrence: byte offsets into the message, end
// exclusive.
type Detection struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// AuditRecord is the finding log entry SNS writes to an audit destination.
type AuditRecord struct {
	MessageID       string            `json:"messageId"`
	AuditTimestamp  string            `json:"auditTimestamp"`
	CallerPrincipal string            `json:"callerPrincipal"`
	ResourceARN     string            `json:"resourceArn"`
	DataIdentifiers []AuditIdentifier `json:"dataIdentifiers"`
}

// Record renders the audit result as the log entry AWS's documentation
// shows, for the given message, caller, topic and time.
func (a *AuditResult) Record(messageID, caller, topicARN string, at time.Time) AuditRecord {
	ids := a.DataIdentifiers
	if ids == nil {
		ids = []AuditIdentifier{}
	}
	return AuditRecord{
		MessageID:       messageID,
		AuditTimestamp:  at.UTC().Format(time.RFC3339),
		CallerPrincipal: caller,
		ResourceARN:     topicARN,
		DataIdentifiers: ids,
	}
}

// Evaluate applies the policy to a message. Statements for the request's
// direction whose Principal covers the request's principal apply: the
// Audit statement first (on the message as received), then Deny, then the
// Deidentify statements together (overlapping detections are merged;
// redaction wins over masking). A message is searched as JSON when it is a
// JSON document, as text otherwise.
func (p *Policy) Evaluate(req Request) Result {
	res := Result{Message: req.Message}
	var applies []*compiled
	for _, c := range p.statements {
		if c.st.DataDirection == req.Direction && principalCovered(c.st.Principal, req.Principal) {
			applies = append(applies, c)
		}
	}
	for _, c := range applies {
		if a := c.st.Operation.Audit; a != nil && p.rand(100) < int(a.SampleRate) {
			res.Audit = audit(c, req.Message)
		}
	}
	for _, c := range applies {
		if c.st.Operation.Deny == nil {
			continue
		}
		if fs, _ := c.scanner.findAny(req.Message); len(fs) > 0 {
			res.Denied, res.DeniedBy = true, c.label
			for _, f := range fs {
				res.Matches = append(res.Matches, f.Match)
			}
			return res
		}
	}
	var edits []edit
	isJSON := false
	for _, c := range applies {
		if c.st.Operation.Deidentify == nil {
			continue
		}
		fs, j := c.scanner.findAny(req.Message)
		isJSON = j
		for _, f := range fs {
			edits = append(edits, edit{found: f, mask: c.mask})
			res.Matches = append(res.Matches, f.Match)
		}
	}
	if len(edits) == 0 {
		return res
	}
	res.Deidentified = true
	if isJSON {
		res.Message = applyJSON(req.Message, edits)
	} else {
		res.Message = applyText(req.Message, edits)
		res.EntireMessageSensitive = coversAll(req.Message, edits)
	}
	return res
}

func audit(c *compiled, msg []byte) *AuditResult {
	a := c.st.Operation.Audit
	fs, _ := c.scanner.findAny(msg)
	r := &AuditResult{Statement: c.label, Destination: a.NoFindingsDestination}
	if len(fs) == 0 {
		return r
	}
	r.Destination = a.FindingsDestination
	byName := map[string]int{}
	for _, f := range fs {
		i, ok := byName[f.Identifier.Name]
		if !ok {
			i = len(r.DataIdentifiers)
			byName[f.Identifier.Name] = i
			r.DataIdentifiers = append(r.DataIdentifiers, AuditIdentifier{Name: f.Identifier.Name})
		}
		ai := &r.DataIdentifiers[i]
		ai.Count++
		ai.Detections = append(ai.Detections, Detection{Start: f.Start, End: f.End})
	}
	slices.SortFunc(r.DataIdentifiers, func(a, b AuditIdentifier) int { return strings.Compare(a.Name, b.Name) })
	return r
}

// coversAll reports whether the edits cover every non-space byte.
func coversAll(msg []byte, es []edit) bool {
	spans := make([]span, len(es))
	for i, e := range es {
		spans[i] = span{e.Start, e.End, 1}
	}
	prev := 0
	for _, s := range mergeSpans(spans) {
		if strings.TrimSpace(string(msg[prev:s.start])) != "" {
			return false
		}
		prev = s.end
	}
	return strings.TrimSpace(string(msg[prev:])) == ""
}

// principalCovered reports whether a statement's Principal list covers the
// caller: "*" covers everyone, an account ID or root ARN covers the
// account's principals, a role ARN also covers that role's sessions, and
// other ARNs cover themselves.
func principalCovered(list []string, caller string) bool {
	callerAcct, callerRes, callerARN := splitIAMARN(caller)
	if !callerARN && isAccountID(caller) {
		callerAcct = caller
	}
	for _, p := range list {
		switch {
		case p == "*", p == caller:
			return true
		case isAccountID(p):
			if p == callerAcct {
				return true
			}
		default:
			acct, res, ok := splitIAMARN(p)
			if !ok || acct != callerAcct {
				continue
			}
			if res == "root" {
				return true
			}
			if role, ok := strings.CutPrefix(res, "role/"); ok && callerARN {
				if sess, ok := strings.CutPrefix(callerRes, "assumed-role/"); ok {
					name := role[strings.LastIndexByte(role, '/')+1:]
					if got, _, _ := strings.Cut(sess, "/"); got == name {
						return true
					}
				}
			}
		}
	}
	return false
}
