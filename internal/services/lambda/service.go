// Package lambda serves Lambda-style functions: functions built into Vigil
// in Go, and external commands that read the event as JSON on stdin and
// write their result as JSON on stdout. Functions are registered when the
// server starts and are not stored; Invoke, GetFunction and ListFunctions
// reach them over Lambda's REST protocol, and other services invoke them
// by ARN through the dispatcher.
//
// ListFunctions and GetFunction report the kind of a function as its
// Runtime: "provided.vigil-go" for built-in functions and
// "provided.vigil-command" for external commands. Only $LATEST exists:
// there are no versions, aliases or function URLs.
package lambda

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/services"
)

var spec = &awsproto.Spec{
	Name:        "lambda",
	Protocol:    awsproto.RESTJSON,
	EventSource: "lambda.amazonaws.com",
}

// Service is the functions service.
type Service struct {
	env *services.Env

	mu  sync.RWMutex
	fns map[string]*function
}

// New returns the functions service, with no functions, and registers the
// handler of asynchronous invocations.
func New(env *services.Env) *Service {
	s := &Service{env: env, fns: map[string]*function{}}
	if env.Runner != nil {
		env.Runner.Handle(asyncKind, s.runAsync, asyncPolicy)
	}
	return s
}

// Spec describes how the service is reached.
func (s *Service) Spec() *awsproto.Spec { return spec }

// Handle runs one operation.
func (s *Service) Handle(ctx context.Context, call *awsproto.Call) (any, error) {
	switch call.Action {
	case "Invoke":
		return s.invoke(ctx, call)
	case "GetFunction":
		return s.getFunction(call)
	case "ListFunctions":
		return s.listFunctions(call)
	}
	return nil, unsupported(call.Action)
}

func unsupported(what string) *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, "UnknownOperationException",
		"Vigil's Lambda does not support %s: it serves Invoke, GetFunction and ListFunctions, and functions are registered when vigil starts (vigil serve --function NAME=COMMAND).", what)
}

// WriteResult writes an operation's result: Invoke's payload as the body
// with its metadata in headers, anything else as JSON.
func (s *Service) WriteResult(w http.ResponseWriter, call *awsproto.Call, result any) error {
	h := w.Header()
	h.Set("x-amzn-RequestId", call.RequestID)
	h.Set("Content-Type", "application/json")
	res, ok := result.(*InvokeResult)
	if !ok {
		body, err := json.Marshal(result)
		if err != nil {
			return err
		}
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		_, err = w.Write(body)
		return err
	}
	if res.ExecutedVersion != "" {
		h.Set("X-Amz-Executed-Version", res.ExecutedVersion)
	}
	if res.FunctionError != "" {
		h.Set("X-Amz-Function-Error", res.FunctionError)
	}
	if res.LogResult != "" {
		h.Set("X-Amz-Log-Result", res.LogResult)
	}
	if res.StatusCode == http.StatusNoContent {
		w.WriteHeader(res.StatusCode)
		return nil
	}
	h.Set("Content-Length", strconv.Itoa(len(res.Payload)))
	w.WriteHeader(res.StatusCode)
	_, err := w.Write(res.Payload)
	return err
}
