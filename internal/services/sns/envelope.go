package sns

import (
	"bytes"
	"encoding/json"
)

// Message types, as in the envelope's Type and x-amz-sns-message-type.
const (
	typeNotification = "Notification"
	typeSubConfirm   = "SubscriptionConfirmation"
	typeUnsubConfirm = "UnsubscribeConfirmation"
)

// envelopeAttr is a message attribute as HTTP and Lambda deliveries show it.
type envelopeAttr struct {
	Type  string `json:"Type"`
	Value string `json:"Value"`
}

// envelope is the JSON document POSTed to HTTP/S subscribers, fields in
// AWS's order.
type envelope struct {
	Type              string                  `json:"Type"`
	MessageID         string                  `json:"MessageId"`
	Token             string                  `json:"Token,omitempty"`
	TopicARN          string                  `json:"TopicArn"`
	Subject           string                  `json:"Subject,omitempty"`
	Message           string                  `json:"Message"`
	SubscribeURL      string                  `json:"SubscribeURL,omitempty"`
	Timestamp         string                  `json:"Timestamp"`
	SignatureVersion  string                  `json:"SignatureVersion"`
	Signature         string                  `json:"Signature"`
	SigningCertURL    string                  `json:"SigningCertURL"`
	UnsubscribeURL    string                  `json:"UnsubscribeURL,omitempty"`
	MessageAttributes map[string]envelopeAttr `json:"MessageAttributes,omitempty"`
}

func (e *envelope) fields() signedFields {
	return signedFields{Type: e.Type, MessageID: e.MessageID, TopicARN: e.TopicARN, Subject: e.Subject,
		Message: e.Message, Timestamp: e.Timestamp, SubscribeURL: e.SubscribeURL, Token: e.Token}
}

// signEnvelope fills in the signature fields.
func (s *Service) signEnvelope(e *envelope, version string) error {
	key, err := s.key()
	if err != nil {
		return err
	}
	e.SignatureVersion = version
	e.SigningCertURL = s.env.BaseURL + s.signer.certPath
	e.Signature, err = sign(key, version, e.fields())
	return err
}

// notification builds the signed envelope of msg for one subscription.
func (s *Service) notification(t *topic, sub *subscription, msg *storedMessage) (*envelope, error) {
	e := &envelope{
		Type:           typeNotification,
		MessageID:      msg.ID,
		TopicARN:       msg.TopicARN,
		Subject:        msg.Subject,
		Message:        msg.messageFor(sub.Protocol),
		Timestamp:      timestamp(msg.Timestamp),
		UnsubscribeURL: s.unsubscribeURL(sub.ARN),
	}
	if len(msg.Attrs) > 0 {
		e.MessageAttributes = map[string]envelopeAttr{}
		for _, a := range msg.Attrs {
			e.MessageAttributes[a.Name] = envelopeAttr{Type: a.Type, Value: a.Value}
		}
	}
	if err := s.signEnvelope(e, signatureVersion(t)); err != nil {
		return nil, err
	}
	return e, nil
}

// lambdaEvent is the event a Lambda subscription's function receives.
type lambdaEvent struct {
	Records []lambdaRecord `json:"Records"`
}

type lambdaRecord struct {
	EventSource          string    `json:"EventSource"`
	EventVersion         string    `json:"EventVersion"`
	EventSubscriptionArn string    `json:"EventSubscriptionArn"`
	Sns                  lambdaSns `json:"Sns"`
}

// lambdaSns is the envelope as Lambda sees it: Subject is null when absent,
// the URLs are spelled Url, and MessageAttributes is always present.
type lambdaSns struct {
	Type              string                  `json:"Type"`
	MessageID         string                  `json:"MessageId"`
	TopicARN          string                  `json:"TopicArn"`
	Subject           *string                 `json:"Subject"`
	Message           string                  `json:"Message"`
	Timestamp         string                  `json:"Timestamp"`
	SignatureVersion  string                  `json:"SignatureVersion"`
	Signature         string                  `json:"Signature"`
	SigningCertURL    string                  `json:"SigningCertUrl"`
	UnsubscribeURL    string                  `json:"UnsubscribeUrl"`
	MessageAttributes map[string]envelopeAttr `json:"MessageAttributes"`
}

func lambdaEventFor(sub *subscription, e *envelope) lambdaEvent {
	var subject *string
	if e.Subject != "" {
		subject = &e.Subject
	}
	attrs := e.MessageAttributes
	if attrs == nil {
		attrs = map[string]envelopeAttr{}
	}
	return lambdaEvent{Records: []lambdaRecord{{
		EventSource: "aws:sns", EventVersion: "1.0", EventSubscriptionArn: sub.ARN,
		Sns: lambdaSns{Type: e.Type, MessageID: e.MessageID, TopicARN: e.TopicARN, Subject: subject, Message: e.Message,
			Timestamp: e.Timestamp, SignatureVersion: e.SignatureVersion, Signature: e.Signature,
			SigningCertURL: e.SigningCertURL, UnsubscribeURL: e.UnsubscribeURL, MessageAttributes: attrs},
	}}}
}

// encodeJSON marshals without HTML escaping, so that <, > and & in a
// message reach subscribers as written.
func encodeJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
