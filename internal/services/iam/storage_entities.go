package iam

import (
	"context"
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

func scanGroup(sc scanner) (groupRow, error) {
	var g groupRow
	var created int64
	if err := sc.Scan(&g.id, &g.name, &g.path, &created); err != nil {
		return groupRow{}, err
	}
	g.created = fromNanos(created)
	return g, nil
}

func groupByName(ctx context.Context, q querier, name string) (groupRow, bool, error) {
	return queryRow(ctx, q, "read group", scanGroup, `SELECT `+groupCols+` FROM iam_groups WHERE name = ?`, name)
}

// listGroups returns up to limit groups after the name after, under prefix.
func listGroups(ctx context.Context, q querier, prefix, after string, limit int) ([]groupRow, error) {
	return queryRows(ctx, q, "list groups", scanGroup, `SELECT `+groupCols+` FROM iam_groups
		WHERE name > ? AND substr(path, 1, length(?)) = ? ORDER BY name LIMIT ?`, after, prefix, prefix, limit)
}

// groupsOfUser returns the groups a user belongs to, by name.
func groupsOfUser(ctx context.Context, q querier, userID string) ([]groupRow, error) {
	return queryRows(ctx, q, "list groups", scanGroup, `SELECT g.id, g.name, g.path, g.created_at FROM iam_groups g
		JOIN iam_group_members m ON m.group_id = g.id WHERE m.user_id = ? ORDER BY g.name`, userID)
}

// membersOf returns the users of a group, by name.
func membersOf(ctx context.Context, q querier, groupID string) ([]userRow, error) {
	return queryRows(ctx, q, "list group members", scanUser, `SELECT u.id, u.name, u.path, u.created_at, u.boundary, u.tags FROM iam_users u
		JOIN iam_group_members m ON m.user_id = u.id WHERE m.group_id = ? ORDER BY u.name`, groupID)
}

func count(ctx context.Context, q querier, query string, args ...any) (int, error) {
	var n int
	if err := q.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count: %w", err)
	}
	return n, nil
}

// underQuota answers LimitExceeded for quota when query counts limit
// rows or more.
func underQuota(ctx context.Context, q querier, quota string, limit int, query string, args ...any) error {
	n, err := count(ctx, q, query, args...)
	if err == nil && n >= limit {
		err = limitExceeded(quota, limit)
	}
	return err
}

// noneLeft answers DeleteConflict with msg when query counts any rows: what
// must go before an entity can be deleted.
func noneLeft(ctx context.Context, q querier, msg, query string, args ...any) error {
	n, err := count(ctx, q, query, args...)
	if err == nil && n > 0 {
		err = deleteConflict(msg)
	}
	return err
}

