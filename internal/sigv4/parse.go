package sigv4

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	algorithm       = "AWS4-HMAC-SHA256"
	amzDateFormat   = "20060102T150405Z"
	scopeDateFormat = "20060102"
	terminator      = "aws4_request"
	maxPresignAge   = 7 * 24 * time.Hour // the longest X-Amz-Expires AWS allows

	// Query parameters of a presigned request.
	qAlgorithm     = "X-Amz-Algorithm"
	qCredential    = "X-Amz-Credential"
	qDate          = "X-Amz-Date"
	qExpires       = "X-Amz-Expires"
	qSignedHeaders = "X-Amz-SignedHeaders"
	qSignature     = "X-Amz-Signature"
	qToken         = "X-Amz-Security-Token"
	qContentSHA    = "X-Amz-Content-Sha256"
)

// auth is what a request claims about its signature, before any checking
// against keys.
type auth struct {
	accessKeyID      string
	scopeDate        string // YYYYMMDD from the credential scope
	region           string
	service          string
	signedHeaders    []string
	signedHeadersRaw string
	signature        string
	amzDate          string // the request time as it goes into the string to sign
	signedAt         time.Time
	token            string
	presigned        bool
	expires          time.Duration // presigned only; 0 when X-Amz-Expires is absent
	contentSHA       string        // declared x-amz-content-sha256, "" if none
}

func (a *auth) scope() string {
	return a.scopeDate + "/" + a.region + "/" + a.service + "/" + terminator
}

func incomplete(format string, args ...any) *Error {
	return &Error{Kind: Incomplete, Message: fmt.Sprintf(format, args...)}
}

// parseAuth finds the signature in the Authorization header or the query
// string and checks that it is complete and self-consistent.
func parseAuth(r *http.Request, query []param) (*auth, error) {
	headers := r.Header.Values("Authorization")
	hasHeader := len(headers) > 1 || (len(headers) == 1 && strings.TrimSpace(headers[0]) != "")
	_, n := lookupParam(query, qAlgorithm)
	hasQuery := n > 0
	switch {
	case hasHeader && hasQuery:
		return nil, incomplete("Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified.")
	case hasQuery:
		return parsePresigned(r, query)
	case len(headers) > 1:
		return nil, incomplete("Only one Authorization header may be given.")
	case hasHeader:
		return parseHeader(r, strings.TrimSpace(headers[0]))
	}
	return nil, &Error{Kind: Missing, Message: msgMissing}
}

func parseHeader(r *http.Request, h string) (*auth, error) {
	a := &auth{contentSHA: r.Header.Get("X-Amz-Content-Sha256"), token: r.Header.Get("X-Amz-Security-Token")}
	alg, rest, _ := strings.Cut(h, " ")
	if alg == "AWS4-ECDSA-P256-SHA256" {
		return nil, incomplete("Signature Version 4A (%s) is not supported; sign with %s.", alg, algorithm)
	}
	var params map[string]string
	if alg == algorithm {
		var err error
		if params, err = headerParams(rest, h); err != nil {
			return nil, err
		}
	}
	cred, signed, sig := params["Credential"], params["SignedHeaders"], params["Signature"]
	date, dateName := r.Header.Get("X-Amz-Date"), "X-Amz-Date"
	if date == "" {
		date, dateName = r.Header.Get("Date"), "Date"
	}
	var missing []string
	for _, m := range []struct{ val, msg string }{
		{cred, "Authorization header requires 'Credential' parameter."},
		{sig, "Authorization header requires 'Signature' parameter."},
		{signed, "Authorization header requires 'SignedHeaders' parameter."},
		{date, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."},
	} {
		if m.val == "" {
			missing = append(missing, m.msg)
		}
	}
	if len(missing) > 0 {
		return nil, incomplete("%s Authorization=%s", strings.Join(missing, " "), clip(h))
	}
	a.signature = sig
	if err := a.setDate(date, dateName); err != nil {
		return nil, err
	}
	if err := a.setCredential(cred); err != nil {
		return nil, err
	}
	if err := a.setSignedHeaders(signed); err != nil {
		return nil, err
	}
	return a, nil
}

// headerParams splits the comma-separated key=value list that follows the
// algorithm in an Authorization header. h is the whole header, for messages.
func headerParams(list, h string) (map[string]string, error) {
	params := make(map[string]string, 3)
	for part := range strings.SplitSeq(list, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, incomplete("'%s' not a valid key=value pair (missing equal-sign) in Authorization header: '%s'.", clip(part), clip(h))
		}
		switch k {
		case "Credential", "SignedHeaders", "Signature":
		default:
			continue // AWS ignores parameters it does not know
		}
		if _, dup := params[k]; dup {
			return nil, incomplete("Authorization header has more than one '%s' parameter.", k)
		}
		params[k] = v
	}
	return params, nil
}

