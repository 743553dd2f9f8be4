package iam

import (
	"context"
	"strings"
	"sync"

	"github.com/vigilsec/vigil/internal/identity"
)

// The policies that govern a principal, for the front door's policy
// evaluation.

// Policy sources, as SimulatePrincipalPolicy's SourcePolicyType names
// them, plus "session" for session policies.
const (
	SourceUser        = "user"  // inline policy of a user
	SourceGroup       = "group" // inline policy of a group
	SourceRole        = "role"  // inline policy of a role
	SourceAWSManaged  = "aws-managed"
	SourceUserManaged = "user-managed" // the account's own managed policy
	SourceSession     = "session"
)

// PolicyDoc is one policy document and where it comes from.
type PolicyDoc struct {
	Type      string // one of the Source constants
	Name      string // the inline policy's name, or the managed policy's
	ARN       string // managed policies only
	VersionID string // managed policies: the default version read
	// Owner is the user, group or role the policy is embedded in or
	// attached to ("" for session policies and boundaries).
	Owner    string
	Document []byte // the JSON as stored; callers must not modify it
}

// Policies are the documents that decide what a principal may do.
type Policies struct {
	// Identity holds the principal's identity-based policies: for a user,
	// its inline and attached policies and those of its groups; for a
	// role session, the role's inline and attached policies.
	Identity []PolicyDoc
	// Boundary is the user's or role's permissions boundary, if any.
	Boundary *PolicyDoc
	// Session holds the session policies passed to AssumeRole (the inline
	// Policy first, then PolicyArns). When HasSessionPolicy is true, the
	// session may do only what these allow, together.
	Session          []PolicyDoc
	HasSessionPolicy bool
}

// PrincipalPolicies returns the policies of p. The root user and service
// principals have none (the evaluator treats them by their type); a user
// or role that no longer exists has none either.
func (s *Service) PrincipalPolicies(ctx context.Context, p identity.Principal) (Policies, error) {
	if p.Type != identity.IAMUser && p.Type != identity.AssumedRole {
		return Policies{}, nil
	}
	if err := s.init(ctx); err != nil {
		return Policies{}, err
	}
	key := p.Type + "\x00" + p.PrincipalID + "\x00" + p.AccessKeyID
	v, ok, gen := s.policies.get(key)
	if ok {
		return v, nil
	}
	var out Policies
	var err error
	if p.Type == identity.IAMUser {
		out, err = s.userPolicies(ctx, p.PrincipalID)
	} else {
		out, err = s.sessionPolicies(ctx, p)
	}
	if err != nil {
		return Policies{}, err
	}
	s.policies.put(key, out, gen)
	return out, nil
}

func (s *Service) userPolicies(ctx context.Context, userID string) (Policies, error) {
	q := s.env.DB.Read()
	u, ok, err := userByID(ctx, q, userID)
	if err != nil || !ok {
		return Policies{}, err
	}
	var out Policies
	if out.Identity, err = s.entityDocs(ctx, q, entUser, u.id, u.name); err != nil {
		return Policies{}, err
	}
	groups, err := groupsOfUser(ctx, q, u.id)
	if err != nil {
		return Policies{}, err
	}
	for _, g := range groups {
		docs, err := s.entityDocs(ctx, q, entGroup, g.id, g.name)
		if err != nil {
			return Policies{}, err
		}
		out.Identity = append(out.Identity, docs...)
	}
	out.Boundary, err = s.boundaryDoc(ctx, q, u.boundary)
	return out, err
}

func (s *Service) sessionPolicies(ctx context.Context, p identity.Principal) (Policies, error) {
	q := s.env.DB.Read()
	roleID, _, _ := strings.Cut(p.PrincipalID, ":")
	r, ok, err := roleByID(ctx, q, roleID)
	if err != nil || !ok {
		return Policies{}, err
	}
	var out Policies
	if out.Identity, err = s.entityDocs(ctx, q, entRole, r.id, r.name); err != nil {
		return Policies{}, err
	}
	if out.Boundary, err = s.boundaryDoc(ctx, q, r.boundary); err != nil {
		return Policies{}, err
	}
	if !strings.HasPrefix(p.AccessKeyID, "ASIA") {
		return out, nil // a service acting with the role: no session policy
	}
	sess, ok, err := sessionByID(ctx, q, p.AccessKeyID)
	if err != nil || !ok {
		return out, err
	}
	if sess.policy != "" {
		out.HasSessionPolicy = true
		out.Session = append(out.Session, PolicyDoc{Type: SourceSession, Name: "SessionPolicy", Document: []byte(sess.policy)})
	}
	for _, a := range sess.policyARNs {
		out.HasSessionPolicy = true
		ref, err := s.findPolicy(ctx, q, a)
		if err != nil {
			continue // deleted since: it allows nothing any more
		}
		d, err := s.managedDoc(ctx, q, ref, "")
		if err != nil {
			return Policies{}, err
		}
		d.Type = SourceSession
		out.Session = append(out.Session, d)
	}
	return out, nil
}

// entityDocs returns an entity's inline policies, then its attached ones.
func (s *Service) entityDocs(ctx context.Context, q querier, t entityType, id, name string) ([]PolicyDoc, error) {
	inline, err := inlinePolicies(ctx, q, t, id)
	if err != nil {
		return nil, err
	}
	var out []PolicyDoc
	for _, p := range inline {
		out = append(out, PolicyDoc{Type: string(t), Name: p.name, Owner: name, Document: []byte(p.document)})
	}
	arns, err := attachedARNs(ctx, q, t, id)
	if err != nil {
		return nil, err
	}
	for _, a := range arns {
		ref, err := s.findPolicy(ctx, q, a)
		if err != nil {
			continue // attachments of deleted policies cannot exist; skip rather than fail
		}
		d, err := s.managedDoc(ctx, q, ref, name)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

func (s *Service) managedDoc(ctx context.Context, q querier, ref managedRef, owner string) (PolicyDoc, error) {
	doc, err := defaultDocument(ctx, q, ref.row)
	if err != nil {
		return PolicyDoc{}, err
	}
	typ := SourceUserManaged
	if ref.row.aws {
		typ = SourceAWSManaged
	}
	return PolicyDoc{Type: typ, Name: ref.row.name, ARN: ref.arn, VersionID: versionID(ref.row.defaultVersion),
		Owner: owner, Document: []byte(doc)}, nil
}

func (s *Service) boundaryDoc(ctx context.Context, q querier, boundary string) (*PolicyDoc, error) {
	if boundary == "" {
		return nil, nil
	}
	ref, err := s.findPolicy(ctx, q, boundary)
	if err != nil {
		// A policy in use as a boundary cannot be deleted, so this does
		// not happen; if it did, the boundary would allow nothing.
		return &PolicyDoc{Type: SourceUserManaged, ARN: boundary, Document: []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`)}, nil
	}
	d, err := s.managedDoc(ctx, q, ref, "")
	return &d, err
}

// genCache is a map emptied by every IAM write; the generation stops a
// reader that looked before a write from storing what it read after the
// write emptied the map.
type genCache[V any] struct {
	mu  sync.Mutex
	gen uint64
	m   map[string]V
}

// maxCached bounds a genCache; when full it is emptied.
const maxCached = 10000

func (c *genCache[V]) get(k string) (V, bool, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok, c.gen
}

func (c *genCache[V]) put(k string, v V, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if c.m == nil || len(c.m) >= maxCached {
		c.m = map[string]V{}
	}
	c.m[k] = v
}

func (c *genCache[V]) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.m)
}
