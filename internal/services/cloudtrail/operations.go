package cloudtrail

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/awsproto"
)

const (
	defaultMaxResults = 50
	maxMaxResults     = 50
)

// lookupKeys are the attributes LookupEvents filters on.
var lookupKeys = []string{"EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName", "EventSource", "AccessKeyId"}

func (s *Service) lookupEvents(ctx context.Context, call *awsproto.Call) (*LookupEventsOutput, error) {
	var in LookupEventsInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	now := call.Time
	if now.IsZero() {
		now = time.Now()
	}
	q, fingerprint, err := parseLookup(&in, now)
	if err != nil {
		return nil, err
	}
	rows, err := s.lookup(ctx, q)
	if err != nil {
		return nil, err
	}
	out := &LookupEventsOutput{Events: make([]Event, 0, len(rows))}
	for i, r := range rows {
		if i == q.limit {
			out.NextToken = encodeToken(rows[i-1].cur, fingerprint)
			break
		}
		ev := r.event
		if err := json.Unmarshal([]byte(r.resources), &ev.Resources); err != nil {
			return nil, fmt.Errorf("event %s resources: %w", ev.EventID, err)
		}
		if ev.Resources == nil {
			ev.Resources = []EventResource{}
		}
		out.Events = append(out.Events, ev)
	}
	return out, nil
}

// parseLookup validates LookupEvents' input into a query, and returns the
// fingerprint of the parameters a NextToken is bound to.
func parseLookup(in *LookupEventsInput, now time.Time) (query, string, error) {
	q := query{start: time.UnixMilli(0), end: now, limit: defaultMaxResults}
	if in.EventCategory != nil {
		if *in.EventCategory == "insight" {
			return q, "", awsproto.Errorf(http.StatusBadRequest, "UnsupportedOperationException",
				"Vigil does not generate CloudTrail Insights events; look up events without EventCategory.")
		}
		return q, "", awsproto.Errorf(http.StatusBadRequest, "InvalidEventCategoryException",
			"EventCategory %q is not valid; the only valid value is insight.", *in.EventCategory)
	}
	if err := parseAttributes(in.LookupAttributes, &q); err != nil {
		return q, "", err
	}
	if in.MaxResults.Set {
		n := in.MaxResults.Value
		if n < 1 || n > maxMaxResults {
			return q, "", awsproto.Errorf(http.StatusBadRequest, "InvalidMaxResultsException",
				"MaxResults %d is not valid; it must be between 1 and %d.", n, maxMaxResults)
		}
		q.limit = int(n)
	}
	if in.StartTime != nil {
		q.start = time.Time(*in.StartTime)
	}
	if in.EndTime != nil {
		q.end = time.Time(*in.EndTime)
	}
	if q.start.After(q.end) {
		return q, "", awsproto.Errorf(http.StatusBadRequest, "InvalidTimeRangeException",
			"The start time %s is after the end time %s.", q.start.UTC().Format(time.RFC3339), q.end.UTC().Format(time.RFC3339))
	}
	fp := fingerprint(in, q)
	if in.NextToken != nil && *in.NextToken != "" {
		c, err := decodeToken(*in.NextToken, fp)
		if err != nil {
			return q, "", awsproto.Errorf(http.StatusBadRequest, "InvalidNextTokenException",
				"The NextToken is not valid for this request: %v.", err)
		}
		q.after = &c
	}
	return q, fp, nil
}

func parseAttributes(attrs []LookupAttribute, q *query) error {
	invalid := func(format string, args ...any) error {
		return awsproto.Errorf(http.StatusBadRequest, "InvalidLookupAttributesException", format, args...)
	}
	switch len(attrs) {
	case 0:
		return nil
	case 1:
	default:
		return invalid("You can specify at most one lookup attribute; the request has %d.", len(attrs))
	}
	a := attrs[0]
	if a.AttributeKey == nil || *a.AttributeKey == "" {
		return invalid("The lookup attribute has no AttributeKey.")
	}
	key := *a.AttributeKey
	known := false
	for _, k := range lookupKeys {
		known = known || k == key
	}
	if !known {
		return invalid("AttributeKey %q is not valid; valid keys are %s.", key, strings.Join(lookupKeys, ", "))
	}
	if a.AttributeValue == nil || *a.AttributeValue == "" {
		return invalid("The lookup attribute %s has no AttributeValue.", key)
	}
	val := *a.AttributeValue
	if key == "ReadOnly" {
		switch strings.ToLower(val) {
		case "true", "false":
			val = strings.ToLower(val)
		default:
			return invalid("The ReadOnly lookup attribute must be true or false, not %q.", val)
		}
	}
	q.attrKey, q.attrValue = key, val
	return nil
}

// fingerprint identifies the parameters that must not change between the
// pages of one lookup.
func fingerprint(in *LookupEventsInput, q query) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", q.attrKey, q.attrValue)
	if in.StartTime != nil {
		fmt.Fprintf(h, "%d", q.start.UnixMilli())
	}
	h.Write([]byte{0})
	if in.EndTime != nil {
		fmt.Fprintf(h, "%d", q.end.UnixMilli())
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

type token struct {
	cursor
	Query string `json:"q"`
}

func encodeToken(c cursor, fp string) string {
	b, _ := json.Marshal(token{c, fp})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(s, fp string) (cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, fmt.Errorf("malformed token")
	}
	var t token
	if err := json.Unmarshal(b, &t); err != nil || t.Seq <= 0 {
		return cursor{}, fmt.Errorf("malformed token")
	}
	if t.Query != fp {
		return cursor{}, fmt.Errorf("it was issued for a request with other parameters")
	}
	return t.cursor, nil
}
