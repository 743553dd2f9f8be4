package events

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/identity"
)

// maxPutEventsSize is AWS's limit on the entries of one PutEvents request,
// counted as AWS documents: 14 bytes for a Time, plus the UTF-8 bytes of
// Source, DetailType, Detail and each resource.
const maxPutEventsSize = 256 * 1024

// deliveryJob is the payload of one delivery: a snapshot of the event and
// of the target as they were when the event matched.
type deliveryJob struct {
	EventID  string          `json:"eventId"`
	Bus      string          `json:"bus"`
	Rule     string          `json:"rule"`
	RuleARN  string          `json:"ruleArn"`
	Target   json.RawMessage `json:"target"`
	Event    json.RawMessage `json:"event"`
	Ingested time.Time       `json:"ingested"`
}

// accepted is an entry that passed validation, on its way to the store.
type accepted struct {
	id    string
	bus   string
	event json.RawMessage
	rules []string
}

func (s *Service) putEvents(ctx context.Context, call *awsproto.Call) (*PutEventsResult, error) {
	var in putEventsInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	if err := checkPutEvents(&in); err != nil {
		return nil, err
	}
	if in.EndpointID != nil {
		return nil, awsproto.Validation("Vigil does not support global endpoints; leave EndpointId out.")
	}
	now := time.Now().UTC()
	out := &PutEventsResult{Entries: make([]PutEventsResultEntry, len(in.Entries))}
	var batch []accepted
	for i := range in.Entries {
		a, res := s.acceptEntry(ctx, call, &in.Entries[i], now)
		out.Entries[i] = res
		if res.ErrorCode != "" {
			out.FailedEntryCount++
			continue
		}
		if len(a.rules) > 0 {
			batch = append(batch, a)
		}
	}
	if len(batch) > 0 {
		if err := s.enqueueDeliveries(ctx, batch, now); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// checkPutEvents applies the request-wide constraints; breaking one fails
// the whole request.
func checkPutEvents(in *putEventsInput) error {
	var c checker
	c.listLen("entries", len(in.Entries), 1, 10, in.Entries != nil)
	size := 0
	for i, e := range in.Entries {
		field := fmt.Sprintf("entries.%d.member", i+1)
		c.str(field+".eventBusName", e.EventBusName, 1, 1600, reBusNameArn, patBusNameArn)
		c.str(field+".traceHeader", e.TraceHeader, 1, 500, nil, "")
		for j := range e.Resources {
			c.str(fmt.Sprintf("%s.resources.%d.member", field, j+1), &e.Resources[j], 0, 2048, nil, "")
			size += len(e.Resources[j])
		}
		if e.Time != nil {
			size += 14
		}
		size += len(str(e.Source)) + len(str(e.DetailType)) + len(str(e.Detail))
	}
	if err := c.err(); err != nil {
		return err
	}
	if size > maxPutEventsSize {
		return awsproto.Validation("Total size of the entries in the request is over the limit.")
	}
	return nil
}

// acceptEntry validates one entry, builds its event and matches it.
func (s *Service) acceptEntry(ctx context.Context, call *awsproto.Call, e *putEventsEntry, now time.Time) (accepted, PutEventsResultEntry) {
	fail := func(code, msg string) (accepted, PutEventsResultEntry) {
		return accepted{}, PutEventsResultEntry{ErrorCode: code, ErrorMessage: msg}
	}
	switch {
	case str(e.Source) == "":
		return fail("InvalidArgument", "Parameter Source is not valid. Reason: Source is a required argument.")
	case str(e.DetailType) == "":
		return fail("InvalidArgument", "Parameter DetailType is not valid. Reason: DetailType is a required argument.")
	case str(e.Detail) == "":
		return fail("InvalidArgument", "Parameter Detail is not valid. Reason: Detail is a required argument.")
	}
	detail, ok := detailObject(*e.Detail)
	if !ok {
		return fail("MalformedDetail", "Detail is malformed.")
	}
	// The aws. namespace belongs to AWS services. Vigil also lets the
	// account's root publish in it, so that AWS events (an AWS Health
	// finding, say) can be simulated with PutEvents; AWS refuses even root.
	if strings.HasPrefix(*e.Source, "aws.") && call.Caller.Type != identity.AWSService && !call.Caller.IsRoot() {
		return fail("NotAuthorizedForSourceException", "Not authorized for the source.")
	}
	bus, err := s.busName(e.EventBusName)
	if err != nil {
		return fail("ResourceNotFoundException", awsproto.AsError(err).Message)
	}
	if bus != defaultBus {
		// AWS accepts events for a bus that does not exist and drops them;
		// say so in the log, where an operator can see it.
		if _, ok, err := getBus(ctx, s.env.DB.Read(), bus); err == nil && !ok {
			s.env.Log.Warn("event for a bus that does not exist is dropped", "bus", bus, "source", *e.Source)
		}
	}
	t := now
	if e.Time != nil {
		t = time.Time(*e.Time).UTC()
	}
	resources := e.Resources
	if resources == nil {
		resources = []string{}
	}
	id := newUUID()
	event, err := marshal(envelope{Version: "0", ID: id, DetailType: *e.DetailType, Source: *e.Source,
		Account: s.env.AccountID, Time: t.Format(time.RFC3339), Region: s.env.Region, Resources: resources, Detail: detail})
	if err != nil {
		return fail("InternalFailure", "The event could not be encoded.")
	}
	rules, err := s.matchers.match(bus, event)
	if err != nil {
		s.env.Log.Error("match event", "bus", bus, "event", id, "err", err)
		return fail("InternalFailure", "The event could not be matched against the rules of its bus.")
	}
	return accepted{id: id, bus: bus, event: event, rules: rules}, PutEventsResultEntry{EventID: id}
}

// detailObject returns Detail compacted, if it is a JSON object.
func detailObject(d string) (json.RawMessage, bool) {
	t := bytes.TrimSpace([]byte(d))
	if len(t) == 0 || t[0] != '{' || !json.Valid(t) {
		return nil, false
	}
	var b bytes.Buffer
	if err := json.Compact(&b, t); err != nil {
		return nil, false
	}
	return b.Bytes(), true
}

// enqueueDeliveries commits one job per target of every matched rule, in
// one transaction. The matchers only pre-filter: each rule is re-read
// here, so a rule disabled or a target removed a moment ago is honoured.
func (s *Service) enqueueDeliveries(ctx context.Context, batch []accepted, now time.Time) error {
	return s.env.DB.Write(ctx, func(tx *txn) error {
		type ruleKey struct{ bus, name string }
		cache := map[ruleKey][]storedTarget{}
		for _, a := range batch {
			for _, name := range a.rules {
				k := ruleKey{a.bus, name}
				targets, seen := cache[k]
				if !seen {
					r, ok, err := getRule(ctx, tx, a.bus, name)
					if err != nil {
						return err
					}
					if ok && r.enabled() {
						if targets, err = targetsOf(ctx, tx, a.bus, name); err != nil {
							return err
						}
					}
					cache[k] = targets
				}
				if err := s.enqueueTargets(ctx, tx, a, name, targets, now); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// enqueueTargets queues one delivery of an event per target of a rule.
func (s *Service) enqueueTargets(ctx context.Context, tx *txn, a accepted, rule string, targets []storedTarget, now time.Time) error {
	for _, t := range targets {
		payload, err := marshal(deliveryJob{EventID: a.id, Bus: a.bus, Rule: rule, RuleARN: s.ruleARN(a.bus, rule),
			Target: json.RawMessage(t.Body), Event: a.event, Ingested: now})
		if err != nil {
			return fmt.Errorf("encode delivery: %w", err)
		}
		if _, err := tx.Enqueue(ctx, deliverKind, payload, time.Time{}); err != nil {
			return err
		}
	}
	return nil
}

// marshal encodes v as compact JSON without escaping <, > and &, so that
// events reach targets spelled as they were sent.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// newUUID returns a random (version 4) UUID, the form of AWS event ids.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return formatUUID(b)
}

func formatUUID(b [16]byte) string {
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
