package iam

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// Tables. Users are unique by name regardless of case, as in AWS. Access
// keys keep their secret in plaintext because SigV4 verification needs it;
// the database file is the credential store and lives in a 0700 directory.
// A key whose user_id is empty belongs to the account's root user.
var schema = []string{
	`CREATE TABLE iam_users (
		id         TEXT PRIMARY KEY,
		name       TEXT NOT NULL COLLATE NOCASE UNIQUE,
		path       TEXT NOT NULL,
		created_at INTEGER NOT NULL, -- unix nanoseconds
		boundary   TEXT NOT NULL DEFAULT '',
		tags       TEXT NOT NULL DEFAULT '[]' -- JSON [{"Key":..,"Value":..}] in the order added
	)`,
	`CREATE TABLE iam_access_keys (
		id                TEXT PRIMARY KEY,
		user_id           TEXT NOT NULL, -- '' for the root user
		secret            TEXT NOT NULL,
		status            TEXT NOT NULL,
		created_at        INTEGER NOT NULL,
		last_used_at      INTEGER NOT NULL DEFAULT 0,
		last_used_service TEXT NOT NULL DEFAULT '',
		last_used_region  TEXT NOT NULL DEFAULT ''
	)`,
	`CREATE INDEX iam_access_keys_user ON iam_access_keys (user_id, created_at)`,
	`CREATE TABLE iam_account (
		id         INTEGER PRIMARY KEY CHECK (id = 1),
		created_at INTEGER NOT NULL
	)`,
	// Groups, roles, managed policies and their versions, attachments and
	// inline policies (issue 5). Entity types in attachments and inline
	// policies are 'user', 'group' or 'role'; entity ids are the AIDA/AGPA/
	// AROA ids. AWS-managed policies are built in and not stored; their
	// attachments are, by ARN.
	`CREATE TABLE iam_groups (
		id         TEXT PRIMARY KEY,
		name       TEXT NOT NULL COLLATE NOCASE UNIQUE,
		path       TEXT NOT NULL,
		created_at INTEGER NOT NULL
	)`,
	`CREATE TABLE iam_group_members (
		group_id TEXT NOT NULL,
		user_id  TEXT NOT NULL,
		added_at INTEGER NOT NULL,
		PRIMARY KEY (group_id, user_id)
	)`,
	`CREATE INDEX iam_group_members_user ON iam_group_members (user_id)`,
	`CREATE TABLE iam_roles (
		id               TEXT PRIMARY KEY,
		name             TEXT NOT NULL COLLATE NOCASE UNIQUE,
		path             TEXT NOT NULL,
		created_at       INTEGER NOT NULL,
		trust            TEXT NOT NULL, -- the AssumeRolePolicyDocument as given
		description      TEXT NOT NULL DEFAULT '',
		max_session      INTEGER NOT NULL, -- seconds
		boundary         TEXT NOT NULL DEFAULT '',
		tags             TEXT NOT NULL DEFAULT '[]',
		last_used_at     INTEGER NOT NULL DEFAULT 0,
		last_used_region TEXT NOT NULL DEFAULT ''
	)`,
	`CREATE TABLE iam_policies (
		id              TEXT PRIMARY KEY,
		name            TEXT NOT NULL COLLATE NOCASE UNIQUE,
		path            TEXT NOT NULL,
		description     TEXT NOT NULL DEFAULT '',
		created_at      INTEGER NOT NULL,
		updated_at      INTEGER NOT NULL,
		default_version INTEGER NOT NULL, -- n of "vN"
		next_version    INTEGER NOT NULL, -- version numbers are never reused
		tags            TEXT NOT NULL DEFAULT '[]'
	)`,
	`CREATE TABLE iam_policy_versions (
		policy_id  TEXT NOT NULL,
		version    INTEGER NOT NULL,
		document   TEXT NOT NULL,
		created_at INTEGER NOT NULL,
		PRIMARY KEY (policy_id, version)
	)`,
	`CREATE TABLE iam_attachments (
		entity_type TEXT NOT NULL,
		entity_id   TEXT NOT NULL,
		policy_arn  TEXT NOT NULL,
		attached_at INTEGER NOT NULL,
		PRIMARY KEY (entity_type, entity_id, policy_arn)
	)`,
	`CREATE INDEX iam_attachments_policy ON iam_attachments (policy_arn)`,
	`CREATE TABLE iam_inline_policies (
		entity_type TEXT NOT NULL,
		entity_id   TEXT NOT NULL,
		name        TEXT NOT NULL COLLATE NOCASE,
		document    TEXT NOT NULL,
		PRIMARY KEY (entity_type, entity_id, name)
	)`,
	// Temporary credentials from STS AssumeRole. Like access keys, the
	// secret and token are kept in plaintext: SigV4 verification needs them.
	`CREATE TABLE iam_sessions (
		id              TEXT PRIMARY KEY, -- the ASIA access key id
		secret          TEXT NOT NULL,
		token           TEXT NOT NULL,
		role_id         TEXT NOT NULL,
		name            TEXT NOT NULL,
		source_identity TEXT NOT NULL DEFAULT '',
		policy          TEXT NOT NULL DEFAULT '',   -- inline session policy
		policy_arns     TEXT NOT NULL DEFAULT '[]', -- managed session policies
		tags            TEXT NOT NULL DEFAULT '[]', -- session tags
		transitive      TEXT NOT NULL DEFAULT '[]', -- keys of the tags that pass on to chained sessions
		created_at      INTEGER NOT NULL,
		expires_at      INTEGER NOT NULL
	)`,
	`CREATE INDEX iam_sessions_expiry ON iam_sessions (expires_at)`,
	// Instance profiles hold at most one role, as in AWS.
	`CREATE TABLE iam_instance_profiles (
		id         TEXT PRIMARY KEY,
		name       TEXT NOT NULL COLLATE NOCASE UNIQUE,
		path       TEXT NOT NULL,
		created_at INTEGER NOT NULL,
		tags       TEXT NOT NULL DEFAULT '[]',
		role_id    TEXT NOT NULL DEFAULT ''
	)`,
	`CREATE INDEX iam_instance_profiles_role ON iam_instance_profiles (role_id)`,
}

