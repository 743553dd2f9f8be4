package sns

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// schema is append-only: never edit a statement that shipped.
var schema = []string{
	`CREATE TABLE sns_topics (
		arn        TEXT PRIMARY KEY,
		name       TEXT NOT NULL,
		attributes TEXT NOT NULL, -- JSON object: the attributes a caller set
		tags       TEXT NOT NULL, -- JSON [{Key, Value}] in insertion order
		deleted    INTEGER NOT NULL DEFAULT 0, -- subscriptions deleted so far
		created    INTEGER NOT NULL -- unix nanoseconds
	)`,
	`CREATE TABLE sns_subscriptions (
		arn        TEXT PRIMARY KEY,
		topic_arn  TEXT NOT NULL,
		protocol   TEXT NOT NULL,
		endpoint   TEXT NOT NULL,
		owner      TEXT NOT NULL,
		principal  TEXT NOT NULL, -- ARN of who subscribed, for outbound data protection
		confirmed  INTEGER NOT NULL,
		confirmed_authenticated INTEGER NOT NULL DEFAULT 0,
		authenticate_unsubscribe INTEGER NOT NULL DEFAULT 0,
		attributes TEXT NOT NULL, -- JSON object: the attributes a caller set
		created    INTEGER NOT NULL
	)`,
	`CREATE INDEX sns_subscriptions_topic ON sns_subscriptions (topic_arn, protocol, endpoint)`,
	// A token confirms a pending subscription, or (from an
	// UnsubscribeConfirmation) restores a deleted one from its snapshot.
	`CREATE TABLE sns_tokens (
		token            TEXT PRIMARY KEY,
		subscription_arn TEXT NOT NULL,
		topic_arn        TEXT NOT NULL,
		restore          TEXT NOT NULL DEFAULT '', -- JSON subscription row, or ''
		expires          INTEGER NOT NULL
	)`,
	// A published message lives until its last delivery job finishes;
	// a buried delivery keeps it, so the dead job can still be inspected.
	`CREATE TABLE sns_messages (
		id      TEXT PRIMARY KEY,
		body    TEXT NOT NULL, -- JSON message
		pending INTEGER NOT NULL,
		created INTEGER NOT NULL
	)`,
	`CREATE TABLE sns_signing_keys (
		id       INTEGER PRIMARY KEY,
		key_pem  TEXT NOT NULL,
		cert_pem TEXT NOT NULL,
		created  INTEGER NOT NULL
	)`,
	// Deliveries an Outbound Deny data protection statement stopped; rows
	// outlive their subscription (the topic's count is a lifetime count)
	// and go with the topic.
	`CREATE TABLE sns_denied_deliveries (
		subscription_arn TEXT PRIMARY KEY,
		topic_arn        TEXT NOT NULL,
		denied           INTEGER NOT NULL
	)`,
	`CREATE INDEX sns_denied_deliveries_topic ON sns_denied_deliveries (topic_arn)`,
	// Delivery jobs whose outbound audit findings are committed, so that a
	// retry neither loses nor repeats them. A row goes when its job
	// finishes; a buried job keeps it, as it keeps its message.
	`CREATE TABLE sns_outbound_audited (
		job_id INTEGER PRIMARY KEY
	)`,
}

// querier is what both the read pool and a write transaction offer.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// topic is a topic row.
type topic struct {
	ARN, Name string
	Attrs     map[string]string
	Tags      []Tag
	Deleted   int64
}

// subscription is a subscription row.
type subscription struct {
	ARN, TopicARN, Protocol, Endpoint, Owner, Principal string
	Confirmed, ConfirmedAuthenticated, AuthUnsubscribe  bool
	Attrs                                               map[string]string
	Created                                             time.Time
}

// errNotFound is what the row loaders return for a missing row.
var errNotFound = errors.New("not found")

func getTopic(ctx context.Context, q querier, arn string) (*topic, error) {
	var t topic
	var attrs, tags string
	err := q.QueryRowContext(ctx, `SELECT arn, name, attributes, tags, deleted FROM sns_topics WHERE arn = ?`, arn).
		Scan(&t.ARN, &t.Name, &attrs, &tags, &t.Deleted)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load topic %s: %w", arn, err)
	}
	if err := json.Unmarshal([]byte(attrs), &t.Attrs); err != nil {
		return nil, fmt.Errorf("decode topic %s attributes: %w", arn, err)
	}
	if err := json.Unmarshal([]byte(tags), &t.Tags); err != nil {
		return nil, fmt.Errorf("decode topic %s tags: %w", arn, err)
	}
	if t.Attrs == nil {
		t.Attrs = map[string]string{}
	}
	return &t, nil
}

