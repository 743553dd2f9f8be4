package server

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/identity"
	"github.com/vigilsec/vigil/internal/services"
	"github.com/vigilsec/vigil/internal/sigv4"
)

// protocolOf guesses the protocol family of a request before it is routed,
// so that even a request that cannot be routed gets an error it can parse.
func protocolOf(r *http.Request, s *Server) awsproto.Protocol {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		if svc := s.byTarget[targetPrefix(t)]; svc != nil {
			return svc.Spec().Protocol
		}
		return awsproto.JSON11
	}
	for _, rs := range s.rest {
		if strings.HasPrefix(r.URL.Path, rs.PathPrefix()) {
			return awsproto.RESTJSON
		}
	}
	return awsproto.Query
}

func targetPrefix(target string) string {
	if i := strings.LastIndexByte(target, '.'); i >= 0 {
		return target[:i]
	}
	return ""
}

// route finds the service and operation a request is for and fills the
// call's action and input.
func (s *Server) route(r *http.Request, body []byte, call *awsproto.Call) (services.Service, *awsproto.Error) {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		svc := s.byTarget[targetPrefix(t)]
		if svc == nil {
			return nil, awsproto.Errorf(http.StatusBadRequest, "UnknownOperationException", "No service handles the target %q.", t)
		}
		call.Service, call.Action = svc.Spec(), t[len(targetPrefix(t))+1:]
		call.Input = bytes.TrimSpace(body)
		if len(call.Input) == 0 {
			call.Input = []byte("{}")
		}
		return svc, nil
	}
	for _, rs := range s.rest {
		if strings.HasPrefix(r.URL.Path, rs.PathPrefix()) {
			call.Service = rs.Spec()
			action, input, err := rs.Route(r, body)
			if err != nil {
				return rs, awsproto.AsError(err)
			}
			call.Action, call.Input = action, input
			return rs, nil
		}
	}
	return s.routeQuery(r, body, call)
}

// routeQuery handles awsQuery requests: form parameters in the body (POST)
// or URL (GET), the service named by the signature's credential scope.
func (s *Server) routeQuery(r *http.Request, body []byte, call *awsproto.Call) (services.Service, *awsproto.Error) {
	form := r.URL.Query()
	if r.Method == http.MethodPost && len(body) > 0 {
		posted, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, awsproto.Errorf(http.StatusBadRequest, "MalformedQueryString", "The request body is not a valid form: %v", err)
		}
		for k, v := range posted {
			form[k] = v
		}
	}
	action := form.Get("Action")
	if action == "" {
		return nil, awsproto.Errorf(http.StatusBadRequest, "MissingAction", "The request must contain the parameter Action.")
	}
	svc := s.byName[scopeService(r, form)]
	if svc == nil {
		svc = s.anonymous[action]
	}
	if svc == nil {
		// Without a signature there is no scope to route by: answer as
		// AWS's query services do for the missing or broken signature.
		switch {
		case r.Header.Get("Authorization") == "" && form.Get("X-Amz-Credential") == "":
			return nil, awsproto.Errorf(http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token")
		case scopeService(r, form) == "":
			return nil, awsproto.Errorf(http.StatusBadRequest, "IncompleteSignature", "The request signature does not name a credential scope (Credential=AKID/DATE/REGION/SERVICE/aws4_request).")
		}
		return nil, awsproto.Errorf(http.StatusBadRequest, "InvalidAction", "The action %s is not valid for this endpoint.", action)
	}
	input, err := awsproto.Unflatten(form)
	if err != nil {
		return svc, awsproto.AsError(err)
	}
	call.Service, call.Action, call.Input = svc.Spec(), action, input
	return svc, nil
}

// scopeService reads the service from the credential scope,
// AKID/date/region/SERVICE/aws4_request, without verifying anything yet.
func scopeService(r *http.Request, form url.Values) string {
	cred := form.Get("X-Amz-Credential")
	if h := r.Header.Get("Authorization"); h != "" {
		if i := strings.Index(h, "Credential="); i >= 0 {
			cred = h[i+len("Credential="):]
			if j := strings.IndexAny(cred, ", "); j >= 0 {
				cred = cred[:j]
			}
		}
	}
	parts := strings.Split(cred, "/")
	if len(parts) != 5 {
		return ""
	}
	return parts[3]
}

