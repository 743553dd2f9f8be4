package sns

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/runtime"
	"github.com/vigilsec/vigil/internal/store"
)

// deliverJob is the payload of a notification delivery.
type deliverJob struct {
	Message string `json:"m"`
	Sub     string `json:"s"`
}

// confirmJob is the payload of a (Un)SubscriptionConfirmation. It carries
// everything it sends, since an UnsubscribeConfirmation outlives its
// subscription.
type confirmJob struct {
	Type, MessageID, TopicARN, SubARN, Endpoint string
	Token, Timestamp, SignatureVersion, Message string
	Retry                                       retryPolicy
	ContentType                                 string
}

// expireJob drops a subscription still pending when its token expires.
type expireJob struct {
	Sub string `json:"s"`
}

// clientError is a delivery failure that retrying cannot fix, such as a
// 4xx answer: the delivery ends at once, as SNS ends it.
type clientError struct{ error }

func (e clientError) Unwrap() error { return e.error }

const (
	deliveryTimeout = 15 * time.Second
	userAgent       = "Amazon Simple Notification Service Agent"
)

func newHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// A fresh connection per delivery: a POST on a kept-alive connection
	// the endpoint has just closed fails without being retried by Go, and
	// would wait out a whole retry delay.
	tr.DisableKeepAlives = true
	return &http.Client{
		Timeout:   deliveryTimeout,
		Transport: tr,
		// A redirect is an answer, not an address to follow.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func (s *Service) handleDeliver(ctx context.Context, job store.Job) error {
	var p deliverJob
	if err := json.Unmarshal(job.Payload, &p); err != nil {
		return runtime.Permanent(fmt.Errorf("decode delivery job: %w", err))
	}
	db := s.env.DB.Read()
	msg, err := getMessage(ctx, db, p.Message)
	if errors.Is(err, errNotFound) {
		return s.finish(ctx, job, "")
	}
	if err != nil {
		return err
	}
	sub, err := getSubscription(ctx, db, p.Sub)
	if errors.Is(err, errNotFound) || (err == nil && !sub.Confirmed) {
		return s.finish(ctx, job, p.Message) // unsubscribed since: nothing to deliver
	}
	if err != nil {
		return err
	}
	t, err := getTopic(ctx, db, sub.TopicARN)
	if errors.Is(err, errNotFound) {
		return s.finish(ctx, job, p.Message)
	}
	if err != nil {
		return err
	}
	pol, err := s.topicPolicy(t)
	if err != nil {
		// Fail closed: nothing leaves a topic whose policy cannot be read.
		return &runtime.RetryAt{At: time.Now().Add(policyHold), Cause: err}
	}
	if pol != nil {
		view, denied, findings := s.outbound(pol, sub, msg)
		if denied {
			return s.finishDenied(ctx, job, sub, msg.ID, findings)
		}
		if len(findings) > 0 {
			if err := s.env.DB.Write(ctx, func(tx *store.Tx) error { return auditOnce(ctx, tx, job.ID, findings) }); err != nil {
				return err
			}
		}
		msg = view
	}
	var retry retryPolicy
	switch sub.Protocol {
	case "http", "https":
		pol := effectivePolicy(t.Attrs["DeliveryPolicy"], sub.Attrs["DeliveryPolicy"])
		retry = pol.Retry
		err = s.deliverHTTP(ctx, t, sub, msg, pol)
	case "lambda":
		retry = managedRetry
		err = s.deliverLambda(ctx, t, sub, msg)
	default:
		s.log.Info("no delivery for protocol; message dropped", "protocol", sub.Protocol, "subscription", sub.ARN, "message", msg.ID)
	}
	if err == nil {
		return s.finish(ctx, job, p.Message)
	}
	s.log.Info("delivery failed", "subscription", sub.ARN, "message", msg.ID, "attempt", job.Attempts, "err", err)
	return nextAttempt(job, retry, err)
}

