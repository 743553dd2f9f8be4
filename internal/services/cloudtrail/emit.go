package cloudtrail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/identity"
	"github.com/vigilsec/vigil/internal/runtime"
	"github.com/vigilsec/vigil/internal/store"
)

const (
	emitKind   = "cloudtrail.emit"
	detailType = "AWS API Call via CloudTrail"
	// servicePrincipal is who puts CloudTrail's events on the bus; the
	// events service lets only AWS services use "aws.*" sources.
	servicePrincipal = "cloudtrail.amazonaws.com"
)

// emitPolicy retries deliveries to the bus for about a day.
var emitPolicy = runtime.Policy{MaxAttempts: 40, Backoff: time.Second, MaxBackoff: 10 * time.Minute}

// putEventsEntry is the PutEvents entry of one record.
type putEventsEntry struct {
	Source     string             `json:"Source"`
	DetailType string             `json:"DetailType"`
	Detail     string             `json:"Detail"`
	Time       awsproto.EpochTime `json:"Time"`
	Resources  []string           `json:"Resources"`
}

// emitInput is the PutEvents input that puts record r (encoded as body)
// on the default bus.
func emitInput(r *Record, body []byte, t time.Time, arns []string) ([]byte, error) {
	resources := []string{}
	for _, a := range arns {
		if strings.HasPrefix(a, "arn:") {
			resources = append(resources, a)
		}
	}
	e := putEventsEntry{
		Source:     "aws." + strings.TrimSuffix(r.EventSource, ".amazonaws.com"),
		DetailType: detailType,
		Detail:     string(body),
		Time:       awsproto.EpochTime(t.UTC().Truncate(time.Second)),
		Resources:  resources,
	}
	return json.Marshal(struct {
		Entries []putEventsEntry `json:"Entries"`
	}{[]putEventsEntry{e}})
}

// emit delivers one queued record to the default event bus.
func (s *Service) emit(ctx context.Context, job store.Job) error {
	if s.env.Invoker == nil {
		return runtime.Permanent(errors.New("no invoker to reach the events service"))
	}
	p := s.env.Root()
	p.Type, p.InvokedBy = identity.AWSService, servicePrincipal
	out, err := s.env.Invoker.Invoke(ctx, p, "events", "PutEvents", json.RawMessage(job.Payload))
	if err != nil {
		var e *awsproto.Error
		if errors.As(err, &e) && e.Status < 500 && e.Status != http.StatusTooManyRequests && e.Code != "ThrottlingException" {
			return runtime.Permanent(fmt.Errorf("put CloudTrail event on the bus: %w", err))
		}
		return fmt.Errorf("put CloudTrail event on the bus: %w", err)
	}
	var res struct {
		FailedEntryCount int
		Entries          []struct{ ErrorCode, ErrorMessage string }
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return fmt.Errorf("read PutEvents result: %w", err)
	}
	if res.FailedEntryCount == 0 {
		return nil
	}
	for _, e := range res.Entries {
		if e.ErrorCode == "" {
			continue
		}
		err := fmt.Errorf("bus refused CloudTrail event: %s: %s", e.ErrorCode, e.ErrorMessage)
		if e.ErrorCode == "InternalFailure" || e.ErrorCode == "ThrottlingException" {
			return err
		}
		return runtime.Permanent(err)
	}
	return fmt.Errorf("bus refused CloudTrail event (%d failed entries)", res.FailedEntryCount)
}