// authenticate verifies the signature and sets the caller, unless the
// action is one the service lets anyone call.
func (s *Server) authenticate(r *http.Request, body []byte, call *awsproto.Call) *awsproto.Error {
	if r.Header.Get("Authorization") == "" && r.URL.Query().Get("X-Amz-Credential") == "" && isAnonymous(call) {
		return nil
	}
	var caller identity.Principal
	lookup := func(ctx context.Context, akid string) (sigv4.Key, bool, error) {
		p, key, ok, err := s.auth.LookupKey(ctx, akid)
		caller = p
		return key, ok, err
	}
	res, err := sigv4.Verify(r.Context(), r, body, lookup, s.now())
	if err != nil {
		var se *sigv4.Error
		if errors.As(err, &se) {
			code, status := sigv4.ErrorCodeFor(se, sigv4Protocol(call.Service.Protocol))
			return awsproto.Errorf(status, code, "%s", se.Message)
		}
		s.log.Error("verify signature", "err", err)
		return awsproto.Internal(err)
	}
	if e := s.checkScope(call, res); e != nil {
		return e
	}
	call.Caller = caller
	call.Caller.AccessKeyID = res.AccessKeyID
	if n, ok := s.auth.(keyUseNoter); ok {
		n.NoteKeyUse(res.AccessKeyID, res.Service, res.Region, call.Time)
	}
	return nil
}

// checkScope rejects a signature scoped to another service or region, as
// AWS does. IAM is global: AWS signs its calls for us-east-1 whatever the
// region of the rest of the account.
func (s *Server) checkScope(call *awsproto.Call, res *sigv4.Result) *awsproto.Error {
	code, status := sigv4.ErrorCodeFor(&sigv4.Error{Kind: sigv4.BadSignature}, sigv4Protocol(call.Service.Protocol))
	if res.Service != call.Service.Name {
		return awsproto.Errorf(status, code, "Credential should be scoped to correct service: '%s'.", call.Service.Name)
	}
	if res.Region != s.region && !(call.Service.Name == "iam" && res.Region == "us-east-1") {
		return awsproto.Errorf(status, code, "Credential should be scoped to a valid region. This server serves '%s'.", s.region)
	}
	return nil
}

func sigv4Protocol(p awsproto.Protocol) sigv4.Protocol {
	switch p {
	case awsproto.Query:
		return sigv4.Query
	case awsproto.RESTJSON:
		return sigv4.RESTJSON
	}
	return sigv4.JSON
}

// keyUseNoter is implemented by authenticators that track when keys were last used.
type keyUseNoter interface {
	NoteKeyUse(accessKeyID, service, region string, at time.Time)
}

func isAnonymous(call *awsproto.Call) bool {
	for _, a := range call.Service.Anonymous {
		if a == call.Action {
			return true
		}
	}
	return false
}

// writeResult answers a successful call in its protocol.
func (s *Server) writeResult(w http.ResponseWriter, svc services.Service, call *awsproto.Call, result any) error {
	switch call.Service.Protocol {
	case awsproto.Query:
		var buf bytes.Buffer
		if err := awsproto.WriteQueryResult(&buf, call.Service, call.Action, call.RequestID, result); err != nil {
			s.writeError(w, awsproto.Query, svc, call, awsproto.Internal(err))
			return err
		}
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("x-amzn-RequestId", call.RequestID)
		_, err := w.Write(buf.Bytes())
		return err
	case awsproto.RESTJSON:
		return svc.(services.RESTService).WriteResult(w, call, result)
	default:
		return awsproto.WriteJSONResult(w, call.Service.Protocol, call.RequestID, result)
	}
}

func (s *Server) writeError(w http.ResponseWriter, p awsproto.Protocol, svc services.Service, call *awsproto.Call, e *awsproto.Error) {
	if e.Status == 0 {
		e.Status = http.StatusBadRequest
	}
	if p == awsproto.Query {
		xmlns := ""
		if svc != nil {
			xmlns = svc.Spec().XMLNamespace
		}
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("x-amzn-RequestId", call.RequestID)
		w.WriteHeader(e.Status)
		awsproto.WriteQueryError(w, xmlns, call.RequestID, e)
		return
	}
	awsproto.WriteJSONError(w, p, call.RequestID, e)
}
