package iam

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/store"
)

// Managed policies and their versions.

func (s *Service) policyOut(p policyRow, u policyUse, full bool) Policy {
	out := Policy{PolicyName: p.name, PolicyID: p.id, ARN: p.arn, Path: p.path, DefaultVersionID: versionID(p.defaultVersion),
		AttachmentCount: u.attachments, PermissionsBoundaryUsageCount: u.boundaries, IsAttachable: true,
		CreateDate: awsproto.ISOTime(p.created), UpdateDate: awsproto.ISOTime(p.updated)}
	if full {
		out.Description = p.description
		out.Tags = p.tags
	}
	return out
}

// checkManagedDocument validates a managed policy version's document.
func checkManagedDocument(doc string) error {
	if _, err := checkPolicy(doc, identityDoc); err != nil {
		return err
	}
	if policySize(doc) > maxManagedSize {
		return limitExceeded("PolicySize", maxManagedSize)
	}
	return nil
}

func (s *Service) createPolicy(ctx context.Context, call *awsproto.Call) (*PolicyResult, error) {
	var in createPolicyInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var v violations
	v.must("policyName", in.PolicyName, policyNameRule)
	v.str("path", in.Path, policyPathRule)
	v.must("policyDocument", in.PolicyDocument, policyDocRule)
	v.str("description", in.Description, policyDescRule)
	v.tags(in.Tags)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := checkDuplicateTags(in.Tags); err != nil {
		return nil, err
	}
	if err := checkManagedDocument(*in.PolicyDocument); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	p := policyRow{id: newPolicyID(), name: *in.PolicyName, path: "/", description: deref(in.Description),
		created: now, updated: now, defaultVersion: 1, nextVersion: 2, tags: toTags(in.Tags)}
	if in.Path != nil {
		p.path = *in.Path
	}
	p.arn = s.policyARN(p.path, p.name)
	err := s.write(ctx, func(tx *store.Tx) error {
		err := nameFree(ctx, tx, p.name, localPolicyByName, "A policy called %s already exists. Duplicate names are not allowed.")
		if err != nil {
			return err
		}
		if err := underQuota(ctx, tx, "PoliciesPerAccount", maxPoliciesPerAcct, `SELECT count(*) FROM iam_policies`); err != nil {
			return err
		}
		return insertPolicy(ctx, tx, p, *in.PolicyDocument)
	})
	if err != nil {
		return nil, err
	}
	call.AddResource(resPolicy, p.arn)
	return &PolicyResult{Policy: s.policyOut(p, policyUse{}, true)}, nil
}

// decodePolicyARN decodes an operation on one managed policy and checks
// its PolicyArn, plus whatever more adds.
func decodePolicyARN(call *awsproto.Call, in *policyInput, more func(v *violations)) error {
	if err := call.Decode(in); err != nil {
		return err
	}
	var v violations
	v.must("policyArn", in.PolicyArn, arnRule)
	if more != nil {
		more(&v)
	}
	return v.err()
}

// lookupPolicy finds a policy for the operations that read or change it,
// which say "not found" where attaching says "not attachable".
func (s *Service) lookupPolicy(ctx context.Context, q querier, call *awsproto.Call, policyARN string) (managedRef, error) {
	ref, err := s.findPolicy(ctx, q, policyARN)
	var e *awsproto.Error
	if errors.As(err, &e) && e.Code == "NoSuchEntity" {
		return managedRef{}, awsproto.Errorf(http.StatusNotFound, "NoSuchEntity", "Policy %s was not found.", policyARN)
	}
	if err != nil {
		return managedRef{}, err
	}
	call.AddResource(resPolicy, ref.arn)
	return ref, nil
}

// changePolicy runs fn inside a write transaction on the policy named by
// policyARN, which must be one of the account's: AWS-managed policies
// cannot be changed.
func (s *Service) changePolicy(ctx context.Context, call *awsproto.Call, policyARN string,
	fn func(tx *store.Tx, ref managedRef) error) error {
	return s.write(ctx, func(tx *store.Tx) error {
		ref, err := s.lookupPolicy(ctx, tx, call, policyARN)
		if err != nil {
			return err
		}
		if ref.row.aws {
			return invalidInput("The AWS managed policy %s cannot be changed.", ref.arn)
		}
		return fn(tx, ref)
	})
}

