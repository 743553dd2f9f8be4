package iam

import (
	"context"
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

func scanPolicy(sc scanner) (policyRow, error) {
	var p policyRow
	var created, updated int64
	var tags string
	if err := sc.Scan(&p.id, &p.name, &p.path, &p.description, &created, &updated, &p.defaultVersion, &p.nextVersion, &tags); err != nil {
		return policyRow{}, err
	}
	p.created, p.updated = fromNanos(created), fromNanos(updated)
	var err error
	p.tags, err = decodeTags("policy", p.name, tags)
	return p, err
}

// localPolicyByName returns the account's policy with name (any case).
func localPolicyByName(ctx context.Context, q querier, name string) (policyRow, bool, error) {
	return queryRow(ctx, q, "read policy", scanPolicy, `SELECT `+policyCols+` FROM iam_policies WHERE name = ?`, name)
}

// localPolicies returns every policy of the account whose path starts with prefix.
func localPolicies(ctx context.Context, q querier, prefix string) ([]policyRow, error) {
	return queryRows(ctx, q, "list policies", scanPolicy, `SELECT `+policyCols+` FROM iam_policies
		WHERE substr(path, 1, length(?)) = ? ORDER BY name`, prefix, prefix)
}

func insertPolicy(ctx context.Context, tx *store.Tx, p policyRow, doc string) error {
	if err := exec(ctx, tx, "insert policy", `INSERT INTO iam_policies (`+policyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.id, p.name, p.path, p.description, p.created.UnixNano(), p.updated.UnixNano(), p.defaultVersion, p.nextVersion, tagsJSON(p.tags)); err != nil {
		return err
	}
	return insertVersion(ctx, tx, p.id, versionRow{version: p.defaultVersion, document: doc, created: p.created})
}

// savePolicy writes back a policy's mutable fields.
func savePolicy(ctx context.Context, tx *store.Tx, p policyRow) error {
	return exec(ctx, tx, "update policy", `UPDATE iam_policies SET updated_at = ?, default_version = ?, next_version = ?, tags = ? WHERE id = ?`,
		p.updated.UnixNano(), p.defaultVersion, p.nextVersion, tagsJSON(p.tags), p.id)
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

func scanVersion(sc scanner) (versionRow, error) {
	var v versionRow
	var created int64
	if err := sc.Scan(&v.version, &v.document, &created); err != nil {
		return versionRow{}, err
	}
	v.created = fromNanos(created)
	return v, nil
}

// localVersions returns the versions of a stored policy, newest first, as
// ListPolicyVersions orders them.
func localVersions(ctx context.Context, q querier, policyID string) ([]versionRow, error) {
	return queryRows(ctx, q, "list policy versions", scanVersion, `SELECT version, document, created_at FROM iam_policy_versions
		WHERE policy_id = ? ORDER BY version DESC`, policyID)
}

func localVersion(ctx context.Context, q querier, policyID string, version int) (versionRow, bool, error) {
	return queryRow(ctx, q, "read policy version", scanVersion, `SELECT version, document, created_at FROM iam_policy_versions
		WHERE policy_id = ? AND version = ?`, policyID, version)
}
