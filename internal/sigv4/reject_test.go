package sigv4_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/vigilsec/vigil/internal/sigv4"
)

func hmacSHA256(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

const baseBody = `{"Name":"rule-1","EventPattern":"{\"source\":[\"vigil\"]}"}`

// signedBase returns a header-signed events request as a server sees it.
func signedBase(t *testing.T, creds aws.Credentials) (*http.Request, []byte) {
	req := newRequest(t, "POST", "http://localhost:4566/rules/x?mode=a&n=1", [][2]string{
		{"Content-Type", "application/x-amz-json-1.1"},
		{"X-Amz-Target", "AWSEvents.PutRule"},
	}, baseBody)
	sdkSign(t, req, baseBody, creds, "events", signTime)
	return wire(t, req)
}

// presignedBase returns a presigned STS request as a server sees it.
func presignedBase(t *testing.T, expires string) (*http.Request, []byte) {
	req := newRequest(t, "GET", "http://localhost:4566/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires="+expires, nil, "")
	return wire(t, sdkPresign(t, req, hashHex(nil), longCreds, "sts", signTime))
}

// setQuery replaces the raw query in both places a server request keeps it.
func setQuery(r *http.Request, q string) {
	path, _, _ := strings.Cut(r.RequestURI, "?")
	r.URL.RawQuery = q
	r.RequestURI = path + "?" + q
}

// editAuth rewrites the Authorization header.
func editAuth(r *http.Request, old, new string) {
	r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), old, new, 1))
}

