package sns

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestPostErrorsHideThePassword checks that delivery errors, which are
// logged and stored with the job, never carry the basic-auth password
// of an endpoint such as https://user:password@host/.
func TestPostErrorsHideThePassword(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/gone":
			w.WriteHeader(http.StatusNotFound)
		default:
			w.WriteHeader(http.StatusBadGateway)
		}
	}))
	defer srv.Close()
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close() // nothing listens there any more

	s := &Service{client: newHTTPClient()}
	withCreds := func(base, path string) string {
		return strings.Replace(base, "http://", "http://alice:s3cr3t-pw@", 1) + path
	}
	for _, endpoint := range []string{
		withCreds(srv.URL, "/gone"),    // 4xx: a client error
		withCreds(srv.URL, "/broken"),  // 5xx: retried
		withCreds(deadURL, "/x"),       // connection refused
		"http://alice:s3cr3t-pw@[::1/", // not a URL at all
		"http://alice:s3cr3t-pw@host:port-is-not-a-number/",
	} {
		err := s.post(context.Background(), endpoint, []byte("{}"), http.Header{}, "text/plain")
		if err == nil {
			t.Errorf("post(%s) succeeded", endpoint)
			continue
		}
		if strings.Contains(err.Error(), "s3cr3t-pw") {
			t.Errorf("post error reveals the password: %v", err)
		}
	}
}

func TestMaskPassword(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://user:pass@example.com/path", "https://user:****@example.com/path"},
		{"http://alice:s3cr3t@127.0.0.1:8080/hook?x=1", "http://alice:****@127.0.0.1:8080/hook?x=1"},
		{"https://:pass@example.com", "https://:****@example.com"},
		{"https://user:@example.com", "https://user:****@example.com"},
		{"https://us%40er:p%3Ass@example.com/", "https://us%40er:****@example.com/"},
		{"https://user:p@ss@example.com/", "https://user:****@example.com/"},       // the last @ ends the user information
		{"https://user@example.com/a:b@c", "https://user@example.com/a:b@c"},       // no password; the path is not the authority
		{"https://example.com/login?u=a:b@c", "https://example.com/login?u=a:b@c"}, // nor is the query
		{"https://example.com:8443/x", "https://example.com:8443/x"},               // a port is not a password
		{"https://user:pass@example.com#frag@x", "https://user:****@example.com#frag@x"},
		{"soc@example.com", "soc@example.com"},
		{"arn:aws:lambda:us-east-1:123456789012:function:f", "arn:aws:lambda:us-east-1:123456789012:function:f"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := maskPassword(tt.in); got != tt.want {
			t.Errorf("maskPassword(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzMaskPassword checks maskPassword against Go's URL parser, which is
// what deliveries use: whatever it parses with a password parses, masked,
// with the same user, host, path and query and the password "****".
func FuzzMaskPassword(f *testing.F) {
	for _, s := range []string{"https://user:pass@example.com/path", "http://a:b@c@d/e?f#g", "https://x@y", "http://[::1]:80/", "https://u:p@h:1/p@q"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		masked := maskPassword(s)
		u, err := url.Parse(s)
		if err != nil || u.User == nil {
			return
		}
		pw, has := u.User.Password()
		if !has {
			if masked != s {
				t.Fatalf("maskPassword(%q) = %q; there is no password", s, masked)
			}
			return
		}
		m, err := url.Parse(masked)
		if err != nil {
			t.Fatalf("masked %q does not parse: %v", masked, err)
		}
		mpw, _ := m.User.Password()
		if mpw != maskedPassword || m.User.Username() != u.User.Username() || m.Host != u.Host ||
			m.Path != u.Path || m.RawQuery != u.RawQuery || m.Fragment != u.Fragment {
			t.Fatalf("maskPassword(%q) = %q", s, masked)
		}
		if pw != "" && len(pw) > 4 && strings.Count(masked, pw) >= strings.Count(s, pw) {
			t.Fatalf("maskPassword(%q) = %q still shows %q", s, masked, pw)
		}
	})
}
