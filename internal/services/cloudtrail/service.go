// Package cloudtrail serves CloudTrail: the audit trail of every call Vigil
// serves. The front door hands each call to Record, which stores it as a
// CloudTrail record, and puts write calls on the default event bus as
// "AWS API Call via CloudTrail" events; LookupEvents searches the trail.
//
// Like AWS's event history, LookupEvents returns management events only:
// data events (PutEvents, Publish, Invoke) are recorded but not listed.
package cloudtrail

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/services"
	"github.com/vigilsec/vigil/internal/store"
)

var spec = &awsproto.Spec{
	Name:         "cloudtrail",
	Protocol:     awsproto.JSON11,
	TargetPrefix: "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101",
	EventSource:  "cloudtrail.amazonaws.com",
}

// Service is the CloudTrail service.
type Service struct {
	env *services.Env

	mu       sync.Mutex
	migrated bool
	batch    emitBatch // the delivery job records may join
}

// New returns the CloudTrail service and registers its job handler.
func New(env *services.Env) *Service {
	s := &Service{env: env}
	if env.Runner != nil {
		env.Runner.Handle(emitKind, s.emit, emitPolicy)
	}
	return s
}

// Spec describes how CloudTrail is reached.
func (s *Service) Spec() *awsproto.Spec { return spec }

// Start creates the trail's tables.
func (s *Service) Start(ctx context.Context) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	go s.pruneLoop(ctx)
	return nil
}

// ready migrates the schema once. Record may run before Start when another
// service makes calls while starting, so both paths ask for it.
func (s *Service) ready(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.migrated {
		return nil
	}
	if err := s.env.DB.Migrate(ctx, "cloudtrail", schema); err != nil {
		return err
	}
	s.migrated = true
	return nil
}

// Handle runs one CloudTrail operation.
func (s *Service) Handle(ctx context.Context, call *awsproto.Call) (any, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	switch call.Action {
	case "LookupEvents":
		return s.lookupEvents(ctx, call)
	}
	return nil, awsproto.Errorf(http.StatusBadRequest, "UnknownOperationException",
		"Vigil's CloudTrail does not support the operation %s; it records every call without a trail and serves LookupEvents.", call.Action)
}

// Record stores the CloudTrail record of a finished call. A write that
// is a management event is also queued, in the same transaction, for
// delivery to the default event bus.
func (s *Service) Record(ctx context.Context, call *awsproto.Call, result any, callErr *awsproto.Error) error {
	// The call's effects are committed already; a client hanging up must
	// not keep it out of the trail.
	ctx = context.WithoutCancel(ctx)
	if err := s.ready(ctx); err != nil {
		return err
	}
	t := eventTime(call)
	r, warn := buildRecord(call, t, result, callErr, s.env.AccountID)
	if warn != nil && s.env.Log != nil {
		s.env.Log.Warn("audit record incomplete", "service", r.EventSource, "action", call.Action, "request", call.RequestID, "err", warn)
	}
	body, err := marshalNoEscape(r)
	if err != nil {
		return fmt.Errorf("encode record: %w", err)
	}
	st := stored{eventTime: t, username: lookupUsername(call.Caller), accessKeyID: call.Caller.AccessKeyID}
	arns := make([]string, 0, len(call.Resources))
	for _, res := range call.Resources {
		st.resources = append(st.resources, EventResource{ResourceType: res.Type, ResourceName: resourceName(res.ARN)})
		arns = append(arns, res.ARN)
	}
	var entry []byte
	if r.ManagementEvent && !r.ReadOnly && r.EventSource != "" && s.env.Runner != nil {
		if entry, err = emitEntry(r, body, st.eventTime, arns); err != nil {
			return fmt.Errorf("encode event for the bus: %w", err)
		}
	}
	err = s.env.DB.Write(ctx, func(tx *store.Tx) error {
		if err := insertRecord(ctx, tx, r, body, st, arns); err != nil {
			return err
		}
		if entry != nil {
			return s.queueEmit(ctx, tx, entry)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record %s %s: %w", r.EventSource, call.Action, err)
	}
	return nil
}
