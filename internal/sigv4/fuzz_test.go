package sigv4_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/sigv4"
)

// FuzzVerify feeds Verify arbitrary methods, Authorization headers, paths, queries,
// dates, payload-hash headers and bodies. It must never panic, must fail
// only with *sigv4.Error (the key store here cannot fail), and must never
// put a secret in an error.
func FuzzVerify(f *testing.F) {
	// A genuine request first, so mutations start from one that verifies.
	const body = `{"Name":"r"}`
	req := newRequest(f, "POST", "http://localhost:4566/p%20q/r?b=2&a=1", [][2]string{{"X-Amz-Target", "AWSEvents.PutRule"}}, body)
	sdkSign(f, req, body, longCreds, "events", signTime)
	sr, _ := wire(f, req)
	path, query, _ := strings.Cut(sr.RequestURI, "?")
	f.Add("POST", sr.Header.Get("Authorization"), path, query, sr.Header.Get("X-Amz-Date"), "", []byte(body))

	preq := sdkPresign(f, newRequest(f, "GET", "http://localhost:4566/?Action=GetCallerIdentity&X-Amz-Expires=60", nil, ""), hashHex(nil), tempCreds, "sts", signTime)
	ppath, pquery, _ := strings.Cut(preq.URL.RequestURI(), "?")
	f.Add("GET", "", ppath, pquery, "", "", []byte(nil))

	f.Add("POST", "AWS4-HMAC-SHA256 Credential=AKIDVIGILTEST/20260101/us-east-1/iam/aws4_request, SignedHeaders=host;x-amz-date, Signature=00", "/", "", "20260101T000000Z", "UNSIGNED-PAYLOAD", []byte("x"))
	f.Add("PUT", "AWS4-HMAC-SHA256 Credential=/////, SignedHeaders=;;, Signature=", "//../%zz", "X-Amz-Algorithm=AWS4-HMAC-SHA256&&=&%", "99999999T999999Z", "STREAMING-x", []byte{0xff})
	f.Add("", "AWS4-HMAC-SHA256 ,,,=,Credential", "", "X-Amz-Algorithm=&X-Amz-Expires=-1", "Mon, 02 Jan 2006 15:04:05 GMT", strings.Repeat("a", 64), []byte(""))
	f.Add("GET", "Bearer x", "*", "a=%F0%9F", "", "", []byte("{}"))

	lookup := func(_ context.Context, id string) (sigv4.Key, bool, error) {
		k, ok := keys[id]
		return k, ok, nil
	}
	f.Fuzz(func(t *testing.T, method, auth, path, query, date, contentSHA string, body []byte) {
		r := &http.Request{
			Method:     method,
			URL:        &url.URL{Path: path, RawQuery: query},
			Host:       "localhost:4566",
			Header:     http.Header{},
			RequestURI: path + "?" + query,
			// Exercise the fallback from RequestURI to URL too.
			ContentLength: int64(len(body)),
		}
		if len(path) > 0 && path[0] == '#' {
			r.RequestURI = ""
		}
		for name, v := range map[string]string{
			"Authorization": auth, "X-Amz-Date": date, "X-Amz-Content-Sha256": contentSHA,
			"X-Amz-Target": "AWSEvents.PutRule",
		} {
			if v != "" {
				r.Header.Set(name, v)
			}
		}
		res, err := sigv4.Verify(context.Background(), r, body, lookup, signTime.Add(time.Minute))
		if err == nil {
			if res == nil || (res.AccessKeyID != testKeyID && res.AccessKeyID != tempKeyID) {
				t.Fatalf("accepted with Result %+v", res)
			}
			return
		}
		var se *sigv4.Error
		if !errors.As(err, &se) {
			t.Fatalf("error of type %T: %v", err, err)
		}
		if res != nil {
			t.Fatalf("result %+v returned with error %v", res, err)
		}
		if strings.Contains(err.Error(), testSecret) || strings.Contains(err.Error(), tempSecret) {
			t.Fatalf("error contains a secret: %v", err)
		}
	})
}
