package iam

import (
	"context"
	"strings"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/store"
)

func (s *Service) tagUser(ctx context.Context, call *awsproto.Call) error {
	var in tagUserInput
	if err := call.Decode(&in); err != nil {
		return err
	}
	var v violations
	v.must("userName", in.UserName, existingUserNameRule)
	v.tagChange(false, in.Tags, nil)
	if err := v.err(); err != nil {
		return err
	}
	if err := checkDuplicateTags(in.Tags); err != nil {
		return err
	}
	if err := checkReservedTags(in.Tags); err != nil {
		return err
	}
	return s.withUser(ctx, call, *in.UserName, func(tx *store.Tx, u userRow) error {
		tags, err := retag(u.tags, false, in.Tags, nil, "TagsPerUser")
		if err != nil {
			return err
		}
		return setUserTags(ctx, tx, u.id, tags)
	})
}

// checkReservedTags rejects tag keys in the aws: namespace, which AWS
// keeps for the tags its services set (in any letter case).
func checkReservedTags(tags list[tagInput]) error {
	for _, t := range tags {
		if k := deref(t.Key); len(k) >= 4 && strings.EqualFold(k[:4], "aws:") {
			return invalidInput("Tag key %s is not valid: keys starting with aws: are reserved for use by AWS.", k)
		}
	}
	return nil
}

// mergeTags sets each new tag on have. A key already present in another
// case keeps its first spelling and takes the new value, as IAM does.
func mergeTags(have, add []Tag) []Tag {
	out := append([]Tag(nil), have...)
	index := make(map[string]int, len(out))
	for i, t := range out {
		index[strings.ToLower(t.Key)] = i
	}
	for _, t := range add {
		if i, ok := index[strings.ToLower(t.Key)]; ok {
			out[i].Value = t.Value
			continue
		}
		index[strings.ToLower(t.Key)] = len(out)
		out = append(out, t)
	}
	return out
}

func (s *Service) untagUser(ctx context.Context, call *awsproto.Call) error {
	var in untagUserInput
	if err := call.Decode(&in); err != nil {
		return err
	}
	var v violations
	v.must("userName", in.UserName, existingUserNameRule)
	v.tagChange(true, nil, in.TagKeys)
	if err := v.err(); err != nil {
		return err
	}
	return s.withUser(ctx, call, *in.UserName, func(tx *store.Tx, u userRow) error {
		kept := dropTags(u.tags, in.TagKeys)
		if len(kept) == len(u.tags) {
			return nil // keys that are not there are not an error
		}
		return setUserTags(ctx, tx, u.id, kept)
	})
}

func (s *Service) listUserTags(ctx context.Context, call *awsproto.Call) (*ListUserTagsResult, error) {
	var in listUserTagsInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	var v violations
	v.must("userName", in.UserName, existingUserNameRule)
	v.paging(in.Marker, in.MaxItems)
	if err := v.err(); err != nil {
		return nil, err
	}
	p, err := readOffsetPage('t', in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	u, err := findUser(ctx, s.env.DB.Read(), *in.UserName)
	if err != nil {
		return nil, err
	}
	call.AddResource(resUser, s.userARN(u.path, u.name))
	return tagPage(u.tags, p), nil
}
