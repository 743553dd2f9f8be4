package awsproto

import (
	"encoding/json"
	"time"

	"github.com/vigilsec/vigil/internal/identity"
)

// Protocol is an AWS wire protocol.
type Protocol int

const (
	Query    Protocol = iota // awsQuery: form in, XML out
	JSON10                   // awsJson1.0
	JSON11                   // awsJson1.1
	RESTJSON                 // restJson1
)

// Spec describes how a service is reached and recorded.
type Spec struct {
	Name         string   // signing name and endpoint prefix: "iam", "events", ...
	Protocol     Protocol // wire protocol
	TargetPrefix string   // JSON protocols: the X-Amz-Target prefix, e.g. "AWSEvents"
	XMLNamespace string   // awsQuery: the response namespace
	EventSource  string   // CloudTrail eventSource, e.g. "iam.amazonaws.com"
	// Anonymous lists actions that may be called without a signature, the
	// way SNS lets a subscriber confirm through SubscribeURL.
	Anonymous []string
	// MalformedCode is the error code an awsQuery service answers input
	// that cannot be decoded with; ValidationError when empty (SNS says
	// InvalidParameter).
	MalformedCode string
}

// Resource is a resource a call touched, as CloudTrail's resources[] lists it.
type Resource struct {
	ARN  string `json:"ARN"`
	Type string `json:"type,omitempty"`
}

// Call is one API call on its way through the front door.
type Call struct {
	Service   *Spec
	Action    string          // operation name, e.g. "CreateUser"
	Input     json.RawMessage // request parameters as a JSON object
	Caller    identity.Principal
	SourceIP  string
	UserAgent string
	RequestID string
	Region    string
	Time      time.Time
	// Internal is set for calls a service makes through the dispatcher.
	Internal bool

	// Set by the service, for the audit trail.
	Resources []Resource
	// AuditResponse, when non-nil, is recorded as responseElements instead
	// of the result (for example to leave out a secret).
	AuditResponse any
	// AuditRequest, when non-nil, is recorded as requestParameters instead of Input.
	AuditRequest any
}

// Decode unmarshals the call's input into v, answering bad JSON with the
// error a client would get from AWS for a malformed request.
func (c *Call) Decode(v any) error {
	in := c.Input
	if len(in) == 0 {
		in = []byte("{}")
	}
	if err := json.Unmarshal(in, v); err != nil {
		msg := describeDecodeError(err)
		if c.Service != nil && c.Service.Protocol == Query {
			code := c.Service.MalformedCode
			if code == "" {
				code = "ValidationError"
			}
			return Errorf(400, code, "malformed request: %s", msg)
		}
		return Errorf(400, "SerializationException", "%s", msg)
	}
	return nil
}

// AddResource records that the call touched arn.
func (c *Call) AddResource(typ, arn string) {
	c.Resources = append(c.Resources, Resource{ARN: arn, Type: typ})
}
