package sigv4_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/vigilsec/vigil/internal/sigv4"
)

const (
	testKeyID  = "AKIDVIGILTEST"
	testSecret = "s3cr3t/KEY+value=vigil"
	tempKeyID  = "ASIAVIGILTEMP"
	tempSecret = "temp/secret/value"
	tempToken  = "FwoGZXIvYXdzEPT//////////token+with/chars=="
	region     = "us-east-1"
)

var signTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// store is a key store for tests.
type store map[string]sigv4.Key

func (s store) lookup(_ context.Context, id string) (sigv4.Key, bool, error) {
	k, ok := s[id]
	return k, ok, nil
}

var keys = store{
	testKeyID: {Secret: testSecret},
	tempKeyID: {Secret: tempSecret, SessionToken: tempToken},
}

var (
	longCreds = aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}
	tempCreds = aws.Credentials{AccessKeyID: tempKeyID, SecretAccessKey: tempSecret, SessionToken: tempToken}
)

func hashHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// newRequest builds a client-side request; headers are added in order so a
// name may repeat.
func newRequest(t testing.TB, method, url string, headers [][2]string, body string) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatalf("NewRequest(%s %s): %v", method, url, err)
	}
	for _, h := range headers {
		req.Header.Add(h[0], h[1])
	}
	return req
}

// sdkSign signs req in its Authorization header with aws-sdk-go-v2.
func sdkSign(t testing.TB, req *http.Request, body string, creds aws.Credentials, service string, at time.Time) {
	t.Helper()
	err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hashHex([]byte(body)), service, region, at)
	if err != nil {
		t.Fatalf("SignHTTP: %v", err)
	}
}

// sdkPresign presigns req with aws-sdk-go-v2 and returns a client-side
// request for the presigned URL.
func sdkPresign(t testing.TB, req *http.Request, payloadHash string, creds aws.Credentials, service string, at time.Time) *http.Request {
	t.Helper()
	uri, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, payloadHash, service, region, at)
	if err != nil {
		t.Fatalf("PresignHTTP: %v", err)
	}
	out, err := http.NewRequest(req.Method, uri, nil)
	if err != nil {
		t.Fatalf("NewRequest(%s): %v", uri, err)
	}
	for k, vs := range hdr {
		if k == "Host" {
			continue
		}
		out.Header[k] = vs
	}
	return out
}

// wire sends req through HTTP/1.1 serialization and parsing, so the test
// sees the request exactly as a server would.
func wire(t testing.TB, req *http.Request) (*http.Request, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		t.Fatalf("writing request: %v", err)
	}
	sr, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		t.Fatalf("reading request: %v\n%s", err, buf.String())
	}
	body, err := io.ReadAll(sr.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return sr, body
}

func verify(r *http.Request, body []byte, now time.Time) (*sigv4.Result, error) {
	return sigv4.Verify(context.Background(), r, body, keys.lookup, now)
}

type signCase struct {
	name, method, url string
	headers           [][2]string
	body              string
	service           string
	creds             aws.Credentials
}

