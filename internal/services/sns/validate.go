package sns

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/vigilsec/vigil/arn"
	"github.com/vigilsec/vigil/internal/awsproto"
)

// invalid returns SNS's InvalidParameter error, "Invalid parameter: ...".
func invalid(format string, args ...any) *awsproto.Error {
	return awsproto.InvalidParameter("Invalid parameter: "+format, args...)
}

func notFound(format string, args ...any) *awsproto.Error {
	return awsproto.Errorf(http.StatusNotFound, "NotFound", format, args...)
}

func authorizationError(format string, args ...any) *awsproto.Error {
	return awsproto.Errorf(http.StatusForbidden, "AuthorizationError", format, args...)
}

// valueInvalid is the ParameterValueInvalid error Publish answers bad
// message attributes with.
func valueInvalid(format string, args ...any) *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, "ParameterValueInvalid", format, args...)
}

// validTopicName reports whether name is 1-256 letters, digits, hyphens
// and underscores.
func validTopicName(name string) bool {
	if name == "" || len(name) > 256 {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !isAlnum(c) && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// parseARN parses an ARN given in member field, with SNS's message for a
// malformed one.
func parseARN(s, field string) (arn.ARN, *awsproto.Error) {
	if s == "" {
		return arn.ARN{}, invalid("%s Reason: no value for required parameter", field)
	}
	a, err := arn.Parse(s)
	if err != nil {
		return arn.ARN{}, invalid("%s Reason: An ARN must have at least 6 elements, not %d", field, strings.Count(s, ":")+1)
	}
	return a, nil
}

// checkTopicARN validates a topic ARN and that it names this server's
// account and region.
func (s *Service) checkTopicARN(topicARN, field, action string) *awsproto.Error {
	a, e := parseARN(topicARN, field)
	if e != nil {
		return e
	}
	if a.Service != "sns" || !validTopicName(strings.TrimSuffix(a.Resource, ".fifo")) {
		return invalid("%s", field)
	}
	if a.Region != s.env.Region {
		return invalid("%s", field)
	}
	if a.AccountID != s.env.AccountID {
		return authorizationError("User is not authorized to perform: SNS:%s on resource: %s because no resource-based policy allows the SNS:%s action", action, topicARN, action)
	}
	return nil
}

// checkSubscriptionARN validates a subscription ARN: a topic ARN followed
// by ":" and an id.
func (s *Service) checkSubscriptionARN(subARN, action string) *awsproto.Error {
	a, e := parseARN(subARN, "SubscriptionArn")
	if e != nil {
		return e
	}
	name, id, ok := strings.Cut(a.Resource, ":")
	if a.Service != "sns" || !ok || id == "" || !validTopicName(strings.TrimSuffix(name, ".fifo")) {
		return invalid("SubscriptionArn")
	}
	if a.Region != s.env.Region {
		return invalid("SubscriptionArn")
	}
	if a.AccountID != s.env.AccountID {
		return authorizationError("User is not authorized to perform: SNS:%s on resource: %s", action, subARN)
	}
	return nil
}

// topicAttrNames are the attributes CreateTopic and SetTopicAttributes take.
var topicAttrNames = map[string]bool{
	"DisplayName": true, "Policy": true, "DeliveryPolicy": true, "SignatureVersion": true, "TracingConfig": true,
	"DataProtectionPolicy": true,
}

// unsupportedTopicAttrs are real SNS topic attributes Vigil refuses, with why.
var unsupportedTopicAttrs = map[string]string{
	"KmsMasterKeyId":            "server-side encryption",
	"FifoTopic":                 "FIFO topics",
	"ContentBasedDeduplication": "FIFO topics",
	"FifoThroughputScope":       "FIFO topics",
	"ArchivePolicy":             "message archiving (FIFO topics)",
}

// feedbackAttr reports whether name is a delivery-status logging attribute,
// such as HTTPSuccessFeedbackRoleArn.
func feedbackAttr(name string) bool {
	for _, p := range []string{"Application", "HTTP", "Lambda", "SQS", "Firehose"} {
		if rest, ok := strings.CutPrefix(name, p); ok {
			switch rest {
			case "SuccessFeedbackRoleArn", "SuccessFeedbackSampleRate", "FailureFeedbackRoleArn":
				return true
			}
		}
	}
	return false
}

// checkTopicAttr validates one topic attribute. reason prefixes the message
// the way SNS does: "Attributes Reason: " for CreateTopic, "" for Set.
func checkTopicAttr(name, value, reason string) *awsproto.Error {
	if why, ok := unsupportedTopicAttrs[name]; ok {
		if name == "FifoTopic" && strings.EqualFold(value, "false") {
			return nil // AWS accepts an explicit standard topic and does not store it
		}
		return invalid("%s%s: Vigil does not support %s", reason, name, why)
	}
	if feedbackAttr(name) {
		return invalid("%s%s: Vigil does not support delivery status logging", reason, name)
	}
	if !topicAttrNames[name] {
		if reason == "" {
			return invalid("AttributeName")
		}
		return invalid("%sUnknown attribute %s", reason, name)
	}
	switch name {
	case "DisplayName":
		if utf8.RuneCountInString(value) > 100 {
			return invalid("%sDisplayName: must be at most 100 characters", reason)
		}
	case "Policy":
		var doc map[string]any
		if err := json.Unmarshal([]byte(value), &doc); err != nil || doc == nil {
			return invalid("%sPolicy: failed to parse JSON", reason)
		}
		if _, ok := doc["Statement"]; !ok {
			return invalid("%sPolicy: Statement is required", reason)
		}
	case "DeliveryPolicy":
		if value != "" {
			if _, err := parseTopicDeliveryPolicy(value); err != nil {
				return invalid("%sDeliveryPolicy: %v", reason, err)
			}
		}
	case "DataProtectionPolicy":
		if value != "" {
			return checkDataProtectionAttr(value, reason)
		}
	case "SignatureVersion":
		if value != "1" && value != "2" {
			return invalid("%sSignatureVersion: Invalid value [%s]. Must be 1 or 2.", reason, value)
		}
	case "TracingConfig":
		switch value {
		case "PassThrough":
		case "Active":
			return invalid("%sTracingConfig: Vigil does not support active tracing (X-Ray)", reason)
		default:
			return invalid("%sTracingConfig: Invalid value [%s]. Must be PassThrough or Active.", reason, value)
		}
	}
	return nil
}

// checkTags validates tags as TagResource and CreateTopic take them.
func checkTags(tags []Tag, existing int) *awsproto.Error {
	seen := map[string]bool{}
	for _, t := range tags {
		if t.Key == "" || utf8.RuneCountInString(t.Key) > 128 {
			return invalid("Tags Reason: Tag keys must be between 1 and 128 characters")
		}
		if utf8.RuneCountInString(t.Value) > 256 {
			return invalid("Tags Reason: Tag values must be at most 256 characters")
		}
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return invalid("Tags Reason: Tag keys must not start with aws:")
		}
		if seen[t.Key] {
			return invalid("Duplicated keys are not allowed.")
		}
		seen[t.Key] = true
	}
	if existing+len(tags) > 50 {
		return awsproto.Errorf(http.StatusBadRequest, "TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded")
	}
	return nil
}

// checkSubject validates Publish's Subject: printable ASCII, starting with
// a letter, digit or punctuation, at most 100 characters.
func checkSubject(subject *string) *awsproto.Error {
	if subject == nil {
		return nil
	}
	s := *subject
	if s == "" || len(s) > 100 || s[0] == ' ' {
		return invalid("Subject")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return invalid("Subject")
		}
	}
	return nil
}

