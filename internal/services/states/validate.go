package states

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/awsproto"
)

// Limits from the Step Functions API reference.
const (
	maxNameLen       = 80
	maxDefinitionLen = 1048576
	maxArnLen        = 256
	maxPayloadBytes  = 262144
	maxErrorLen      = 256
	maxCauseLen      = 32768
	maxPageSize      = 1000
	maxTags          = 50
)

// checker collects constraint violations the way AWS's JSON services
// report them: all at once, in one ValidationException.
type checker struct{ msgs []string }

func (c *checker) add(field string, value *string, sensitive bool, constraint string) {
	v := "null"
	switch {
	case value != nil && sensitive:
		v = ""
	case value != nil:
		v = "'" + *value + "'"
	}
	if v == "" {
		c.msgs = append(c.msgs, fmt.Sprintf("Value at '%s' failed to satisfy constraint: %s", field, constraint))
		return
	}
	c.msgs = append(c.msgs, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: %s", v, field, constraint))
}

// required reports a missing member; it returns whether the member is set.
func (c *checker) required(field string, v *string) bool {
	if v == nil {
		c.add(field, nil, false, "Member must not be null")
		return false
	}
	return true
}

// length checks a string's length in characters (bytes when sensitive
// payload sizes are meant; callers pass what AWS counts).
func (c *checker) length(field string, v *string, min, max int, sensitive bool) {
	if v == nil {
		return
	}
	n := utf8.RuneCountInString(*v)
	switch {
	case n < min:
		c.add(field, v, sensitive, fmt.Sprintf("Member must have length greater than or equal to %d", min))
	case max > 0 && n > max:
		c.add(field, v, sensitive, fmt.Sprintf("Member must have length less than or equal to %d", max))
	}
}

func (c *checker) enum(field string, v *string, allowed ...string) {
	if v == nil {
		return
	}
	for _, a := range allowed {
		if *v == a {
			return
		}
	}
	c.add(field, v, false, "Member must satisfy enum value set: ["+strings.Join(allowed, ", ")+"]")
}

func (c *checker) pageSize(field string, n int64, set bool) {
	if set && (n < 0 || n > maxPageSize) {
		s := fmt.Sprint(n)
		if n < 0 {
			c.add(field, &s, false, "Member must have value greater than or equal to 0")
		} else {
			c.add(field, &s, false, fmt.Sprintf("Member must have value less than or equal to %d", maxPageSize))
		}
	}
}

func (c *checker) err() error {
	switch len(c.msgs) {
	case 0:
		return nil
	case 1:
		return awsproto.Validation("1 validation error detected: %s", c.msgs[0])
	}
	return awsproto.Validation("%d validation errors detected: %s", len(c.msgs), strings.Join(c.msgs, "; "))
}

func errorf(code, format string, args ...any) *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, code, format, args...)
}

// validName reports whether s is a valid state machine or execution
// name: no white space, brackets, wildcards, the listed punctuation or
// control characters.
func validName(s string) bool {
	if s == "" || utf8.RuneCountInString(s) > maxNameLen {
		return false
	}
	for _, r := range s {
		switch {
		case r <= 0x20, r >= 0x7f && r <= 0x9f:
			return false
		case r == 0xa0 || r == 0x1680 || r >= 0x2000 && r <= 0x200a || r == 0x2028 || r == 0x2029 || r == 0x202f || r == 0x205f || r == 0x3000 || r == 0xfeff:
			return false
		case strings.ContainsRune("<>{}[]?*\"#%\\^|~`$&,;:/", r):
			return false
		}
	}
	return true
}

func checkName(name string) error {
	if !validName(name) {
		return errorf("InvalidName", "Invalid Name: '%s'", name)
	}
	return nil
}

var (
	roleArnRE = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$`)
	accountRE = regexp.MustCompile(`^\d{12}$`)
)

func checkRoleArn(arn string) error {
	if !roleArnRE.MatchString(arn) {
		return errorf("InvalidArn", "Invalid Role Arn: '%s'", arn)
	}
	return nil
}

// A resourceARN is a parsed Step Functions ARN:
// arn:PARTITION:states:REGION:ACCOUNT:TYPE:NAME[:NAME...].
type resourceARN struct {
	typ   string
	parts []string // after the type
}

func parseStatesARN(arn string) (resourceARN, error) {
	invalid := errorf("InvalidArn", "Invalid Arn: '%s'", arn)
	f := strings.Split(arn, ":")
	if len(f) < 7 || f[0] != "arn" || !strings.HasPrefix(f[1], "aws") || f[2] != "states" || f[3] == "" || !accountRE.MatchString(f[4]) {
		return resourceARN{}, invalid
	}
	return resourceARN{typ: f[5], parts: f[6:]}, nil
}

// checkMachineARN validates an unqualified state machine ARN.
func checkMachineARN(arn string) error {
	r, err := parseStatesARN(arn)
	if err != nil {
		return err
	}
	if r.typ != "stateMachine" {
		return errorf("InvalidArn", "Invalid Arn: 'Resource type not valid in this context: %s'", r.typ)
	}
	if len(r.parts) != 1 || !validName(r.parts[0]) {
		if len(r.parts) > 1 || strings.Contains(r.parts[0], "/") {
			return awsproto.Validation("Vigil does not support state machine versions, aliases or Distributed Map ARNs: '%s'", arn)
		}
		return errorf("InvalidArn", "Invalid Arn: '%s'", arn)
	}
	return nil
}

// checkExecutionARN validates a standard execution ARN.
func checkExecutionARN(arn string) error {
	r, err := parseStatesARN(arn)
	if err != nil {
		return err
	}
	if r.typ != "execution" {
		return errorf("InvalidArn", "Invalid Arn: 'Resource type not valid in this context: %s'", r.typ)
	}
	if len(r.parts) != 2 || !validName(r.parts[0]) || !validName(r.parts[1]) {
		return errorf("InvalidArn", "Invalid Arn: '%s'", arn)
	}
	return nil
}

func machineMissing(arn string) error {
	return errorf("StateMachineDoesNotExist", "State Machine Does Not Exist: '%s'", arn)
}

func executionMissing(arn string) error {
	return errorf("ExecutionDoesNotExist", "Execution Does Not Exist: '%s'", arn)
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
