package lambda

import (
	"context"
	"strings"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/services"
)

// What each operation acts on, for the front door's IAM policy
// evaluation. Invoke is the IAM action lambda:InvokeFunction.

// AuthContext implements services.Authorizer.
func (s *Service) AuthContext(ctx context.Context, call *awsproto.Call) (services.AuthInfo, error) {
	var info services.AuthInfo
	switch call.Action {
	case "Invoke":
		info.Action = "InvokeFunction"
	case "GetFunction":
	default:
		return info, nil
	}
	var in struct{ FunctionName, Qualifier string }
	services.DecodeLoose(call, &in)
	arn := s.functionARN(in.FunctionName, in.Qualifier)
	info.Resources = []string{arn}
	return info, nil
}

// functionARN is the ARN a FunctionName (a name, a partial or a full ARN)
// and Qualifier refer to; a qualified function is its own resource, as in
// AWS. A reference it cannot read is kept as written.
func (s *Service) functionARN(ref, qualifier string) string {
	m := nameRef.FindStringSubmatch(ref)
	if m == nil {
		return ref
	}
	region, account, name, refQual := strings.TrimSuffix(m[3], ":"), strings.TrimSuffix(m[5], ":"), m[7], m[9]
	if region == "" {
		region = s.env.Region
	}
	if account == "" {
		account = s.env.AccountID
	}
	arn := "arn:aws:lambda:" + region + ":" + account + ":function:" + name
	if refQual != "" {
		qualifier = refQual
	}
	if qualifier != "" {
		arn += ":" + qualifier
	}
	return arn
}
