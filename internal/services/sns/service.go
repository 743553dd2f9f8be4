// Package sns serves Amazon SNS over awsQuery: topics, subscriptions and
// durable, signed deliveries to HTTP/HTTPS endpoints and Vigil functions.
//
// Publish (and PublishBatch, for each message it accepts) commits the
// message together with one delivery job per confirmed subscription whose
// filter policy matches, so a message that was acknowledged is delivered
// even if the process dies right after. HTTP deliveries carry AWS's JSON
// envelope signed with a key that Vigil creates once and whose certificate
// it serves at SigningCertURL.
//
// What differs from AWS, deliberately:
//   - email and email-json subscriptions are stored and stay pending: no mail
//     is sent. The SubscribeURL is written to the log, so an operator can
//     confirm one by hand; deliveries to a confirmed one are logged and dropped.
//   - sqs, sms, application and firehose subscriptions, FIFO topics, SMS
//     publishing, KMS encryption, delivery-status logging and dead-letter
//     queues are refused with an error naming them.
//   - the password of a basic-auth HTTP/S endpoint is shown as "****" in
//     every answer and audit record, GetSubscriptionAttributes included
//     (endpoint.go). AWS masks it so in the List operations; its
//     documentation leaves open whether GetSubscriptionAttributes does.
//   - message data protection (dataprotection.go) writes audit findings to
//     files under the data directory instead of CloudWatch Logs, Firehose or
//     S3, and counts the deliveries an Outbound Deny stopped in the
//     DataProtectionDeliveriesDenied attribute of topics and subscriptions.
//   - HTTP retries follow the topic's or subscription's delivery policy
//     (immediate, pre-backoff, backoff and post-backoff phases); 4xx answers
//     other than 429 end the delivery at once, as AWS treats them as
//     client-side errors. Lambda deliveries follow AWS's policy for AWS-managed
//     endpoints. throttlePolicy.maxReceivesPerSecond is enforced per
//     subscription within one process.
package sns

import (
	"context"
	"crypto/rsa"
	"fmt"
	"log/slog"
	"net/http"
	"sync"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/runtime"
	"github.com/vigilsec/vigil/internal/services"
)

var spec = &awsproto.Spec{
	Name:         "sns",
	Protocol:     awsproto.Query,
	XMLNamespace: "http://sns.amazonaws.com/doc/2010-03-31/",
	EventSource:  "sns.amazonaws.com",
	// Subscribers follow SubscribeURL and UnsubscribeURL with a plain GET.
	Anonymous: []string{"ConfirmSubscription", "Unsubscribe"},
	// SNS answers every malformed argument with InvalidParameter.
	MalformedCode: "InvalidParameter",
}

// Job kinds.
const (
	kindDeliver = "sns.deliver" // a notification to one subscription
	kindConfirm = "sns.confirm" // a (Un)SubscriptionConfirmation to an HTTP endpoint
	kindExpire  = "sns.expire"  // drop a subscription nobody confirmed in time
	// kindFindings (findings.go) writes data protection audit findings.
)

// Service is the SNS service.
type Service struct {
	env    *services.Env
	log    *slog.Logger
	client *http.Client

	keyOnce sync.Once
	keyErr  error
	signer  *signer

	filters  filterCache
	throttle throttles

	dp         dpCache    // compiled data protection policies
	findingsMu sync.Mutex // serialises appends to findings files

	afterScreen func() // for tests: runs after a publish screens its messages outside the transaction
}

