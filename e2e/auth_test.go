package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

func TestCredentialsFileAndRootIdentity(t *testing.T) {
	v := startVigil(t)
	info, err := os.Stat(v.Creds)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("credentials file mode = %v, want 0600", info.Mode().Perm())
	}
	b, _ := os.ReadFile(v.Creds)
	if !regexp.MustCompile(`(?m)^\[vigil\]\naws_access_key_id = AKIA[A-Z2-7]{16}\naws_secret_access_key = \S{40}\n`).Match(b) {
		t.Errorf("credentials file is not in the shared-credentials format:\n%s", redact(b))
	}
	if strings.Contains(v.Log(), secretOf(b)) {
		t.Error("the root secret appears in the server log")
	}
	out, err := v.sts().GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Arn) != "arn:aws:iam::000000000000:root" || aws.ToString(out.Account) != "000000000000" {
		t.Errorf("GetCallerIdentity = %s / %s, want the root of 000000000000", aws.ToString(out.Arn), aws.ToString(out.Account))
	}

	// A restart keeps the same key and does not rewrite the file.
	v.restart(t)
	b2, _ := os.ReadFile(v.Creds)
	if !bytes.Equal(b, b2) {
		t.Error("credentials changed across a restart")
	}
	if _, err := v.sts().GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("root key after restart: %v", err)
	}
}

func TestSignatureRejections(t *testing.T) {
	v := startVigil(t)
	ctx := context.Background()
	root, err := v.Cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	with := func(akid, secret string) aws.Config {
		c := v.Cfg.Copy()
		c.Credentials = credentials.NewStaticCredentialsProvider(akid, secret, "")
		c.RetryMaxAttempts = 1
		return c
	}
	unknown := with("AKIAAAAAAAAAAAAAAAAA", root.SecretAccessKey)
	wrong := with(root.AccessKeyID, strings.Repeat("x", 40))

	_, err = iam.NewFromConfig(unknown).ListUsers(ctx, &iam.ListUsersInput{})
	wantAPIError(t, err, "InvalidClientTokenId", 403)
	_, err = sfn.NewFromConfig(unknown).ListStateMachines(ctx, &sfn.ListStateMachinesInput{})
	wantAPIError(t, err, "UnrecognizedClientException", 400)
	_, err = iam.NewFromConfig(wrong).ListUsers(ctx, &iam.ListUsersInput{})
	wantAPIError(t, err, "SignatureDoesNotMatch", 403)
	_, err = sfn.NewFromConfig(wrong).ListStateMachines(ctx, &sfn.ListStateMachinesInput{})
	wantAPIError(t, err, "InvalidSignatureException", 400)

	body := `{"maxResults": 5}`
	sign := func(r *http.Request, payload string, at time.Time) {
		t.Helper()
		h := sha256.Sum256([]byte(payload))
		if err := v4.NewSigner().SignHTTP(ctx, root, r, hex.EncodeToString(h[:]), "states", "us-east-1", at); err != nil {
			t.Fatal(err)
		}
	}
	newReq := func(payload string) *http.Request {
		r, _ := http.NewRequest(http.MethodPost, v.URL+"/", strings.NewReader(payload))
		r.Header.Set("Content-Type", "application/x-amz-json-1.0")
		r.Header.Set("X-Amz-Target", "AWSStepFunctions.ListStateMachines")
		return r
	}

	// A correctly signed raw request works, so the failures below are the tampering's.
	r := newReq(body)
	sign(r, body, time.Now())
	wantRawStatus(t, r, 200, "")

	r = newReq(`{"maxResults": 6}`)
	sign(r, body, time.Now()) // signed one body, sent another
	wantRawStatus(t, r, 400, "InvalidSignatureException")

	r = newReq(body)
	sign(r, body, time.Now().Add(-20*time.Minute))
	wantRawStatus(t, r, 400, "InvalidSignatureException")
	r = newReq(body)
	sign(r, body, time.Now().Add(20*time.Minute))
	wantRawStatus(t, r, 400, "InvalidSignatureException")

	r = newReq(body)
	wantRawStatus(t, r, 400, "MissingAuthenticationTokenException")

	r = newReq(body)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+root.AccessKeyID+"/20260101/us-east-1/states/aws4_request")
	r.Header.Set("X-Amz-Date", time.Now().UTC().Format("20060102T150405Z"))
	wantRawStatus(t, r, 400, "IncompleteSignatureException")

	// Query protocol: a form body changed after signing.
	form := "Action=ListUsers&Version=2010-05-08"
	qr, _ := http.NewRequest(http.MethodPost, v.URL+"/", strings.NewReader(form+"&MaxItems=1"))
	qr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	h := sha256.Sum256([]byte(form))
	v4.NewSigner().SignHTTP(ctx, root, qr, hex.EncodeToString(h[:]), "iam", "us-east-1", time.Now())
	wantRawStatus(t, qr, 403, "SignatureDoesNotMatch")
}

func wantAPIError(t *testing.T, err error, code string, status int) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v, want API error %s", err, code)
	}
	if ae.ErrorCode() != code {
		t.Errorf("error code = %s (%s), want %s", ae.ErrorCode(), ae.ErrorMessage(), code)
	}
	var re interface{ HTTPStatusCode() int }
	if status != 0 && errors.As(err, &re) && re.HTTPStatusCode() != status {
		t.Errorf("%s: HTTP status = %d, want %d", code, re.HTTPStatusCode(), status)
	}
}

func wantRawStatus(t *testing.T, r *http.Request, status int, code string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Errorf("status = %d, want %d; body %s", resp.StatusCode, status, b)
	}
	if code == "" {
		return
	}
	var e struct {
		Type string `json:"__type"`
	}
	json.Unmarshal(b, &e)
	if e.Type != code && !strings.Contains(string(b), "<Code>"+code+"</Code>") {
		t.Errorf("error = %s, want code %s", b, code)
	}
}

func secretOf(creds []byte) string {
	m := regexp.MustCompile(`aws_secret_access_key = (\S+)`).FindSubmatch(creds)
	if m == nil {
		return "\x00no secret\x00"
	}
	return string(m[1])
}

func redact(b []byte) string {
	return regexp.MustCompile(`(aws_secret_access_key = )\S+`).ReplaceAllString(string(b), "${1}<redacted>")
}

// TestUnsignedQueryRequests checks that awsQuery requests with no usable
// signature are refused for the signature, not for their action.
func TestUnsignedQueryRequests(t *testing.T) {
	v := startVigil(t)
	post := func(auth string) *http.Request {
		r, _ := http.NewRequest(http.MethodPost, v.URL+"/", strings.NewReader("Action=ListUsers&Version=2010-05-08"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		return r
	}
	wantRawStatus(t, post(""), 403, "MissingAuthenticationToken")
	wantRawStatus(t, post("AWS4-HMAC-SHA256 garbage"), 400, "IncompleteSignature")
}
