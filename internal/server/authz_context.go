package server

import (
	"context"
	"encoding/json"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/identity"
	"github.com/vigilsec/vigil/internal/services"
	"github.com/vigilsec/vigil/policy"
)

// The request context: the global condition keys Vigil knows for a call.

// secureKey marks, in a request's context, whether it came over TLS.
type secureKey struct{}

func withSecure(ctx context.Context, secure bool) context.Context {
	return context.WithValue(ctx, secureKey{}, secure)
}

// requestContext returns the keys that describe the caller and the request
// itself; withResource adds those of each resource.
func (s *Server) requestContext(ctx context.Context, call *awsproto.Call) policy.Context {
	c := policy.Context{}
	p := call.Caller
	c.SetPrincipal(policyPrincipal(p), p.Tags)
	if p.Type == identity.AssumedRole && p.SourceIdentity != "" {
		c.Set("aws:SourceIdentity", p.SourceIdentity)
	}
	if p.Type == identity.AssumedRole && strings.HasPrefix(p.AccessKeyID, "ASIA") {
		// Vigil has no MFA devices, so no session was made with one.
		c.Set("aws:MultiFactorAuthPresent", "false")
	}
	if ip, err := netip.ParseAddr(call.SourceIP); err == nil {
		c.Set("aws:SourceIp", ip.Unmap().String())
	}
	t := call.Time
	if t.IsZero() {
		t = s.now()
	}
	c.Set("aws:CurrentTime", t.UTC().Format(time.RFC3339))
	c.Set("aws:EpochTime", strconv.FormatInt(t.Unix(), 10))
	secure, _ := ctx.Value(secureKey{}).(bool)
	c.Set("aws:SecureTransport", strconv.FormatBool(secure))
	c.Set("aws:RequestedRegion", requestedRegion(call))
	if call.UserAgent != "" {
		c.Set("aws:UserAgent", call.UserAgent)
	}
	if via := calledVia(p); via != "" {
		c.Set("aws:CalledVia", via)
		c.Set("aws:CalledViaFirst", via)
		c.Set("aws:CalledViaLast", via)
		c.Set("aws:ViaAWSService", "true")
	} else {
		c.Set("aws:ViaAWSService", "false")
	}
	requestTags(c, call.Input)
	return c
}

// calledVia names the service making a call with a principal's own
// identity: the root or a user acting through a service, or a session
// whose credentials a service uses. A role session a service assumed for
// itself (a state machine's role) has no access key; AWS sets neither
// aws:CalledVia nor aws:ViaAWSService for such calls, and nor does Vigil.
func calledVia(p identity.Principal) string {
	switch {
	case p.InvokedBy == "" || p.Type == identity.AWSService:
		return ""
	case p.Type == identity.AssumedRole && p.AccessKeyID == "":
		return ""
	}
	return p.InvokedBy
}

// requestedRegion is the region a call is made to; IAM is global and AWS
// reports us-east-1 for it.
func requestedRegion(call *awsproto.Call) string {
	if call.Service != nil && call.Service.Name == "iam" {
		return "us-east-1"
	}
	return call.Region
}

// withResource returns a copy of base with the keys of one resource:
// aws:ResourceAccount, aws:ResourceTag/K and the service's own keys.
func withResource(base policy.Context, resource, account string, tags map[string]string, keys map[string][]string) policy.Context {
	c := make(policy.Context, len(base)+len(tags)+len(keys)+1)
	for k, v := range base {
		c[k] = v
	}
	if a := arnAccount(resource); a != "" {
		c.Set("aws:ResourceAccount", a)
	} else {
		c.Set("aws:ResourceAccount", account)
	}
	for k, v := range tags {
		c.Set("aws:ResourceTag/"+k, v)
	}
	for k, v := range keys {
		c.Set(k, v...)
	}
	return c
}

// arnAccount returns the account field of an ARN; AWS-owned resources
// (arn:aws:iam::aws:policy/...) have none that counts.
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || len(parts[4]) != 12 {
		return ""
	}
	return parts[4]
}

// accountOf is the account a call is made in: Vigil serves one.
func (s *Server) accountOf(call *awsproto.Call) string {
	if call.Caller.AccountID != "" {
		return call.Caller.AccountID
	}
	return s.account
}

// requestTags sets aws:RequestTag/K and aws:TagKeys from the tags a call
// passes (Tags or tags: a list of Key/Value pairs, or a map) and
// aws:TagKeys from the keys an untag call removes (TagKeys or tagKeys).
func requestTags(c policy.Context, input json.RawMessage) {
	var raw map[string]json.RawMessage
	if json.Unmarshal(input, &raw) != nil {
		return
	}
	tags := services.RequestTags(input)
	var keys, lowKeys []string
	json.Unmarshal(raw["TagKeys"], &keys)
	json.Unmarshal(raw["tagKeys"], &lowKeys)
	keys = append(keys, lowKeys...)
	for _, t := range tags {
		c.Set("aws:RequestTag/"+t.Key, t.Value)
		keys = append(keys, t.Key)
	}
	if tags != nil || raw["TagKeys"] != nil || raw["tagKeys"] != nil {
		if keys == nil {
			keys = []string{}
		}
		c.Set("aws:TagKeys", keys...)
	}
}
