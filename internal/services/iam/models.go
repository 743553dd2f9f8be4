package iam

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/awsproto"
)

// Outputs. Member names follow the botocore model twice over: xml tags
// for the awsQuery response, json tags for calls between services.

// Tag is a key-value pair attached to a user.
type Tag struct {
	Key   string `xml:"Key" json:"Key"`
	Value string `xml:"Value" json:"Value"`
}

// PermissionsBoundary is a user's AttachedPermissionsBoundary.
type PermissionsBoundary struct {
	PermissionsBoundaryType string `xml:"PermissionsBoundaryType" json:"PermissionsBoundaryType"`
	PermissionsBoundaryArn  string `xml:"PermissionsBoundaryArn" json:"PermissionsBoundaryArn"`
}

// User is an IAM user, or the account's root user (which has no path or name).
type User struct {
	Path                string               `xml:"Path,omitempty" json:"Path,omitempty"`
	UserName            string               `xml:"UserName,omitempty" json:"UserName,omitempty"`
	UserID              string               `xml:"UserId" json:"UserId"`
	ARN                 string               `xml:"Arn" json:"Arn"`
	CreateDate          awsproto.ISOTime     `xml:"CreateDate" json:"CreateDate"`
	PasswordLastUsed    *awsproto.ISOTime    `xml:"PasswordLastUsed,omitempty" json:"PasswordLastUsed,omitempty"`
	PermissionsBoundary *PermissionsBoundary `xml:"PermissionsBoundary,omitempty" json:"PermissionsBoundary,omitempty"`
	Tags                members[Tag]         `xml:"Tags,omitempty" json:"Tags,omitempty"`
}

// AccessKey is a new access key, secret included.
type AccessKey struct {
	UserName        string           `xml:"UserName,omitempty" json:"UserName,omitempty"`
	AccessKeyID     string           `xml:"AccessKeyId" json:"AccessKeyId"`
	Status          string           `xml:"Status" json:"Status"`
	SecretAccessKey string           `xml:"SecretAccessKey" json:"SecretAccessKey"`
	CreateDate      awsproto.ISOTime `xml:"CreateDate" json:"CreateDate"`
}

// AccessKeyMetadata describes an access key without its secret.
type AccessKeyMetadata struct {
	UserName    string           `xml:"UserName,omitempty" json:"UserName,omitempty"`
	AccessKeyID string           `xml:"AccessKeyId" json:"AccessKeyId"`
	Status      string           `xml:"Status" json:"Status"`
	CreateDate  awsproto.ISOTime `xml:"CreateDate" json:"CreateDate"`
}

// AccessKeyLastUsed says when, where and with what a key was last used.
type AccessKeyLastUsed struct {
	LastUsedDate *awsproto.ISOTime `xml:"LastUsedDate,omitempty" json:"LastUsedDate,omitempty"`
	ServiceName  string            `xml:"ServiceName" json:"ServiceName"`
	Region       string            `xml:"Region" json:"Region"`
}

// CreateUserResult is CreateUser's output.
type CreateUserResult struct {
	User User `xml:"User" json:"User"`
}

// GetUserResult is GetUser's output.
type GetUserResult struct {
	User User `xml:"User" json:"User"`
}

// ListUsersResult is ListUsers' output.
type ListUsersResult struct {
	Users       members[User] `xml:"Users" json:"Users"`
	IsTruncated bool          `xml:"IsTruncated" json:"IsTruncated"`
	Marker      string        `xml:"Marker,omitempty" json:"Marker,omitempty"`
}

// ListUserTagsResult is ListUserTags' output.
type ListUserTagsResult struct {
	Tags        members[Tag] `xml:"Tags" json:"Tags"`
	IsTruncated bool         `xml:"IsTruncated" json:"IsTruncated"`
	Marker      string       `xml:"Marker,omitempty" json:"Marker,omitempty"`
}

// CreateAccessKeyResult is CreateAccessKey's output.
type CreateAccessKeyResult struct {
	AccessKey AccessKey `xml:"AccessKey" json:"AccessKey"`
}

// createAccessKeyAudit is what the audit trail records of CreateAccessKey:
// the result without the secret, as CloudTrail does.
type createAccessKeyAudit struct {
	AccessKey AccessKeyMetadata `json:"AccessKey"`
}