// querier is what reads need: the read pool or a write transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// scanner is one row to read: a *sql.Row or the current row of *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// queryRow reads the row query selects with scan, or ok=false when there
// is none. what says what was read, for errors.
func queryRow[T any](ctx context.Context, q querier, what string, scan func(scanner) (T, error),
	query string, args ...any) (T, bool, error) {
	v, err := scan(q.QueryRowContext(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		var zero T
		return zero, false, nil
	}
	if err != nil {
		var zero T
		return zero, false, fmt.Errorf("%s: %w", what, err)
	}
	return v, true, nil
}

// queryRows reads every row query selects with scan.
func queryRows[T any](ctx context.Context, q querier, what string, scan func(scanner) (T, error),
	query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// fromNanos reads a stored time (unix nanoseconds).
func fromNanos(ns int64) time.Time { return time.Unix(0, ns).UTC() }

// lastUse reads a stored last use: 0, never, is the zero time.
func lastUse(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return fromNanos(ns)
}

// tagsJSON is the stored form of tags: a JSON array, never null.
func tagsJSON(t []Tag) string {
	b, _ := json.Marshal(tagsOrEmpty(t)) // two strings a tag: cannot fail
	return string(b)
}

// decodeTags reads the stored tags of the kind of entity named.
func decodeTags(kind, name, stored string) ([]Tag, error) {
	var t []Tag
	if err := json.Unmarshal([]byte(stored), &t); err != nil {
		return nil, fmt.Errorf("%s %s: decode tags: %w", kind, name, err)
	}
	return t, nil
}

func tagsOrEmpty(t []Tag) []Tag {
	if t == nil {
		return []Tag{}
	}
	return t
}

// userRow is a stored user.
type userRow struct {
	id, name, path string
	created        time.Time
	boundary       string
	tags           []Tag
}

// keyRow is a stored access key.
type keyRow struct {
	id, userID, userName string
	secret, status       string
	created              time.Time
	lastUsed             time.Time // zero if never
	lastService          string
	lastRegion           string
}

const userCols = `id, name, path, created_at, boundary, tags`

func scanUser(sc scanner) (userRow, error) {
	var u userRow
	var created int64
	var tags string
	if err := sc.Scan(&u.id, &u.name, &u.path, &created, &u.boundary, &tags); err != nil {
		return userRow{}, err
	}
	u.created = fromNanos(created)
	var err error
	u.tags, err = decodeTags("user", u.name, tags)
	return u, err
}

// userByName returns the user with name (any case), or ok=false.
func userByName(ctx context.Context, q querier, name string) (userRow, bool, error) {
	return queryRow(ctx, q, "read user", scanUser, `SELECT `+userCols+` FROM iam_users WHERE name = ?`, name)
}

// userByID returns the user with id, or ok=false.
func userByID(ctx context.Context, q querier, id string) (userRow, bool, error) {
	return queryRow(ctx, q, "read user", scanUser, `SELECT `+userCols+` FROM iam_users WHERE id = ?`, id)
}

// listUsers returns up to limit users whose names sort after after (case
// folded) and whose path starts with prefix.
func listUsers(ctx context.Context, q querier, prefix, after string, limit int) ([]userRow, error) {
	return queryRows(ctx, q, "list users", scanUser, `SELECT `+userCols+` FROM iam_users
		WHERE name > ? AND substr(path, 1, length(?)) = ?
		ORDER BY name LIMIT ?`, after, prefix, prefix, limit)
}

func insertUser(ctx context.Context, tx *store.Tx, u userRow) error {
	return exec(ctx, tx, "insert user", `INSERT INTO iam_users (id, name, path, created_at, boundary, tags) VALUES (?, ?, ?, ?, ?, ?)`,
		u.id, u.name, u.path, u.created.UnixNano(), u.boundary, tagsJSON(u.tags))
}

func setUserTags(ctx context.Context, tx *store.Tx, id string, tags []Tag) error {
	return exec(ctx, tx, "update user tags", `UPDATE iam_users SET tags = ? WHERE id = ?`, tagsJSON(tags), id)
}

func deleteUser(ctx context.Context, tx *store.Tx, id string) error {
	return exec(ctx, tx, "delete user", `DELETE FROM iam_users WHERE id = ?`, id)
}

const keyCols = `k.id, k.user_id, coalesce(u.name, ''), k.secret, k.status, k.created_at,
	k.last_used_at, k.last_used_service, k.last_used_region`

const keyFrom = ` FROM iam_access_keys k LEFT JOIN iam_users u ON u.id = k.user_id AND k.user_id != ''`

func scanKey(sc scanner) (keyRow, error) {
	var k keyRow
	var created, used int64
	err := sc.Scan(&k.id, &k.userID, &k.userName, &k.secret, &k.status, &created, &used, &k.lastService, &k.lastRegion)
	if err != nil {
		return keyRow{}, err
	}
	k.created, k.lastUsed = fromNanos(created), lastUse(used)
	return k, nil
}

// keyByID returns the access key with id, or ok=false.
func keyByID(ctx context.Context, q querier, id string) (keyRow, bool, error) {
	return queryRow(ctx, q, "read access key", scanKey, `SELECT `+keyCols+keyFrom+` WHERE k.id = ?`, id)
}

// keysOf returns the access keys of a user (empty for root), oldest first.
func keysOf(ctx context.Context, q querier, userID string) ([]keyRow, error) {
	return queryRows(ctx, q, "list access keys", scanKey, `SELECT `+keyCols+keyFrom+` WHERE k.user_id = ? ORDER BY k.created_at, k.id`, userID)
}

func insertKey(ctx context.Context, tx *store.Tx, k keyRow) error {
	return exec(ctx, tx, "insert access key", `INSERT INTO iam_access_keys (id, user_id, secret, status, created_at) VALUES (?, ?, ?, ?, ?)`,
		k.id, k.userID, k.secret, k.status, k.created.UnixNano())
}

func setKeyStatus(ctx context.Context, tx *store.Tx, id, status string) error {
	return exec(ctx, tx, "update access key", `UPDATE iam_access_keys SET status = ? WHERE id = ?`, status, id)
}

func deleteKey(ctx context.Context, tx *store.Tx, id string) error {
	return exec(ctx, tx, "delete access key", `DELETE FROM iam_access_keys WHERE id = ?`, id)
}

// keyUse is a pending last-use record.
type keyUse struct {
	at              time.Time
	service, region string
}

// saveKeyUses records last uses, never moving a key's last use backwards.
func saveKeyUses(ctx context.Context, tx *store.Tx, uses map[string]keyUse) error {
	for id, u := range uses {
		_, err := tx.ExecContext(ctx, `UPDATE iam_access_keys
			SET last_used_at = ?, last_used_service = ?, last_used_region = ?
			WHERE id = ? AND last_used_at < ?`,
			u.at.UnixNano(), u.service, u.region, id, u.at.UnixNano())
		if err != nil {
			return fmt.Errorf("record access key use: %w", err)
		}
	}
	return nil
}

// accountCreated returns when the account was set up, creating the record
// (as now) the first time.
func accountCreated(ctx context.Context, tx *store.Tx, now time.Time) (time.Time, error) {
	if _, err := tx.ExecContext(ctx, `INSERT INTO iam_account (id, created_at) VALUES (1, ?) ON CONFLICT(id) DO NOTHING`, now.UnixNano()); err != nil {
		return time.Time{}, fmt.Errorf("record account: %w", err)
	}
	var ns int64
	if err := tx.QueryRowContext(ctx, `SELECT created_at FROM iam_account WHERE id = 1`).Scan(&ns); err != nil {
		return time.Time{}, fmt.Errorf("read account: %w", err)
	}
	return time.Unix(0, ns).UTC(), nil
}

// readAccountCreated returns when the account was set up, or ok=false.
func readAccountCreated(ctx context.Context, q querier) (time.Time, bool, error) {
	var ns int64
	err := q.QueryRowContext(ctx, `SELECT created_at FROM iam_account WHERE id = 1`).Scan(&ns)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read account: %w", err)
	}
	return time.Unix(0, ns).UTC(), true, nil
}