var signCases = []signCase{
	{name: "iam form post", method: "POST", url: "http://localhost:4566/", service: "iam",
		headers: [][2]string{{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}},
		body:    "Action=ListUsers&Version=2010-05-08&PathPrefix=%2Fdivision_abc%2F"},
	{name: "events json post", method: "POST", url: "http://localhost:4566/", service: "events",
		headers: [][2]string{{"Content-Type", "application/x-amz-json-1.1"}, {"X-Amz-Target", "AWSEvents.PutEvents"}},
		body:    `{"Entries":[{"Source":"vigil.test","DetailType":"t","Detail":"{\"a\":1}"}]}`},
	{name: "lambda arn in path", method: "GET", service: "lambda",
		url: "http://localhost:4566/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Amy-fn/configuration"},
	{name: "space unicode and escapes in path", method: "GET", service: "execute-api",
		url: "http://localhost:4566/a%20b/%E2%9C%93/ünï/路径"},
	{name: "sub-delims in path", method: "PUT", service: "execute-api",
		url:  "http://localhost:4566/a+b/c;d/e=f/@x:y/!$'()*,/~tilde/",
		body: "x"},
	{name: "escaped slash in path", method: "DELETE", service: "execute-api",
		url: "http://localhost:4566/a%2Fb/c%25d"},
	{name: "dot segments and double slash kept", method: "GET", service: "execute-api",
		url: "http://localhost:4566/a//b/../c/./d"},
	{name: "empty path", method: "GET", service: "sts", url: "http://localhost:4566"},
	{name: "unsorted repeated query", method: "GET", service: "sts",
		url: "http://localhost:4566/?b=2&a=1&a=0&A=3&Action=GetCallerIdentity"},
	{name: "encoded query keys and values", method: "GET", service: "sts",
		url: "http://localhost:4566/?key%20one=v%2Fx&%7Etilde=%7E&emoji=%F0%9F%98%80&empty=&flag&plus=a+b&amp=%26%3D"},
	{name: "query sorted after encoding", method: "GET", service: "sts",
		url: "http://localhost:4566/?list.member.10=y&list.member.2=z&list.member.1=x&a-b=1&a/b=2&a%2Bb=3"},
	{name: "headers with extra whitespace and repeats", method: "POST", service: "states",
		url: "http://localhost:4566/",
		headers: [][2]string{
			{"Content-Type", "application/x-amz-json-1.0"},
			{"X-Amz-Target", "AWSStepFunctions.StartExecution"},
			{"X-Custom", "  a   b    c  "},
			{"X-Multi", "one"},
			{"X-Multi", "  two   three "},
			{"X-Tabbed", "\tlead and trail\t"},
		},
		body: `{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:m"}`},
	{name: "session token", method: "POST", url: "http://localhost:4566/", service: "sts", creds: tempCreds,
		headers: [][2]string{{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}},
		body:    "Action=GetCallerIdentity&Version=2011-06-15"},
	{name: "default https port dropped", method: "POST", url: "https://vigil.example:443/", service: "cloudtrail",
		headers: [][2]string{{"Content-Type", "application/x-amz-json-1.1"}, {"X-Amz-Target", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"}},
		body:    "{}"},
	{name: "binary body", method: "POST", service: "lambda",
		url: "http://localhost:4566/2015-03-31/functions/fn/invocations?Qualifier=%24LATEST",
		body: string(func() []byte {
			b := make([]byte, 256)
			for i := range b {
				b[i] = byte(i)
			}
			return b
		}())},
}

func TestVerifyAcceptsSDKSignedHeader(t *testing.T) {
	for _, tc := range signCases {
		t.Run(tc.name, func(t *testing.T) {
			creds := tc.creds
			if creds.AccessKeyID == "" {
				creds = longCreds
			}
			req := newRequest(t, tc.method, tc.url, tc.headers, tc.body)
			sdkSign(t, req, tc.body, creds, tc.service, signTime)
			sr, body := wire(t, req)
			res, err := verify(sr, body, signTime.Add(30*time.Second))
			if err != nil {
				t.Fatalf("Verify: %v\nrequest line: %s %s\nAuthorization: %s", err, sr.Method, sr.RequestURI, sr.Header.Get("Authorization"))
			}
			want := sigv4.Result{AccessKeyID: creds.AccessKeyID, Region: region, Service: tc.service,
				SignedAt: signTime, SessionToken: creds.SessionToken}
			if *res != want {
				t.Errorf("Result = %+v, want %+v", *res, want)
			}
		})
	}
}

func TestVerifyAcceptsSDKPresigned(t *testing.T) {
	cases := []struct {
		name, method, url string
		payloadHash       string
		creds             aws.Credentials
		service           string
	}{
		{"sts get caller identity", "GET", "http://localhost:4566/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires=900", hashHex(nil), longCreds, "sts"},
		{"unsigned payload", "GET", "http://localhost:4566/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires=60", "UNSIGNED-PAYLOAD", longCreds, "sts"},
		{"session token", "GET", "http://localhost:4566/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires=300", hashHex(nil), tempCreds, "sts"},
		{"no expiry odd path", "GET", "http://localhost:4566/a%20b/c?z=1&a=%2F", hashHex(nil), longCreds, "execute-api"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := sdkPresign(t, newRequest(t, tc.method, tc.url, nil, ""), tc.payloadHash, tc.creds, tc.service, signTime)
			sr, body := wire(t, req)
			res, err := verify(sr, body, signTime.Add(50*time.Second))
			if err != nil {
				t.Fatalf("Verify: %v\nURL: %s", err, sr.RequestURI)
			}
			want := sigv4.Result{AccessKeyID: tc.creds.AccessKeyID, Region: region, Service: tc.service,
				SignedAt: signTime, SessionToken: tc.creds.SessionToken, Presigned: true}
			if *res != want {
				t.Errorf("Result = %+v, want %+v", *res, want)
			}
		})
	}
}

// Requests signed by botocore 1.43 (the AWS CLI's signer), recorded with
// python3-botocore. botocore normalizes the path and keeps the query as sent.
func TestVerifyBotocoreVectors(t *testing.T) {
	botoKeys := store{
		"AKIDBOTO": {Secret: "boto/secret+KEY"},
		"ASIABOTO": {Secret: "temp/secret", SessionToken: "token/with+chars=="},
	}
	at := time.Date(2026, 11, 23, 9, 3, 47, 0, time.UTC)
	const date = "20261123T090347Z"
	cases := []struct {
		name, method, url string
		headers           [][2]string
		body              string
	}{
		{"iam form", "POST", "http://localhost:4566/", [][2]string{
			{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
			{"X-Amz-Date", date},
			{"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDBOTO/20261123/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=a57f426eb0acd64044a9b2e169e3331ff209769f7717dcbcfd702ad50a6862c5"},
		}, "Action=ListUsers&Version=2010-05-08"},
		{"dot segments and double slash", "GET", "http://localhost:4566/a//b/./c/../d%20e/?b=2&a=1&a=0&sp=x%20y", [][2]string{
			{"X-Amz-Date", date},
			{"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDBOTO/20261123/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=ab959624576d055a0d5a6307cad62a855c7baf108e73e06fd5192cc83b5d37d4"},
		}, ""},
		{"events json with spaced header", "POST", "http://events.local:8080/", [][2]string{
			{"Content-Type", "application/x-amz-json-1.1"},
			{"X-Amz-Target", "AWSEvents.PutEvents"},
			{"X-Custom", "  spaced   value  "},
			{"X-Amz-Date", date},
			{"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDBOTO/20261123/us-east-1/events/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target;x-custom, Signature=17ad1243021bd90d07f7e50863af831f0b8349aa7f89a4accc2058e1f6cc19f4"},
		}, `{"Entries":[]}`},
		{"sts presigned", "GET", "http://localhost:4566/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDBOTO%2F20261123%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20261123T090347Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=f835066a97d4c6a8d8640579c4a17d8cbfaf87df18d7b359e5374abe890d1363", nil, ""},
		{"session token", "POST", "http://localhost:4566/", [][2]string{
			{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
			{"X-Amz-Date", date},
			{"X-Amz-Security-Token", "token/with+chars=="},
			{"Authorization", "AWS4-HMAC-SHA256 Credential=ASIABOTO/20261123/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=ba067fb93f417836edacf58472a0741cda13069517c60b610b3526edeac42697"},
		}, "Action=GetCallerIdentity&Version=2011-06-15"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sr, body := wire(t, newRequest(t, tc.method, tc.url, tc.headers, tc.body))
			if _, err := sigv4.Verify(context.Background(), sr, body, botoKeys.lookup, at.Add(time.Second)); err != nil {
				t.Fatalf("Verify: %v", err)
			}
		})
	}
}

// The get-vanilla case of AWS's published SigV4 test suite.
func TestVerifyAWSTestSuiteVanilla(t *testing.T) {
	suiteKeys := store{"AKIDEXAMPLE": {Secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}}
	req := newRequest(t, "GET", "http://example.amazonaws.com/", [][2]string{
		{"X-Amz-Date", "20150830T123600Z"},
		{"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
	}, "")
	sr, body := wire(t, req)
	now := time.Date(2015, 8, 30, 12, 40, 0, 0, time.UTC)
	res, err := sigv4.Verify(context.Background(), sr, body, suiteKeys.lookup, now)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if res.Service != "service" || res.Region != "us-east-1" || res.AccessKeyID != "AKIDEXAMPLE" {
		t.Errorf("Result = %+v", *res)
	}
}

// A Date header stands in for X-Amz-Date. The SDKs always send X-Amz-Date,
// so this request is signed by hand, following the AWS documentation.
func TestVerifyDateHeaderFallback(t *testing.T) {
	date := signTime.Add(-time.Minute)
	httpDate := date.Format(http.TimeFormat)
	amzDate := date.Format("20060102T150405Z")
	canonical := "GET\n/\n\ndate:" + httpDate + "\nhost:localhost:4566\n\ndate;host\n" + hashHex(nil)
	scope := amzDate[:8] + "/us-east-1/sts/aws4_request"
	sts := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hashHex([]byte(canonical))
	k := hmacSHA256([]byte("AWS4"+testSecret), amzDate[:8])
	for _, s := range []string{"us-east-1", "sts", "aws4_request"} {
		k = hmacSHA256(k, s)
	}
	sig := hex.EncodeToString(hmacSHA256(k, sts))
	req := newRequest(t, "GET", "http://localhost:4566/", [][2]string{
		{"Date", httpDate},
		{"Authorization", "AWS4-HMAC-SHA256 Credential=" + testKeyID + "/" + scope + ", SignedHeaders=date;host, Signature=" + sig},
	}, "")
	sr, body := wire(t, req)
	res, err := verify(sr, body, signTime)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if !res.SignedAt.Equal(date) {
		t.Errorf("SignedAt = %v, want %v", res.SignedAt, date)
	}
}

func TestVerifyBoundaryOfSkewWindow(t *testing.T) {
	for _, d := range []time.Duration{-sigv4.MaxSkew, sigv4.MaxSkew} {
		req := newRequest(t, "POST", "http://localhost:4566/", nil, "Action=GetCallerIdentity")
		sdkSign(t, req, "Action=GetCallerIdentity", longCreds, "sts", signTime)
		sr, body := wire(t, req)
		if _, err := verify(sr, body, signTime.Add(d)); err != nil {
			t.Errorf("now = signTime%+v: %v", d, err)
		}
	}
}

func TestVerifyLookupFailure(t *testing.T) {
	boom := errors.New("database is down")
	req := newRequest(t, "GET", "http://localhost:4566/", nil, "")
	sdkSign(t, req, "", longCreds, "sts", signTime)
	sr, body := wire(t, req)
	_, err := sigv4.Verify(context.Background(), sr, body, func(context.Context, string) (sigv4.Key, bool, error) {
		return sigv4.Key{}, false, boom
	}, signTime)
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want it to wrap %v", err, boom)
	}
	var se *sigv4.Error
	if errors.As(err, &se) {
		t.Errorf("a store failure was reported as an authentication failure: %v", se)
	}
}

func TestErrorCode(t *testing.T) {
	cases := []struct {
		kind         sigv4.Kind
		p            sigv4.Protocol
		code         string
		status       int
		viaQueryBool bool
	}{
		{sigv4.Missing, sigv4.Query, "MissingAuthenticationToken", 403, true},
		{sigv4.Incomplete, sigv4.Query, "IncompleteSignature", 400, true},
		{sigv4.UnknownKey, sigv4.Query, "InvalidClientTokenId", 403, true},
		{sigv4.BadToken, sigv4.Query, "InvalidClientTokenId", 403, true},
		{sigv4.BadSignature, sigv4.Query, "SignatureDoesNotMatch", 403, true},
		{sigv4.Skewed, sigv4.Query, "SignatureDoesNotMatch", 403, true},
		{sigv4.Missing, sigv4.JSON, "MissingAuthenticationTokenException", 400, true},
		{sigv4.Incomplete, sigv4.JSON, "IncompleteSignatureException", 400, true},
		{sigv4.UnknownKey, sigv4.JSON, "UnrecognizedClientException", 400, true},
		{sigv4.BadToken, sigv4.JSON, "UnrecognizedClientException", 400, true},
		{sigv4.BadSignature, sigv4.JSON, "InvalidSignatureException", 400, true},
		{sigv4.Skewed, sigv4.JSON, "InvalidSignatureException", 400, true},
		{sigv4.Missing, sigv4.RESTJSON, "MissingAuthenticationTokenException", 403, false},
		{sigv4.UnknownKey, sigv4.RESTJSON, "UnrecognizedClientException", 403, false},
		{sigv4.BadSignature, sigv4.RESTJSON, "InvalidSignatureException", 403, false},
		{sigv4.Expired, sigv4.Query, "ExpiredToken", 403, true},
		{sigv4.Expired, sigv4.JSON, "ExpiredTokenException", 400, true},
		{sigv4.Expired, sigv4.RESTJSON, "ExpiredTokenException", 403, false},
		{sigv4.Kind(99), sigv4.JSON, "InternalFailure", 500, true},
	}
	for _, tc := range cases {
		e := &sigv4.Error{Kind: tc.kind, Message: "m"}
		code, status := sigv4.ErrorCodeFor(e, tc.p)
		if code != tc.code || status != tc.status {
			t.Errorf("ErrorCodeFor(%v, %v) = %s %d, want %s %d", tc.kind, tc.p, code, status, tc.code, tc.status)
		}
		if tc.viaQueryBool {
			code, status = sigv4.ErrorCode(e, tc.p == sigv4.Query)
			if code != tc.code || status != tc.status {
				t.Errorf("ErrorCode(%v, %v) = %s %d, want %s %d", tc.kind, tc.p == sigv4.Query, code, status, tc.code, tc.status)
			}
		}
	}
	if code, status := sigv4.ErrorCode(nil, true); code != "InternalFailure" || status != 500 {
		t.Errorf("ErrorCode(nil) = %s %d", code, status)
	}
}

func BenchmarkVerify(b *testing.B) {
	const body = `{"Entries":[{"Source":"vigil.test","DetailType":"t","Detail":"{}"}]}`
	req := newRequest(b, "POST", "http://localhost:4566/", [][2]string{
		{"Content-Type", "application/x-amz-json-1.1"}, {"X-Amz-Target", "AWSEvents.PutEvents"},
	}, body)
	sdkSign(b, req, body, longCreds, "events", signTime)
	hr, hbody := wire(b, req)
	preq := sdkPresign(b, newRequest(b, "GET", "http://localhost:4566/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires=900", nil, ""),
		hashHex(nil), longCreds, "sts", signTime)
	pr, pbody := wire(b, preq)
	for _, bc := range []struct {
		name string
		r    *http.Request
		body []byte
	}{{"header", hr, hbody}, {"presigned", pr, pbody}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := verify(bc.r, bc.body, signTime); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