// ListAccessKeysResult is ListAccessKeys' output.
type ListAccessKeysResult struct {
	AccessKeyMetadata members[AccessKeyMetadata] `xml:"AccessKeyMetadata" json:"AccessKeyMetadata"`
	IsTruncated       bool                       `xml:"IsTruncated" json:"IsTruncated"`
	Marker            string                     `xml:"Marker,omitempty" json:"Marker,omitempty"`
}

// GetAccessKeyLastUsedResult is GetAccessKeyLastUsed's output.
type GetAccessKeyLastUsedResult struct {
	UserName          string             `xml:"UserName,omitempty" json:"UserName,omitempty"`
	AccessKeyLastUsed *AccessKeyLastUsed `xml:"AccessKeyLastUsed,omitempty" json:"AccessKeyLastUsed,omitempty"`
}

// members is an awsQuery list: <Name><member>...</member></Name> in XML,
// an array (never null) in JSON. An empty list is still written, so that
// required lists such as ListUsers' Users are present when empty.
type members[T any] []T

func (l members[T]) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	for _, v := range l {
		if err := e.EncodeElement(v, xml.StartElement{Name: xml.Name{Local: "member"}}); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

func (l members[T]) MarshalJSON() ([]byte, error) {
	if l == nil {
		return []byte("[]"), nil
	}
	return json.Marshal([]T(l))
}

// Inputs. Strings are pointers so that an absent member can be told from
// an empty one, as AWS's validation does.

type createUserInput struct {
	Path                *string
	UserName            *string
	PermissionsBoundary *string
	Tags                list[tagInput]
}

type tagInput struct {
	Key   *string
	Value *string
}

type userNameInput struct {
	UserName *string
}

type listUsersInput struct {
	PathPrefix *string
	Marker     *string
	MaxItems   awsproto.Int
}

type tagUserInput struct {
	UserName *string
	Tags     list[tagInput]
}

type untagUserInput struct {
	UserName *string
	TagKeys  list[string]
}

type listUserTagsInput struct {
	UserName *string
	Marker   *string
	MaxItems awsproto.Int
}

type listAccessKeysInput struct {
	UserName *string
	Marker   *string
	MaxItems awsproto.Int
}

type accessKeyInput struct {
	UserName    *string
	AccessKeyID *string `json:"AccessKeyId"`
}

type updateAccessKeyInput struct {
	UserName    *string
	AccessKeyID *string `json:"AccessKeyId"`
	Status      *string
}

type lastUsedInput struct {
	AccessKeyID *string `json:"AccessKeyId"`
}

// list is an input list. awsQuery sends an empty list as "Name=", which
// arrives here as the empty string; it means an empty list, not absence.
type list[T any] []T

func (l *list[T]) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "null":
		*l = nil
		return nil
	case `""`:
		*l = list[T]{}
		return nil
	}
	var v []T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if v == nil {
		v = []T{}
	}
	*l = v
	return nil
}

// Validation, in the words AWS uses: each broken constraint is one
// "Value 'v' at 'field' failed to satisfy constraint: ..." and they are
// reported together as a ValidationError.

// strRule is a string shape's constraints from the botocore model.
type strRule struct {
	min, max int
	re       *regexp.Regexp // anchored form of pattern
	pattern  string         // as the model writes it, for messages
}

func rule(min, max int, pattern, goPattern string) strRule {
	r := strRule{min: min, max: max, pattern: pattern}
	if goPattern != "" {
		r.re = regexp.MustCompile(`^(?:` + goPattern + `)$`)
	}
	return r
}

var (
	userNameRule         = rule(1, 64, `[\w+=,.@-]+`, `[\w+=,.@-]+`)
	existingUserNameRule = rule(1, 128, `[\w+=,.@-]+`, `[\w+=,.@-]+`)
	pathRule             = rule(1, 512, `(\u002F)|(\u002F[\u0021-\u007F]+\u002F)`, `/|/[\x21-\x7F]+/`)
	pathPrefixRule       = rule(1, 512, `\u002F[\u0021-\u007F]*`, `/[\x21-\x7F]*`)
	arnRule              = rule(20, 2048, "", "")
	markerRule           = rule(1, 320, `[\u0020-\u00FF]+`, `[\x{20}-\x{FF}]+`)
	accessKeyIDRule      = rule(16, 128, `[\w]+`, `\w+`)
	tagKeyRule           = rule(1, 128, `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`, `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`)
	tagValueRule         = rule(0, 256, `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`, `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`)
)

