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

// Storage of groups and roles, and of what users, groups and roles share:
// inline policies and attached managed policies.

// entityType names the kind of principal container in the tables.
type entityType string

const (
	entUser  entityType = "user"
	entGroup entityType = "group"
	entRole  entityType = "role"
)

// groupRow is a stored group.
type groupRow struct {
	id, name, path string
	created        time.Time
}

// roleRow is a stored role.
type roleRow struct {
	id, name, path string
	created        time.Time
	trust          string
	description    string
	maxSession     int
	boundary       string
	tags           []Tag
	lastUsed       time.Time // zero if never
	lastRegion     string
}

const groupCols = `id, name, path, created_at`

func scanGroup(sc interface{ Scan(...any) error }) (groupRow, error) {
	var g groupRow
	var created int64
	if err := sc.Scan(&g.id, &g.name, &g.path, &created); err != nil {
		return groupRow{}, err
	}
	g.created = time.Unix(0, created).UTC()
	return g, nil
}

func groupByName(ctx context.Context, q querier, name string) (groupRow, bool, error) {
	g, err := scanGroup(q.QueryRowContext(ctx, `SELECT `+groupCols+` FROM iam_groups WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return groupRow{}, false, nil
	}
	if err != nil {
		return groupRow{}, false, fmt.Errorf("read group: %w", err)
	}
	return g, true, nil
}

func queryGroups(ctx context.Context, q querier, query string, args ...any) ([]groupRow, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	defer rows.Close()
	var out []groupRow
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			return nil, fmt.Errorf("list groups: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// listGroups returns up to limit groups after the name after, under prefix.
func listGroups(ctx context.Context, q querier, prefix, after string, limit int) ([]groupRow, error) {
	return queryGroups(ctx, q, `SELECT `+groupCols+` FROM iam_groups
		WHERE name > ? AND substr(path, 1, length(?)) = ? ORDER BY name LIMIT ?`, after, prefix, prefix, limit)
}

// groupsOfUser returns the groups a user belongs to, by name.
func groupsOfUser(ctx context.Context, q querier, userID string) ([]groupRow, error) {
	return queryGroups(ctx, q, `SELECT g.id, g.name, g.path, g.created_at FROM iam_groups g
		JOIN iam_group_members m ON m.group_id = g.id WHERE m.user_id = ? ORDER BY g.name`, userID)
}

// membersOf returns the users of a group, by name.
func membersOf(ctx context.Context, q querier, groupID string) ([]userRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT u.id, u.name, u.path, u.created_at, u.boundary, u.tags FROM iam_users u
		JOIN iam_group_members m ON m.user_id = u.id WHERE m.group_id = ? ORDER BY u.name`, groupID)
	if err != nil {
		return nil, fmt.Errorf("list group members: %w", err)
	}
	defer rows.Close()
	var out []userRow
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list group members: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

func count(ctx context.Context, q querier, query string, args ...any) (int, error) {
	var n int
	if err := q.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count: %w", err)
	}
	return n, nil
}

func exec(ctx context.Context, tx *store.Tx, what, query string, args ...any) error {
	if _, err := tx.ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

const roleCols = `id, name, path, created_at, trust, description, max_session, boundary, tags, last_used_at, last_used_region`

func scanRole(sc interface{ Scan(...any) error }) (roleRow, error) {
	var r roleRow
	var created, used int64
	var tags string
	if err := sc.Scan(&r.id, &r.name, &r.path, &created, &r.trust, &r.description, &r.maxSession,
		&r.boundary, &tags, &used, &r.lastRegion); err != nil {
		return roleRow{}, err
	}
	r.created = time.Unix(0, created).UTC()
	if used != 0 {
		r.lastUsed = time.Unix(0, used).UTC()
	}
	if err := json.Unmarshal([]byte(tags), &r.tags); err != nil {
		return roleRow{}, fmt.Errorf("role %s: decode tags: %w", r.name, err)
	}
	return r, nil
}

func oneRole(ctx context.Context, q querier, where string, arg string) (roleRow, bool, error) {
	r, err := scanRole(q.QueryRowContext(ctx, `SELECT `+roleCols+` FROM iam_roles WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return roleRow{}, false, nil
	}
	if err != nil {
		return roleRow{}, false, fmt.Errorf("read role: %w", err)
	}
	return r, true, nil
}

func roleByName(ctx context.Context, q querier, name string) (roleRow, bool, error) {
	return oneRole(ctx, q, `name = ?`, name)
}

func roleByID(ctx context.Context, q querier, id string) (roleRow, bool, error) {
	return oneRole(ctx, q, `id = ?`, id)
}

func listRoles(ctx context.Context, q querier, prefix, after string, limit int) ([]roleRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+roleCols+` FROM iam_roles
		WHERE name > ? AND substr(path, 1, length(?)) = ? ORDER BY name LIMIT ?`, after, prefix, prefix, limit)
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	defer rows.Close()
	var out []roleRow
	for rows.Next() {
		r, err := scanRole(rows)
		if err != nil {
			return nil, fmt.Errorf("list roles: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func insertRole(ctx context.Context, tx *store.Tx, r roleRow) error {
	tags, err := json.Marshal(tagsOrEmpty(r.tags))
	if err != nil {
		return err
	}
	return exec(ctx, tx, "insert role", `INSERT INTO iam_roles (id, name, path, created_at, trust, description, max_session, boundary, tags)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.id, r.name, r.path, r.created.UnixNano(), r.trust, r.description, r.maxSession, r.boundary, string(tags))
}

// updateRole writes back the mutable fields of a role.
func updateRole(ctx context.Context, tx *store.Tx, r roleRow) error {
	tags, err := json.Marshal(tagsOrEmpty(r.tags))
	if err != nil {
		return err
	}
	return exec(ctx, tx, "update role", `UPDATE iam_roles SET trust = ?, description = ?, max_session = ?, boundary = ?, tags = ?
		WHERE id = ?`, r.trust, r.description, r.maxSession, r.boundary, string(tags), r.id)
}

// inlinePolicy is a policy embedded in a user, group or role.
type inlinePolicy struct {
	name, document string
}

func inlinePolicies(ctx context.Context, q querier, typ entityType, id string) ([]inlinePolicy, error) {
	rows, err := q.QueryContext(ctx, `SELECT name, document FROM iam_inline_policies
		WHERE entity_type = ? AND entity_id = ? ORDER BY name`, typ, id)
	if err != nil {
		return nil, fmt.Errorf("list inline policies: %w", err)
	}
	defer rows.Close()
	var out []inlinePolicy
	for rows.Next() {
		var p inlinePolicy
		if err := rows.Scan(&p.name, &p.document); err != nil {
			return nil, fmt.Errorf("list inline policies: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// putInline stores a policy, keeping the first spelling of a name that
// already exists in another case.
func putInline(ctx context.Context, tx *store.Tx, typ entityType, id string, p inlinePolicy) error {
	return exec(ctx, tx, "put inline policy", `INSERT INTO iam_inline_policies (entity_type, entity_id, name, document)
		VALUES (?, ?, ?, ?) ON CONFLICT (entity_type, entity_id, name) DO UPDATE SET document = excluded.document`,
		typ, id, p.name, p.document)
}

func deleteInline(ctx context.Context, tx *store.Tx, typ entityType, id, name string) (bool, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM iam_inline_policies WHERE entity_type = ? AND entity_id = ? AND name = ?`, typ, id, name)
	if err != nil {
		return false, fmt.Errorf("delete inline policy: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// attachedARNs returns the managed policies attached to an entity, in the
// order they were attached.
func attachedARNs(ctx context.Context, q querier, typ entityType, id string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT policy_arn FROM iam_attachments
		WHERE entity_type = ? AND entity_id = ? ORDER BY attached_at, policy_arn`, typ, id)
	if err != nil {
		return nil, fmt.Errorf("list attached policies: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, fmt.Errorf("list attached policies: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func attach(ctx context.Context, tx *store.Tx, typ entityType, id, policyARN string, at time.Time) error {
	return exec(ctx, tx, "attach policy", `INSERT INTO iam_attachments (entity_type, entity_id, policy_arn, attached_at)
		VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, typ, id, policyARN, at.UnixNano())
}

func detach(ctx context.Context, tx *store.Tx, typ entityType, id, policyARN string) (bool, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM iam_attachments WHERE entity_type = ? AND entity_id = ? AND policy_arn = ?`, typ, id, policyARN)
	if err != nil {
		return false, fmt.Errorf("detach policy: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// policyUse is how many entities use a managed policy, as a permissions
// policy and as a permissions boundary.
type policyUse struct{ attachments, boundaries int }

// policyUses counts the uses of every policy that has any, by ARN.
func policyUses(ctx context.Context, q querier) (map[string]policyUse, error) {
	out := map[string]policyUse{}
	rows, err := q.QueryContext(ctx, `SELECT policy_arn, count(*) FROM iam_attachments GROUP BY policy_arn`)
	if err != nil {
		return nil, fmt.Errorf("count attachments: %w", err)
	}
	for rows.Next() {
		var a string
		var n int
		if err := rows.Scan(&a, &n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("count attachments: %w", err)
		}
		u := out[a]
		u.attachments = n
		out[a] = u
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT boundary, count(*) FROM (
		SELECT boundary FROM iam_users WHERE boundary != '' UNION ALL
		SELECT boundary FROM iam_roles WHERE boundary != '') GROUP BY boundary`)
	if err != nil {
		return nil, fmt.Errorf("count boundaries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a string
		var n int
		if err := rows.Scan(&a, &n); err != nil {
			return nil, fmt.Errorf("count boundaries: %w", err)
		}
		u := out[a]
		u.boundaries = n
		out[a] = u
	}
	return out, rows.Err()
}

// policyUseOf counts the uses of one policy.
func policyUseOf(ctx context.Context, q querier, policyARN string) (policyUse, error) {
	var u policyUse
	var err error
	if u.attachments, err = count(ctx, q, `SELECT count(*) FROM iam_attachments WHERE policy_arn = ?`, policyARN); err != nil {
		return u, err
	}
	u.boundaries, err = count(ctx, q, `SELECT (SELECT count(*) FROM iam_users WHERE boundary = ?) + (SELECT count(*) FROM iam_roles WHERE boundary = ?)`, policyARN, policyARN)
	return u, err
}

// attachedEntity is one entity a policy is attached to.
type attachedEntity struct {
	typ            entityType
	id, name, path string
}

// entitiesWith lists the entities a policy is attached to (boundary=false)
// or is the permissions boundary of (boundary=true).
func entitiesWith(ctx context.Context, q querier, policyARN string, boundary bool) ([]attachedEntity, error) {
	query := `SELECT 'user', u.id, u.name, u.path FROM iam_attachments a JOIN iam_users u ON a.entity_type = 'user' AND u.id = a.entity_id WHERE a.policy_arn = ?1
		UNION ALL SELECT 'group', g.id, g.name, g.path FROM iam_attachments a JOIN iam_groups g ON a.entity_type = 'group' AND g.id = a.entity_id WHERE a.policy_arn = ?1
		UNION ALL SELECT 'role', r.id, r.name, r.path FROM iam_attachments a JOIN iam_roles r ON a.entity_type = 'role' AND r.id = a.entity_id WHERE a.policy_arn = ?1`
	if boundary {
		query = `SELECT 'user', id, name, path FROM iam_users WHERE boundary = ?1
			UNION ALL SELECT 'role', id, name, path FROM iam_roles WHERE boundary = ?1`
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY 1, 3`, policyARN)
	if err != nil {
		return nil, fmt.Errorf("list entities for policy: %w", err)
	}
	defer rows.Close()
	var out []attachedEntity
	for rows.Next() {
		var e attachedEntity
		if err := rows.Scan(&e.typ, &e.id, &e.name, &e.path); err != nil {
			return nil, fmt.Errorf("list entities for policy: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
