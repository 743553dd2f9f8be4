package sns

import (
	"encoding/json"
	"strings"

	"github.com/vigilsec/vigil/internal/awsproto"
)

// An HTTP/S endpoint may carry basic-authentication credentials
// (https://user:password@host/path). Deliveries use them as given; what
// SNS shows of the endpoint — the List operations, GetSubscriptionAttributes,
// the audit trail, logs and delivery errors — has the password replaced
// by "****", as AWS shows it.

const maskedPassword = "****"

// maskPassword returns endpoint with the password of its user information
// replaced by "****". The authority is found as Go's url.Parse finds it
// (after the scheme and "//", up to the first "/", "?" or "#"; user
// information before its last "@"), so what is masked is what a delivery
// sends as the password. Text that does not parse as a URL is masked the
// same way.
func maskPassword(endpoint string) string {
	start := authorityStart(endpoint)
	if start < 0 {
		return endpoint
	}
	authority := endpoint[start:]
	if j := strings.IndexAny(authority, "/?#"); j >= 0 {
		authority = authority[:j]
	}
	at := strings.LastIndexByte(authority, '@')
	if at < 0 {
		return endpoint
	}
	colon := strings.IndexByte(authority[:at], ':')
	if colon < 0 {
		return endpoint // a user name alone is not a secret
	}
	return endpoint[:start+colon+1] + maskedPassword + endpoint[start+at:]
}

// authorityStart returns where the authority of a URL begins, or -1 when
// it has none.
func authorityStart(s string) int {
	scheme := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			continue
		}
		if c == ':' && i > 0 {
			scheme = i + 1
		}
		break
	}
	rest := s[scheme:]
	if !strings.HasPrefix(rest, "//") || scheme == 0 && strings.HasPrefix(rest, "///") {
		return -1
	}
	return scheme + 2
}

// maskSubscribeAudit records Subscribe's request parameters with the
// endpoint's password masked. It reads the raw input loosely, so that even
// a call refused before it is decoded (by IAM, or for a malformed member)
// is recorded without the password.
func maskSubscribeAudit(call *awsproto.Call) {
	var in map[string]json.RawMessage
	if json.Unmarshal(call.Input, &in) != nil {
		if len(call.Input) > 0 {
			call.AuditRequest = struct{}{} // unreadable, so it cannot be shown safely
		}
		return
	}
	var endpoint string
	if json.Unmarshal(in["Endpoint"], &endpoint) != nil {
		return
	}
	masked := maskPassword(endpoint)
	if masked == endpoint {
		return
	}
	in["Endpoint"], _ = json.Marshal(masked)
	call.AuditRequest = in
}
