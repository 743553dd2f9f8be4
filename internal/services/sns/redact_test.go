package sns

import (
	"context"
	"net/http"
	"net/http/httptest"
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
