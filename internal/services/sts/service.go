// Package sts serves the AWS Security Token Service: who is calling
// (GetCallerIdentity), and temporary credentials for roles (AssumeRole).
// The credentials themselves are kept by the IAM service, which resolves
// them when they sign a request; STS and IAM are one trust domain, so STS
// holds a reference to IAM and calls it directly.
package sts

import (
	"context"
	"net/http"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/identity"
	"github.com/vigilsec/vigil/internal/services"
	"github.com/vigilsec/vigil/internal/services/iam"
)

var spec = &awsproto.Spec{
	Name:         "sts",
	Protocol:     awsproto.Query,
	XMLNamespace: "https://sts.amazonaws.com/doc/2011-06-15/",
	EventSource:  "sts.amazonaws.com",
}

// TrustCheckFunc decides whether caller may assume a role whose trust
// policy is trustDoc, for every action in req.Actions. It returns false
// to deny; an error is a failure to decide (an internal error).
type TrustCheckFunc func(ctx context.Context, caller identity.Principal, trustDoc []byte, req TrustRequest) (bool, error)

// Service is the STS service.
type Service struct {
	env *services.Env
	iam *iam.Service

	// TrustCheck evaluates role trust policies in AssumeRole. Set it
	// before the server takes calls; when nil, DefaultTrustCheck is used.
	TrustCheck TrustCheckFunc
}

// New returns the STS service, issuing credentials through iamSvc.
func New(env *services.Env, iamSvc *iam.Service) *Service { return &Service{env: env, iam: iamSvc} }

// Spec describes how STS is reached.
func (s *Service) Spec() *awsproto.Spec { return spec }

// Handle runs one STS operation.
func (s *Service) Handle(ctx context.Context, call *awsproto.Call) (any, error) {
	switch call.Action {
	case "GetCallerIdentity":
		return s.getCallerIdentity(call)
	case "AssumeRole":
		res, err := s.assumeRole(ctx, call)
		if err != nil {
			return nil, err
		}
		return res, nil
	}
	return nil, awsproto.Errorf(http.StatusBadRequest, "InvalidAction", "Could not find operation %s for version 2011-06-15", call.Action)
}
