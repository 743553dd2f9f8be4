package sns_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/identity"
	"github.com/vigilsec/vigil/internal/runtime"
	"github.com/vigilsec/vigil/internal/server"
	"github.com/vigilsec/vigil/internal/services"
	"github.com/vigilsec/vigil/internal/services/sns"
	"github.com/vigilsec/vigil/internal/sigv4"
	"github.com/vigilsec/vigil/internal/store"
)

const (
	testAccount = "123456789012"
	testRegion  = "us-east-1"
	testKeyID   = "AKIDSNSTEST000000000"
	testSecret  = "snstestsecret"
)

// rootAuth knows one key, the account root's.
type rootAuth struct{}

func (rootAuth) LookupKey(_ context.Context, id string) (identity.Principal, sigv4.Key, bool, error) {
	if id != testKeyID {
		return identity.Principal{}, sigv4.Key{}, false, nil
	}
	p := identity.Principal{Type: identity.Root, ARN: "arn:aws:iam::" + testAccount + ":root", AccountID: testAccount, PrincipalID: testAccount}
	return p, sigv4.Key{Secret: testSecret}, true, nil
}

// fakeLambda records the Invoke calls SNS makes, and fails the first
// failures of them.
type fakeLambda struct {
	mu       sync.Mutex
	calls    []json.RawMessage
	failures int
	status   int
}

var lambdaSpec = &awsproto.Spec{Name: "lambda", Protocol: awsproto.JSON11}

func (f *fakeLambda) Spec() *awsproto.Spec { return lambdaSpec }

func (f *fakeLambda) Handle(_ context.Context, call *awsproto.Call) (any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call.Input)
	if f.failures > 0 {
		f.failures--
		return nil, awsproto.Errorf(f.status, "ServiceException", "induced failure")
	}
	return map[string]any{"StatusCode": 202}, nil
}

func (f *fakeLambda) Calls() []json.RawMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]json.RawMessage(nil), f.calls...)
}

// env is an in-process Vigil with SNS and a fake Lambda behind the real
// front door.
type env struct {
	URL    string
	Client *awssns.Client
	Lambda *fakeLambda
	DB     *store.DB
	Svc    *sns.Service
	Dir    string // the data directory
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	db, err := store.Open(ctx, dir, store.SyncNormal)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	runner := runtime.New(db, log, 4)
	srv := server.New(log, testRegion)
	ts := httptest.NewServer(srv)
	senv := &services.Env{DB: db, Runner: runner, Invoker: srv, Log: log, AccountID: testAccount, Region: testRegion, BaseURL: ts.URL, DataDir: dir}
	svc := sns.New(senv)
	fl := &fakeLambda{}
	srv.Register(svc)
	srv.Register(fl)
	srv.SetAuth(rootAuth{}, nil)
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { runner.Run(ctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		<-done
		ts.Close()
		db.Close()
	})
	cfg := aws.Config{
		Region:       testRegion,
		Credentials:  credentials.NewStaticCredentialsProvider(testKeyID, testSecret, ""),
		BaseEndpoint: aws.String(ts.URL),
	}
	return &env{URL: ts.URL, Client: awssns.NewFromConfig(cfg), Lambda: fl, DB: db, Svc: svc, Dir: dir}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// delivery is one request a subscriber received.
type delivery struct {
	Header http.Header
	Body   []byte
}

func (d delivery) envelope(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(d.Body, &m); err != nil {
		t.Fatalf("delivery body is not JSON: %v\n%s", err, d.Body)
	}
	return m
}

// subscriber is an HTTP endpoint that records what it receives and can
// be told to fail.
type subscriber struct {
	*httptest.Server
	mu       sync.Mutex
	got      []delivery
	failWith []int // statuses for the next requests, in order
}

func newSubscriber(t *testing.T) *subscriber {
	s := &subscriber{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.got = append(s.got, delivery{Header: r.Header.Clone(), Body: body})
		status := http.StatusOK
		if len(s.failWith) > 0 {
			status, s.failWith = s.failWith[0], s.failWith[1:]
		}
		s.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *subscriber) deliveries() []delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]delivery(nil), s.got...)
}

func (s *subscriber) failNext(statuses ...int) {
	s.mu.Lock()
	s.failWith = append(s.failWith, statuses...)
	s.mu.Unlock()
}

// waitFor waits until the subscriber has received n requests.
func (s *subscriber) waitFor(t *testing.T, n int, within time.Duration) []delivery {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if d := s.deliveries(); len(d) >= n {
			return d
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("subscriber got %d requests within %s, want %d", len(s.deliveries()), within, n)
	return nil
}

// errorCode returns the AWS error code of err, or "".
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// verifySignature checks an envelope's signature the way a subscriber
// would, from AWS's documented procedure.
func verifySignature(t *testing.T, env map[string]any) error {
	t.Helper()
	str := func(k string) string { s, _ := env[k].(string); return s }
	resp, err := http.Get(str("SigningCertURL"))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	pemBytes, _ := io.ReadAll(resp.Body)
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return fmt.Errorf("certificate at %s is not PEM", str("SigningCertURL"))
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return err
	}
	keys := []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"}
	if str("Type") != "Notification" {
		keys = []string{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"}
	}
	var b strings.Builder
	for _, k := range keys {
		if _, ok := env[k]; !ok && k == "Subject" {
			continue
		}
		b.WriteString(k + "\n" + str(k) + "\n")
	}
	sig, err := base64.StdEncoding.DecodeString(str("Signature"))
	if err != nil {
		return err
	}
	pub := cert.PublicKey.(*rsa.PublicKey)
	if str("SignatureVersion") == "2" {
		sum := sha256.Sum256([]byte(b.String()))
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig)
	}
	sum := sha1.Sum([]byte(b.String()))
	return rsa.VerifyPKCS1v15(pub, crypto.SHA1, sum[:], sig)
}
