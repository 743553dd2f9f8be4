package sns

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/arn"
	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/store"
)

// What Subscribe and the List operations show in place of the ARN of a
// subscription that is not confirmed yet.
const (
	pendingSubscribe = "pending confirmation"
	pendingList      = "PendingConfirmation"
)

// checkEndpoint validates a subscription's protocol and endpoint.
func checkEndpoint(protocol, endpoint string) *awsproto.Error {
	switch protocol {
	case "http", "https":
		u, err := url.Parse(endpoint)
		if err != nil || u.Scheme != protocol || u.Host == "" || !strings.HasPrefix(endpoint, protocol+"://") {
			return invalid("Endpoint must match the specified protocol")
		}
	case "email", "email-json":
		local, domain, ok := strings.Cut(endpoint, "@")
		if !ok || local == "" || !strings.Contains(domain, ".") || strings.ContainsAny(endpoint, " \t\r\n<>") {
			return invalid("Email address")
		}
	case "lambda":
		a, err := arn.Parse(endpoint)
		if err != nil || a.Service != "lambda" || a.ResourceType() != "function" || a.ResourceID() == "" {
			return invalid("Lambda endpoint ARN")
		}
	case "sqs", "sms", "application", "firehose":
		return invalid("Protocol: Vigil does not support the %s protocol", protocol)
	case "":
		return invalid("Protocol Reason: no value for required parameter")
	default:
		return invalid("Amazon SNS does not support this protocol string: %s", protocol)
	}
	return nil
}

func isHTTP(protocol string) bool { return protocol == "http" || protocol == "https" }

// checkSubAttr validates one subscription attribute other than FilterPolicy,
// which needs its scope. reason prefixes the message as for topics.
func checkSubAttr(name, value, protocol, reason string) *awsproto.Error {
	switch name {
	case "RawMessageDelivery":
		if !strings.EqualFold(value, "true") && !strings.EqualFold(value, "false") {
			return invalid("%sRawMessageDelivery: Invalid value [%s]. Must be true or false.", reason, value)
		}
		if !isHTTP(protocol) {
			return invalid("%sDelivery protocol [%s] does not support raw message delivery.", reason, protocol)
		}
	case "DeliveryPolicy":
		if !isHTTP(protocol) {
			return invalid("%sDeliveryPolicy: Delivery protocol [%s] does not support delivery policies.", reason, protocol)
		}
		if value != "" {
			if _, err := parseSubDeliveryPolicy(value); err != nil {
				return invalid("%sDeliveryPolicy: %v", reason, err)
			}
		}
	case "FilterPolicy":
	case "FilterPolicyScope":
		if value != "MessageAttributes" && value != "MessageBody" {
			return invalid("%sFilterPolicyScope: Invalid value [%s]. Please use either MessageBody or MessageAttributes", reason, value)
		}
	case "RedrivePolicy":
		return invalid("%sRedrivePolicy: Vigil does not support dead-letter queues", reason)
	case "SubscriptionRoleArn":
		return invalid("%sSubscriptionRoleArn: Vigil does not support Firehose subscriptions", reason)
	case "ReplayPolicy":
		return invalid("%sReplayPolicy: Vigil does not support message replay", reason)
	default:
		if reason == "" {
			return invalid("AttributeName")
		}
		return invalid("%sUnknown attribute %s", reason, name)
	}
	return nil
}

// normalizeSubAttrs validates Subscribe's attributes and returns them as stored.
func (s *Service) normalizeSubAttrs(in map[string]string, protocol string) (map[string]string, *awsproto.Error) {
	out := map[string]string{}
	for _, k := range sortedKeys(in) {
		v := in[k]
		if e := checkSubAttr(k, v, protocol, "Attributes Reason: "); e != nil {
			return nil, e
		}
		if k == "RawMessageDelivery" {
			v = strings.ToLower(v)
		}
		out[k] = v
	}
	if p := out["FilterPolicy"]; p != "" {
		if e := s.filters.check(p, scopeOf(out), "Attributes Reason: "); e != nil {
			return nil, e
		}
	} else {
		delete(out, "FilterPolicy")
	}
	return out, nil
}