// messageAttr is a validated message attribute. Value is the string value,
// or for binary types the base64 text.
type messageAttr struct {
	Name, Type, Value string
}

// maxMessageSize bounds a message with its attributes, as in AWS.
const maxMessageSize = 256 * 1024

// checkMessageAttributes validates Publish's attributes and returns them in
// name order, with their size in bytes.
func checkMessageAttributes(in map[string]MessageAttributeValue) ([]messageAttr, int, *awsproto.Error) {
	var out []messageAttr
	size := 0
	for _, name := range sortedKeys(in) {
		v := in[name]
		if e := checkAttrName(name); e != nil {
			return nil, 0, e
		}
		if v.DataType == nil {
			return nil, 0, awsproto.QueryValidation("1 validation error detected: Value null at 'messageAttributes.%s.member.dataType' failed to satisfy constraint: Member must not be null", name)
		}
		a, e := checkAttrValue(name, *v.DataType, v)
		if e != nil {
			return nil, 0, e
		}
		size += len(name) + len(a.Type) + len(a.Value)
		out = append(out, a)
	}
	return out, size, nil
}

func checkAttrName(name string) *awsproto.Error {
	switch {
	case name == "":
		return valueInvalid("The message attribute name must not be empty.")
	case len(name) > 256:
		return valueInvalid("Length of message attribute name must be less than 256 bytes.")
	case name[0] == '.':
		return valueInvalid("Invalid message attribute name starting with character '.' was found.")
	case name[len(name)-1] == '.':
		return valueInvalid("Invalid message attribute name ending with character '.' was found.")
	}
	lower := strings.ToLower(name)
	if strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") {
		return valueInvalid("The message attribute name '%s' uses a reserved prefix (AWS. or Amazon.).", name)
	}
	for i, r := range name {
		if r < utf8.RuneSelf && (isAlnum(byte(r)) || r == '-' || r == '_' || r == '.') {
			if r == '.' && name[i-1] == '.' {
				return valueInvalid("Message attribute name can not have successive '.' character.")
			}
			continue
		}
		return valueInvalid("Invalid non-alphanumeric character '#x%X' was found in the message attribute name. Can only include alphanumeric characters, hyphens, underscores, or dots.", r)
	}
	return nil
}

