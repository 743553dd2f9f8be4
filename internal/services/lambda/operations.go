package lambda

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/runtime"
	"github.com/vigilsec/vigil/internal/store"
)

const asyncKind = "lambda.invoke"

// asyncPolicy retries a failed asynchronous invocation twice, a minute
// and then two minutes later, as Lambda does; then the job is buried.
var asyncPolicy = runtime.Policy{MaxAttempts: 3, Backoff: time.Minute, MaxBackoff: 2 * time.Minute}

// asyncJob is the queued work of an Event invocation.
type asyncJob struct {
	FunctionName string          `json:"FunctionName"`
	Payload      json.RawMessage `json:"Payload"`
	RequestID    string          `json:"RequestID"`
}

func (s *Service) invoke(ctx context.Context, call *awsproto.Call) (*InvokeResult, error) {
	var in InvokeInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	f, err := s.resolve(in.FunctionName, in.Qualifier)
	if err != nil {
		return nil, err
	}
	fnARN := s.arn(f.name)
	call.AddResource("AWS::Lambda::Function", fnARN)
	// Like AWS, the trail shows which function was invoked and how, never
	// the payload or the result.
	call.AuditRequest = struct {
		FunctionName   string `json:"FunctionName"`
		InvocationType string `json:"InvocationType,omitempty"`
	}{fnARN, in.InvocationType}
	call.AuditResponse = struct{}{}
	if in.ClientContext != "" {
		return nil, awsproto.Errorf(http.StatusBadRequest, "InvalidParameterValueException", "Vigil functions do not take a ClientContext.")
	}
	if in.LogType != "" && in.LogType != "None" && in.LogType != "Tail" {
		return nil, awsproto.Validation("1 validation error detected: Value '%s' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [None, Tail]", in.LogType)
	}
	event, err := decodePayload(in.Payload)
	if err != nil {
		return nil, err
	}
	switch in.InvocationType {
	case "", "RequestResponse":
		if len(event) > maxSyncPayload {
			return nil, tooLarge(maxSyncPayload)
		}
		o, err := s.run(ctx, f, event, call.RequestID)
		if err != nil {
			return nil, err
		}
		res := &InvokeResult{StatusCode: http.StatusOK, ExecutedVersion: latest, Payload: o.payload}
		if o.errType != "" {
			res.FunctionError = "Unhandled"
		}
		if in.LogType == "Tail" {
			res.LogResult = base64.StdEncoding.EncodeToString(o.log)
		}
		return res, nil
	case "Event":
		if len(event) > maxAsyncPayload {
			return nil, tooLarge(maxAsyncPayload)
		}
		job, err := json.Marshal(asyncJob{FunctionName: f.name, Payload: event, RequestID: call.RequestID})
		if err != nil {
			return nil, err
		}
		err = s.env.DB.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Enqueue(ctx, asyncKind, job, time.Time{})
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("queue invocation of %s: %w", f.name, err)
		}
		return &InvokeResult{StatusCode: http.StatusAccepted, Payload: []byte{}}, nil
	case "DryRun":
		return &InvokeResult{StatusCode: http.StatusNoContent, Payload: []byte{}}, nil
	}
	return nil, awsproto.Validation("1 validation error detected: Value '%s' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]", in.InvocationType)
}

func tooLarge(limit int) *awsproto.Error {
	return awsproto.Errorf(http.StatusRequestEntityTooLarge, "RequestTooLargeException",
		"Request must be smaller than %d bytes for the InvokeFunction operation", limit)
}