func insertTopic(ctx context.Context, x execer, t *topic) error {
	attrs, tags := mustJSON(t.Attrs), mustJSON(t.Tags)
	_, err := x.ExecContext(ctx, `INSERT INTO sns_topics (arn, name, attributes, tags, created) VALUES (?, ?, ?, ?, ?)`,
		t.ARN, t.Name, attrs, tags, time.Now().UnixNano())
	if err != nil {
		return fmt.Errorf("insert topic %s: %w", t.ARN, err)
	}
	return nil
}

func updateTopic(ctx context.Context, x execer, t *topic) error {
	_, err := x.ExecContext(ctx, `UPDATE sns_topics SET attributes = ?, tags = ?, deleted = ? WHERE arn = ?`,
		mustJSON(t.Attrs), mustJSON(t.Tags), t.Deleted, t.ARN)
	if err != nil {
		return fmt.Errorf("update topic %s: %w", t.ARN, err)
	}
	return nil
}

const subColumns = `arn, topic_arn, protocol, endpoint, owner, principal, confirmed,
	confirmed_authenticated, authenticate_unsubscribe, attributes, created`

func scanSubscription(sc interface{ Scan(...any) error }) (*subscription, error) {
	var s subscription
	var attrs string
	var created int64
	if err := sc.Scan(&s.ARN, &s.TopicARN, &s.Protocol, &s.Endpoint, &s.Owner, &s.Principal, &s.Confirmed,
		&s.ConfirmedAuthenticated, &s.AuthUnsubscribe, &attrs, &created); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(attrs), &s.Attrs); err != nil {
		return nil, fmt.Errorf("decode subscription %s attributes: %w", s.ARN, err)
	}
	if s.Attrs == nil {
		s.Attrs = map[string]string{}
	}
	s.Created = time.Unix(0, created)
	return &s, nil
}

func getSubscription(ctx context.Context, q querier, arn string) (*subscription, error) {
	s, err := scanSubscription(q.QueryRowContext(ctx, `SELECT `+subColumns+` FROM sns_subscriptions WHERE arn = ?`, arn))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load subscription %s: %w", arn, err)
	}
	return s, nil
}

// querySubscriptions returns the subscriptions a query selects.
func querySubscriptions(ctx context.Context, q querier, query string, args ...any) ([]*subscription, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+subColumns+` FROM sns_subscriptions `+query, args...)
	if err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", err)
	}
	defer rows.Close()
	var subs []*subscription
	for rows.Next() {
		s, err := scanSubscription(rows)
		if err != nil {
			return nil, fmt.Errorf("list subscriptions: %w", err)
		}
		subs = append(subs, s)
	}
	return subs, rows.Err()
}

