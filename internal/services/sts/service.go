// Package sts serves the AWS Security Token Service: who is calling.
package sts

import (
	"context"
	"net/http"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/services"
)

var spec = &awsproto.Spec{
	Name:         "sts",
	Protocol:     awsproto.Query,
	XMLNamespace: "https://sts.amazonaws.com/doc/2011-06-15/",
	EventSource:  "sts.amazonaws.com",
}

// Service is the STS service.
type Service struct{ env *services.Env }

// New returns the STS service.
func New(env *services.Env) *Service { return &Service{env: env} }

// Spec describes how STS is reached.
func (s *Service) Spec() *awsproto.Spec { return spec }

// Handle runs one STS operation.
func (s *Service) Handle(ctx context.Context, call *awsproto.Call) (any, error) {
	switch call.Action {
	case "GetCallerIdentity":
		return s.getCallerIdentity(call)
	}
	return nil, awsproto.Errorf(http.StatusBadRequest, "InvalidAction", "Could not find operation %s for version 2011-06-15", call.Action)
}
