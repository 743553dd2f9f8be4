package sns

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime"
	"time"
)

// retryPolicy is an HTTP/S healthyRetryPolicy: after the first attempt,
// numNoDelayRetries immediate retries, numMinDelayRetries at minDelayTarget
// seconds, a backoff phase rising from minDelayTarget to maxDelayTarget,
// and numMaxDelayRetries at maxDelayTarget, numRetries in all.
type retryPolicy struct {
	MinDelayTarget     int    `json:"minDelayTarget"`
	MaxDelayTarget     int    `json:"maxDelayTarget"`
	NumRetries         int    `json:"numRetries"`
	NumMaxDelayRetries int    `json:"numMaxDelayRetries"`
	NumNoDelayRetries  int    `json:"numNoDelayRetries"`
	NumMinDelayRetries int    `json:"numMinDelayRetries"`
	BackoffFunction    string `json:"backoffFunction"`
}

// defaultHTTPRetry is AWS's default for HTTP/S: three retries 20 seconds apart.
var defaultHTTPRetry = retryPolicy{MinDelayTarget: 20, MaxDelayTarget: 20, NumRetries: 3, BackoffFunction: "linear"}

// managedRetry is AWS's fixed policy for AWS-managed endpoints such as
// Lambda: 3 immediate retries, 2 a second apart, 10 backing off from 1 to
// 20 seconds, then 100,000 20 seconds apart (about 23 days).
var managedRetry = retryPolicy{MinDelayTarget: 1, MaxDelayTarget: 20, NumRetries: 100015,
	NumNoDelayRetries: 3, NumMinDelayRetries: 2, NumMaxDelayRetries: 100000, BackoffFunction: "exponential"}

const defaultContentType = "text/plain; charset=UTF-8"

type throttlePolicy struct {
	MaxReceivesPerSecond int `json:"maxReceivesPerSecond"`
}

type requestPolicy struct {
	HeaderContentType string `json:"headerContentType"`
}

// topicHTTPPolicy is the "http" member of a topic's DeliveryPolicy.
type topicHTTPPolicy struct {
	DefaultHealthyRetryPolicy    *retryPolicy    `json:"defaultHealthyRetryPolicy,omitempty"`
	DefaultThrottlePolicy        *throttlePolicy `json:"defaultThrottlePolicy,omitempty"`
	DefaultRequestPolicy         *requestPolicy  `json:"defaultRequestPolicy,omitempty"`
	DisableSubscriptionOverrides bool            `json:"disableSubscriptionOverrides"`
}

type topicDeliveryPolicy struct {
	HTTP *topicHTTPPolicy `json:"http,omitempty"`
}

// subDeliveryPolicy is a subscription's DeliveryPolicy.
type subDeliveryPolicy struct {
	HealthyRetryPolicy *retryPolicy    `json:"healthyRetryPolicy,omitempty"`
	ThrottlePolicy     *throttlePolicy `json:"throttlePolicy,omitempty"`
	RequestPolicy      *requestPolicy  `json:"requestPolicy,omitempty"`
}