// New returns the SNS service and registers its job handlers with env.Runner.
func New(env *services.Env) *Service {
	log := env.Log
	if log == nil {
		log = slog.Default()
	}
	s := &Service{env: env, log: log.With("service", "sns"), client: newHTTPClient()}
	if env.Runner != nil {
		// Handlers decide their own retries (RetryAt, Permanent); the
		// policy only covers failures of Vigil itself, such as the store.
		p := runtime.Policy{Backoff: runtime.DefaultPolicy.Backoff, MaxBackoff: runtime.DefaultPolicy.MaxBackoff}
		env.Runner.Handle(kindDeliver, s.handleDeliver, p)
		env.Runner.Handle(kindConfirm, s.handleConfirm, p)
		env.Runner.Handle(kindExpire, s.handleExpire, p)
		env.Runner.Handle(kindFindings, s.handleFindings, runtime.DefaultPolicy)
	}
	return s
}

// Spec describes how SNS is reached.
func (s *Service) Spec() *awsproto.Spec { return spec }

// Start migrates the schema and loads (creating once) the signing key.
func (s *Service) Start(ctx context.Context) error {
	return s.ensureKey(ctx)
}

// ensureKey runs the migrations and loads the signing key exactly once;
// Routes needs the key's certificate path before Start runs.
func (s *Service) ensureKey(ctx context.Context) error {
	s.keyOnce.Do(func() {
		if err := s.env.DB.Migrate(ctx, "sns", schema); err != nil {
			s.keyErr = err
			return
		}
		s.signer, s.keyErr = loadSigner(ctx, s.env.DB)
	})
	return s.keyErr
}

// Routes serves the signing certificate without authentication, as AWS
// serves it from SigningCertURL.
func (s *Service) Routes() map[string]http.Handler {
	if err := s.ensureKey(context.Background()); err != nil {
		s.log.Error("load signing key", "err", err)
		return nil
	}
	return map[string]http.Handler{s.signer.certPath: http.HandlerFunc(s.serveCert)}
}

func (s *Service) serveCert(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "application/x-pem-file")
	w.Write(s.signer.certPEM)
}

// key returns the signing key, loading it if Start has not run (tests).
func (s *Service) key() (*rsa.PrivateKey, error) {
	if err := s.ensureKey(context.Background()); err != nil {
		return nil, err
	}
	return s.signer.key, nil
}

// Handle runs one SNS operation.
func (s *Service) Handle(ctx context.Context, call *awsproto.Call) (any, error) {
	if err := s.ensureKey(ctx); err != nil {
		return nil, fmt.Errorf("sns not ready: %w", err)
	}
	switch call.Action {
	case "CreateTopic":
		return s.createTopic(ctx, call)
	case "ListTopics":
		return s.listTopics(ctx, call)
	case "DeleteTopic":
		return s.deleteTopic(ctx, call)
	case "GetTopicAttributes":
		return s.getTopicAttributes(ctx, call)
	case "SetTopicAttributes":
		return s.setTopicAttributes(ctx, call)
	case "TagResource":
		return s.tagResource(ctx, call)
	case "UntagResource":
		return s.untagResource(ctx, call)
	case "ListTagsForResource":
		return s.listTagsForResource(ctx, call)
	case "Subscribe":
		return s.subscribe(ctx, call)
	case "ConfirmSubscription":
		return s.confirmSubscription(ctx, call)
	case "Unsubscribe":
		return s.unsubscribe(ctx, call)
	case "ListSubscriptions":
		return s.listSubscriptions(ctx, call)
	case "ListSubscriptionsByTopic":
		return s.listSubscriptionsByTopic(ctx, call)
	case "GetSubscriptionAttributes":
		return s.getSubscriptionAttributes(ctx, call)
	case "SetSubscriptionAttributes":
		return s.setSubscriptionAttributes(ctx, call)
	case "Publish":
		return s.publish(ctx, call)
	case "PublishBatch":
		return s.publishBatch(ctx, call)
	case "PutDataProtectionPolicy":
		return s.putDataProtectionPolicy(ctx, call)
	case "GetDataProtectionPolicy":
		return s.getDataProtectionPolicy(ctx, call)
	}
	return nil, awsproto.Errorf(http.StatusBadRequest, "InvalidAction", "Could not find operation %s for version 2010-03-31", call.Action)
}
