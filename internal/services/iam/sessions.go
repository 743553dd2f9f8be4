package iam

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/vigilsec/vigil/arn"
	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/identity"
	"github.com/vigilsec/vigil/internal/sigv4"
	"github.com/vigilsec/vigil/internal/store"
)

// Roles as STS uses them: the trust policy for AssumeRole, and the
// temporary credentials it issues. STS and IAM are one trust domain, so
// STS calls these methods directly rather than through the dispatcher.

// RoleTrust returns the trust policy of the role roleArn names, as stored,
// and the role. A role that does not exist is a NoSuchEntity error.
func (s *Service) RoleTrust(ctx context.Context, roleArn string) (doc []byte, role Role, err error) {
	if err := s.init(ctx); err != nil {
		return nil, Role{}, err
	}
	r, err := s.roleByARN(ctx, s.env.DB.Read(), roleArn)
	if err != nil {
		return nil, Role{}, err
	}
	return []byte(r.trust), s.roleOut(r, true), nil
}

// roleByARN finds the role an IAM role ARN names, path included.
func (s *Service) roleByARN(ctx context.Context, q querier, roleArn string) (roleRow, error) {
	notFound := awsproto.Errorf(http.StatusNotFound, "NoSuchEntity", "The role with ARN %s cannot be found.", roleArn)
	a, err := arn.Parse(roleArn)
	if err != nil || a.Service != "iam" || a.AccountID != s.env.AccountID || !strings.HasPrefix(a.Resource, "role/") {
		return roleRow{}, notFound
	}
	rest := strings.TrimPrefix(a.Resource, "role")
	i := strings.LastIndexByte(rest, '/')
	path, name := rest[:i+1], rest[i+1:]
	r, ok, err := roleByName(ctx, q, name)
	if err != nil {
		return roleRow{}, err
	}
	if !ok || r.path != path || r.name != name {
		return roleRow{}, notFound
	}
	return r, nil
}

// SessionRequest is what STS asks for when AssumeRole has passed its checks.
type SessionRequest struct {
	Caller            identity.Principal // who called AssumeRole
	RoleID            string             // the role's AROA id, from RoleTrust
	SessionName       string
	Duration          time.Duration
	Policy            string   // inline session policy; "" for none
	PolicyArns        []string // managed session policies
	Tags              []Tag    // session tags as passed
	TransitiveTagKeys []string // keys of Tags that pass on to chained sessions
	SourceIdentity    string
	Region            string // where the call was made, for RoleLastUsed
}

// Session is a set of temporary credentials and the identity they carry.
type Session struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
	AssumedRoleID   string // ROLEID:SESSION
	ARN             string // arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
	// PackedPolicySize is how much of the packed-size allowance the session
	// policies and tags take, in percent; -1 when none were passed.
	PackedPolicySize int
	SourceIdentity   string
}

// packedLimit is the packed size, in bytes of DEFLATE output, that session
// policies and tags may take. AWS packs them into a binary format of its
// own with its own limit; Vigil approximates it with compression so that
// repetitive policies pack small, as they do in AWS.
const packedLimit = 2048

func newSessionKeyID() string { return randomID("ASIA", 16) }

