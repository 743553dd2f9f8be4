package app

import (
	"context"

	"github.com/vigilsec/vigil/internal/identity"
	"github.com/vigilsec/vigil/internal/server"
	"github.com/vigilsec/vigil/internal/services/iam"
	"github.com/vigilsec/vigil/internal/services/sts"
)

// iamPolicies adapts the IAM service to the front door's PolicySource.
type iamPolicies struct{ svc *iam.Service }

func (p iamPolicies) PrincipalPolicies(ctx context.Context, who identity.Principal) (server.PrincipalPolicies, error) {
	pol, err := p.svc.PrincipalPolicies(ctx, who)
	if err != nil {
		return server.PrincipalPolicies{}, err
	}
	out := server.PrincipalPolicies{HasSession: pol.HasSessionPolicy}
	for _, d := range pol.Identity {
		out.Identity = append(out.Identity, policyDoc(d))
	}
	if pol.Boundary != nil {
		b := policyDoc(*pol.Boundary)
		b.Type = "none" // how SimulatePrincipalPolicy names a boundary's source
		out.Boundary = &b
	}
	for _, d := range pol.Session {
		out.Session = append(out.Session, policyDoc(d))
	}
	return out, nil
}

// policyDoc names a policy as IAM's simulation API does: a managed policy
// by its ARN, an inline one by its name.
func policyDoc(d iam.PolicyDoc) server.PolicyDoc {
	id := d.ARN
	if id == "" {
		id = d.Name
	}
	return server.PolicyDoc{ID: id, Type: d.Type, Document: d.Document}
}

func (p iamPolicies) RoleTrust(ctx context.Context, roleArn string) ([]byte, error) {
	doc, _, err := p.svc.RoleTrust(ctx, roleArn)
	return doc, err
}

func (p iamPolicies) RolePrincipal(ctx context.Context, roleArn, sessionName string) (identity.Principal, error) {
	return p.svc.RolePrincipal(ctx, roleArn, sessionName)
}

// trustCheck evaluates a role's trust policy in AssumeRole as the front
// door evaluates every call: it has already done so before STS runs, and
// STS asks again only so that a call reaching it any other way is held to
// the same rule.
func trustCheck(srv *server.Server) sts.TrustCheckFunc {
	return func(ctx context.Context, caller identity.Principal, _ []byte, req sts.TrustRequest) (bool, error) {
		if req.Call == nil {
			return false, nil
		}
		call := *req.Call
		call.Caller = caller
		call.Resources = nil
		return srv.Authorized(ctx, &call)
	}
}