// auditOnce enqueues a delivery's outbound audit findings unless an
// earlier attempt of the same job committed them: the job's marker row
// and the findings commit together, so each delivery job writes its
// findings once even when an attempt fails or crashes on either side of
// that commit. The marker goes when the job finishes (finish).
func auditOnce(ctx context.Context, tx *store.Tx, jobID int64, findings []findingJob) error {
	if len(findings) == 0 {
		return nil
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO sns_outbound_audited (job_id) VALUES (?) ON CONFLICT DO NOTHING`, jobID)
	if err != nil {
		return fmt.Errorf("mark delivery %d audited: %w", jobID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	return enqueueFindings(ctx, tx, findings)
}

// finish ends a delivery job, forgets that its findings were written and
// releases its hold on the message, in one transaction.
func (s *Service) finish(ctx context.Context, job store.Job, msgID string) error {
	return s.env.DB.Write(ctx, func(tx *store.Tx) error {
		return s.finishTx(ctx, tx, job, msgID)
	})
}

func (s *Service) finishTx(ctx context.Context, tx *store.Tx, job store.Job, msgID string) error {
	if err := tx.Finish(ctx, job.ID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM sns_outbound_audited WHERE job_id = ?`, job.ID); err != nil {
		return fmt.Errorf("forget audit of delivery %d: %w", job.ID, err)
	}
	if msgID == "" {
		return nil
	}
	return releaseMessage(ctx, tx, msgID)
}

// finishDenied ends a delivery that data protection denied: the
// subscriber gets nothing, and the denial and the findings (unless an
// earlier attempt wrote them) are committed with the job's end.
func (s *Service) finishDenied(ctx context.Context, job store.Job, sub *subscription, msgID string, findings []findingJob) error {
	return s.env.DB.Write(ctx, func(tx *store.Tx) error {
		if err := countDenied(ctx, tx, sub); err != nil {
			return fmt.Errorf("count denied delivery: %w", err)
		}
		if err := auditOnce(ctx, tx, job.ID, findings); err != nil {
			return err
		}
		return s.finishTx(ctx, tx, job, msgID)
	})
}

// nextAttempt schedules the retry the policy allows after a failed
// attempt, or ends the job when it allows none or retrying cannot help.
func nextAttempt(job store.Job, retry retryPolicy, err error) error {
	var ce clientError
	if errors.As(err, &ce) {
		return runtime.Permanent(err)
	}
	d, ok := retry.delay(job.Attempts)
	if !ok {
		return runtime.Permanent(fmt.Errorf("delivery policy exhausted after %d attempts: %w", job.Attempts, err))
	}
	return &runtime.RetryAt{At: time.Now().Add(d), Cause: err}
}

func (s *Service) deliverHTTP(ctx context.Context, t *topic, sub *subscription, msg *storedMessage, pol effectiveHTTP) error {
	e, err := s.notification(t, sub, msg)
	if err != nil {
		return err
	}
	h := http.Header{}
	h.Set("x-amz-sns-message-type", e.Type)
	h.Set("x-amz-sns-message-id", e.MessageID)
	h.Set("x-amz-sns-topic-arn", e.TopicARN)
	h.Set("x-amz-sns-subscription-arn", sub.ARN)
	var body []byte
	if sub.Attrs["RawMessageDelivery"] == "true" {
		h.Set("x-amz-sns-rawdelivery", "true")
		body = []byte(e.Message)
	} else if body, err = encodeJSON(e); err != nil {
		return err
	}
	if err := s.throttle.wait(ctx, sub.ARN, pol.Throttle); err != nil {
		return err
	}
	return s.post(ctx, sub.Endpoint, body, h, pol.ContentType)
}

// post sends one HTTP delivery. 2xx is success; 4xx other than 429 is a
// client error that ends the delivery; anything else may be retried.
// Errors name the endpoint without the password it may carry for basic
// authentication: they end up in the log and in the job table.
func (s *Service) post(ctx context.Context, endpoint string, body []byte, h http.Header, contentType string) error {
	shown := maskPassword(endpoint)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		var ue *url.Error // its message would repeat the whole URL
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return clientError{fmt.Errorf("endpoint %s: %w", shown, err)}
	}
	req.Header = h
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", userAgent)
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("post to %s: %w", shown, err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	resp.Body.Close()
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return nil
	case c >= 400 && c < 500 && c != http.StatusTooManyRequests:
		return clientError{fmt.Errorf("endpoint %s answered %s", shown, resp.Status)}
	default:
		return fmt.Errorf("endpoint %s answered %s", shown, resp.Status)
	}
}

// lambdaInvokeInput is Lambda Invoke's input; Payload is a blob, so it
// travels base64-encoded in JSON.
type lambdaInvokeInput struct {
	FunctionName   string `json:"FunctionName"`
	InvocationType string `json:"InvocationType"`
	Payload        []byte `json:"Payload"`
}

