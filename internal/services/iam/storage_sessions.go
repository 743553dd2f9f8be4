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

// sessionRow is a set of temporary credentials for a role.
type sessionRow struct {
	id, secret, token string
	roleID, name      string
	sourceIdentity    string
	policy            string
	policyARNs        []string
	tags              []Tag
	transitive        []string
	created, expires  time.Time
}

const sessionCols = `id, secret, token, role_id, name, source_identity, policy, policy_arns, tags, transitive, created_at, expires_at`

func sessionByID(ctx context.Context, q querier, id string) (sessionRow, bool, error) {
	var r sessionRow
	var arns, tags, transitive string
	var created, expires int64
	err := q.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM iam_sessions WHERE id = ?`, id).Scan(&r.id, &r.secret, &r.token,
		&r.roleID, &r.name, &r.sourceIdentity, &r.policy, &arns, &tags, &transitive, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return sessionRow{}, false, nil
	}
	if err != nil {
		return sessionRow{}, false, fmt.Errorf("read session: %w", err)
	}
	r.created, r.expires = time.Unix(0, created).UTC(), time.Unix(0, expires).UTC()
	for _, f := range []struct {
		src string
		dst any
	}{{arns, &r.policyARNs}, {tags, &r.tags}, {transitive, &r.transitive}} {
		if err := json.Unmarshal([]byte(f.src), f.dst); err != nil {
			return sessionRow{}, false, fmt.Errorf("session %s: %w", id, err)
		}
	}
	return r, true, nil
}

func insertSession(ctx context.Context, tx *store.Tx, r sessionRow) error {
	arns, err := json.Marshal(orEmpty(r.policyARNs))
	if err != nil {
		return err
	}
	tags, err := json.Marshal(tagsOrEmpty(r.tags))
	if err != nil {
		return err
	}
	transitive, err := json.Marshal(orEmpty(r.transitive))
	if err != nil {
		return err
	}
	return exec(ctx, tx, "insert session", `INSERT INTO iam_sessions (`+sessionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.id, r.secret, r.token, r.roleID, r.name, r.sourceIdentity, r.policy, string(arns), string(tags), string(transitive),
		r.created.UnixNano(), r.expires.UnixNano())
}

// sessionRetention is how long an expired session is kept, so that its
// key is answered with ExpiredToken rather than as unknown.
const sessionRetention = 7 * 24 * time.Hour

func purgeSessions(ctx context.Context, tx *store.Tx, now time.Time) error {
	return exec(ctx, tx, "purge expired sessions", `DELETE FROM iam_sessions WHERE expires_at < ?`, now.Add(-sessionRetention).UnixNano())
}

func orEmpty(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}
