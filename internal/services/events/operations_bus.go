package events

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/awsproto"
)

func (s *Service) createEventBus(ctx context.Context, call *awsproto.Call) (*CreateEventBusResult, error) {
	var in createEventBusInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var c checker
	if c.required("name", in.Name) {
		c.str("name", in.Name, 1, 256, reBusName, patBusName)
	}
	c.str("description", in.Description, 0, 512, nil, "")
	tags := checkTags(&c, in.Tags)
	if err := c.err(); err != nil {
		return nil, err
	}
	name := *in.Name
	switch {
	case in.EventSourceName != nil:
		return nil, awsproto.Validation("Partner event buses (EventSourceName) are not supported by Vigil.")
	case in.KmsKeyIdentifier != nil:
		return nil, awsproto.Validation("Vigil does not support KmsKeyIdentifier on event buses; its store is not encrypted per bus.")
	case in.DeadLetterConfig != nil:
		return nil, awsproto.Validation("Vigil does not support a DeadLetterConfig on event buses; set one per target instead.")
	case len(in.LogConfig) > 0 && string(in.LogConfig) != "null":
		return nil, awsproto.Validation("Vigil does not support LogConfig on event buses.")
	case strings.Contains(name, "/"):
		return nil, awsproto.Validation("Event bus name must not contain '/'.")
	case strings.HasPrefix(name, "aws."):
		return nil, awsproto.Validation("Event bus name must not start with 'aws.'.")
	}
	arn := s.busARN(name)
	call.AddResource("AWS::Events::EventBus", arn)
	now := time.Now()
	err := s.env.DB.Write(ctx, func(tx *txn) error {
		if _, ok, err := getBus(ctx, tx, name); err != nil {
			return err
		} else if ok {
			return awsproto.Errorf(http.StatusBadRequest, "ResourceAlreadyExistsException", "Event bus %s already exists.", name)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO events_buses (name, description, created_at, modified_at) VALUES (?, ?, ?, ?)`,
			name, str(in.Description), now.UnixNano(), now.UnixNano()); err != nil {
			return fmt.Errorf("create event bus: %w", err)
		}
		return writeTags(ctx, tx, arn, tags)
	})
	if err != nil {
		return nil, err
	}
	return &CreateEventBusResult{EventBusArn: arn, Description: str(in.Description)}, nil
}

func (s *Service) describeEventBus(ctx context.Context, call *awsproto.Call) (*EventBus, error) {
	var in busNameInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var c checker
	c.str("name", in.Name, 1, 1600, reBusNameArn, patBusNameArn)
	if err := c.err(); err != nil {
		return nil, err
	}
	name, err := s.busName(in.Name)
	if err != nil {
		return nil, err
	}
	b, ok, err := getBus(ctx, s.env.DB.Read(), name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, busNotFound(name)
	}
	out := s.busResult(b)
	return &out, nil
}

func (s *Service) busResult(b busRow) EventBus {
	created, modified := awsproto.EpochTime(b.Created), awsproto.EpochTime(b.Modified)
	return EventBus{Name: b.Name, Arn: s.busARN(b.Name), Description: b.Description,
		CreationTime: &created, LastModifiedTime: &modified}
}

func (s *Service) listEventBuses(ctx context.Context, call *awsproto.Call) (*ListEventBusesResult, error) {
	var in listEventBusesInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var c checker
	c.str("namePrefix", in.NamePrefix, 1, 256, reBusName, patBusName)
	c.str("nextToken", in.NextToken, 1, 2048, nil, "")
	c.intRange("limit", in.Limit, 1, 100)
	if err := c.err(); err != nil {
		return nil, err
	}
	after, err := decodeToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	limit := pageLimit(in.Limit)
	rows, err := s.env.DB.Read().QueryContext(ctx, `SELECT name, description, created_at, modified_at FROM events_buses
		WHERE name > ? AND substr(name, 1, ?) = ? ORDER BY name LIMIT ?`,
		after, len(str(in.NamePrefix)), str(in.NamePrefix), limit+1)
	if err != nil {
		return nil, fmt.Errorf("list event buses: %w", err)
	}
	defer rows.Close()
	out := &ListEventBusesResult{EventBuses: []EventBus{}}
	for rows.Next() {
		var b busRow
		var created, modified int64
		if err := rows.Scan(&b.Name, &b.Description, &created, &modified); err != nil {
			return nil, err
		}
		b.Created, b.Modified = time.Unix(0, created), time.Unix(0, modified)
		out.EventBuses = append(out.EventBuses, s.busResult(b))
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out.EventBuses) > limit {
		out.EventBuses = out.EventBuses[:limit]
		out.NextToken = encodeToken(out.EventBuses[limit-1].Name)
	}
	return out, nil
}

func (s *Service) deleteEventBus(ctx context.Context, call *awsproto.Call) (any, error) {
	var in busNameInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var c checker
	if c.required("name", in.Name) {
		c.str("name", in.Name, 1, 256, reBusName, patBusName)
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	name := *in.Name
	if name == defaultBus {
		return nil, awsproto.Validation("Cannot delete event bus default.")
	}
	call.AddResource("AWS::Events::EventBus", s.busARN(name))
	s.ruleMu.Lock()
	defer s.ruleMu.Unlock()
	err := s.env.DB.Write(ctx, func(tx *txn) error {
		rows, err := tx.QueryContext(ctx, `SELECT name FROM events_rules WHERE bus = ?`, name)
		if err != nil {
			return err
		}
		var rules []string
		for rows.Next() {
			var r string
			if err := rows.Scan(&r); err != nil {
				rows.Close()
				return err
			}
			rules = append(rules, r)
		}
		rows.Close()
		for _, r := range rules {
			if err := deleteTags(ctx, tx, s.ruleARN(name, r)); err != nil {
				return err
			}
		}
		if err := deleteTags(ctx, tx, s.busARN(name)); err != nil {
			return err
		}
		// Rules and targets go with the bus (ON DELETE CASCADE). Deliveries
		// already enqueued carry their target and still run.
		_, err = tx.ExecContext(ctx, `DELETE FROM events_buses WHERE name = ?`, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.matchers.dropBus(name)
	return struct{}{}, nil
}

// Paging. A token is the last key of the previous page, opaque to clients.

func encodeToken(key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("v1:" + key))
}

func decodeToken(tok *string) (string, error) {
	if tok == nil || *tok == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*tok)
	key, ok := strings.CutPrefix(string(b), "v1:")
	if err != nil || !ok {
		return "", awsproto.Validation("The NextToken %q is not valid.", *tok)
	}
	return key, nil
}

func pageLimit(l *awsproto.Int) int {
	if l == nil || !l.Set {
		return 100
	}
	return int(l.Value)
}

// checkTags validates a Tags member and returns it without nil pointers.
func checkTags(c *checker, in []tag) []Tag {
	out := make([]Tag, 0, len(in))
	seen := map[string]bool{}
	for i, t := range in {
		field := fmt.Sprintf("tags.%d.member", i+1)
		okKey := c.required(field+".key", t.Key)
		okValue := c.required(field+".value", t.Value)
		c.str(field+".key", t.Key, 1, 128, nil, "")
		c.str(field+".value", t.Value, 0, 256, nil, "")
		if okKey && okValue {
			if seen[*t.Key] {
				c.addf("Value at '%s.key' failed to satisfy constraint: Duplicate tag keys are not allowed", field)
			}
			seen[*t.Key] = true
			out = append(out, Tag{Key: *t.Key, Value: *t.Value})
		}
	}
	return out
}