func TestVerifyRejects(t *testing.T) {
	now := signTime.Add(time.Minute)
	cases := []struct {
		name    string
		base    func(*testing.T) (*http.Request, []byte)
		mutate  func(r *http.Request, body []byte) []byte
		now     time.Time
		lookup  store
		want    sigv4.Kind
		message string // substring the message must contain, if set
	}{
		{name: "no authorization", want: sigv4.Missing, message: "missing Authentication Token",
			mutate: func(r *http.Request, b []byte) []byte { r.Header.Del("Authorization"); return b }},
		{name: "blank authorization", want: sigv4.Missing,
			mutate: func(r *http.Request, b []byte) []byte { r.Header.Set("Authorization", "  "); return b }},
		{name: "unknown key", lookup: store{}, want: sigv4.UnknownKey,
			message: "The security token included in the request is invalid."},
		{name: "wrong secret", lookup: store{testKeyID: {Secret: "not the secret"}}, want: sigv4.BadSignature,
			message: "The request signature we calculated does not match the signature you provided."},
		{name: "tampered body", want: sigv4.BadSignature,
			mutate: func(r *http.Request, b []byte) []byte {
				return []byte(strings.Replace(string(b), "rule-1", "rule-2", 1))
			}},
		{name: "truncated body", want: sigv4.BadSignature,
			mutate: func(r *http.Request, b []byte) []byte { return b[:len(b)-1] }},
		{name: "tampered signed header", want: sigv4.BadSignature,
			mutate: func(r *http.Request, b []byte) []byte { r.Header.Set("X-Amz-Target", "AWSEvents.DeleteRule"); return b }},
		{name: "repeated signed header", want: sigv4.BadSignature,
			mutate: func(r *http.Request, b []byte) []byte { r.Header.Add("X-Amz-Target", "AWSEvents.DeleteRule"); return b }},
		{name: "signed header removed", want: sigv4.BadSignature,
			mutate: func(r *http.Request, b []byte) []byte { r.Header.Del("Content-Type"); return b }},
		{name: "tampered host", want: sigv4.BadSignature,
			mutate: func(r *http.Request, b []byte) []byte { r.Host = "evil.example:4566"; return b }},
		{name: "tampered query value", want: sigv4.BadSignature,
			mutate: func(r *http.Request, b []byte) []byte { setQuery(r, "mode=b&n=1"); return b }},
		{name: "added query parameter", want: sigv4.BadSignature,
			mutate: func(r *http.Request, b []byte) []byte { setQuery(r, "mode=a&n=1&admin=true"); return b }},
		{name: "tampered path", want: sigv4.BadSignature,
			mutate: func(r *http.Request, b []byte) []byte {
				r.RequestURI = strings.Replace(r.RequestURI, "/rules/x", "/rules/y", 1)
				r.URL.Path = "/rules/y"
				return b
			}},
		{name: "tampered method", want: sigv4.BadSignature,
			mutate: func(r *http.Request, b []byte) []byte { r.Method = "PUT"; return b }},
		{name: "signature not hex", want: sigv4.BadSignature,
			mutate: func(r *http.Request, b []byte) []byte { editAuth(r, "Signature=", "Signature=zz"); return b }},
		{name: "declared payload hash differs from body", want: sigv4.BadSignature, message: "x-amz-content-sha256",
			mutate: func(r *http.Request, b []byte) []byte {
				r.Header.Set("X-Amz-Content-Sha256", hashHex([]byte("other")))
				return b
			}},
		{name: "unsigned payload with a body", want: sigv4.BadSignature, message: "Unsigned payloads",
			mutate: func(r *http.Request, b []byte) []byte {
				r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
				return b
			}},
		{name: "streaming payload", want: sigv4.Incomplete, message: "not supported",
			mutate: func(r *http.Request, b []byte) []byte {
				r.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
				return b
			}},
		{name: "clock behind", now: signTime.Add(16 * time.Minute), want: sigv4.Skewed,
			message: "Signature expired: 20260101T000000Z is now earlier than 20260101T000100Z (20260101T001600Z - 15 min.)"},
		{name: "clock ahead", now: signTime.Add(-16 * time.Minute), want: sigv4.Skewed,
			message: "Signature not yet current: 20260101T000000Z is still later than 20251231T235900Z (20251231T234400Z + 15 min.)"},
		{name: "missing credential", want: sigv4.Incomplete, message: "Authorization header requires 'Credential' parameter.",
			mutate: func(r *http.Request, b []byte) []byte { editAuth(r, "Credential=", "Cred="); return b }},
		{name: "missing signed headers", want: sigv4.Incomplete, message: "requires 'SignedHeaders' parameter",
			mutate: func(r *http.Request, b []byte) []byte { editAuth(r, "SignedHeaders=", "Signed="); return b }},
		{name: "missing signature", want: sigv4.Incomplete, message: "requires 'Signature' parameter",
			mutate: func(r *http.Request, b []byte) []byte {
				a := r.Header.Get("Authorization")
				r.Header.Set("Authorization", a[:strings.Index(a, ", Signature=")])
				return b
			}},
		{name: "missing date", want: sigv4.Incomplete, message: "'X-Amz-Date' or a 'Date' header",
			mutate: func(r *http.Request, b []byte) []byte { r.Header.Del("X-Amz-Date"); return b }},
		{name: "malformed date", want: sigv4.Incomplete, message: "ISO-8601 'basic format'",
			mutate: func(r *http.Request, b []byte) []byte { r.Header.Set("X-Amz-Date", "2026-01-01T00:00:00Z"); return b }},
		{name: "pair without equals", want: sigv4.Incomplete, message: "missing equal-sign",
			mutate: func(r *http.Request, b []byte) []byte { editAuth(r, "Credential=", "Credential "); return b }},
		{name: "duplicate parameter", want: sigv4.Incomplete,
			mutate: func(r *http.Request, b []byte) []byte {
				r.Header.Set("Authorization", r.Header.Get("Authorization")+", Signature=00")
				return b
			}},
		{name: "other scheme", want: sigv4.Incomplete, message: "requires 'Credential' parameter",
			mutate: func(r *http.Request, b []byte) []byte { r.Header.Set("Authorization", "Bearer abc.def"); return b }},
		{name: "sigv4a", want: sigv4.Incomplete, message: "4A",
			mutate: func(r *http.Request, b []byte) []byte {
				editAuth(r, "AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256")
				return b
			}},
		{name: "two authorization headers", want: sigv4.Incomplete,
			mutate: func(r *http.Request, b []byte) []byte {
				r.Header.Add("Authorization", r.Header.Get("Authorization"))
				return b
			}},
		{name: "host not signed", want: sigv4.Incomplete, message: "'Host' or ':authority' must be a 'SignedHeader'",
			mutate: func(r *http.Request, b []byte) []byte { editAuth(r, ";host;", ";"); return b }},
		{name: "empty signed header name", want: sigv4.Incomplete,
			mutate: func(r *http.Request, b []byte) []byte { editAuth(r, ";host;", ";host;;"); return b }},
		{name: "scope too short", want: sigv4.Incomplete,
			mutate: func(r *http.Request, b []byte) []byte { editAuth(r, "/us-east-1/events/", "/us-east-1/"); return b }},
		{name: "scope bad terminator", want: sigv4.Incomplete, message: "terminator",
			mutate: func(r *http.Request, b []byte) []byte { editAuth(r, "/aws4_request", "/aws5_request"); return b }},
		{name: "scope empty region", want: sigv4.Incomplete, message: "region",
			mutate: func(r *http.Request, b []byte) []byte { editAuth(r, "/us-east-1/", "//"); return b }},
		{name: "scope bad date", want: sigv4.Incomplete, message: "valid date",
			mutate: func(r *http.Request, b []byte) []byte { editAuth(r, "/20260101/", "/2026011/"); return b }},
		{name: "scope date mismatch", want: sigv4.Incomplete,
			message: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20251231' != '20260101'",
			mutate:  func(r *http.Request, b []byte) []byte { editAuth(r, "/20260101/", "/20251231/"); return b }},
		{name: "header and query signature", want: sigv4.Incomplete, message: "Only one auth mechanism",
			mutate: func(r *http.Request, b []byte) []byte {
				setQuery(r, r.URL.RawQuery+"&X-Amz-Algorithm=AWS4-HMAC-SHA256")
				return b
			}},

		// Session tokens.
		{name: "wrong session token", want: sigv4.BadToken,
			base:   func(t *testing.T) (*http.Request, []byte) { return signedBase(t, tempCreds) },
			lookup: store{tempKeyID: {Secret: tempSecret, SessionToken: "another token"}}},
		{name: "session token missing for temporary key", want: sigv4.BadToken,
			lookup: store{testKeyID: {Secret: testSecret, SessionToken: tempToken}}},
		{name: "session token given for long-term key", want: sigv4.BadToken,
			base:   func(t *testing.T) (*http.Request, []byte) { return signedBase(t, tempCreds) },
			lookup: store{tempKeyID: {Secret: tempSecret}}},
		{name: "temporary key expired", want: sigv4.Expired, message: "expired",
			base:   func(t *testing.T) (*http.Request, []byte) { return signedBase(t, tempCreds) },
			lookup: store{tempKeyID: {Secret: tempSecret, SessionToken: tempToken, Expires: signTime.Add(30 * time.Second)}}},
		{name: "temporary key expires at the instant of the call", want: sigv4.Expired,
			base:   func(t *testing.T) (*http.Request, []byte) { return signedBase(t, tempCreds) },
			lookup: store{tempKeyID: {Secret: tempSecret, SessionToken: tempToken, Expires: signTime.Add(time.Minute)}}},
		{name: "expired key with a wrong token is a bad token", want: sigv4.BadToken,
			base:   func(t *testing.T) (*http.Request, []byte) { return signedBase(t, tempCreds) },
			lookup: store{tempKeyID: {Secret: tempSecret, SessionToken: "another token", Expires: signTime}}},
		{name: "session token swapped after signing", want: sigv4.BadSignature,
			base: func(t *testing.T) (*http.Request, []byte) { return signedBase(t, tempCreds) },
			mutate: func(r *http.Request, b []byte) []byte {
				r.Header.Set("X-Amz-Security-Token", "forged")
				return b
			}},

		// Presigned URLs.
		{name: "presign expired", want: sigv4.Skewed, message: "Request has expired",
			base: func(t *testing.T) (*http.Request, []byte) { return presignedBase(t, "300") },
			now:  signTime.Add(5*time.Minute + time.Second)},
		{name: "presign not yet valid", want: sigv4.Skewed, message: "Signature not yet current",
			base: func(t *testing.T) (*http.Request, []byte) { return presignedBase(t, "300") },
			now:  signTime.Add(-16 * time.Minute)},
		{name: "presign tampered query", want: sigv4.BadSignature,
			base: func(t *testing.T) (*http.Request, []byte) { return presignedBase(t, "300") },
			mutate: func(r *http.Request, b []byte) []byte {
				setQuery(r, strings.Replace(r.URL.RawQuery, "GetCallerIdentity", "GetSessionToken", 1))
				return b
			}},
		{name: "presign expiry extended", want: sigv4.BadSignature,
			base: func(t *testing.T) (*http.Request, []byte) { return presignedBase(t, "300") },
			mutate: func(r *http.Request, b []byte) []byte {
				setQuery(r, strings.Replace(r.URL.RawQuery, "X-Amz-Expires=300", "X-Amz-Expires=3000", 1))
				return b
			}},
		{name: "presign expiry too long", want: sigv4.Incomplete, message: "X-Amz-Expires",
			base: func(t *testing.T) (*http.Request, []byte) { return presignedBase(t, "604801") }},
		{name: "presign missing signature", want: sigv4.Incomplete, message: "must include 'X-Amz-Signature'",
			base: func(t *testing.T) (*http.Request, []byte) { return presignedBase(t, "300") },
			mutate: func(r *http.Request, b []byte) []byte {
				q := r.URL.RawQuery
				setQuery(r, q[:strings.Index(q, "&X-Amz-Signature=")])
				return b
			}},
		{name: "presign repeated credential", want: sigv4.Incomplete, message: "more than once",
			base: func(t *testing.T) (*http.Request, []byte) { return presignedBase(t, "300") },
			mutate: func(r *http.Request, b []byte) []byte {
				setQuery(r, r.URL.RawQuery+"&X-Amz-Credential=x")
				return b
			}},
		{name: "presign wrong algorithm", want: sigv4.Incomplete,
			base: func(t *testing.T) (*http.Request, []byte) { return presignedBase(t, "300") },
			mutate: func(r *http.Request, b []byte) []byte {
				setQuery(r, strings.Replace(r.URL.RawQuery, "X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=AWS4-HMAC-SHA1", 1))
				return b
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base := tc.base
			if base == nil {
				base = func(t *testing.T) (*http.Request, []byte) { return signedBase(t, longCreds) }
			}
			r, body := base(t)
			if tc.mutate != nil {
				body = tc.mutate(r, body)
			}
			at := now
			if !tc.now.IsZero() {
				at = tc.now
			}
			lookup := keys
			if tc.lookup != nil {
				lookup = tc.lookup
			}
			res, err := sigv4.Verify(t.Context(), r, body, lookup.lookup, at)
			var se *sigv4.Error
			if !errors.As(err, &se) {
				t.Fatalf("Verify = %+v, %v; want a *sigv4.Error of kind %v", res, err, tc.want)
			}
			if res != nil {
				t.Errorf("Verify returned a result with an error: %+v", res)
			}
			if se.Kind != tc.want {
				t.Errorf("Kind = %v, want %v (message %q)", se.Kind, tc.want, se.Message)
			}
			if !strings.Contains(se.Message, tc.message) {
				t.Errorf("Message = %q, want it to contain %q", se.Message, tc.message)
			}
			for _, secret := range []string{testSecret, tempSecret, "not the secret"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q contains a secret", err)
				}
			}
		})
	}
}