// checkAttrValue validates one attribute's type and value.
func checkAttrValue(name, typ string, v MessageAttributeValue) (messageAttr, *awsproto.Error) {
	base, custom, _ := strings.Cut(typ, ".")
	known := base == "String" || base == "Number" || base == "Binary"
	if !known || (strings.Contains(typ, ".") && custom == "") {
		return messageAttr{}, valueInvalid("The message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", name)
	}
	empty := func() *awsproto.Error {
		return valueInvalid("The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", name, typ)
	}
	if v.StringValue == nil && v.BinaryValue == nil {
		return messageAttr{}, empty()
	}
	if base == "Binary" {
		if v.BinaryValue == nil {
			return messageAttr{}, valueInvalid("The message attribute '%s' with type '%s' must use field 'Binary'.", name, typ)
		}
		raw, err := base64.StdEncoding.DecodeString(*v.BinaryValue)
		if err != nil {
			return messageAttr{}, valueInvalid("The message attribute '%s' has a BinaryValue that is not valid base64.", name)
		}
		if len(raw) == 0 {
			return messageAttr{}, empty()
		}
		return messageAttr{Name: name, Type: typ, Value: *v.BinaryValue}, nil
	}
	if v.StringValue == nil {
		return messageAttr{}, valueInvalid("The message attribute '%s' with type '%s' must use field 'String'.", name, typ)
	}
	s := *v.StringValue
	if s == "" {
		return messageAttr{}, empty()
	}
	if !utf8.ValidString(s) {
		return messageAttr{}, valueInvalid("The message attribute '%s' contains characters that are not valid UTF-8.", name)
	}
	switch {
	case base == "Number":
		if e := checkNumber(name, s); e != nil {
			return messageAttr{}, e
		}
	case typ == "String.Array":
		if e := checkStringArray(name, s); e != nil {
			return messageAttr{}, e
		}
	}
	return messageAttr{Name: name, Type: typ, Value: s}, nil
}

// checkNumber accepts what SNS does: a decimal number (exponent allowed)
// of magnitude within 10^-128..10^126 and at most 38 significant digits.
func checkNumber(name, s string) *awsproto.Error {
	r, ok := new(big.Rat).SetString(s)
	if !ok || strings.ContainsAny(s, "/xXpP_") { // forms big.Rat takes but SNS does not
		return valueInvalid("Could not cast message attribute '%s' value to number.", name)
	}
	if r.Sign() != 0 {
		abs := new(big.Rat).Abs(r)
		lo := new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).Exp(big.NewInt(10), big.NewInt(128), nil))
		hi := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(126), nil))
		if abs.Cmp(lo) < 0 || abs.Cmp(hi) > 0 {
			return valueInvalid("Message attribute '%s' number value [%s] scale must be 10^-128 and 10^126.", name, s)
		}
	}
	if significantDigits(s) > 38 {
		return valueInvalid("Message attribute '%s' number value [%s] must have less than 38 precision digits.", name, s)
	}
	return nil
}

// significantDigits counts the digits of a decimal literal's mantissa
// without leading or trailing zeros.
func significantDigits(s string) int {
	mant, _, _ := strings.Cut(strings.ToLower(s), "e")
	digits := strings.Trim(strings.NewReplacer("-", "", "+", "", ".", "").Replace(mant), "0")
	return len(digits)
}

// checkStringArray requires a JSON array of strings, numbers, booleans and nulls.
func checkStringArray(name, s string) *awsproto.Error {
	var arr []any
	if err := json.Unmarshal([]byte(s), &arr); err != nil || arr == nil {
		return valueInvalid("The message attribute '%s' with type 'String.Array' must be a JSON array.", name)
	}
	for _, e := range arr {
		switch e.(type) {
		case map[string]any, []any:
			return valueInvalid("The message attribute '%s' with type 'String.Array' may hold only strings, numbers, booleans and nulls.", name)
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