// sameAttrs reports whether asked, as Subscribe gives them, agree with an
// existing subscription's.
func sameAttrs(existing, asked map[string]string) bool {
	for k, v := range asked {
		have, ok := existing[k]
		if !ok {
			switch k {
			case "RawMessageDelivery":
				have = "false"
			case "FilterPolicyScope":
				have = "MessageAttributes"
			}
		}
		if have != v {
			return false
		}
	}
	return true
}

func (s *Service) subscribe(ctx context.Context, call *awsproto.Call) (*SubscriptionArnResult, error) {
	maskSubscribeAudit(call)
	var in SubscribeInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	call.AddResource(resourceTopic, in.TopicArn)
	if e := s.checkTopicARN(in.TopicArn, "TopicArn", "Subscribe"); e != nil {
		return nil, e
	}
	if e := checkEndpoint(in.Protocol, in.Endpoint); e != nil {
		return nil, e
	}
	attrs, e := s.normalizeSubAttrs(in.Attributes, in.Protocol)
	if e != nil {
		return nil, e
	}
	var res SubscriptionArnResult
	var logURL string
	err := s.env.DB.Write(ctx, func(tx *store.Tx) error {
		t, err := s.loadTopic(ctx, tx, in.TopicArn, "TopicArn", "Subscribe")
		if err != nil {
			return err
		}
		sub, err := s.findOrAddSubscription(ctx, tx, t, &in, attrs, call.Caller.ARN)
		if err != nil {
			return err
		}
		res.SubscriptionArn = sub.ARN
		if sub.Confirmed {
			return nil
		}
		if !in.ReturnSubscriptionArn.Value {
			res.SubscriptionArn = pendingSubscribe
		}
		logURL, err = s.requestConfirmation(ctx, tx, t, sub)
		return err
	})
	if err != nil {
		return nil, err
	}
	if logURL != "" {
		s.log.Info("email subscription pending: no mail is sent; confirm it by visiting its SubscribeURL",
			"topic", in.TopicArn, "endpoint", in.Endpoint, "subscribe_url", logURL)
	}
	return &res, nil
}

// findOrAddSubscription returns the topic's subscription of in's protocol
// and endpoint, creating it if there is none: subscribing again is
// idempotent, and a pending subscription then gets a fresh confirmation.
func (s *Service) findOrAddSubscription(ctx context.Context, tx *store.Tx, t *topic, in *SubscribeInput, attrs map[string]string, principal string) (*subscription, error) {
	existing, err := querySubscriptions(ctx, tx, `WHERE topic_arn = ? AND protocol = ? AND endpoint = ?`, t.ARN, in.Protocol, in.Endpoint)
	if err != nil {
		return nil, err
	}
	if len(existing) > 0 {
		if !sameAttrs(existing[0].Attrs, attrs) {
			return nil, invalid("Attributes Reason: Subscription already exists with different attributes")
		}
		return existing[0], nil
	}
	sub := &subscription{ARN: t.ARN + ":" + newID(), TopicARN: t.ARN, Protocol: in.Protocol, Endpoint: in.Endpoint,
		Owner: s.env.AccountID, Principal: principal, Attrs: attrs, Created: time.Now()}
	if in.Protocol == "lambda" {
		// Vigil's own functions are in the same account: no handshake, as in AWS.
		sub.Confirmed, sub.ConfirmedAuthenticated = true, true
	}
	if err := upsertSubscription(ctx, tx, sub); err != nil {
		return nil, err
	}
	if !sub.Confirmed {
		if _, err := tx.Enqueue(ctx, kindExpire, []byte(mustJSON(expireJob{Sub: sub.ARN})), time.Now().Add(tokenLifetime)); err != nil {
			return nil, err
		}
	}
	return sub, nil
}