// newSessionToken returns an opaque token of 96 random bytes.
func newSessionToken() string {
	b := make([]byte, 96)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// IssueSession creates temporary credentials for a role. It validates the
// session policy, resolves managed session policies, and carries the
// transitive tags and source identity of a calling role session into the
// new one, refusing to let the request override them. Errors are
// *awsproto.Error with STS's codes.
func (s *Service) IssueSession(ctx context.Context, req SessionRequest) (Session, error) {
	if err := s.init(ctx); err != nil {
		return Session{}, err
	}
	if req.Policy != "" {
		if _, err := checkPolicy(req.Policy, sessionDoc); err != nil {
			return Session{}, err
		}
	}
	packed, err := packedSize(req)
	if err != nil {
		return Session{}, err
	}
	now := s.now().UTC()
	row := sessionRow{id: newSessionKeyID(), secret: newSecret(), token: newSessionToken(), roleID: req.RoleID,
		name: req.SessionName, sourceIdentity: req.SourceIdentity, policy: req.Policy,
		created: now, expires: now.Add(req.Duration).Truncate(time.Second)}
	var role roleRow
	err = s.write(ctx, func(tx *store.Tx) error {
		var ok bool
		var err error
		if role, ok, err = roleByID(ctx, tx, req.RoleID); err != nil {
			return err
		} else if !ok {
			return awsproto.Errorf(http.StatusNotFound, "NoSuchEntity", "The role with id %s cannot be found.", req.RoleID)
		}
		for _, a := range req.PolicyArns {
			ref, err := s.findPolicy(ctx, tx, a)
			if err != nil {
				return awsproto.QueryValidation("Policy ARN %s does not name a managed policy of this account or AWS.", a)
			}
			row.policyARNs = append(row.policyARNs, ref.arn)
		}
		if err := s.inherit(ctx, tx, req, &row); err != nil {
			return err
		}
		if err := purgeSessions(ctx, tx, now); err != nil {
			return err
		}
		if err := noteRoleUse(ctx, tx, role.id, req.Region, now.UnixNano()); err != nil {
			return err
		}
		return insertSession(ctx, tx, row)
	})
	if err != nil {
		return Session{}, err
	}
	return Session{AccessKeyID: row.id, SecretAccessKey: row.secret, SessionToken: row.token, Expiration: row.expires,
		AssumedRoleID: role.id + ":" + row.name, ARN: s.assumedRoleARN(role.name, row.name), PackedPolicySize: packed,
		SourceIdentity: row.sourceIdentity}, nil
}

// inherit applies role chaining: a session assumed from another session
// keeps that session's transitive tags and source identity.
func (s *Service) inherit(ctx context.Context, tx *store.Tx, req SessionRequest, row *sessionRow) error {
	row.tags = append([]Tag(nil), req.Tags...)
	row.transitive = append([]string(nil), req.TransitiveTagKeys...)
	c := req.Caller
	if c.Type != identity.AssumedRole || !strings.HasPrefix(c.AccessKeyID, "ASIA") {
		return nil
	}
	parent, ok, err := sessionByID(ctx, tx, c.AccessKeyID)
	if err != nil || !ok {
		return err
	}
	if parent.sourceIdentity != "" {
		if req.SourceIdentity != "" && req.SourceIdentity != parent.sourceIdentity {
			return awsproto.QueryValidation("The source identity %s of the calling session cannot be changed.", parent.sourceIdentity)
		}
		row.sourceIdentity = parent.sourceIdentity
	}
	for _, k := range parent.transitive {
		for _, t := range req.Tags {
			if strings.EqualFold(t.Key, k) {
				return awsproto.QueryValidation("The session tag %s is a transitive tag of the calling session and cannot be set again.", t.Key)
			}
		}
		for _, t := range parent.tags {
			if strings.EqualFold(t.Key, k) {
				row.tags = append(row.tags, t)
				row.transitive = append(row.transitive, t.Key)
			}
		}
	}
	return nil
}

// packedSize measures the session policies and tags as STS's
// PackedPolicySize does, failing with PackedPolicyTooLarge past the limit.
func packedSize(req SessionRequest) (int, error) {
	if req.Policy == "" && len(req.PolicyArns) == 0 && len(req.Tags) == 0 {
		return -1, nil
	}
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		return 0, err
	}
	var plain strings.Builder
	for _, r := range req.Policy {
		if r != ' ' && r != '\n' && r != '\t' && r != '\r' {
			plain.WriteRune(r)
		}
	}
	for _, a := range req.PolicyArns {
		plain.WriteString("\x00" + a)
	}
	for _, t := range req.Tags {
		plain.WriteString("\x00" + t.Key + "\x00" + t.Value)
	}
	w.Write([]byte(plain.String()))
	w.Close()
	pct := (buf.Len()*100 + packedLimit - 1) / packedLimit
	if pct > 100 {
		return 0, awsproto.Errorf(http.StatusBadRequest, "PackedPolicyTooLarge",
			"Packed policy consumes %d%% of allotted space, please use smaller policy.", pct)
	}
	return pct, nil
}

func (s *Service) assumedRoleARN(role, session string) string {
	return fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", s.env.AccountID, role, session)
}

// lookupSession resolves temporary credentials. A session whose role was
// deleted is unknown; an expired one is returned with its expiry, which
// sigv4.Verify turns into ExpiredToken.
func (s *Service) lookupSession(ctx context.Context, id string) (cachedKey, bool, error) {
	q := s.env.DB.Read()
	sess, ok, err := sessionByID(ctx, q, id)
	if err != nil || !ok {
		return cachedKey{}, false, err
	}
	role, ok, err := roleByID(ctx, q, sess.roleID)
	if err != nil || !ok {
		return cachedKey{}, false, err
	}
	p := s.sessionPrincipal(role, sess.name, sess.tags)
	p.AccessKeyID, p.SourceIdentity = sess.id, sess.sourceIdentity
	return cachedKey{p: p, key: sigv4.Key{Secret: sess.secret, SessionToken: sess.token, Expires: sess.expires}}, true, nil
}

// sessionPrincipal is who a session of role acts as: the role's tags
// merged with the session's, the session's winning on a key in any case.
func (s *Service) sessionPrincipal(role roleRow, name string, sessionTags []Tag) identity.Principal {
	var tags map[string]string
	if n := len(role.tags) + len(sessionTags); n > 0 {
		tags = make(map[string]string, n)
		spelled := map[string]string{}
		for _, t := range append(append([]Tag(nil), role.tags...), sessionTags...) {
			lk := strings.ToLower(t.Key)
			if old, ok := spelled[lk]; ok {
				delete(tags, old)
			}
			spelled[lk] = t.Key
			tags[t.Key] = t.Value
		}
	}
	return identity.Principal{Type: identity.AssumedRole, ARN: s.assumedRoleARN(role.name, name), AccountID: s.env.AccountID,
		PrincipalID: role.id + ":" + name, Tags: tags, RoleARN: s.roleARN(role.path, role.name), SessionName: name}
}

// RolePrincipal returns the principal of a session of the role roleArn
// names, without credentials, for a service that acts with a role (a
// state machine's or a rule target's RoleArn). It checks no trust policy:
// the caller has already decided the service may use the role.
func (s *Service) RolePrincipal(ctx context.Context, roleArn, sessionName string) (identity.Principal, error) {
	if err := s.init(ctx); err != nil {
		return identity.Principal{}, err
	}
	if broken := sessionNameRule.broken(sessionName); len(broken) > 0 {
		return identity.Principal{}, fmt.Errorf("role session name %q: %s", sessionName, strings.Join(broken, "; "))
	}
	r, err := s.roleByARN(ctx, s.env.DB.Read(), roleArn)
	if err != nil {
		return identity.Principal{}, err
	}
	return s.sessionPrincipal(r, sessionName, nil), nil
}
