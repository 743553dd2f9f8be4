package iam

import (
	"context"
	"time"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/store"
)

// newKey returns a new active key for a user (empty for root).
func newKey(userID string, now time.Time) keyRow {
	return keyRow{id: newAccessKeyID(), userID: userID, secret: newSecret(), status: statusActive, created: now.UTC()}
}

// keyResources records the key (by id: access keys have no ARN, and the
// id is what CloudTrail lists as the resource name) and its owner.
func (s *Service) keyResources(call *awsproto.Call, keyID string, o owner) {
	call.AddResource(resAccessKey, keyID)
	call.AddResource(resUser, s.ownerARN(o))
}

// ownerARN is the ARN of a key's owner.
func (s *Service) ownerARN(o owner) string {
	if o.root {
		return s.rootARN()
	}
	return s.userARN(o.user.path, o.user.name)
}

// metadata describes one of o's keys without its secret.
func (o owner) metadata(k keyRow) AccessKeyMetadata {
	return AccessKeyMetadata{UserName: o.name(), AccessKeyID: k.id, Status: k.status, CreateDate: awsproto.ISOTime(k.created)}
}

func (s *Service) createAccessKey(ctx context.Context, call *awsproto.Call) (*CreateAccessKeyResult, error) {
	name, err := decodeUserName(call, false)
	if err != nil {
		return nil, err
	}
	var k keyRow
	var o owner
	err = s.write(ctx, func(tx *store.Tx) error {
		var err error
		if o, err = s.resolveOwner(ctx, tx, call.Caller, name); err != nil {
			return err
		}
		have, err := keysOf(ctx, tx, o.id())
		if err != nil {
			return err
		}
		if len(have) >= maxKeysPerUser {
			return limitExceeded("AccessKeysPerUser", maxKeysPerUser)
		}
		k = newKey(o.id(), s.now())
		return insertKey(ctx, tx, k)
	})
	if err != nil {
		return nil, err
	}
	s.keyResources(call, k.id, o)
	res := &CreateAccessKeyResult{AccessKey: AccessKey{UserName: o.name(), AccessKeyID: k.id, Status: k.status,
		SecretAccessKey: k.secret, CreateDate: awsproto.ISOTime(k.created)}}
	// The audit trail gets everything but the secret.
	call.AuditResponse = createAccessKeyAudit{AccessKey: o.metadata(k)}
	return res, nil
}

func (s *Service) listAccessKeys(ctx context.Context, call *awsproto.Call) (*ListAccessKeysResult, error) {
	var in listAccessKeysInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var v violations
	v.str("userName", in.UserName, existingUserNameRule)
	v.paging(in.Marker, in.MaxItems)
	if err := v.err(); err != nil {
		return nil, err
	}
	p, err := readOffsetPage('k', in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	q := s.env.DB.Read()
	o, err := s.resolveOwner(ctx, q, call.Caller, in.UserName)
	if err != nil {
		return nil, err
	}
	keys, err := keysOf(ctx, q, o.id())
	if err != nil {
		return nil, err
	}
	keys, next := cut(keys, p)
	call.AddResource(resUser, s.ownerARN(o))
	return &ListAccessKeysResult{AccessKeyMetadata: collect(keys, o.metadata), IsTruncated: next != "", Marker: next}, nil
}

// ownedKey finds, inside tx, the key id that belongs to the named user or
// the caller. A key of anyone else is "not found", as in AWS.
func (s *Service) ownedKey(ctx context.Context, tx *store.Tx, call *awsproto.Call, userName *string, id string) (keyRow, owner, error) {
	o, err := s.resolveOwner(ctx, tx, call.Caller, userName)
	if err != nil {
		return keyRow{}, owner{}, err
	}
	k, ok, err := keyByID(ctx, tx, id)
	if err != nil {
		return keyRow{}, owner{}, err
	}
	if !ok || k.userID != o.id() {
		return keyRow{}, owner{}, noSuchKey(id)
	}
	s.keyResources(call, k.id, o)
	return k, o, nil
}

func (s *Service) deleteAccessKey(ctx context.Context, call *awsproto.Call) error {
	var in accessKeyInput
	if err := call.Decode(&in); err != nil {
		return err
	}
	var v violations
	v.str("userName", in.UserName, existingUserNameRule)
	v.must("accessKeyId", in.AccessKeyID, accessKeyIDRule)
	if err := v.err(); err != nil {
		return err
	}
	err := s.write(ctx, func(tx *store.Tx) error {
		k, _, err := s.ownedKey(ctx, tx, call, in.UserName, *in.AccessKeyID)
		if err != nil {
			return err
		}
		return deleteKey(ctx, tx, k.id)
	})
	if err == nil {
		s.usesMu.Lock()
		delete(s.uses, *in.AccessKeyID)
		s.usesMu.Unlock()
	}
	return err
}

func (s *Service) updateAccessKey(ctx context.Context, call *awsproto.Call) error {
	var in updateAccessKeyInput
	if err := call.Decode(&in); err != nil {
		return err
	}
	var v violations
	v.str("userName", in.UserName, existingUserNameRule)
	v.must("accessKeyId", in.AccessKeyID, accessKeyIDRule)
	v.status(in.Status)
	if err := v.err(); err != nil {
		return err
	}
	return s.write(ctx, func(tx *store.Tx) error {
		k, _, err := s.ownedKey(ctx, tx, call, in.UserName, *in.AccessKeyID)
		if err != nil {
			return err
		}
		if k.status == *in.Status {
			return nil
		}
		return setKeyStatus(ctx, tx, k.id, *in.Status)
	})
}

func (s *Service) getAccessKeyLastUsed(ctx context.Context, call *awsproto.Call) (*GetAccessKeyLastUsedResult, error) {
	var in lastUsedInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var v violations
	v.must("accessKeyId", in.AccessKeyID, accessKeyIDRule)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.Flush(ctx); err != nil {
		return nil, err
	}
	k, ok, err := keyByID(ctx, s.env.DB.Read(), *in.AccessKeyID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, noSuchKey(*in.AccessKeyID)
	}
	call.AddResource(resAccessKey, k.id)
	used := &AccessKeyLastUsed{ServiceName: "N/A", Region: "N/A"}
	if !k.lastUsed.IsZero() {
		at := awsproto.ISOTime(k.lastUsed)
		used = &AccessKeyLastUsed{LastUsedDate: &at, ServiceName: k.lastService, Region: k.lastRegion}
	}
	return &GetAccessKeyLastUsedResult{UserName: k.userName, AccessKeyLastUsed: used}, nil
}