func (s *Service) getPolicy(ctx context.Context, call *awsproto.Call) (*PolicyResult, error) {
	var in policyInput
	if err := decodePolicyARN(call, &in, nil); err != nil {
		return nil, err
	}
	q := s.env.DB.Read()
	ref, err := s.lookupPolicy(ctx, q, call, *in.PolicyArn)
	if err != nil {
		return nil, err
	}
	use, err := policyUseOf(ctx, q, ref.arn)
	if err != nil {
		return nil, err
	}
	return &PolicyResult{Policy: s.policyOut(ref.row, use, true)}, nil
}

var (
	scopes       = map[string]bool{"All": true, "AWS": true, "Local": true}
	usageFilters = map[string]bool{"PermissionsPolicy": true, "PermissionsBoundary": true}
)

func (v *violations) enum(field string, s *string, allowed map[string]bool, list string) {
	if s != nil && !allowed[*s] {
		v.add(*s, field, "Member must satisfy enum value set: ["+list+"]")
	}
}

func (s *Service) listPolicies(ctx context.Context, call *awsproto.Call) (*ListPoliciesResult, error) {
	var in listPoliciesInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var v violations
	v.enum("scope", in.Scope, scopes, "All, AWS, Local")
	v.str("pathPrefix", in.PathPrefix, policyPathRule)
	v.enum("policyUsageFilter", in.PolicyUsageFilter, usageFilters, "PermissionsPolicy, PermissionsBoundary")
	v.paging(in.Marker, in.MaxItems)
	if err := v.err(); err != nil {
		return nil, err
	}
	pg, err := readOffsetPage('P', in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	prefix, scope := "/", "All"
	if in.PathPrefix != nil {
		prefix = *in.PathPrefix
	}
	if in.Scope != nil {
		scope = *in.Scope
	}
	q := s.env.DB.Read()
	var all []policyRow
	if scope != "AWS" {
		if all, err = localPolicies(ctx, q, prefix); err != nil {
			return nil, err
		}
		for i := range all {
			all[i].arn = s.policyARN(all[i].path, all[i].name)
		}
	}
	if scope != "Local" {
		all = append(all, builtinList(prefix)...)
	}
	sort.SliceStable(all, func(i, j int) bool { return strings.ToLower(all[i].name) < strings.ToLower(all[j].name) })
	uses, err := policyUses(ctx, q)
	if err != nil {
		return nil, err
	}
	var out []Policy
	for _, p := range all {
		u := uses[p.arn]
		usage := deref(in.PolicyUsageFilter)
		if (in.OnlyAttached.Value || usage == "PermissionsPolicy") && u.attachments == 0 ||
			usage == "PermissionsBoundary" && u.boundaries == 0 {
			continue
		}
		out = append(out, s.policyOut(p, u, false))
	}
	out, next := cut(out, pg)
	return &ListPoliciesResult{Policies: append(members[Policy]{}, out...), IsTruncated: next != "", Marker: next}, nil
}

func (s *Service) deletePolicy(ctx context.Context, call *awsproto.Call) error {
	var in policyInput
	if err := decodePolicyARN(call, &in, nil); err != nil {
		return err
	}
	return s.changePolicy(ctx, call, *in.PolicyArn, func(tx *store.Tx, ref managedRef) error {
		use, err := policyUseOf(ctx, tx, ref.arn)
		if err != nil {
			return err
		}
		if use.attachments+use.boundaries > 0 {
			return deleteConflict("Cannot delete a policy attached to entities.")
		}
		if n, err := count(ctx, tx, `SELECT count(*) FROM iam_policy_versions WHERE policy_id = ?`, ref.row.id); err != nil {
			return err
		} else if n > 1 {
			return deleteConflict("This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
		}
		return deletePolicy(ctx, tx, ref.row.id)
	})
}

func (s *Service) createPolicyVersion(ctx context.Context, call *awsproto.Call) (*PolicyVersionResult, error) {
	var in policyInput
	err := decodePolicyARN(call, &in, func(v *violations) { v.must("policyDocument", in.PolicyDocument, policyDocRule) })
	if err != nil {
		return nil, err
	}
	if err := checkManagedDocument(*in.PolicyDocument); err != nil {
		return nil, err
	}
	var out PolicyVersion
	err = s.changePolicy(ctx, call, *in.PolicyArn, func(tx *store.Tx, ref managedRef) error {
		p := ref.row
		if n, err := count(ctx, tx, `SELECT count(*) FROM iam_policy_versions WHERE policy_id = ?`, p.id); err != nil {
			return err
		} else if n >= maxPolicyVersions {
			return awsproto.Errorf(http.StatusConflict, "LimitExceeded",
				"A managed policy can have up to %d versions. Before you create a new version, you must delete an existing version.", maxPolicyVersions)
		}
		ver := versionRow{version: p.nextVersion, document: *in.PolicyDocument, created: s.now().UTC()}
		if err := insertVersion(ctx, tx, p.id, ver); err != nil {
			return err
		}
		p.nextVersion++
		p.updated = ver.created
		if in.SetAsDefault.Value {
			p.defaultVersion = ver.version
		}
		out = PolicyVersion{VersionID: versionID(ver.version), IsDefaultVersion: p.defaultVersion == ver.version, CreateDate: awsproto.ISOTime(ver.created)}
		return savePolicy(ctx, tx, p)
	})
	if err != nil {
		return nil, err
	}
	return &PolicyVersionResult{PolicyVersion: out}, nil
}

// parseVersionID reads "vN"; other forms the model allows name no stored version.
func parseVersionID(id string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(id, "v"))
	if err != nil || !strings.HasPrefix(id, "v") || n < 1 {
		return 0
	}
	return n
}

func noSuchVersion(policyARN, id string) error {
	return awsproto.Errorf(http.StatusNotFound, "NoSuchEntity", "Policy %s version %s does not exist or is not attachable.", policyARN, id)
}

// versionsOf returns a policy's versions, newest first.
func versionsOf(ctx context.Context, q querier, p policyRow) ([]versionRow, error) {
	if p.aws {
		return []versionRow{{version: 1, document: builtinDocs[p.name], created: p.created}}, nil
	}
	return localVersions(ctx, q, p.id)
}

func (s *Service) getPolicyVersion(ctx context.Context, call *awsproto.Call) (*PolicyVersionResult, error) {
	var in policyInput
	err := decodePolicyARN(call, &in, func(v *violations) { v.must("versionId", in.VersionId, versionIDRule) })
	if err != nil {
		return nil, err
	}
	q := s.env.DB.Read()
	ref, err := s.lookupPolicy(ctx, q, call, *in.PolicyArn)
	if err != nil {
		return nil, err
	}
	versions, err := versionsOf(ctx, q, ref.row)
	if err != nil {
		return nil, err
	}
	n := parseVersionID(*in.VersionId)
	for _, ver := range versions {
		if ver.version == n {
			return &PolicyVersionResult{PolicyVersion: PolicyVersion{Document: encodeDocument(ver.document), VersionID: versionID(n),
				IsDefaultVersion: n == ref.row.defaultVersion, CreateDate: awsproto.ISOTime(ver.created)}}, nil
		}
	}
	return nil, noSuchVersion(ref.arn, *in.VersionId)
}

func (s *Service) listPolicyVersions(ctx context.Context, call *awsproto.Call) (*ListPolicyVersionsResult, error) {
	var in policyInput
	err := decodePolicyARN(call, &in, func(v *violations) {
		v.paging(in.Marker, in.MaxItems)
	})
	if err != nil {
		return nil, err
	}
	pg, err := readOffsetPage('V', in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	q := s.env.DB.Read()
	ref, err := s.lookupPolicy(ctx, q, call, *in.PolicyArn)
	if err != nil {
		return nil, err
	}
	versions, err := versionsOf(ctx, q, ref.row)
	if err != nil {
		return nil, err
	}
	versions, next := cut(versions, pg)
	out := collect(versions, func(ver versionRow) PolicyVersion {
		return PolicyVersion{VersionID: versionID(ver.version), IsDefaultVersion: ver.version == ref.row.defaultVersion,
			CreateDate: awsproto.ISOTime(ver.created)}
	})
	return &ListPolicyVersionsResult{Versions: out, IsTruncated: next != "", Marker: next}, nil
}

// changeVersion runs DeletePolicyVersion and SetDefaultPolicyVersion.
func (s *Service) changeVersion(ctx context.Context, call *awsproto.Call, setDefault bool) error {
	var in policyInput
	err := decodePolicyARN(call, &in, func(v *violations) { v.must("versionId", in.VersionId, versionIDRule) })
	if err != nil {
		return err
	}
	return s.changePolicy(ctx, call, *in.PolicyArn, func(tx *store.Tx, ref managedRef) error {
		p, n := ref.row, parseVersionID(*in.VersionId)
		if _, ok, err := localVersion(ctx, tx, p.id, n); err != nil {
			return err
		} else if !ok {
			return noSuchVersion(ref.arn, *in.VersionId)
		}
		if setDefault {
			p.defaultVersion = n
			return savePolicy(ctx, tx, p)
		}
		if n == p.defaultVersion {
			return deleteConflict("Cannot delete the default version of a policy.")
		}
		return deleteVersion(ctx, tx, p.id, n)
	})
}

func (s *Service) tagPolicy(ctx context.Context, call *awsproto.Call, untag bool) error {
	var in policyInput
	err := decodePolicyARN(call, &in, func(v *violations) { v.tagChange(untag, in.Tags, in.TagKeys) })
	if err != nil {
		return err
	}
	if err := checkDuplicateTags(in.Tags); err != nil {
		return err
	}
	return s.changePolicy(ctx, call, *in.PolicyArn, func(tx *store.Tx, ref managedRef) error {
		p := ref.row
		var err error
		if p.tags, err = retag(p.tags, untag, in.Tags, in.TagKeys, "TagsPerPolicy"); err != nil {
			return err
		}
		return savePolicy(ctx, tx, p)
	})
}

func (s *Service) listPolicyTags(ctx context.Context, call *awsproto.Call) (*ListTagsResult, error) {
	var in policyInput
	if err := decodePolicyARN(call, &in, func(v *violations) { v.paging(in.Marker, in.MaxItems) }); err != nil {
		return nil, err
	}
	pg, err := readOffsetPage('t', in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	ref, err := s.lookupPolicy(ctx, s.env.DB.Read(), call, *in.PolicyArn)
	if err != nil {
		return nil, err
	}
	return tagPage(ref.row.tags, pg), nil
}

var entityFilters = map[string]bool{"User": true, "Role": true, "Group": true, "LocalManagedPolicy": true, "AWSManagedPolicy": true}

func (s *Service) listEntitiesForPolicy(ctx context.Context, call *awsproto.Call) (*ListEntitiesForPolicyResult, error) {
	var in policyInput
	err := decodePolicyARN(call, &in, func(v *violations) {
		v.enum("entityFilter", in.EntityFilter, entityFilters, "User, Role, Group, LocalManagedPolicy, AWSManagedPolicy")
		v.str("pathPrefix", in.PathPrefix, pathRule)
		v.enum("policyUsageFilter", in.PolicyUsageFilter, usageFilters, "PermissionsPolicy, PermissionsBoundary")
		v.paging(in.Marker, in.MaxItems)
	})
	if err != nil {
		return nil, err
	}
	pg, err := readOffsetPage('E', in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	q := s.env.DB.Read()
	ref, err := s.lookupPolicy(ctx, q, call, *in.PolicyArn)
	if err != nil {
		return nil, err
	}
	var ents []attachedEntity
	usage := deref(in.PolicyUsageFilter)
	for _, boundary := range []bool{false, true} {
		if usage == "PermissionsPolicy" && boundary || usage == "PermissionsBoundary" && !boundary {
			continue
		}
		e, err := entitiesWith(ctx, q, ref.arn, boundary)
		if err != nil {
			return nil, err
		}
		ents = append(ents, e...)
	}
	want := map[string]entityType{"User": entUser, "Role": entRole, "Group": entGroup}
	var kept []attachedEntity
	for _, e := range ents {
		if f := deref(in.EntityFilter); f != "" && want[f] != e.typ {
			continue
		}
		if in.PathPrefix != nil && !strings.HasPrefix(e.path, *in.PathPrefix) {
			continue
		}
		kept = append(kept, e)
	}
	kept, next := cut(kept, pg)
	res := &ListEntitiesForPolicyResult{PolicyGroups: members[PolicyGroup]{}, PolicyUsers: members[PolicyUser]{},
		PolicyRoles: members[PolicyRole]{}, IsTruncated: next != "", Marker: next}
	for _, e := range kept {
		switch e.typ {
		case entUser:
			res.PolicyUsers = append(res.PolicyUsers, PolicyUser{UserName: e.name, UserID: e.id})
		case entGroup:
			res.PolicyGroups = append(res.PolicyGroups, PolicyGroup{GroupName: e.name, GroupID: e.id})
		case entRole:
			res.PolicyRoles = append(res.PolicyRoles, PolicyRole{RoleName: e.name, RoleID: e.id})
		}
	}
	return res, nil
}