// requestConfirmation issues a token for a pending subscription and, for
// HTTP/S, queues the SubscriptionConfirmation message. For email it
// returns the SubscribeURL, which the caller logs.
func (s *Service) requestConfirmation(ctx context.Context, tx *store.Tx, t *topic, sub *subscription) (string, error) {
	tok := &token{Token: newToken(), SubscriptionARN: sub.ARN, TopicARN: t.ARN, Expires: time.Now().Add(tokenLifetime)}
	if err := insertToken(ctx, tx, tok); err != nil {
		return "", err
	}
	if !isHTTP(sub.Protocol) {
		return s.subscribeURL(t.ARN, tok.Token), nil
	}
	pol := effectivePolicy(t.Attrs["DeliveryPolicy"], sub.Attrs["DeliveryPolicy"])
	job := confirmJob{
		Type: typeSubConfirm, MessageID: newID(), TopicARN: t.ARN, SubARN: sub.ARN, Endpoint: sub.Endpoint,
		Token: tok.Token, Timestamp: timestamp(time.Now()), SignatureVersion: signatureVersion(t),
		Message: "This endpoint was subscribed to the topic " + t.ARN +
			".\nOpen the SubscribeURL of this message to confirm it; until then it receives nothing.",
		Retry: pol.Retry, ContentType: pol.ContentType,
	}
	_, err := tx.Enqueue(ctx, kindConfirm, []byte(mustJSON(job)), time.Time{})
	return "", err
}

func (s *Service) subscribeURL(topicARN, tok string) string {
	return s.env.BaseURL + "/?Action=ConfirmSubscription&TopicArn=" + url.QueryEscape(topicARN) + "&Token=" + url.QueryEscape(tok)
}

func (s *Service) unsubscribeURL(subARN string) string {
	return s.env.BaseURL + "/?Action=Unsubscribe&SubscriptionArn=" + url.QueryEscape(subARN)
}

func signatureVersion(t *topic) string {
	if v := t.Attrs["SignatureVersion"]; v != "" {
		return v
	}
	return "1"
}

func (s *Service) confirmSubscription(ctx context.Context, call *awsproto.Call) (*SubscriptionArnResult, error) {
	var in ConfirmSubscriptionInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	call.AddResource(resourceTopic, in.TopicArn)
	if e := s.checkTopicARN(in.TopicArn, "TopicArn", "ConfirmSubscription"); e != nil {
		return nil, e
	}
	if in.Token == "" {
		return nil, invalid("Token Reason: no value for required parameter")
	}
	authenticated := call.Caller.ARN != ""
	// The flag only counts on a signed call, as in AWS.
	authUnsub := authenticated && strings.EqualFold(in.AuthenticateOnUnsubscribe, "true")
	var res SubscriptionArnResult
	err := s.env.DB.Write(ctx, func(tx *store.Tx) error {
		tok, err := getToken(ctx, tx, in.Token)
		if errors.Is(err, errNotFound) || (err == nil && (tok.TopicARN != in.TopicArn || time.Now().After(tok.Expires))) {
			return invalid("Token")
		}
		if err != nil {
			return err
		}
		if _, err := s.loadTopic(ctx, tx, in.TopicArn, "TopicArn", "ConfirmSubscription"); err != nil {
			return err
		}
		sub, err := getSubscription(ctx, tx, tok.SubscriptionARN)
		switch {
		case errors.Is(err, errNotFound) && tok.Restore != nil:
			sub = tok.Restore // the UnsubscribeConfirmation's SubscribeURL undoes the unsubscribe
		case errors.Is(err, errNotFound):
			return invalid("Token")
		case err != nil:
			return err
		}
		res.SubscriptionArn = sub.ARN
		if sub.Confirmed && tok.Restore == nil && !authUnsub {
			return nil // confirming twice changes nothing
		}
		sub.Confirmed = true
		sub.ConfirmedAuthenticated = authenticated
		sub.AuthUnsubscribe = sub.AuthUnsubscribe || authUnsub
		return upsertSubscription(ctx, tx, sub)
	})
	if err != nil {
		return nil, err
	}
	call.AddResource(resourceSubscription, res.SubscriptionArn)
	return &res, nil
}

