package sigv4

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

const unsignedPayload = "UNSIGNED-PAYLOAD"

// param is one decoded query parameter, in wire order.
type param struct{ key, value string }

// parseQuery splits a raw query string into decoded parameters, reading '+'
// as a space. Unlike url.ParseQuery it keeps every pair, including ones with
// ';' or a bad escape (kept undecoded), so that the signature must cover
// every byte of the query, even what the services will ignore.
func parseQuery(raw string) []param {
	if raw == "" {
		return nil
	}
	var ps []param
	for piece := range strings.SplitSeq(raw, "&") {
		if piece == "" {
			continue
		}
		k, v, _ := strings.Cut(piece, "=")
		ps = append(ps, param{unescape(k), unescape(v)})
	}
	return ps
}

// lookupParam returns the value of the first parameter named name and how
// many parameters have that name.
func lookupParam(ps []param, name string) (string, int) {
	var v string
	n := 0
	for _, p := range ps {
		if p.key == name {
			if n == 0 {
				v = p.value
			}
			n++
		}
	}
	return v, n
}

// unescape decodes %XX escapes and '+' in s; on a malformed escape it
// returns s unchanged.
func unescape(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return s
			}
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		case c == '+':
			b = append(b, ' ')
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// uriEncode percent-encodes every byte outside the RFC 3986 unreserved set,
// and also '/' unless keepSlash, with upper-case hex as SigV4 requires.
func uriEncode(s string, keepSlash bool) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; !unreserved(c) && !(keepSlash && c == '/') {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hexdigits = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || keepSlash && c == '/' {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hexdigits[c>>4], hexdigits[c&15])
	}
	return string(b)
}

// canonicalQuery encodes, sorts and joins ps. Sorting follows encoding, as
// the SigV4 specification says: the two orders can differ.
func canonicalQuery(ps []param, presigned bool) string {
	enc := make([]param, 0, len(ps))
	for _, p := range ps {
		if presigned && p.key == qSignature {
			continue // the signature cannot sign itself
		}
		enc = append(enc, param{uriEncode(p.key, false), uriEncode(p.value, false)})
	}
	slices.SortFunc(enc, func(a, b param) int {
		return cmp.Or(strings.Compare(a.key, b.key), strings.Compare(a.value, b.value))
	})
	var b strings.Builder
	for i, p := range enc {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.key)
		b.WriteByte('=')
		b.WriteString(p.value)
	}
	return b.String()
}

// rawPath returns the path exactly as the client sent it, still escaped.
func rawPath(r *http.Request) string {
	p := r.RequestURI
	if strings.HasPrefix(p, "/") {
		if i := strings.IndexByte(p, '?'); i >= 0 {
			p = p[:i]
		}
		return p
	}
	// Not origin-form (a client-side request, "*", or an absolute URI).
	if r.URL.Opaque == "" {
		if p := r.URL.EscapedPath(); p != "" {
			return p
		}
	}
	return "/"
}

// canonicalURIs returns the canonical URI as aws-sdk-go-v2 computes it (the
// wire path encoded once more), then botocore's form if that differs.
func canonicalURIs(r *http.Request) []string {
	p := rawPath(r)
	uris := []string{uriEncode(p, true)}
	if n := uriEncode(removeDotSegments(p), true); n != uris[0] {
		uris = append(uris, n)
	}
	return uris
}

// removeDotSegments resolves "." and ".." and drops empty segments, keeping
// a leading and trailing slash; botocore normalizes paths this way before
// signing for every service but S3.
func removeDotSegments(p string) string {
	if p == "" {
		return "/"
	}
	var out []string
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
		}
	}
	var b strings.Builder
	if p[0] == '/' {
		b.WriteByte('/')
	}
	b.WriteString(strings.Join(out, "/"))
	if p[len(p)-1] == '/' && len(out) > 0 {
		b.WriteByte('/')
	}
	return b.String()
}

// canonicalHeaders renders the signed headers, in the order the client
// listed them, one "name:value\n" line each.
func canonicalHeaders(r *http.Request, names []string, body []byte) string {
	var b strings.Builder
	for _, n := range names {
		b.WriteString(n)
		b.WriteByte(':')
		for i, v := range headerValues(r, n, body) {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(trimAll(v))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// headerValues returns the values of the named header, including the ones
// net/http moves out of Header on the server side.
func headerValues(r *http.Request, name string, body []byte) []string {
	switch strings.ToLower(name) {
	case "host":
		if r.Host != "" {
			return []string{r.Host}
		}
		return []string{r.URL.Host}
	case "content-length":
		if vs := r.Header.Values(name); len(vs) > 0 {
			return vs
		}
		n := r.ContentLength
		if n < 0 {
			n = int64(len(body))
		}
		return []string{strconv.FormatInt(n, 10)}
	case "transfer-encoding":
		if vs := r.Header.Values(name); len(vs) > 0 {
			return vs
		}
		return r.TransferEncoding
	}
	return r.Header.Values(name)
}

// trimAll trims a header value and collapses each run of spaces to one.
func trimAll(v string) string {
	v = strings.TrimSpace(v)
	if !strings.Contains(v, "  ") {
		return v
	}
	b := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' && i > 0 && v[i-1] == ' ' {
			continue
		}
		b = append(b, v[i])
	}
	return string(b)
}

// payloadHashes returns the payload hashes to try in the canonical request.
func payloadHashes(a *auth, body []byte) ([]string, error) {
	sum := sha256.Sum256(body)
	h := hex.EncodeToString(sum[:])
	d := a.contentSHA
	switch {
	case d == "":
		if a.presigned && len(body) == 0 {
			// Presigners differ on whether an empty body is hashed or
			// declared unsigned; with no body there is nothing to forge.
			return []string{h, unsignedPayload}, nil
		}
		return []string{h}, nil
	case d == unsignedPayload:
		if len(body) == 0 {
			return []string{unsignedPayload}, nil
		}
		return nil, &Error{Kind: BadSignature, Message: msgUnsignedBody}
	case strings.HasPrefix(d, "STREAMING-"):
		return nil, incomplete("x-amz-content-sha256 '%s': chunked (streaming) payload signing is not supported.", clip(d))
	case len(d) == 2*sha256.Size && strings.EqualFold(d, h):
		return []string{d}, nil
	case len(d) == 2*sha256.Size && isHexString(d):
		return nil, &Error{Kind: BadSignature, Message: msgContentSHAbad}
	}
	return nil, incomplete("x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a SHA-256 hex digest, not '%s'.", clip(d))
}

func isHexString(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

func canonicalRequest(method, uri, query, headers, signedHeaders, payload string) string {
	var b strings.Builder
	b.Grow(len(method) + len(uri) + len(query) + len(headers) + len(signedHeaders) + len(payload) + 5)
	for _, s := range [...]string{method, "\n", uri, "\n", query, "\n", headers, "\n", signedHeaders, "\n", payload} {
		b.WriteString(s)
	}
	return b.String()
}

func stringToSign(amzDate, scope, canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return algorithm + "\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
}

func sign(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}