// An unsigned header added in transit (a proxy's, say) does not matter.
func TestVerifyIgnoresUnsignedHeaders(t *testing.T) {
	r, body := signedBase(t, longCreds)
	r.Header.Set("User-Agent", "changed")
	r.Header.Set("X-Forwarded-For", "10.0.0.1")
	if _, err := verify(r, body, signTime); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

func TestVerifyConcurrent(t *testing.T) {
	type signed struct {
		r    *http.Request
		body []byte
	}
	var reqs []signed
	for _, svc := range []string{"iam", "sts", "events", "states", "sns", "lambda"} {
		req := newRequest(t, "POST", "http://localhost:4566/", nil, "Action=X")
		sdkSign(t, req, "Action=X", longCreds, svc, signTime)
		r, b := wire(t, req)
		reqs = append(reqs, signed{r, b})
	}
	errs := make(chan error, 8*len(reqs))
	for g := range 8 {
		go func() {
			for i := range reqs {
				s := reqs[(i+g)%len(reqs)]
				_, err := verify(s.r, s.body, signTime)
				errs <- err
			}
		}()
	}
	for range 8 * len(reqs) {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func TestUnexpiredTemporaryKey(t *testing.T) {
	r, body := signedBase(t, tempCreds)
	lookup := store{tempKeyID: {Secret: tempSecret, SessionToken: tempToken, Expires: signTime.Add(time.Hour)}}
	res, err := sigv4.Verify(t.Context(), r, body, lookup.lookup, signTime.Add(time.Minute))
	if err != nil {
		t.Fatalf("Verify with credentials valid for another hour: %v", err)
	}
	if res.AccessKeyID != tempKeyID || res.SessionToken != tempToken {
		t.Errorf("Verify = %+v", res)
	}
}
