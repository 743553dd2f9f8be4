package iam

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/identity"
)

// Shared by the operations: AWS's errors, ids, paging and "the caller".

const (
	statusActive   = "Active"
	statusInactive = "Inactive"

	maxKeysPerUser  = 2
	maxUsersPerAcct = 5000

	resUser      = "AWS::IAM::User"
	resAccessKey = "AWS::IAM::AccessKey"
)

func noSuchUser(name string) error {
	return awsproto.Errorf(http.StatusNotFound, "NoSuchEntity", "The user with name %s cannot be found.", name)
}

func noSuchKey(id string) error {
	return awsproto.Errorf(http.StatusNotFound, "NoSuchEntity", "The Access Key with id %s cannot be found.", id)
}

func limitExceeded(quota string, n int) error {
	return awsproto.Errorf(http.StatusConflict, "LimitExceeded", "Cannot exceed quota for %s: %d", quota, n)
}

func invalidInput(format string, args ...any) error {
	return awsproto.Errorf(http.StatusBadRequest, "InvalidInput", format, args...)
}

// Ids look like AWS's: a type prefix and base32 upper-case characters.
var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func randomID(prefix string, n int) string {
	b := make([]byte, (n*5+7)/8)
	rand.Read(b)
	return prefix + idEncoding.EncodeToString(b)[:n]
}

func newUserID() string      { return randomID("AIDA", 17) }
func newAccessKeyID() string { return randomID("AKIA", 16) }

