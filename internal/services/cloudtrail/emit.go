package cloudtrail

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
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

// emitEntry is the PutEvents entry, as JSON, that puts record r (encoded
// as body) on the default bus.
func emitEntry(r *Record, body []byte, t time.Time, arns []string) ([]byte, error) {
	resources := []string{}
	for _, a := range arns {
		if strings.HasPrefix(a, "arn:") {
			resources = append(resources, a)
		}
	}
	return json.Marshal(putEventsEntry{
		Source:     "aws." + strings.TrimSuffix(r.EventSource, ".amazonaws.com"),
		DetailType: detailType,
		Detail:     string(body),
		Time:       awsproto.EpochTime(t.UTC().Truncate(time.Second)),
		Resources:  resources,
	})
}

// A delivery job is a PutEvents input of up to maxEmitEntries entries:
// records join the job queued last until a worker claims it, so a busy
// server delivers its events ten to a call, with one job and one audit
// record per call, while an idle one still delivers each at once.
const (
	maxEmitEntries = 10 // PutEvents takes no more
	// maxEmitBytes keeps a job's PutEvents input under the 256 KiB that
	// PutEvents takes, which counts fewer bytes than the JSON has.
	maxEmitBytes = 256 * 1024
	entriesOpen  = `{"Entries":[`
	entriesClose = `]}`
)

// emitInput is the PutEvents input of one entry.
func emitInput(entry []byte) []byte {
	return append(append([]byte(entriesOpen), entry...), entriesClose...)
}

// addEntry appends entry to a PutEvents input that emitInput or addEntry
// made; ok is false if the result would be too large.
func addEntry(input, entry []byte) (out []byte, ok bool) {
	if len(input)+1+len(entry) > maxEmitBytes || !bytes.HasSuffix(input, []byte(entriesClose)) || len(input) <= len(entriesOpen)+len(entriesClose) {
		return nil, false
	}
	out = make([]byte, 0, len(input)+1+len(entry))
	out = append(out, input[:len(input)-len(entriesClose)]...)
	out = append(out, ',')
	out = append(out, entry...)
	return append(out, entriesClose...), true
}

// emitBatch is the delivery job queued last, which later records may join.
type emitBatch struct {
	mu sync.Mutex
	id int64
	// n counts the entries added, including any whose transaction rolled
	// back: never fewer than the job holds.
	n int
}

// queueEmit puts entry in the delivery job queued last, if it is still
// waiting for a worker and has room, or else in a new one, inside tx.
func (s *Service) queueEmit(ctx context.Context, tx *store.Tx, entry []byte) error {
	b := &s.batch
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.id != 0 && b.n < maxEmitEntries {
		added, err := tx.Amend(ctx, b.id, emitKind, func(input []byte) ([]byte, bool) { return addEntry(input, entry) })
		if err != nil {
			return err
		}
		if added {
			b.n++
			return nil
		}
	}
	id, err := tx.Enqueue(ctx, emitKind, emitInput(entry), time.Time{})
	if err != nil {
		return err
	}
	b.id, b.n = id, 1
	return nil
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
	return s.emitFailed(ctx, job, res.Entries)
}

// emitFailed settles a delivery some of whose entries the bus refused:
// the job keeps those entries only, and is retried if any may yet go
// through, buried if none can.
func (s *Service) emitFailed(ctx context.Context, job store.Job, results []struct{ ErrorCode, ErrorMessage string }) error {
	var in struct{ Entries []json.RawMessage }
	if err := json.Unmarshal(job.Payload, &in); err != nil {
		return runtime.Permanent(fmt.Errorf("decode delivery job: %w", err))
	}
	var failed []json.RawMessage
	var first, retryable error
	for i, e := range results {
		if e.ErrorCode == "" || i >= len(in.Entries) {
			continue
		}
		failed = append(failed, in.Entries[i])
		err := fmt.Errorf("bus refused CloudTrail event: %s: %s", e.ErrorCode, e.ErrorMessage)
		if first == nil {
			first = err
		}
		if retryable == nil && (e.ErrorCode == "InternalFailure" || e.ErrorCode == "ThrottlingException") {
			retryable = err
		}
	}
	if first == nil {
		return fmt.Errorf("bus refused CloudTrail event (%d failed entries)", len(results))
	}
	if len(failed) < len(in.Entries) {
		// Entries the bus took must not be put on it again.
		rest, err := json.Marshal(struct {
			Entries []json.RawMessage `json:"Entries"`
		}{failed})
		if err != nil {
			return fmt.Errorf("encode refused entries: %w", err)
		}
		if err := s.env.DB.SetPayload(ctx, job.ID, rest); err != nil {
			return err
		}
	}
	if retryable != nil {
		return retryable
	}
	return runtime.Permanent(first)
}