// decodePayload returns the event a Payload member carries. A JSON string
// is a blob in base64, as encoding/json writes []byte and Route writes the
// HTTP body; other JSON values (a caller passing the event itself) are the
// event as they are. Whatever arrives must be JSON, as Lambda requires.
func decodePayload(p json.RawMessage) ([]byte, error) {
	p = bytes.TrimSpace(p)
	if len(p) == 0 || string(p) == "null" {
		return []byte("{}"), nil
	}
	event := []byte(p)
	if p[0] == '"' {
		var s string
		if err := json.Unmarshal(p, &s); err != nil {
			return nil, invalidContent(err)
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			// Not base64: the event is this JSON string itself.
			return event, nil
		}
		event = bytes.TrimSpace(b)
		if len(event) == 0 {
			return []byte("{}"), nil
		}
	}
	if !json.Valid(event) {
		var v any
		return nil, invalidContent(json.Unmarshal(event, &v))
	}
	return event, nil
}

func invalidContent(err error) *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, "InvalidRequestContentException", "Could not parse request body into json: %v", err)
}

// runAsync runs a queued Event invocation. A function error fails the job
// so that the runner retries it.
func (s *Service) runAsync(ctx context.Context, job store.Job) error {
	var j asyncJob
	if err := json.Unmarshal(job.Payload, &j); err != nil {
		return runtime.Permanent(fmt.Errorf("bad invocation job: %w", err))
	}
	f, ok := s.function(j.FunctionName)
	if !ok {
		return runtime.Permanent(fmt.Errorf("function %s is no longer registered", j.FunctionName))
	}
	o, err := s.run(ctx, f, j.Payload, j.RequestID)
	if err != nil {
		return err
	}
	if o.errType != "" {
		var doc struct{ ErrorMessage string }
		json.Unmarshal(o.payload, &doc)
		return errors.New("function " + f.name + " failed: " + o.errType + ": " + doc.ErrorMessage)
	}
	return nil
}

func (s *Service) getFunction(call *awsproto.Call) (*GetFunctionOutput, error) {
	var in GetFunctionInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	f, err := s.resolve(in.FunctionName, in.Qualifier)
	if err != nil {
		return nil, err
	}
	call.AddResource("AWS::Lambda::Function", s.arn(f.name))
	return &GetFunctionOutput{Configuration: s.configuration(f), Tags: map[string]string{}}, nil
}

const defaultMaxItems = 50

func (s *Service) listFunctions(call *awsproto.Call) (*ListFunctionsOutput, error) {
	var in ListFunctionsInput
	if err := call.Decode(&in); err != nil {
		return nil, err
	}
	if in.FunctionVersion != "" && in.FunctionVersion != "ALL" {
		return nil, awsproto.Validation("1 validation error detected: Value '%s' at 'functionVersion' failed to satisfy constraint: Member must satisfy enum value set: [ALL]", in.FunctionVersion)
	}
	if in.MasterRegion != "" {
		return nil, awsproto.Errorf(http.StatusBadRequest, "InvalidParameterValueException", "Vigil has no Lambda@Edge replicas; list functions without MasterRegion.")
	}
	limit := in.MaxItems.Or(defaultMaxItems)
	if limit < 1 || limit > 10000 {
		return nil, awsproto.Validation("1 validation error detected: Value '%d' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000", limit)
	}
	out := &ListFunctionsOutput{Functions: []FunctionConfiguration{}}
	for _, f := range s.sorted() {
		if in.Marker != "" && f.name <= in.Marker {
			continue
		}
		if len(out.Functions) == int(limit) {
			out.NextMarker = out.Functions[len(out.Functions)-1].FunctionName
			break
		}
		out.Functions = append(out.Functions, s.configuration(f))
	}
	return out, nil
}

func (s *Service) configuration(f *function) FunctionConfiguration {
	desc := "Built into Vigil"
	if f.builtin == nil {
		desc = "External command run by Vigil"
	}
	return FunctionConfiguration{
		FunctionName:     f.name,
		FunctionArn:      s.arn(f.name),
		Runtime:          f.runtime(),
		Handler:          f.handler(),
		Description:      desc,
		Timeout:          int(f.timeout / time.Second),
		LastModified:     f.registered.Format("2006-01-02T15:04:05.000-0700"),
		Version:          latest,
		State:            "Active",
		LastUpdateStatus: "Successful",
		PackageType:      "Zip",
	}
}
