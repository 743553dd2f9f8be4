package iam

import (
	"context"
	"net/http"
	"strings"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/store"
)

// Inline policies, attached managed policies and permissions boundaries
// of users, groups and roles. One implementation serves the three kinds;
// the action name says which (PutUserPolicy, AttachRolePolicy, ...).

// decodeEntity decodes an entity operation and checks the entity's name;
// long says whether the model allows user names up to 128 characters.
func decodeEntity(call *awsproto.Call, long bool, more func(in *entityPolicyInput, v *violations)) (entityType, string, *entityPolicyInput, error) {
	in := &entityPolicyInput{}
	if err := call.Decode(in); err != nil {
		return "", "", nil, err
	}
	t, name, field := entityOf(call.Action, in)
	var v violations
	v.must(field, name, nameRule(t, long))
	if more != nil {
		more(in, &v)
	}
	if err := v.err(); err != nil {
		return "", "", nil, err
	}
	return t, *name, in, nil
}

func noSuchInline(t entityType, name string) error {
	return awsproto.Errorf(http.StatusNotFound, "NoSuchEntity", "The %s policy with name %s cannot be found.", t, name)
}

func (s *Service) putInlinePolicy(ctx context.Context, call *awsproto.Call) error {
	t, name, in, err := decodeEntity(call, true, func(in *entityPolicyInput, v *violations) {
		v.must("policyName", in.PolicyName, policyNameRule)
		v.must("policyDocument", in.PolicyDocument, policyDocRule)
	})
	if err != nil {
		return err
	}
	if _, err := checkPolicy(*in.PolicyDocument, identityDoc); err != nil {
		return err
	}
	return s.write(ctx, func(tx *store.Tx) error {
		e, err := s.useEntity(ctx, tx, call, t, name)
		if err != nil {
			return err
		}
		have, err := inlinePolicies(ctx, tx, t, e.id)
		if err != nil {
			return err
		}
		size := policySize(*in.PolicyDocument)
		for _, p := range have {
			if !strings.EqualFold(p.name, *in.PolicyName) {
				size += policySize(p.document)
			}
		}
		if q := inlineQuota[t]; size > q.size {
			return limitExceeded(q.name, q.size)
		}
		return putInline(ctx, tx, t, e.id, inlinePolicy{name: *in.PolicyName, document: *in.PolicyDocument})
	})
}

func (s *Service) getInlinePolicy(ctx context.Context, call *awsproto.Call) (*GetInlinePolicyResult, error) {
	t, name, in, err := decodeEntity(call, true, func(in *entityPolicyInput, v *violations) {
		v.must("policyName", in.PolicyName, policyNameRule)
	})
	if err != nil {
		return nil, err
	}
	q := s.env.DB.Read()
	e, err := s.useEntity(ctx, q, call, t, name)
	if err != nil {
		return nil, err
	}
	have, err := inlinePolicies(ctx, q, t, e.id)
	if err != nil {
		return nil, err
	}
	for _, p := range have {
		if strings.EqualFold(p.name, *in.PolicyName) {
			res := &GetInlinePolicyResult{PolicyName: p.name, PolicyDocument: encodeDocument(p.document)}
			switch t {
			case entUser:
				res.UserName = e.name
			case entGroup:
				res.GroupName = e.name
			case entRole:
				res.RoleName = e.name
			}
			return res, nil
		}
	}
	return nil, noSuchInline(t, *in.PolicyName)
}

func (s *Service) deleteInlinePolicy(ctx context.Context, call *awsproto.Call) error {
	t, name, in, err := decodeEntity(call, true, func(in *entityPolicyInput, v *violations) {
		v.must("policyName", in.PolicyName, policyNameRule)
	})
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *store.Tx) error {
		e, err := s.useEntity(ctx, tx, call, t, name)
		if err != nil {
			return err
		}
		if ok, err := deleteInline(ctx, tx, t, e.id, *in.PolicyName); err != nil {
			return err
		} else if !ok {
			return noSuchInline(t, *in.PolicyName)
		}
		return nil
	})
}

