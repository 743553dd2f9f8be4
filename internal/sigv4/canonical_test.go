package sigv4

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
)

func TestCanonicalQuery(t *testing.T) {
	cases := []struct {
		raw       string
		presigned bool
		want      string
	}{
		{"", false, ""},
		{"b=2&a=1&a=0", false, "a=0&a=1&b=2"},
		{"a=b+c", false, "a=b%20c"}, // '+' is a space, as net/url reads it
		{"a=b%2Bc", false, "a=b%2Bc"},
		{"flag&empty=&=v", false, "=v&empty=&flag="},
		{"k%7e=%7E&sp=%20", false, "k~=~&sp=%20"},
		// Sorted after encoding: '%' (0x25) sorts before '-' (0x2D).
		{"a-b=1&a/b=2", false, "a%2Fb=2&a-b=1"},
		{"x=%zz", false, "x=%25zz"}, // bad escape kept as sent
		{"x=1;y=2", false, "x=1%3By%3D2"},
		{"a=%C3%BC&&b", false, "a=%C3%BC&b="},
		{"X-Amz-Signature=abc&X-Amz-Date=1", true, "X-Amz-Date=1"},
		{"X-Amz-Signature=abc", false, "X-Amz-Signature=abc"},
	}
	for _, tc := range cases {
		if got := canonicalQuery(parseQuery(tc.raw), tc.presigned); got != tc.want {
			t.Errorf("canonicalQuery(%q, %v) = %q, want %q", tc.raw, tc.presigned, got, tc.want)
		}
	}
}

func TestUnescape(t *testing.T) {
	cases := map[string]string{
		"plain":     "plain",
		"a%20b":     "a b",
		"a+b":       "a b",
		"%e2%9c%93": "✓",
		"%":         "%",
		"%4":        "%4",
		"100%":      "100%",
		"%g0":       "%g0",
	}
	for in, want := range cases {
		if got := unescape(in); got != want {
			t.Errorf("unescape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestURIEncodeMatchesRFC3986(t *testing.T) {
	for c := 0; c < 256; c++ {
		s := string([]byte{byte(c)})
		got := uriEncode(s, false)
		want := fmt.Sprintf("%%%02X", c)
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || bytes.IndexByte([]byte("-._~"), byte(c)) >= 0 {
			want = s
		}
		if got != want {
			t.Errorf("uriEncode(%q) = %q, want %q", s, got, want)
		}
	}
	if got := uriEncode("/a b/c%2F", true); got != "/a%20b/c%252F" {
		t.Errorf("uriEncode keeping slashes = %q", got)
	}
}

func TestRemoveDotSegments(t *testing.T) {
	cases := map[string]string{
		"":               "/",
		"/":              "/",
		"/a/b":           "/a/b",
		"/a//b/":         "/a/b/",
		"/a/./b/../c":    "/a/c",
		"/../a":          "/a",
		"/a/..":          "/",
		"//":             "/",
		"/a%2F../b":      "/a%2F../b", // an escaped slash does not split segments
		"/a/b/../../../": "/",
	}
	for in, want := range cases {
		if got := removeDotSegments(in); got != want {
			t.Errorf("removeDotSegments(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTrimAll(t *testing.T) {
	cases := map[string]string{
		"a":              "a",
		"  a   b    c  ": "a b c",
		"\ta  b\t":       "a b",
		"a \t b":         "a \t b",
		"":               "",
	}
	for in, want := range cases {
		if got := trimAll(in); got != want {
			t.Errorf("trimAll(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRawPath(t *testing.T) {
	cases := []struct {
		requestURI string
		url        string
		want       string
	}{
		{"/a%20b/c?x=1", "http://h/a%20b/c?x=1", "/a%20b/c"},
		{"/a%41b", "http://h/a%41b", "/a%41b"}, // the wire form, not Go's re-encoding
		{"", "http://h/x%2Fy", "/x%2Fy"},
		{"", "http://h", "/"},
		{"*", "http://h/", "/"},
		{"http://h/abs?q", "http://h/abs?q", "/abs"},
	}
	for _, tc := range cases {
		u, err := url.Parse(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		r := &http.Request{RequestURI: tc.requestURI, URL: u}
		if got := rawPath(r); got != tc.want {
			t.Errorf("rawPath(RequestURI %q, URL %q) = %q, want %q", tc.requestURI, tc.url, got, tc.want)
		}
	}
}

// The AWS documentation's worked example of key derivation.
func TestSigningKeyDocumentedExample(t *testing.T) {
	k := signingKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "iam")
	const want = "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
	if got := fmt.Sprintf("%x", k); got != want {
		t.Errorf("signingKey = %s, want %s", got, want)
	}
}

func TestSigningKeyCacheConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	results := make([][]byte, 64)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Many distinct scopes, so the cache also fills and empties.
			for j := range maxCachedKeys/16 + 1 {
				signingKey("secret", "20260101", fmt.Sprintf("r%d-%d", i, j), "svc")
			}
			results[i] = signingKey("secret", "20260101", "us-east-1", "svc")
		}()
	}
	wg.Wait()
	for i := range results {
		if !bytes.Equal(results[i], results[0]) {
			t.Fatalf("goroutine %d derived %x, goroutine 0 %x", i, results[i], results[0])
		}
	}
	if n := len(derivedKeys.keys); n > maxCachedKeys {
		t.Errorf("cache holds %d keys, more than %d", n, maxCachedKeys)
	}
}

func TestCacheIDSeparatesFields(t *testing.T) {
	if cacheID("s", "d", "a\x00b", "c") == cacheID("s", "d", "a", "\x00bc") {
		t.Error("distinct scopes share a cache entry")
	}
}