func (s *Service) unsubscribe(ctx context.Context, call *awsproto.Call) (any, error) {
	var in SubscriptionInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	call.AddResource(resourceSubscription, in.SubscriptionArn)
	if e := s.checkSubscriptionARN(in.SubscriptionArn, "Unsubscribe"); e != nil {
		return nil, e
	}
	authenticated := call.Caller.ARN != ""
	err := s.env.DB.Write(ctx, func(tx *store.Tx) error {
		sub, err := getSubscription(ctx, tx, in.SubscriptionArn)
		if errors.Is(err, errNotFound) {
			return nil // unsubscribing is idempotent
		}
		if err != nil {
			return err
		}
		if !authenticated && sub.AuthUnsubscribe {
			return authorizationError("This subscription was confirmed with AuthenticateOnUnsubscribe; unsubscribing it needs a signed request")
		}
		if _, err := deleteSubscriptions(ctx, tx, `arn = ?`, sub.ARN); err != nil {
			return err
		}
		t, err := getTopic(ctx, tx, sub.TopicARN)
		if errors.Is(err, errNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		t.Deleted++
		if err := updateTopic(ctx, tx, t); err != nil {
			return err
		}
		// A subscriber that left through UnsubscribeURL is told, and may undo it.
		if !authenticated && isHTTP(sub.Protocol) && sub.Confirmed {
			return s.sendUnsubscribeConfirmation(ctx, tx, t, sub)
		}
		return nil
	})
	return nil, err
}

func (s *Service) sendUnsubscribeConfirmation(ctx context.Context, tx *store.Tx, t *topic, sub *subscription) error {
	tok := &token{Token: newToken(), SubscriptionARN: sub.ARN, TopicARN: t.ARN, Restore: sub, Expires: time.Now().Add(tokenLifetime)}
	if err := insertToken(ctx, tx, tok); err != nil {
		return err
	}
	pol := effectivePolicy(t.Attrs["DeliveryPolicy"], sub.Attrs["DeliveryPolicy"])
	job := confirmJob{
		Type: typeUnsubConfirm, MessageID: newID(), TopicARN: t.ARN, SubARN: sub.ARN, Endpoint: sub.Endpoint,
		Token: tok.Token, Timestamp: timestamp(time.Now()), SignatureVersion: signatureVersion(t),
		Message: "The subscription " + sub.ARN + " was removed.\n" +
			"Open the SubscribeURL of this message within three days to restore it.",
		Retry: pol.Retry, ContentType: pol.ContentType,
	}
	_, err := tx.Enqueue(ctx, kindConfirm, []byte(mustJSON(job)), time.Time{})
	return err
}

func (s *Service) listSubscriptions(ctx context.Context, call *awsproto.Call) (*ListSubscriptionsResult, error) {
	var in ListInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	after, e := decodePageToken(in.NextToken)
	if e != nil {
		return nil, e
	}
	subs, err := querySubscriptions(ctx, s.env.DB.Read(), `WHERE arn > ? ORDER BY arn LIMIT ?`, after, pageSize+1)
	if err != nil {
		return nil, err
	}
	return subscriptionPage(subs), nil
}

func (s *Service) listSubscriptionsByTopic(ctx context.Context, call *awsproto.Call) (*ListSubscriptionsResult, error) {
	var in ListInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	topicARN := ""
	if in.TopicArn != nil {
		topicARN = *in.TopicArn
	}
	call.AddResource(resourceTopic, topicARN)
	after, e := decodePageToken(in.NextToken)
	if e != nil {
		return nil, e
	}
	db := s.env.DB.Read()
	if _, err := s.loadTopic(ctx, db, topicARN, "TopicArn", "ListSubscriptionsByTopic"); err != nil {
		return nil, err
	}
	subs, err := querySubscriptions(ctx, db, `WHERE topic_arn = ? AND arn > ? ORDER BY arn LIMIT ?`, topicARN, after, pageSize+1)
	if err != nil {
		return nil, err
	}
	return subscriptionPage(subs), nil
}

// subscriptionPage renders up to a page of subscriptions, with a token
// when the query found more.
func subscriptionPage(subs []*subscription) *ListSubscriptionsResult {
	res := &ListSubscriptionsResult{Subscriptions: []SubscriptionEntry{}}
	for i, sub := range subs {
		if i == pageSize {
			res.NextToken = pageToken(subs[i-1].ARN)
			break
		}
		shown := sub.ARN
		if !sub.Confirmed {
			shown = pendingList
		}
		res.Subscriptions = append(res.Subscriptions, SubscriptionEntry{SubscriptionArn: shown, Owner: sub.Owner,
			Protocol: sub.Protocol, Endpoint: maskPassword(sub.Endpoint), TopicArn: sub.TopicARN})
	}
	return res
}

// loadSubscription validates a subscription ARN and returns it, or NotFound.
func (s *Service) loadSubscription(ctx context.Context, q querier, subARN, action string) (*subscription, error) {
	if e := s.checkSubscriptionARN(subARN, action); e != nil {
		return nil, e
	}
	sub, err := getSubscription(ctx, q, subARN)
	if errors.Is(err, errNotFound) {
		return nil, notFound("Subscription does not exist")
	}
	return sub, err
}

func (s *Service) getSubscriptionAttributes(ctx context.Context, call *awsproto.Call) (*AttributesResult, error) {
	var in SubscriptionInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	call.AddResource(resourceSubscription, in.SubscriptionArn)
	db := s.env.DB.Read()
	sub, err := s.loadSubscription(ctx, db, in.SubscriptionArn, "GetSubscriptionAttributes")
	if err != nil {
		return nil, err
	}
	topicPolicy := ""
	if t, err := getTopic(ctx, db, sub.TopicARN); err == nil {
		topicPolicy = t.Attrs["DeliveryPolicy"]
	}
	m := awsproto.QueryMap{
		"SubscriptionArn":              sub.ARN,
		"TopicArn":                     sub.TopicARN,
		"Owner":                        sub.Owner,
		"Protocol":                     sub.Protocol,
		"Endpoint":                     maskPassword(sub.Endpoint),
		"ConfirmationWasAuthenticated": strconv.FormatBool(sub.ConfirmedAuthenticated),
		"PendingConfirmation":          strconv.FormatBool(!sub.Confirmed),
		"RawMessageDelivery":           "false",
		"SubscriptionPrincipal":        sub.Principal,
	}
	if isHTTP(sub.Protocol) {
		m["EffectiveDeliveryPolicy"] = subEffectiveJSON(effectivePolicy(topicPolicy, sub.Attrs["DeliveryPolicy"]))
	}
	for k, v := range sub.Attrs {
		m[k] = v
	}
	if m["FilterPolicy"] == "" {
		delete(m, "FilterPolicy")
		delete(m, "FilterPolicyScope")
	} else if m["FilterPolicyScope"] == "" {
		m["FilterPolicyScope"] = "MessageAttributes"
	}
	if m["SubscriptionPrincipal"] == "" {
		delete(m, "SubscriptionPrincipal")
	}
	denied, err := deniedDeliveries(ctx, db, "subscription_arn", sub.ARN)
	if err != nil {
		return nil, fmt.Errorf("count denied deliveries of %s: %w", sub.ARN, err)
	}
	if denied > 0 {
		m[attrDeliveriesDenied] = strconv.FormatInt(denied, 10)
	}
	return &AttributesResult{Attributes: m}, nil
}

func (s *Service) setSubscriptionAttributes(ctx context.Context, call *awsproto.Call) (any, error) {
	var in SetAttributeInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	call.AddResource(resourceSubscription, in.SubscriptionArn)
	if in.AttributeName == "" {
		return nil, invalid("AttributeName Reason: no value for required parameter")
	}
	value := ""
	if in.AttributeValue != nil {
		value = *in.AttributeValue
	}
	err := s.env.DB.Write(ctx, func(tx *store.Tx) error {
		sub, err := s.loadSubscription(ctx, tx, in.SubscriptionArn, "SetSubscriptionAttributes")
		if err != nil {
			return err
		}
		if e := checkSubAttr(in.AttributeName, value, sub.Protocol, ""); e != nil {
			return e
		}
		switch in.AttributeName {
		case "RawMessageDelivery":
			value = strings.ToLower(value)
		case "FilterPolicy", "FilterPolicyScope":
			next := map[string]string{"FilterPolicy": sub.Attrs["FilterPolicy"], "FilterPolicyScope": sub.Attrs["FilterPolicyScope"]}
			next[in.AttributeName] = value
			if p := next["FilterPolicy"]; p != "" {
				if e := s.filters.check(p, scopeOf(next), ""); e != nil {
					return e
				}
			}
		}
		if value == "" && (in.AttributeName == "FilterPolicy" || in.AttributeName == "DeliveryPolicy") {
			delete(sub.Attrs, in.AttributeName)
		} else {
			sub.Attrs[in.AttributeName] = value
		}
		return upsertSubscription(ctx, tx, sub)
	})
	return nil, err
}
