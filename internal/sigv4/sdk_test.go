package sigv4_test

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/vigilsec/vigil/internal/sigv4"
)

// fakeAWS is an HTTP server that verifies every request with sigv4 and
// answers just enough for the SDK clients used below.
type fakeAWS struct {
	*httptest.Server
	mu   sync.Mutex
	last *sigv4.Result
}

func newFakeAWS(t *testing.T) *fakeAWS {
	f := &fakeAWS{}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func protocolOf(r *http.Request) sigv4.Protocol {
	switch {
	case r.Header.Get("X-Amz-Target") != "":
		return sigv4.JSON
	case strings.HasPrefix(r.URL.Path, "/2015-03-31/"):
		return sigv4.RESTJSON
	}
	return sigv4.Query
}

func (f *fakeAWS) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	p := protocolOf(r)
	res, err := sigv4.Verify(r.Context(), r, body, keys.lookup, time.Now())
	if err != nil {
		var se *sigv4.Error
		if !errors.As(err, &se) {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		code, status := sigv4.ErrorCodeFor(se, p)
		writeError(w, p, code, status, se.Message)
		return
	}
	f.mu.Lock()
	f.last = res
	f.mu.Unlock()
	switch {
	case p == sigv4.JSON:
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		io.WriteString(w, `{"Entries":[{"EventId":"e-1"}],"FailedEntryCount":0}`)
	case p == sigv4.RESTJSON:
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	case strings.Contains(string(body), "Action=ListUsers"):
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, `<ListUsersResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListUsersResult><Users/><IsTruncated>false</IsTruncated></ListUsersResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></ListUsersResponse>`)
	default:
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/t</Arn><UserId>AIDATEST</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
	}
}

func writeError(w http.ResponseWriter, p sigv4.Protocol, code string, status int, msg string) {
	if p == sigv4.Query {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		var esc strings.Builder
		xml.EscapeText(&esc, []byte(msg))
		fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`, code, esc.String())
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Errortype", code)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}

func (f *fakeAWS) result() *sigv4.Result {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.last
	f.last = nil
	return r
}

func (f *fakeAWS) config(id, secret, token string) aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(id, secret, token),
		BaseEndpoint: aws.String(f.URL),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	}
}

// Real SDK clients, each speaking its own protocol, against Verify.
func TestVerifyWithSDKClients(t *testing.T) {
	f := newFakeAWS(t)
	ctx := t.Context()
	calls := map[string]func(aws.Config) error{
		"sts GetCallerIdentity": func(c aws.Config) error {
			_, err := sts.NewFromConfig(c).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		},
		"iam ListUsers": func(c aws.Config) error {
			_, err := iam.NewFromConfig(c).ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String("/division abc/+x/")})
			return err
		},
		"events PutEvents": func(c aws.Config) error {
			_, err := eventbridge.NewFromConfig(c).PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
				Source: aws.String("vigil.test"), DetailType: aws.String("t"), Detail: aws.String(`{"k":"v ü"}`),
			}}})
			return err
		},
		"lambda Invoke": func(c aws.Config) error {
			_, err := lambda.NewFromConfig(c).Invoke(ctx, &lambda.InvokeInput{
				FunctionName: aws.String("arn:aws:lambda:us-east-1:123456789012:function:my-fn"),
				Qualifier:    aws.String("$LATEST"),
				Payload:      []byte(`{"key":"value"}`),
			})
			return err
		},
	}
	wantService := map[string]string{"sts GetCallerIdentity": "sts", "iam ListUsers": "iam", "events PutEvents": "events", "lambda Invoke": "lambda"}
	wantCode := map[string][2]string{ // unknown key, wrong secret
		"sts GetCallerIdentity": {"InvalidClientTokenId", "SignatureDoesNotMatch"},
		"iam ListUsers":         {"InvalidClientTokenId", "SignatureDoesNotMatch"},
		"events PutEvents":      {"UnrecognizedClientException", "InvalidSignatureException"},
		"lambda Invoke":         {"UnrecognizedClientException", "InvalidSignatureException"},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			for _, c := range []aws.Credentials{longCreds, tempCreds} {
				if err := call(f.config(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)); err != nil {
					t.Fatalf("with key %s: %v", c.AccessKeyID, err)
				}
				res := f.result()
				if res == nil || res.AccessKeyID != c.AccessKeyID || res.Service != wantService[name] ||
					res.Region != region || res.SessionToken != c.SessionToken {
					t.Errorf("with key %s: Result = %+v", c.AccessKeyID, res)
				}
			}
			for i, cfg := range []aws.Config{
				f.config("AKIDNOSUCHKEY", testSecret, ""),
				f.config(testKeyID, "wrong secret", ""),
			} {
				err := call(cfg)
				var ae smithy.APIError
				if !errors.As(err, &ae) {
					t.Fatalf("case %d: err = %v, want an API error", i, err)
				}
				if ae.ErrorCode() != wantCode[name][i] {
					t.Errorf("case %d: code = %s (%s), want %s", i, ae.ErrorCode(), ae.ErrorMessage(), wantCode[name][i])
				}
			}
		})
	}
}

func TestVerifySTSPresignedGetCallerIdentity(t *testing.T) {
	f := newFakeAWS(t)
	ps := sts.NewPresignClient(sts.NewFromConfig(f.config(testKeyID, testSecret, "")))
	pr, err := ps.PresignGetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(pr.Method, pr.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range pr.SignedHeader {
		if !strings.EqualFold(k, "Host") {
			req.Header[k] = vs
		}
	}
	resp, err := f.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d for presigned %s %s", resp.StatusCode, pr.Method, pr.URL)
	}
	if res := f.result(); res == nil || !res.Presigned || res.Service != "sts" {
		t.Errorf("Result = %+v", res)
	}
}
