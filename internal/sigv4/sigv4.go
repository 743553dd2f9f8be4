// Package sigv4 verifies AWS Signature Version 4 on incoming requests, as an
// AWS service front end does, so that unmodified AWS SDKs and the AWS CLI can
// authenticate to Vigil with ordinary access keys.
//
// Verify accepts both places a signature can travel: the Authorization header
// and a presigned query string. It checks the request's canonical form, its
// time window, the access key and the optional session token. It does not
// decide whether the signed region and service are the ones the server
// expects; callers compare Result.Region and Result.Service themselves.
//
// The canonical request follows what aws-sdk-go-v2's signer produces for
// non-S3 services: the wire path is percent-encoded once more, the query is
// decoded, re-encoded per RFC 3986 and sorted, and header values are trimmed
// with runs of spaces collapsed. Where other SDKs differ in ways the signature
// cannot reveal (botocore removes dot segments and duplicate slashes from the
// path), Verify also tries that form before reporting a mismatch. A '+' in
// the query is read as a space, as net/url reads it, so that what the
// signature covers is what the services will parse.
package sigv4

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Kind classifies why a request failed authentication.
type Kind int

const (
	// Missing: no Authorization header and no X-Amz-Algorithm query parameter.
	Missing Kind = iota
	// Incomplete: the signature is malformed or partial: a required part is
	// absent, the credential scope is invalid, host is not signed, or the
	// request carries no date.
	Incomplete
	// UnknownKey: the access key id is not known or not active.
	UnknownKey
	// BadSignature: the signature does not match the request.
	BadSignature
	// Skewed: the request date is outside the allowed window, or a presigned
	// URL has expired.
	Skewed
	// BadToken: a session token is wrong for the key, missing for a
	// temporary key, or given for a long-term key.
	BadToken
	// Expired: the request is signed with temporary credentials whose
	// time has passed.
	Expired
)

var kindNames = [...]string{
	Missing:      "missing authentication",
	Incomplete:   "incomplete signature",
	UnknownKey:   "unknown access key",
	BadSignature: "signature mismatch",
	Skewed:       "request time outside window",
	BadToken:     "invalid session token",
	Expired:      "expired session token",
}

func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Error is an authentication failure. Message is worded as AWS words it
// where that is known, so it can be sent to the client unchanged. It never
// contains a secret key.
type Error struct {
	Kind    Kind
	Message string
}

func (e *Error) Error() string {
	return "sigv4: " + e.Kind.String() + ": " + e.Message
}

// Key is what the caller's key store returns for an access key id.
type Key struct {
	Secret       string
	SessionToken string    // "" for long-term keys
	Expires      time.Time // when temporary credentials stop working; zero for long-term keys
}

// KeyLookup returns the key for an access key id, or ok=false if the id is
// unknown or inactive. A non-nil err means the store failed; Verify passes it
// on wrapped, not as an *Error.
type KeyLookup func(ctx context.Context, accessKeyID string) (key Key, ok bool, err error)

// Result describes a request whose signature verified.
type Result struct {
	AccessKeyID  string
	Region       string // from the credential scope
	Service      string // from the credential scope
	SignedAt     time.Time
	SessionToken string // as presented; "" when none
	Presigned    bool   // signed in the query string rather than a header
}

// MaxSkew is how far the request date may be from the server clock.
const MaxSkew = 15 * time.Minute

// Messages AWS sends for these failures.
const (
	msgMissing       = "Request is missing Authentication Token"
	msgInvalidToken  = "The security token included in the request is invalid."
	msgExpiredToken  = "The security token included in the request is expired"
	msgMismatch      = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgUnsignedBody  = "Unsigned payloads are not accepted: the request body must be covered by the signature."
	msgContentSHAbad = "The provided 'x-amz-content-sha256' header does not match what was computed."
)

// Verify checks the signature of r, whose body has already been read into
// body, against the key lookup returns for the signing access key, and
// returns who signed it. now is the server's current time.
//
// Authentication failures are returned as *Error; a failure of lookup itself
// is returned wrapped as it came.
func Verify(ctx context.Context, r *http.Request, body []byte, lookup KeyLookup, now time.Time) (*Result, error) {
	if r == nil || r.URL == nil || lookup == nil {
		return nil, errors.New("sigv4: Verify needs a request with a URL and a key lookup")
	}
	query := parseQuery(r.URL.RawQuery)
	a, err := parseAuth(r, query)
	if err != nil {
		return nil, err
	}
	if err := checkTime(a, now); err != nil {
		return nil, err
	}
	key, ok, err := lookup(ctx, a.accessKeyID)
	if err != nil {
		return nil, fmt.Errorf("sigv4: looking up access key %q: %w", a.accessKeyID, err)
	}
	if !ok {
		return nil, &Error{Kind: UnknownKey, Message: msgInvalidToken}
	}
	payloads, err := payloadHashes(a, body)
	if err != nil {
		return nil, err
	}
	if !signatureMatches(r, query, a, key.Secret, payloads, body) {
		return nil, &Error{Kind: BadSignature, Message: msgMismatch}
	}
	// The token is checked only once the signature proves the caller holds
	// the secret, so the check answers nothing to someone who does not.
	if !tokenMatches(key.SessionToken, a.token) {
		return nil, &Error{Kind: BadToken, Message: msgInvalidToken}
	}
	if !key.Expires.IsZero() && !now.Before(key.Expires) {
		return nil, &Error{Kind: Expired, Message: msgExpiredToken}
	}
	return &Result{
		AccessKeyID:  a.accessKeyID,
		Region:       a.region,
		Service:      a.service,
		SignedAt:     a.signedAt,
		SessionToken: a.token,
		Presigned:    a.presigned,
	}, nil
}

// signatureMatches reports whether any acceptable canonical form of r,
// signed with secret, yields the signature the request carries.
func signatureMatches(r *http.Request, query []param, a *auth, secret string, payloads []string, body []byte) bool {
	want, err := hex.DecodeString(a.signature)
	if err != nil || len(want) != sha256.Size {
		return false
	}
	key := signingKey(secret, a.scopeDate, a.region, a.service)
	headers := canonicalHeaders(r, a.signedHeaders, body)
	uris := canonicalURIs(r)
	q := canonicalQuery(query, a.presigned)
	scope := a.scope()
	for _, uri := range uris {
		for _, p := range payloads {
			creq := canonicalRequest(r.Method, uri, q, headers, a.signedHeadersRaw, p)
			if hmac.Equal(sign(key, stringToSign(a.amzDate, scope, creq)), want) {
				return true
			}
		}
	}
	return false
}

func tokenMatches(want, got string) bool {
	if want == "" {
		return got == ""
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}