func upsertSubscription(ctx context.Context, x execer, s *subscription) error {
	_, err := x.ExecContext(ctx, `INSERT INTO sns_subscriptions (`+subColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(arn) DO UPDATE SET confirmed = excluded.confirmed,
			confirmed_authenticated = excluded.confirmed_authenticated,
			authenticate_unsubscribe = excluded.authenticate_unsubscribe,
			attributes = excluded.attributes`,
		s.ARN, s.TopicARN, s.Protocol, s.Endpoint, s.Owner, s.Principal, s.Confirmed,
		s.ConfirmedAuthenticated, s.AuthUnsubscribe, mustJSON(s.Attrs), s.Created.UnixNano())
	if err != nil {
		return fmt.Errorf("save subscription %s: %w", s.ARN, err)
	}
	return nil
}

// subscriptionCounts returns a topic's confirmed and pending subscriptions.
func subscriptionCounts(ctx context.Context, q querier, topicARN string) (confirmed, pending int64, err error) {
	err = q.QueryRowContext(ctx, `SELECT COALESCE(SUM(confirmed), 0), COALESCE(SUM(1 - confirmed), 0)
		FROM sns_subscriptions WHERE topic_arn = ?`, topicARN).Scan(&confirmed, &pending)
	if err != nil {
		return 0, 0, fmt.Errorf("count subscriptions of %s: %w", topicARN, err)
	}
	return confirmed, pending, nil
}

// token is a confirmation token row.
type token struct {
	Token, SubscriptionARN, TopicARN string
	Restore                          *subscription
	Expires                          time.Time
}

// tokenLifetime is how long a confirmation token works, as in AWS.
const tokenLifetime = 3 * 24 * time.Hour

func insertToken(ctx context.Context, x execer, t *token) error {
	restore := ""
	if t.Restore != nil {
		restore = mustJSON(t.Restore)
	}
	_, err := x.ExecContext(ctx, `INSERT INTO sns_tokens (token, subscription_arn, topic_arn, restore, expires) VALUES (?, ?, ?, ?, ?)`,
		t.Token, t.SubscriptionARN, t.TopicARN, restore, t.Expires.UnixNano())
	if err != nil {
		return fmt.Errorf("save token: %w", err)
	}
	return nil
}

func getToken(ctx context.Context, q querier, tok string) (*token, error) {
	var t token
	var restore string
	var expires int64
	err := q.QueryRowContext(ctx, `SELECT token, subscription_arn, topic_arn, restore, expires FROM sns_tokens WHERE token = ?`, tok).
		Scan(&t.Token, &t.SubscriptionARN, &t.TopicARN, &restore, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load token: %w", err)
	}
	t.Expires = time.Unix(0, expires)
	if restore != "" {
		t.Restore = new(subscription)
		if err := json.Unmarshal([]byte(restore), t.Restore); err != nil {
			return nil, fmt.Errorf("decode token snapshot: %w", err)
		}
	}
	return &t, nil
}

// deleteSubscriptions removes the subscriptions a WHERE clause selects,
// with their tokens; it returns how many went.
func deleteSubscriptions(ctx context.Context, x execer, where string, args ...any) (int64, error) {
	if _, err := x.ExecContext(ctx, `DELETE FROM sns_tokens WHERE restore = '' AND subscription_arn IN (SELECT arn FROM sns_subscriptions WHERE `+where+`)`, args...); err != nil {
		return 0, fmt.Errorf("delete tokens: %w", err)
	}
	res, err := x.ExecContext(ctx, `DELETE FROM sns_subscriptions WHERE `+where, args...)
	if err != nil {
		return 0, fmt.Errorf("delete subscriptions: %w", err)
	}
	return res.RowsAffected()
}

// storedMessage is a published message as its deliveries read it.
type storedMessage struct {
	ID        string
	TopicARN  string
	Subject   string            `json:",omitempty"`
	Message   string            // the message, or the "default" entry of a JSON structure
	Protocols map[string]string `json:",omitempty"` // per-protocol messages of a JSON structure
	Attrs     []messageAttr     `json:",omitempty"`
	Timestamp time.Time
}

// messageFor returns the text a subscription of protocol receives.
func (m *storedMessage) messageFor(protocol string) string {
	if v, ok := m.Protocols[protocol]; ok {
		return v
	}
	return m.Message
}

func insertMessage(ctx context.Context, x execer, m *storedMessage, pending int) error {
	_, err := x.ExecContext(ctx, `INSERT INTO sns_messages (id, body, pending, created) VALUES (?, ?, ?, ?)`,
		m.ID, mustJSON(m), pending, m.Timestamp.UnixNano())
	if err != nil {
		return fmt.Errorf("save message %s: %w", m.ID, err)
	}
	return nil
}

func getMessage(ctx context.Context, q querier, id string) (*storedMessage, error) {
	var body string
	err := q.QueryRowContext(ctx, `SELECT body FROM sns_messages WHERE id = ?`, id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load message %s: %w", id, err)
	}
	var m storedMessage
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		return nil, fmt.Errorf("decode message %s: %w", id, err)
	}
	return &m, nil
}

// releaseMessage records that one delivery of a message is over, and
// deletes the message when none is left.
func releaseMessage(ctx context.Context, x execer, id string) error {
	if _, err := x.ExecContext(ctx, `UPDATE sns_messages SET pending = pending - 1 WHERE id = ?`, id); err != nil {
		return fmt.Errorf("release message %s: %w", id, err)
	}
	if _, err := x.ExecContext(ctx, `DELETE FROM sns_messages WHERE id = ? AND pending <= 0`, id); err != nil {
		return fmt.Errorf("delete message %s: %w", id, err)
	}
	return nil
}

// mustJSON marshals values that cannot fail to marshal (maps of strings,
// plain structs).
func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("sns: marshal %T: %v", v, err)) // a programming error, not an input error
	}
	return string(b)
}
