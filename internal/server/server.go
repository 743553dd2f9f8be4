// Package server is Vigil's front door: one HTTP listener that turns each
// request into a call, authenticates its SigV4 signature, dispatches it to
// the service that owns it, records it in the audit trail, and answers in
// the caller's protocol. Calls between services go through the same path,
// so they are authorised against IAM policies and audited like a client's.
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/identity"
	"github.com/vigilsec/vigil/internal/services"
	"github.com/vigilsec/vigil/internal/sigv4"
)

// maxBody bounds a request body; AWS's largest payloads here are 256 KiB.
const maxBody = 8 << 20

// Authenticator resolves access keys to principals.
type Authenticator interface {
	// LookupKey returns the principal owning an active access key and its
	// signing material, or ok=false when the key is unknown or inactive.
	LookupKey(ctx context.Context, accessKeyID string) (p identity.Principal, key sigv4.Key, ok bool, err error)
}

// Auditor records calls in the audit trail.
type Auditor interface {
	Record(ctx context.Context, call *awsproto.Call, result any, callErr *awsproto.Error) error
}

// Server routes calls to services.
type Server struct {
	log       *slog.Logger
	region    string
	auth      Authenticator
	audit     Auditor
	sessions  sessionCache // roles assumed by services
	byName    map[string]services.Service
	byTarget  map[string]services.Service
	anonymous map[string]services.Service // anonymous query actions
	rest      []services.RESTService
	routes    *http.ServeMux
	hasRoutes bool
	now       func() time.Time

	policySrc PolicySource
	compiled  compiled
	account   string // the account served, for resources without one
}

// New returns a server with no services.
func New(log *slog.Logger, region string) *Server {
	return &Server{
		log: log, region: region,
		byName: map[string]services.Service{}, byTarget: map[string]services.Service{},
		anonymous: map[string]services.Service{}, routes: http.NewServeMux(), now: time.Now,
	}
}

// SetAuth sets who resolves keys and who records calls.
func (s *Server) SetAuth(a Authenticator, au Auditor) { s.auth, s.audit = a, au }

// SetAccount sets the id of the account the server serves.
func (s *Server) SetAccount(id string) { s.account = id }

// Register adds a service. Register every service before serving.
func (s *Server) Register(svc services.Service) {
	spec := svc.Spec()
	s.byName[spec.Name] = svc
	if spec.TargetPrefix != "" {
		s.byTarget[spec.TargetPrefix] = svc
		// Smithy-built SDKs (aws-sdk-go-v2) send the service shape's name
		// alone, CloudTrail_20131101 where botocore sends
		// com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.
		if i := strings.LastIndexByte(spec.TargetPrefix, '.'); i >= 0 {
			s.byTarget[spec.TargetPrefix[i+1:]] = svc
		}
	}
	for _, a := range spec.Anonymous {
		s.anonymous[a] = svc
	}
	if rs, ok := svc.(services.RESTService); ok {
		s.rest = append(s.rest, rs)
	}
	if rt, ok := svc.(services.Router); ok {
		for path, h := range rt.Routes() {
			s.routes.Handle(path, h)
			s.hasRoutes = true
		}
	}
}

// ServeHTTP answers one AWS API request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.hasRoutes {
		if h, pattern := s.routes.Handler(r); pattern != "" {
			h.ServeHTTP(w, r)
			return
		}
	}
	call := &awsproto.Call{RequestID: newRequestID(), Time: s.now().UTC(), Region: s.region,
		SourceIP: remoteIP(r), UserAgent: r.UserAgent()}
	body, err := readBody(w, r)
	if err != nil {
		s.writeError(w, protocolOf(r, s), nil, call, awsproto.Errorf(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "%v", err))
		return
	}
	svc, e := s.route(r, body, call)
	if e != nil {
		s.writeError(w, protocolOf(r, s), svc, call, e)
		return
	}
	if e := s.authenticate(r, body, call); e != nil {
		s.log.Warn("request not authenticated", "service", call.Service.Name, "action", call.Action, "source", call.SourceIP, "reason", e.Code)
		s.writeError(w, call.Service.Protocol, svc, call, e)
		return
	}
	result, e := s.dispatch(withSecure(r.Context(), r.TLS != nil), svc, call)
	if e != nil {
		s.writeError(w, call.Service.Protocol, svc, call, e)
		return
	}
	if err := s.writeResult(w, svc, call, result); err != nil {
		s.log.Error("write response", "service", call.Service.Name, "action", call.Action, "err", err)
	}
}

// dispatch authorises an authenticated call, runs it and records it. A
// refused call is recorded too, with its error.
func (s *Server) dispatch(ctx context.Context, svc services.Service, call *awsproto.Call) (any, *awsproto.Error) {
	var result any
	e := s.authorize(ctx, svc, call)
	if e == nil {
		var err error
		result, err = s.handle(ctx, svc, call)
		if err != nil {
			e = awsproto.AsError(err)
			if e.Status >= 500 {
				s.log.Error("call failed", "service", call.Service.Name, "action", call.Action, "request", call.RequestID, "err", err)
			}
		}
	}
	if s.audit != nil {
		if err := s.audit.Record(ctx, call, result, e); err != nil {
			// The call's effects are committed but unrecorded: say so loudly
			// and fail the call, so the caller does not take it as complete.
			s.log.Error("record call in audit trail", "service", call.Service.Name, "action", call.Action, "request", call.RequestID, "err", err)
			return nil, awsproto.Internal(err)
		}
	}
	return result, e
}

// handle runs the service, turning a panic into an internal failure: no
// input may take the server down.
func (s *Server) handle(ctx context.Context, svc services.Service, call *awsproto.Call) (result any, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in %s.%s: %v", call.Service.Name, call.Action, p)
		}
	}()
	return svc.Handle(ctx, call)
}

// Invoke calls an operation as principal as, through the same dispatch as
// a client's call.
func (s *Server) Invoke(ctx context.Context, as identity.Principal, service, action string, input any) (json.RawMessage, error) {
	svc, ok := s.byName[service]
	if !ok {
		return nil, fmt.Errorf("invoke %s.%s: no such service", service, action)
	}
	raw, err := json.Marshal(input)
	if err != nil {
		return nil, fmt.Errorf("invoke %s.%s: encode input: %w", service, action, err)
	}
	if string(raw) == "null" {
		raw = []byte("{}")
	}
	call := &awsproto.Call{Service: svc.Spec(), Action: action, Input: raw, Caller: as,
		RequestID: newRequestID(), Time: s.now().UTC(), Region: s.region, Internal: true,
		SourceIP: as.InvokedBy, UserAgent: as.InvokedBy}
	if call.SourceIP == "" {
		call.SourceIP, call.UserAgent = "vigil.internal", "vigil.internal"
	}
	result, e := s.dispatch(ctx, svc, call)
	if e != nil {
		return nil, e
	}
	if result == nil {
		return json.RawMessage("{}"), nil
	}
	out, err := json.Marshal(result)
	if err != nil {
		return nil, fmt.Errorf("invoke %s.%s: encode result: %w", service, action, err)
	}
	return out, nil
}

func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	return io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
}
