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
	if v.required("tags", in.Tags != nil) {
		v.tags(in.Tags)
	}
	if err := v.err(); err != nil {
		return err
	}
	if err := checkDuplicateTags(in.Tags); err != nil {
		return err
	}
	if err := checkReservedTags(in.Tags); err != nil {
		return err
	}
	return s.write(ctx, func(tx *store.Tx) error {
		u, ok, err := userByName(ctx, tx, *in.UserName)
		if err != nil {
			return err
		}
		if !ok {
			return noSuchUser(*in.UserName)
		}
		call.AddResource(resUser, s.userARN(u.path, u.name))
		tags := mergeTags(u.tags, toTags(in.Tags))
		if len(tags) > maxTags {
			return limitExceeded("TagsPerUser", maxTags)
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
	if v.required("tagKeys", in.TagKeys != nil) {
		v.tagKeys(in.TagKeys)
	}
	if err := v.err(); err != nil {
		return err
	}
	drop := make(map[string]bool, len(in.TagKeys))
	for _, k := range in.TagKeys {
		drop[strings.ToLower(k)] = true
	}
	return s.write(ctx, func(tx *store.Tx) error {
		u, ok, err := userByName(ctx, tx, *in.UserName)
		if err != nil {
			return err
		}
		if !ok {
			return noSuchUser(*in.UserName)
		}
		call.AddResource(resUser, s.userARN(u.path, u.name))
		kept := make([]Tag, 0, len(u.tags))
		for _, t := range u.tags {
			if !drop[strings.ToLower(t.Key)] {
				kept = append(kept, t)
			}
		}
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
	v.str("marker", in.Marker, markerRule)
	v.maxItems(in.MaxItems)
	if err := v.err(); err != nil {
		return nil, err
	}
	offset, err := readOffsetMarker('t', in.Marker)
	if err != nil {
		return nil, err
	}
	u, ok, err := userByName(ctx, s.env.DB.Read(), *in.UserName)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, noSuchUser(*in.UserName)
	}
	call.AddResource(resUser, s.userARN(u.path, u.name))
	tags, next := page(u.tags, offset, maxItems(in.MaxItems), 't')
	return &ListUserTagsResult{Tags: append(members[Tag]{}, tags...), IsTruncated: next != "", Marker: next}, nil
}
