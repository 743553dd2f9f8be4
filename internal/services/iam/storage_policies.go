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

// policyRow is a managed policy: one of the account's, or (aws=true) one
// of the AWS-managed policies built into Vigil.
type policyRow struct {
	id, name, path string
	description    string
	created        time.Time
	updated        time.Time
	defaultVersion int
	nextVersion    int
	tags           []Tag
	aws            bool
	arn            string
}

// versionRow is one version of a managed policy.
type versionRow struct {
	version  int
	document string
	created  time.Time
}

func versionID(n int) string { return fmt.Sprintf("v%d", n) }

const policyCols = `id, name, path, description, created_at, updated_at, default_version, next_version, tags`

func scanPolicy(sc interface{ Scan(...any) error }) (policyRow, error) {
	var p policyRow
	var created, updated int64
	var tags string
	if err := sc.Scan(&p.id, &p.name, &p.path, &p.description, &created, &updated, &p.defaultVersion, &p.nextVersion, &tags); err != nil {
		return policyRow{}, err
	}
	p.created, p.updated = time.Unix(0, created).UTC(), time.Unix(0, updated).UTC()
	if err := json.Unmarshal([]byte(tags), &p.tags); err != nil {
		return policyRow{}, fmt.Errorf("policy %s: decode tags: %w", p.name, err)
	}
	return p, nil
}

// localPolicyByName returns the account's policy with name (any case).
func localPolicyByName(ctx context.Context, q querier, name string) (policyRow, bool, error) {
	p, err := scanPolicy(q.QueryRowContext(ctx, `SELECT `+policyCols+` FROM iam_policies WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return policyRow{}, false, nil
	}
	if err != nil {
		return policyRow{}, false, fmt.Errorf("read policy: %w", err)
	}
	return p, true, nil
}

// localPolicies returns every policy of the account whose path starts with prefix.
func localPolicies(ctx context.Context, q querier, prefix string) ([]policyRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+policyCols+` FROM iam_policies
		WHERE substr(path, 1, length(?)) = ? ORDER BY name`, prefix, prefix)
	if err != nil {
		return nil, fmt.Errorf("list policies: %w", err)
	}
	defer rows.Close()
	var out []policyRow
	for rows.Next() {
		p, err := scanPolicy(rows)
		if err != nil {
			return nil, fmt.Errorf("list policies: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func insertPolicy(ctx context.Context, tx *store.Tx, p policyRow, doc string) error {
	tags, err := json.Marshal(tagsOrEmpty(p.tags))
	if err != nil {
		return err
	}
	if err := exec(ctx, tx, "insert policy", `INSERT INTO iam_policies (`+policyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.id, p.name, p.path, p.description, p.created.UnixNano(), p.updated.UnixNano(), p.defaultVersion, p.nextVersion, string(tags)); err != nil {
		return err
	}
	return insertVersion(ctx, tx, p.id, versionRow{version: p.defaultVersion, document: doc, created: p.created})
}

// savePolicy writes back a policy's mutable fields.
func savePolicy(ctx context.Context, tx *store.Tx, p policyRow) error {
	tags, err := json.Marshal(tagsOrEmpty(p.tags))
	if err != nil {
		return err
	}
	return exec(ctx, tx, "update policy", `UPDATE iam_policies SET updated_at = ?, default_version = ?, next_version = ?, tags = ? WHERE id = ?`,
		p.updated.UnixNano(), p.defaultVersion, p.nextVersion, string(tags), p.id)
}

func deletePolicy(ctx context.Context, tx *store.Tx, id string) error {
	if err := exec(ctx, tx, "delete policy versions", `DELETE FROM iam_policy_versions WHERE policy_id = ?`, id); err != nil {
		return err
	}
	return exec(ctx, tx, "delete policy", `DELETE FROM iam_policies WHERE id = ?`, id)
}

func insertVersion(ctx context.Context, tx *store.Tx, policyID string, v versionRow) error {
	return exec(ctx, tx, "insert policy version", `INSERT INTO iam_policy_versions (policy_id, version, document, created_at) VALUES (?, ?, ?, ?)`,
		policyID, v.version, v.document, v.created.UnixNano())
}

func deleteVersion(ctx context.Context, tx *store.Tx, policyID string, version int) error {
	return exec(ctx, tx, "delete policy version", `DELETE FROM iam_policy_versions WHERE policy_id = ? AND version = ?`, policyID, version)
}

// localVersions returns the versions of a stored policy, newest first, as
// ListPolicyVersions orders them.
func localVersions(ctx context.Context, q querier, policyID string) ([]versionRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT version, document, created_at FROM iam_policy_versions
		WHERE policy_id = ? ORDER BY version DESC`, policyID)
	if err != nil {
		return nil, fmt.Errorf("list policy versions: %w", err)
	}
	defer rows.Close()
	var out []versionRow
	for rows.Next() {
		var v versionRow
		var created int64
		if err := rows.Scan(&v.version, &v.document, &created); err != nil {
			return nil, fmt.Errorf("list policy versions: %w", err)
		}
		v.created = time.Unix(0, created).UTC()
		out = append(out, v)
	}
	return out, rows.Err()
}

func localVersion(ctx context.Context, q querier, policyID string, version int) (versionRow, bool, error) {
	v := versionRow{version: version}
	var created int64
	err := q.QueryRowContext(ctx, `SELECT document, created_at FROM iam_policy_versions WHERE policy_id = ? AND version = ?`,
		policyID, version).Scan(&v.document, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return versionRow{}, false, nil
	}
	if err != nil {
		return versionRow{}, false, fmt.Errorf("read policy version: %w", err)
	}
	v.created = time.Unix(0, created).UTC()
	return v, true, nil
}