func (s *Service) listInlinePolicies(ctx context.Context, call *awsproto.Call) (*ListInlinePoliciesResult, error) {
	t, name, in, err := decodeEntity(call, true, func(in *entityPolicyInput, v *violations) {
		v.paging(in.Marker, in.MaxItems)
	})
	if err != nil {
		return nil, err
	}
	p, err := readOffsetPage('i', in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	q := s.env.DB.Read()
	e, err := s.useEntity(ctx, q, call, t, name)
	if err != nil {
		return nil, err
	}
	have, err := inlinePolicies(ctx, q, t, e.id)
	if err != nil {
		return nil, err
	}
	have, next := cut(have, p)
	names := collect(have, func(ip inlinePolicy) string { return ip.name })
	return &ListInlinePoliciesResult{PolicyNames: names, IsTruncated: next != "", Marker: next}, nil
}

func (s *Service) attachPolicy(ctx context.Context, call *awsproto.Call) error {
	t, name, in, err := decodeEntity(call, false, func(in *entityPolicyInput, v *violations) {
		v.must("policyArn", in.PolicyArn, arnRule)
	})
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *store.Tx) error {
		e, err := findEntity(ctx, tx, t, name)
		if err != nil {
			return err
		}
		ref, err := s.findPolicy(ctx, tx, *in.PolicyArn)
		if err != nil {
			return err
		}
		call.AddResource(entityResource(t), s.entityARN(e))
		call.AddResource(resPolicy, ref.arn)
		have, err := attachedARNs(ctx, tx, t, e.id)
		if err != nil {
			return err
		}
		for _, a := range have {
			if a == ref.arn {
				return nil // attaching twice changes nothing
			}
		}
		if len(have) >= maxAttachedPolicies {
			return limitExceeded(attachQuota[t], maxAttachedPolicies)
		}
		return attach(ctx, tx, t, e.id, ref.arn, s.now())
	})
}

func (s *Service) detachPolicy(ctx context.Context, call *awsproto.Call) error {
	t, name, in, err := decodeEntity(call, false, func(in *entityPolicyInput, v *violations) {
		v.must("policyArn", in.PolicyArn, arnRule)
	})
	if err != nil {
		return err
	}
	if _, _, _, err := parsePolicyARN(*in.PolicyArn); err != nil {
		return err
	}
	return s.write(ctx, func(tx *store.Tx) error {
		e, err := s.useEntity(ctx, tx, call, t, name)
		if err != nil {
			return err
		}
		call.AddResource(resPolicy, *in.PolicyArn)
		if ok, err := detach(ctx, tx, t, e.id, *in.PolicyArn); err != nil {
			return err
		} else if !ok {
			return awsproto.Errorf(http.StatusNotFound, "NoSuchEntity", "Policy %s was not found.", *in.PolicyArn)
		}
		return nil
	})
}

func (s *Service) listAttachedPolicies(ctx context.Context, call *awsproto.Call) (*ListAttachedPoliciesResult, error) {
	t, name, in, err := decodeEntity(call, false, func(in *entityPolicyInput, v *violations) {
		v.str("pathPrefix", in.PathPrefix, policyPathRule)
		v.paging(in.Marker, in.MaxItems)
	})
	if err != nil {
		return nil, err
	}
	p, err := readOffsetPage('a', in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	q := s.env.DB.Read()
	e, err := s.useEntity(ctx, q, call, t, name)
	if err != nil {
		return nil, err
	}
	arns, err := attachedARNs(ctx, q, t, e.id)
	if err != nil {
		return nil, err
	}
	var list []AttachedPolicy
	for _, a := range arns {
		_, path, pname, err := parsePolicyARN(a)
		if err != nil {
			continue // only valid ARNs are ever stored
		}
		if in.PathPrefix != nil && !strings.HasPrefix(path, *in.PathPrefix) {
			continue
		}
		list = append(list, AttachedPolicy{PolicyName: pname, PolicyARN: a})
	}
	list, next := cut(list, p)
	return &ListAttachedPoliciesResult{AttachedPolicies: append(members[AttachedPolicy]{}, list...), IsTruncated: next != "", Marker: next}, nil
}

// putBoundary runs Put{User,Role}PermissionsBoundary and (remove=true)
// Delete{User,Role}PermissionsBoundary.
func (s *Service) putBoundary(ctx context.Context, call *awsproto.Call, remove bool) error {
	t, name, in, err := decodeEntity(call, false, func(in *entityPolicyInput, v *violations) {
		if !remove {
			v.must("permissionsBoundary", in.PermissionsBoundary, arnRule)
		}
	})
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *store.Tx) error {
		e, err := s.useEntity(ctx, tx, call, t, name)
		if err != nil {
			return err
		}
		boundary := ""
		if !remove {
			if boundary, err = s.checkBoundary(ctx, tx, in.PermissionsBoundary); err != nil {
				return err
			}
			call.AddResource(resPolicy, boundary)
		}
		table := "iam_users"
		if t == entRole {
			table = "iam_roles"
		}
		return exec(ctx, tx, "set permissions boundary", `UPDATE `+table+` SET boundary = ? WHERE id = ?`, boundary, e.id)
	})
}
