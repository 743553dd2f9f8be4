package sts

import "github.com/vigilsec/vigil/internal/awsproto"

func (s *Service) getCallerIdentity(call *awsproto.Call) (*GetCallerIdentityResult, error) {
	p := call.Caller
	return &GetCallerIdentityResult{UserID: p.PrincipalID, Account: p.AccountID, ARN: p.ARN}, nil
}