func (s *Service) deliverLambda(ctx context.Context, t *topic, sub *subscription, msg *storedMessage) error {
	if s.env.Invoker == nil {
		return errors.New("no invoker to reach the lambda service")
	}
	e, err := s.notification(t, sub, msg)
	if err != nil {
		return err
	}
	payload, err := encodeJSON(lambdaEventFor(sub, e))
	if err != nil {
		return err
	}
	as := s.env.Root()
	as.InvokedBy = "sns.amazonaws.com"
	_, err = s.env.Invoker.Invoke(ctx, as, "lambda", "Invoke",
		lambdaInvokeInput{FunctionName: sub.Endpoint, InvocationType: "Event", Payload: payload})
	var ae *awsproto.Error
	if errors.As(err, &ae) && ae.Status >= 400 && ae.Status < 500 && ae.Status != http.StatusTooManyRequests {
		return clientError{fmt.Errorf("invoke %s: %w", sub.Endpoint, err)}
	}
	if err != nil {
		return fmt.Errorf("invoke %s: %w", sub.Endpoint, err)
	}
	return nil
}

func (s *Service) handleConfirm(ctx context.Context, job store.Job) error {
	var p confirmJob
	if err := json.Unmarshal(job.Payload, &p); err != nil {
		return runtime.Permanent(fmt.Errorf("decode confirmation job: %w", err))
	}
	if p.Type == typeSubConfirm {
		sub, err := getSubscription(ctx, s.env.DB.Read(), p.SubARN)
		if errors.Is(err, errNotFound) || (err == nil && sub.Confirmed) {
			return nil // nothing left to confirm
		}
		if err != nil {
			return err
		}
	}
	e := &envelope{Type: p.Type, MessageID: p.MessageID, Token: p.Token, TopicARN: p.TopicARN, Message: p.Message,
		SubscribeURL: s.subscribeURL(p.TopicARN, p.Token), Timestamp: p.Timestamp}
	if err := s.signEnvelope(e, p.SignatureVersion); err != nil {
		return err
	}
	body, err := encodeJSON(e)
	if err != nil {
		return runtime.Permanent(err)
	}
	h := http.Header{}
	h.Set("x-amz-sns-message-type", e.Type)
	h.Set("x-amz-sns-message-id", e.MessageID)
	h.Set("x-amz-sns-topic-arn", e.TopicARN)
	if p.Type == typeUnsubConfirm {
		h.Set("x-amz-sns-subscription-arn", p.SubARN)
	}
	if err := s.post(ctx, p.Endpoint, body, h, p.ContentType); err != nil {
		s.log.Info("confirmation delivery failed", "type", p.Type, "subscription", p.SubARN, "attempt", job.Attempts, "err", err)
		return nextAttempt(job, p.Retry, err)
	}
	return nil
}

func (s *Service) handleExpire(ctx context.Context, job store.Job) error {
	var p expireJob
	if err := json.Unmarshal(job.Payload, &p); err != nil {
		return runtime.Permanent(fmt.Errorf("decode expiry job: %w", err))
	}
	return s.env.DB.Write(ctx, func(tx *store.Tx) error {
		if _, err := deleteSubscriptions(ctx, tx, `arn = ? AND confirmed = 0`, p.Sub); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sns_tokens WHERE expires < ?`, time.Now().UnixNano()); err != nil {
			return fmt.Errorf("delete expired tokens: %w", err)
		}
		return tx.Finish(ctx, job.ID)
	})
}

// throttles spaces deliveries per subscription to honour
// throttlePolicy.maxReceivesPerSecond within this process.
type throttles struct {
	mu   sync.Mutex
	next map[string]time.Time
}

func (t *throttles) wait(ctx context.Context, key string, p *throttlePolicy) error {
	if p == nil || p.MaxReceivesPerSecond < 1 {
		return nil
	}
	interval := time.Second / time.Duration(p.MaxReceivesPerSecond)
	t.mu.Lock()
	if t.next == nil {
		t.next = map[string]time.Time{}
	}
	at := time.Now()
	if n := t.next[key]; n.After(at) {
		at = n
	}
	t.next[key] = at.Add(interval)
	t.mu.Unlock()
	d := time.Until(at)
	if d <= 0 {
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