// newSecret returns a 40-character secret access key (240 random bits).
func newSecret() string {
	b := make([]byte, 30)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// Markers are opaque to clients. A marker is the base64 of a kind letter
// and the position: the last name listed (users) or an offset (others).

func makeMarker(kind byte, pos string) string {
	return base64.RawURLEncoding.EncodeToString(append([]byte{kind}, pos...))
}

func readMarker(kind byte, m *string) (string, error) {
	if m == nil {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*m)
	if err != nil || len(b) == 0 || b[0] != kind {
		return "", awsproto.QueryValidation("Invalid Marker: %s", *m)
	}
	return string(b[1:]), nil
}

func readOffsetMarker(kind byte, m *string) (int, error) {
	pos, err := readMarker(kind, m)
	if err != nil || pos == "" {
		return 0, err
	}
	n, err := strconv.Atoi(pos)
	if err != nil || n < 0 {
		return 0, awsproto.QueryValidation("Invalid Marker: %s", *m)
	}
	return n, nil
}

// page cuts items at offset into a page of at most max, returning the
// marker of the next page ("" when this is the last).
func page[T any](items []T, offset, max int, kind byte) ([]T, string) {
	if offset > len(items) {
		offset = len(items)
	}
	items = items[offset:]
	if len(items) <= max {
		return items, ""
	}
	return items[:max], makeMarker(kind, strconv.Itoa(offset+max))
}

// offsetPage is the page a List operation asks for when its listing is
// cut by position: the kind letter of its markers, where the page starts
// and how many items it holds.
type offsetPage struct {
	kind         byte
	offset, size int
}

// readOffsetPage reads a List operation's Marker and MaxItems.
func readOffsetPage(kind byte, marker *string, n awsproto.Int) (offsetPage, error) {
	offset, err := readOffsetMarker(kind, marker)
	return offsetPage{kind: kind, offset: offset, size: maxItems(n)}, err
}

// cut returns the items on page p and the marker of the next page.
func cut[T any](items []T, p offsetPage) ([]T, string) {
	return page(items, p.offset, p.size, p.kind)
}

// namePage is the page ListUsers, ListGroups or ListRoles asks for: the
// entities under prefix whose names sort after after, size at the most.
type namePage struct {
	kind          byte
	prefix, after string
	size          int
}

// cutByName cuts rows, read with a limit of one more than the page size,
// to the page, and returns the marker of the next page: the last name on
// this one.
func cutByName[T any](rows []T, p namePage, name func(T) string) ([]T, string) {
	if len(rows) <= p.size {
		return rows, ""
	}
	rows = rows[:p.size]
	return rows, makeMarker(p.kind, strings.ToLower(name(rows[p.size-1])))
}

// collect shapes rows for a response, as a list that is never null.
func collect[T, U any](rows []T, out func(T) U) members[U] {
	l := make(members[U], 0, len(rows))
	for _, r := range rows {
		l = append(l, out(r))
	}
	return l
}

// tagPage is the output of the List*Tags operations.
func tagPage(tags []Tag, p offsetPage) *ListTagsResult {
	tags, next := cut(tags, p)
	return &ListTagsResult{Tags: append(members[Tag]{}, tags...), IsTruncated: next != "", Marker: next}
}

// owner is whose access keys an operation acts on: an IAM user, or the
// account's root user (root=true).
type owner struct {
	root bool
	user userRow
}

func (o owner) id() string {
	if o.root {
		return ""
	}
	return o.user.id
}

func (o owner) name() string {
	if o.root {
		return ""
	}
	return o.user.name
}

// resolveOwner finds the user named, or without a name the caller, the
// way AWS does when UserName is left out.
func (s *Service) resolveOwner(ctx context.Context, q querier, caller identity.Principal, name *string) (owner, error) {
	if name != nil {
		u, ok, err := userByName(ctx, q, *name)
		if err != nil {
			return owner{}, err
		}
		if !ok {
			return owner{}, noSuchUser(*name)
		}
		return owner{user: u}, nil
	}
	switch caller.Type {
	case identity.Root:
		return owner{root: true}, nil
	case identity.IAMUser:
		u, ok, err := userByID(ctx, q, caller.PrincipalID)
		if err != nil {
			return owner{}, err
		}
		if !ok {
			return owner{}, noSuchUser(caller.UserName)
		}
		return owner{user: u}, nil
	}
	return owner{}, awsproto.QueryValidation("Must specify userName when calling with non-User credentials")
}

// checkDuplicateTags rejects two tags whose keys differ only in case:
// IAM tag keys are case-insensitive.
func checkDuplicateTags(tags list[tagInput]) error {
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		k := strings.ToLower(deref(t.Key))
		if seen[k] {
			return invalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[k] = true
	}
	return nil
}

func toTags(in list[tagInput]) []Tag {
	out := make([]Tag, len(in))
	for i, t := range in {
		out[i] = Tag{Key: deref(t.Key), Value: deref(t.Value)}
	}
	return out
}

// decodePathListing reads and checks the input of a List operation that
// pages by name under a path prefix (ListUsers, ListGroups, ListRoles); the
// prefix is "/" when absent.
func decodePathListing(call *awsproto.Call, kind byte) (namePage, error) {
	var in listUsersInput
	if err := call.Decode(&in); err != nil {
		return namePage{}, err
	}
	var v violations
	v.str("pathPrefix", in.PathPrefix, pathPrefixRule)
	v.paging(in.Marker, in.MaxItems)
	if err := v.err(); err != nil {
		return namePage{}, err
	}
	after, err := readMarker(kind, in.Marker)
	if err != nil {
		return namePage{}, err
	}
	p := namePage{kind: kind, prefix: "/", after: after, size: maxItems(in.MaxItems)}
	if in.PathPrefix != nil {
		p.prefix = *in.PathPrefix
	}
	return p, nil
}

// maxItems returns the page size asked for, or AWS's default of 100.
func maxItems(n awsproto.Int) int {
	return int(n.Or(defaultItems))
}

// paging checks the Marker and MaxItems of a List operation.
func (v *violations) paging(marker *string, n awsproto.Int) {
	v.str("marker", marker, markerRule)
	v.maxItems(n)
}

// tagChange checks the tags of a Tag* operation or, with untag, the keys
// of an Untag* one.
func (v *violations) tagChange(untag bool, tags list[tagInput], keys list[string]) {
	if untag {
		if v.required("tagKeys", keys != nil) {
			v.tagKeys(keys)
		}
	} else if v.required("tags", tags != nil) {
		v.tags(tags)
	}
}

// retag applies a Tag* operation's tags to have or, with untag, drops an
// Untag* operation's keys; quota names the limit in AWS's error.
func retag(have []Tag, untag bool, tags list[tagInput], keys list[string], quota string) ([]Tag, error) {
	if untag {
		return dropTags(have, keys), nil
	}
	have = mergeTags(have, toTags(tags))
	if len(have) > maxTags {
		return nil, limitExceeded(quota, maxTags)
	}
	return have, nil
}