// decodeStrict decodes a policy document, refusing fields SNS does not know.
func decodeStrict(doc string, v any) error {
	dec := json.NewDecoder(bytes.NewReader([]byte(doc)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("failed to parse JSON: %v", err)
	}
	if dec.More() {
		return errors.New("failed to parse JSON: trailing data")
	}
	return nil
}

// parseTopicDeliveryPolicy parses and validates a topic's DeliveryPolicy,
// filling unset retry fields with the defaults.
func parseTopicDeliveryPolicy(doc string) (*topicDeliveryPolicy, error) {
	var raw struct {
		HTTP *struct {
			DefaultHealthyRetryPolicy    json.RawMessage `json:"defaultHealthyRetryPolicy"`
			DefaultThrottlePolicy        *throttlePolicy `json:"defaultThrottlePolicy"`
			DefaultRequestPolicy         *requestPolicy  `json:"defaultRequestPolicy"`
			DisableSubscriptionOverrides bool            `json:"disableSubscriptionOverrides"`
			DefaultSicklyRetryPolicy     json.RawMessage `json:"defaultSicklyRetryPolicy"`
		} `json:"http"`
	}
	if err := decodeStrict(doc, &raw); err != nil {
		return nil, err
	}
	p := &topicDeliveryPolicy{}
	if raw.HTTP == nil {
		return p, nil
	}
	h := &topicHTTPPolicy{DefaultThrottlePolicy: raw.HTTP.DefaultThrottlePolicy,
		DefaultRequestPolicy: raw.HTTP.DefaultRequestPolicy, DisableSubscriptionOverrides: raw.HTTP.DisableSubscriptionOverrides}
	var err error
	if h.DefaultHealthyRetryPolicy, err = parseRetry(raw.HTTP.DefaultHealthyRetryPolicy, "http.defaultHealthyRetryPolicy"); err != nil {
		return nil, err
	}
	if err := checkThrottleRequest(h.DefaultThrottlePolicy, h.DefaultRequestPolicy, "http.defaultThrottlePolicy", "http.defaultRequestPolicy"); err != nil {
		return nil, err
	}
	p.HTTP = h
	return p, nil
}

// parseSubDeliveryPolicy parses and validates a subscription's DeliveryPolicy.
func parseSubDeliveryPolicy(doc string) (*subDeliveryPolicy, error) {
	var raw struct {
		HealthyRetryPolicy json.RawMessage `json:"healthyRetryPolicy"`
		SicklyRetryPolicy  json.RawMessage `json:"sicklyRetryPolicy"`
		ThrottlePolicy     *throttlePolicy `json:"throttlePolicy"`
		RequestPolicy      *requestPolicy  `json:"requestPolicy"`
		Guaranteed         *bool           `json:"guaranteed"`
	}
	if err := decodeStrict(doc, &raw); err != nil {
		return nil, err
	}
	p := &subDeliveryPolicy{ThrottlePolicy: raw.ThrottlePolicy, RequestPolicy: raw.RequestPolicy}
	var err error
	if p.HealthyRetryPolicy, err = parseRetry(raw.HealthyRetryPolicy, "healthyRetryPolicy"); err != nil {
		return nil, err
	}
	if err := checkThrottleRequest(p.ThrottlePolicy, p.RequestPolicy, "throttlePolicy", "requestPolicy"); err != nil {
		return nil, err
	}
	return p, nil
}

// parseRetry decodes a retry policy over the defaults and validates it;
// an absent or null one is nil.
func parseRetry(raw json.RawMessage, where string) (*retryPolicy, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	r := defaultHTTPRetry
	if err := decodeStrict(string(raw), &r); err != nil {
		return nil, fmt.Errorf("%s: %v", where, err)
	}
	if err := r.validate(); err != nil {
		return nil, fmt.Errorf("%s: %v", where, err)
	}
	return &r, nil
}

// validate applies AWS's limits on HTTP/S retry policies.
func (r *retryPolicy) validate() error {
	switch {
	case r.MinDelayTarget < 1:
		return errors.New("minDelayTarget must be at least 1")
	case r.MaxDelayTarget < r.MinDelayTarget:
		return errors.New("maxDelayTarget must be at least minDelayTarget")
	case r.MaxDelayTarget > 3600:
		return errors.New("maxDelayTarget must be at most 3600")
	case r.NumRetries < 0 || r.NumRetries > 100:
		return errors.New("numRetries must be between 0 and 100")
	case r.NumNoDelayRetries < 0 || r.NumMinDelayRetries < 0 || r.NumMaxDelayRetries < 0:
		return errors.New("retry counts must not be negative")
	case r.NumNoDelayRetries > r.NumRetries || r.NumMinDelayRetries > r.NumRetries || r.NumMaxDelayRetries > r.NumRetries:
		return errors.New("numNoDelayRetries + numMinDelayRetries + numMaxDelayRetries must not exceed numRetries")
	case r.NumNoDelayRetries+r.NumMinDelayRetries+r.NumMaxDelayRetries > r.NumRetries:
		return errors.New("numNoDelayRetries + numMinDelayRetries + numMaxDelayRetries must not exceed numRetries")
	}
	switch r.BackoffFunction {
	case "linear", "arithmetic", "geometric", "exponential":
	default:
		return fmt.Errorf("backoffFunction must be one of linear, arithmetic, geometric, exponential, not %q", r.BackoffFunction)
	}
	var total time.Duration
	for i := 1; i <= r.NumRetries; i++ {
		d, _ := r.delay(i)
		total += d
	}
	if total > time.Hour {
		return errors.New("the total retry time must not exceed 3600 seconds")
	}
	return nil
}

// checkThrottleRequest validates throttle and request policies; the names
// say where they sit in the document, for the error message.
func checkThrottleRequest(t *throttlePolicy, q *requestPolicy, throttleName, requestName string) error {
	if t != nil && t.MaxReceivesPerSecond < 1 {
		return fmt.Errorf("%s: maxReceivesPerSecond must be at least 1", throttleName)
	}
	if q != nil && q.HeaderContentType != "" {
		if _, _, err := mime.ParseMediaType(q.HeaderContentType); err != nil {
			return fmt.Errorf("%s: headerContentType %q is not a media type", requestName, q.HeaderContentType)
		}
	}
	return nil
}

// delay returns how long to wait before retry number n (1-based), or
// ok=false when the policy allows no retry n.
func (r *retryPolicy) delay(n int) (d time.Duration, ok bool) {
	if n < 1 || n > r.NumRetries {
		return 0, false
	}
	backoff := r.NumRetries - r.NumNoDelayRetries - r.NumMinDelayRetries - r.NumMaxDelayRetries
	sec := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	lo, hi := float64(r.MinDelayTarget), float64(r.MaxDelayTarget)
	switch {
	case n <= r.NumNoDelayRetries:
		return 0, true
	case n <= r.NumNoDelayRetries+r.NumMinDelayRetries:
		return sec(lo), true
	case n <= r.NumNoDelayRetries+r.NumMinDelayRetries+backoff:
		i := n - r.NumNoDelayRetries - r.NumMinDelayRetries // 1..backoff
		t := 1.0
		if backoff > 1 {
			t = float64(i-1) / float64(backoff-1)
		}
		return sec(lo + (hi-lo)*curve(r.BackoffFunction, t)), true
	default:
		return sec(hi), true
	}
}

// curve maps progress t in [0,1] through the backoff phase to a fraction of
// the way from the minimum to the maximum delay. AWS publishes only the
// shapes: linear is straight, exponential rises late, geometric early, and
// arithmetic in between.
func curve(fn string, t float64) float64 {
	switch fn {
	case "exponential":
		return (math.Exp(4*t) - 1) / (math.Exp(4) - 1)
	case "geometric":
		return math.Sqrt(t)
	case "arithmetic":
		return t * t
	}
	return t
}

// effectiveHTTP is the delivery policy that applies to an HTTP/S
// subscription: the subscription's own unless the topic forbids overrides,
// then the topic's, then AWS's defaults.
type effectiveHTTP struct {
	Retry       retryPolicy
	Throttle    *throttlePolicy
	ContentType string
}

func effectivePolicy(topicDoc, subDoc string) effectiveHTTP {
	e := effectiveHTTP{Retry: defaultHTTPRetry, ContentType: defaultContentType}
	overrides := true
	if tp, err := parseTopicDeliveryPolicy(topicDoc); topicDoc != "" && err == nil && tp.HTTP != nil {
		h := tp.HTTP
		if h.DefaultHealthyRetryPolicy != nil {
			e.Retry = *h.DefaultHealthyRetryPolicy
		}
		e.Throttle = h.DefaultThrottlePolicy
		if h.DefaultRequestPolicy != nil && h.DefaultRequestPolicy.HeaderContentType != "" {
			e.ContentType = h.DefaultRequestPolicy.HeaderContentType
		}
		overrides = !h.DisableSubscriptionOverrides
	}
	if sp, err := parseSubDeliveryPolicy(subDoc); overrides && subDoc != "" && err == nil {
		if sp.HealthyRetryPolicy != nil {
			e.Retry = *sp.HealthyRetryPolicy
		}
		if sp.ThrottlePolicy != nil {
			e.Throttle = sp.ThrottlePolicy
		}
		if sp.RequestPolicy != nil && sp.RequestPolicy.HeaderContentType != "" {
			e.ContentType = sp.RequestPolicy.HeaderContentType
		}
	}
	return e
}

// topicEffectiveJSON renders a topic's EffectiveDeliveryPolicy attribute.
func topicEffectiveJSON(topicDoc string) string {
	h := topicHTTPPolicy{DefaultHealthyRetryPolicy: &defaultHTTPRetry,
		DefaultRequestPolicy: &requestPolicy{HeaderContentType: defaultContentType}}
	if tp, err := parseTopicDeliveryPolicy(topicDoc); topicDoc != "" && err == nil && tp.HTTP != nil {
		if tp.HTTP.DefaultHealthyRetryPolicy != nil {
			h.DefaultHealthyRetryPolicy = tp.HTTP.DefaultHealthyRetryPolicy
		}
		if tp.HTTP.DefaultRequestPolicy != nil {
			h.DefaultRequestPolicy = tp.HTTP.DefaultRequestPolicy
		}
		h.DefaultThrottlePolicy = tp.HTTP.DefaultThrottlePolicy
		h.DisableSubscriptionOverrides = tp.HTTP.DisableSubscriptionOverrides
	}
	return mustJSON(topicDeliveryPolicy{HTTP: &h})
}

// subEffectiveJSON renders an HTTP/S subscription's EffectiveDeliveryPolicy.
func subEffectiveJSON(e effectiveHTTP) string {
	return mustJSON(struct {
		Healthy  retryPolicy     `json:"healthyRetryPolicy"`
		Sickly   *retryPolicy    `json:"sicklyRetryPolicy"`
		Throttle *throttlePolicy `json:"throttlePolicy"`
		Request  requestPolicy   `json:"requestPolicy"`
		Guaranty bool            `json:"guaranteed"`
	}{Healthy: e.Retry, Throttle: e.Throttle, Request: requestPolicy{HeaderContentType: e.ContentType}})
}