const (
	maxTags       = 50 // per request and per user
	maxItemsLimit = 1000
	defaultItems  = 100
)

// violations collects broken constraints.
type violations []string

func (v *violations) add(value, field, constraint string) {
	*v = append(*v, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: %s", value, field, constraint))
}

// required reports an absent member and says whether it was present.
func (v *violations) required(field string, present bool) bool {
	if !present {
		*v = append(*v, fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", field))
	}
	return present
}

// broken lists the constraints of r that s breaks.
func (r strRule) broken(s string) []string {
	var out []string
	n := utf8.RuneCountInString(s) // AWS counts characters, not bytes
	if n < r.min {
		out = append(out, fmt.Sprintf("Member must have length greater than or equal to %d", r.min))
	}
	if r.max > 0 && n > r.max {
		out = append(out, fmt.Sprintf("Member must have length less than or equal to %d", r.max))
	}
	if r.re != nil && n >= r.min && !r.re.MatchString(s) {
		out = append(out, "Member must satisfy regular expression pattern: "+r.pattern)
	}
	return out
}

// str checks an optional string member.
func (v *violations) str(field string, s *string, r strRule) {
	if s == nil {
		return
	}
	for _, c := range r.broken(*s) {
		v.add(*s, field, c)
	}
}

// must checks a required string member.
func (v *violations) must(field string, s *string, r strRule) {
	if v.required(field, s != nil) {
		v.str(field, s, r)
	}
}

func (v *violations) maxItems(n awsproto.Int) {
	if !n.Set {
		return
	}
	val := fmt.Sprint(n.Value)
	if n.Value < 1 {
		v.add(val, "maxItems", "Member must have value greater than or equal to 1")
	}
	if n.Value > maxItemsLimit {
		v.add(val, "maxItems", fmt.Sprintf("Member must have value less than or equal to %d", maxItemsLimit))
	}
}

func (v *violations) tags(tags list[tagInput]) {
	if len(tags) > maxTags {
		v.add(renderTags(tags), "tags", fmt.Sprintf("Member must have length less than or equal to %d", maxTags))
	}
	for i, t := range tags {
		field := fmt.Sprintf("tags.%d.member.", i+1)
		v.must(field+"key", t.Key, tagKeyRule)
		v.must(field+"value", t.Value, tagValueRule)
	}
}

// tagKeys checks UntagUser's key list. AWS reports the constraints its
// members break once, for the whole list.
func (v *violations) tagKeys(keys list[string]) {
	rendered := "[" + strings.Join(keys, ", ") + "]"
	if len(keys) > maxTags {
		v.add(rendered, "tagKeys", fmt.Sprintf("Member must have length less than or equal to %d", maxTags))
	}
	var broken []string
	seen := map[string]bool{}
	for _, k := range keys {
		for _, c := range tagKeyRule.broken(k) {
			if !seen[c] {
				seen[c] = true
				broken = append(broken, c)
			}
		}
	}
	if len(broken) > 0 {
		v.add(rendered, "tagKeys", "Member must satisfy constraint: ["+strings.Join(broken, ", ")+"]")
	}
}

func (v *violations) status(s *string) {
	if v.required("status", s != nil) && *s != statusActive && *s != statusInactive {
		v.add(*s, "status", "Member must satisfy enum value set: [Active, Inactive]")
	}
}

// err returns the collected violations as AWS's ValidationError, or nil.
func (v violations) err() error {
	switch len(v) {
	case 0:
		return nil
	case 1:
		return awsproto.QueryValidation("1 validation error detected: %s", v[0])
	}
	return awsproto.QueryValidation("%d validation errors detected: %s", len(v), strings.Join(v, "; "))
}

func renderTags(tags list[tagInput]) string {
	parts := make([]string, len(tags))
	for i, t := range tags {
		parts[i] = "{Key: " + deref(t.Key) + ", Value: " + deref(t.Value) + "}"
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