func exec(ctx context.Context, tx *store.Tx, what, query string, args ...any) error {
	if _, err := tx.ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// execOne runs a statement that changes at most one row and says whether
// it did.
func execOne(ctx context.Context, tx *store.Tx, what, query string, args ...any) (bool, error) {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

const roleCols = `id, name, path, created_at, trust, description, max_session, boundary, tags, last_used_at, last_used_region`

func scanRole(sc scanner) (roleRow, error) {
	var r roleRow
	var created, used int64
	var tags string
	if err := sc.Scan(&r.id, &r.name, &r.path, &created, &r.trust, &r.description, &r.maxSession,
		&r.boundary, &tags, &used, &r.lastRegion); err != nil {
		return roleRow{}, err
	}
	r.created, r.lastUsed = fromNanos(created), lastUse(used)
	var err error
	r.tags, err = decodeTags("role", r.name, tags)
	return r, err
}

func roleByName(ctx context.Context, q querier, name string) (roleRow, bool, error) {
	return queryRow(ctx, q, "read role", scanRole, `SELECT `+roleCols+` FROM iam_roles WHERE name = ?`, name)
}

func roleByID(ctx context.Context, q querier, id string) (roleRow, bool, error) {
	return queryRow(ctx, q, "read role", scanRole, `SELECT `+roleCols+` FROM iam_roles WHERE id = ?`, id)
}

func listRoles(ctx context.Context, q querier, prefix, after string, limit int) ([]roleRow, error) {
	return queryRows(ctx, q, "list roles", scanRole, `SELECT `+roleCols+` FROM iam_roles
		WHERE name > ? AND substr(path, 1, length(?)) = ? ORDER BY name LIMIT ?`, after, prefix, prefix, limit)
}

func insertRole(ctx context.Context, tx *store.Tx, r roleRow) error {
	return exec(ctx, tx, "insert role", `INSERT INTO iam_roles (id, name, path, created_at, trust, description, max_session, boundary, tags)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.id, r.name, r.path, r.created.UnixNano(), r.trust, r.description, r.maxSession, r.boundary, tagsJSON(r.tags))
}

// updateRole writes back the mutable fields of a role.
func updateRole(ctx context.Context, tx *store.Tx, r roleRow) error {
	return exec(ctx, tx, "update role", `UPDATE iam_roles SET trust = ?, description = ?, max_session = ?, boundary = ?, tags = ?
		WHERE id = ?`, r.trust, r.description, r.maxSession, r.boundary, tagsJSON(r.tags), r.id)
}

// inlinePolicy is a policy embedded in a user, group or role.
type inlinePolicy struct {
	name, document string
}

func scanInline(sc scanner) (p inlinePolicy, err error) {
	err = sc.Scan(&p.name, &p.document)
	return p, err
}

func inlinePolicies(ctx context.Context, q querier, typ entityType, id string) ([]inlinePolicy, error) {
	return queryRows(ctx, q, "list inline policies", scanInline, `SELECT name, document FROM iam_inline_policies
		WHERE entity_type = ? AND entity_id = ? ORDER BY name`, typ, id)
}

// putInline stores a policy, keeping the first spelling of a name that
// already exists in another case.
func putInline(ctx context.Context, tx *store.Tx, typ entityType, id string, p inlinePolicy) error {
	return exec(ctx, tx, "put inline policy", `INSERT INTO iam_inline_policies (entity_type, entity_id, name, document)
		VALUES (?, ?, ?, ?) ON CONFLICT (entity_type, entity_id, name) DO UPDATE SET document = excluded.document`,
		typ, id, p.name, p.document)
}

func deleteInline(ctx context.Context, tx *store.Tx, typ entityType, id, name string) (bool, error) {
	return execOne(ctx, tx, "delete inline policy",
		`DELETE FROM iam_inline_policies WHERE entity_type = ? AND entity_id = ? AND name = ?`, typ, id, name)
}

// attachedARNs returns the managed policies attached to an entity, in the
// order they were attached.
func attachedARNs(ctx context.Context, q querier, typ entityType, id string) ([]string, error) {
	return queryRows(ctx, q, "list attached policies", scanString, `SELECT policy_arn FROM iam_attachments
		WHERE entity_type = ? AND entity_id = ? ORDER BY attached_at, policy_arn`, typ, id)
}

func scanString(sc scanner) (s string, err error) {
	err = sc.Scan(&s)
	return s, err
}

func attach(ctx context.Context, tx *store.Tx, typ entityType, id, policyARN string, at time.Time) error {
	return exec(ctx, tx, "attach policy", `INSERT INTO iam_attachments (entity_type, entity_id, policy_arn, attached_at)
		VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, typ, id, policyARN, at.UnixNano())
}

func detach(ctx context.Context, tx *store.Tx, typ entityType, id, policyARN string) (bool, error) {
	return execOne(ctx, tx, "detach policy",
		`DELETE FROM iam_attachments WHERE entity_type = ? AND entity_id = ? AND policy_arn = ?`, typ, id, policyARN)
}

// policyUse is how many entities use a managed policy, as a permissions
// policy and as a permissions boundary.
type policyUse struct{ attachments, boundaries int }

// policyUses counts the uses of every policy that has any, by ARN.
func policyUses(ctx context.Context, q querier) (map[string]policyUse, error) {
	attached, err := queryRows(ctx, q, "count attachments", scanARNCount,
		`SELECT policy_arn, count(*) FROM iam_attachments GROUP BY policy_arn`)
	if err != nil {
		return nil, err
	}
	bounding, err := queryRows(ctx, q, "count boundaries", scanARNCount, `SELECT boundary, count(*) FROM (
		SELECT boundary FROM iam_users WHERE boundary != '' UNION ALL
		SELECT boundary FROM iam_roles WHERE boundary != '') GROUP BY boundary`)
	if err != nil {
		return nil, err
	}
	out := map[string]policyUse{}
	for _, c := range attached {
		u := out[c.arn]
		u.attachments = c.n
		out[c.arn] = u
	}
	for _, c := range bounding {
		u := out[c.arn]
		u.boundaries = c.n
		out[c.arn] = u
	}
	return out, nil
}

// arnCount is a policy ARN and how many times it is used.
type arnCount struct {
	arn string
	n   int
}

func scanARNCount(sc scanner) (c arnCount, err error) {
	err = sc.Scan(&c.arn, &c.n)
	return c, err
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
	return queryRows(ctx, q, "list entities for policy", scanAttachedEntity, query+` ORDER BY 1, 3`, policyARN)
}

func scanAttachedEntity(sc scanner) (e attachedEntity, err error) {
	err = sc.Scan(&e.typ, &e.id, &e.name, &e.path)
	return e, err
}