func parsePresigned(r *http.Request, query []param) (*auth, error) {
	a := &auth{presigned: true, contentSHA: r.Header.Get("X-Amz-Content-Sha256")}
	get := func(name string) (string, error) {
		v, n := lookupParam(query, name)
		if n > 1 {
			return "", incomplete("AWS query-string parameter '%s' is given more than once.", name)
		}
		return v, nil
	}
	vals := make(map[string]string, 8)
	var missing []string
	for _, name := range []string{qAlgorithm, qCredential, qSignature, qSignedHeaders, qDate, qExpires, qToken, qContentSHA} {
		v, err := get(name)
		if err != nil {
			return nil, err
		}
		vals[name] = v
		switch name {
		case qCredential, qSignature, qSignedHeaders, qDate:
			if v == "" {
				missing = append(missing, fmt.Sprintf("AWS query-string parameters must include '%s'.", name))
			}
		}
	}
	if len(missing) > 0 {
		return nil, incomplete("%s Re-examine the query-string parameters.", strings.Join(missing, " "))
	}
	if alg := vals[qAlgorithm]; alg != algorithm {
		return nil, incomplete("X-Amz-Algorithm only supports '%s', not '%s'.", algorithm, clip(alg))
	}
	if v := vals[qContentSHA]; v != "" && a.contentSHA == "" {
		a.contentSHA = v
	}
	a.token = vals[qToken]
	a.signature = vals[qSignature]
	if v := vals[qExpires]; v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 || n > int64(maxPresignAge/time.Second) {
			return nil, incomplete("X-Amz-Expires must be a whole number of seconds from 1 to %d, not '%s'.", int64(maxPresignAge/time.Second), clip(v))
		}
		a.expires = time.Duration(n) * time.Second
	}
	if err := a.setDate(vals[qDate], qDate); err != nil {
		return nil, err
	}
	if err := a.setCredential(vals[qCredential]); err != nil {
		return nil, err
	}
	if err := a.setSignedHeaders(vals[qSignedHeaders]); err != nil {
		return nil, err
	}
	return a, nil
}

// setDate parses the request time. X-Amz-Date must be ISO 8601 basic
// format; a Date header may be in any HTTP date format, and is then signed
// in the basic format.
func (a *auth) setDate(v, name string) error {
	var t time.Time
	var err error
	if name == "Date" {
		t, err = http.ParseTime(v)
	} else {
		t, err = time.Parse(amzDateFormat, v)
	}
	if err != nil {
		return incomplete("Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", clip(v))
	}
	a.signedAt = t.UTC()
	a.amzDate = a.signedAt.Format(amzDateFormat)
	return nil
}

// setCredential parses AKID/YYYYMMDD/region/service/aws4_request. It must
// run after setDate: the scope date has to be the request's date.
func (a *auth) setCredential(cred string) error {
	parts := strings.Split(cred, "/")
	if len(parts) != 5 {
		return incomplete("Credential should be of the form '<access key id>/<YYYYMMDD>/<region>/<service>/aws4_request', not '%s'.", clip(cred))
	}
	id, date, region, service, term := parts[0], parts[1], parts[2], parts[3], parts[4]
	switch {
	case id == "":
		return incomplete("Credential should begin with an access key id.")
	case term != terminator:
		return incomplete("Credential should be scoped with a valid terminator: '%s', not '%s'.", terminator, clip(term))
	case region == "":
		return incomplete("Credential should be scoped to a valid region, not ''.")
	case service == "":
		return incomplete("Credential should be scoped to correct service, not ''.")
	}
	if _, err := time.Parse(scopeDateFormat, date); err != nil || len(date) != len(scopeDateFormat) {
		return incomplete("Credential should be scoped to a valid date in YYYYMMDD format, not '%s'.", clip(date))
	}
	if date != a.amzDate[:len(scopeDateFormat)] {
		return incomplete("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
			date, a.amzDate[:len(scopeDateFormat)], a.amzDate)
	}
	a.accessKeyID, a.scopeDate, a.region, a.service = id, date, region, service
	return nil
}

func (a *auth) setSignedHeaders(v string) error {
	names := strings.Split(v, ";")
	host := false
	for _, n := range names {
		if n == "" {
			return incomplete("SignedHeaders '%s' contains an empty header name.", clip(v))
		}
		if strings.EqualFold(n, "host") {
			host = true
		}
	}
	if !host {
		return incomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}
	a.signedHeaders, a.signedHeadersRaw = names, v
	return nil
}

// checkTime enforces the 15-minute window on header signatures and the
// expiry of presigned ones.
func checkTime(a *auth, now time.Time) error {
	now = now.UTC()
	if a.signedAt.After(now.Add(MaxSkew)) {
		return &Error{Kind: Skewed, Message: fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + 15 min.)",
			a.amzDate, now.Add(MaxSkew).Format(amzDateFormat), now.Format(amzDateFormat))}
	}
	if a.presigned && a.expires > 0 {
		// Presigned URLs get no grace beyond the expiry their signer chose.
		if end := a.signedAt.Add(a.expires); now.After(end) {
			return &Error{Kind: Skewed, Message: fmt.Sprintf("Request has expired: signed at %s for %d seconds, which ended at %s; it is now %s.",
				a.amzDate, int64(a.expires/time.Second), end.Format(amzDateFormat), now.Format(amzDateFormat))}
		}
		return nil
	}
	if a.signedAt.Before(now.Add(-MaxSkew)) {
		return &Error{Kind: Skewed, Message: fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 15 min.)",
			a.amzDate, now.Add(-MaxSkew).Format(amzDateFormat), now.Format(amzDateFormat))}
	}
	return nil
}

// clip shortens request text echoed into messages, so a huge header cannot
// make a huge error.
func clip(s string) string {
	const max = 256
	if len(s) > max {
		s = s[:max] + "..."
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
