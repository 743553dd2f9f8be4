// Package services holds what every Vigil service shares: the interface the
// front door dispatches to, and the environment a service is built with.
// Each service lives in its own package below this one.
package services

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/identity"
	"github.com/vigilsec/vigil/internal/runtime"
	"github.com/vigilsec/vigil/internal/store"
)

// Service is one AWS dialect served by Vigil.
type Service interface {
	Spec() *awsproto.Spec
	// Handle runs one operation. The call's input is JSON shaped like the
	// operation's input in the botocore model; the result is a struct whose
	// json tags (and, for awsQuery services, xml tags) follow the output shape.
	// Errors should be *awsproto.Error; anything else is an internal failure.
	Handle(ctx context.Context, call *awsproto.Call) (any, error)
}

// RESTService is a restJson service: it maps HTTP requests to operations
// and writes its own responses.
type RESTService interface {
	Service
	PathPrefix() string
	Route(r *http.Request, body []byte) (action string, input json.RawMessage, err error)
	WriteResult(w http.ResponseWriter, call *awsproto.Call, result any) error
}

// Router is implemented by services that serve plain HTTP paths without
// authentication, such as SNS's signing certificate.
type Router interface {
	Routes() map[string]http.Handler // path -> handler
}

// Invoker calls an operation of any service through the front door's
// dispatch, authorised and audited like a client's call. Input is anything
// that marshals to the operation's JSON input; the output is the result as JSON.
type Invoker interface {
	Invoke(ctx context.Context, as identity.Principal, service, action string, input any) (json.RawMessage, error)
}

// Env is what a service is built with.
type Env struct {
	DB        *store.DB
	Runner    *runtime.Runner
	Invoker   Invoker
	Log       *slog.Logger
	AccountID string
	Region    string
	// BaseURL is how clients reach this server, e.g. http://127.0.0.1:4566;
	// services that hand out URLs (SNS SubscribeURL) build them from it.
	BaseURL string
	DataDir string
}

// Root is the account's root principal, which services act as when no
// narrower role applies.
func (e *Env) Root() identity.Principal {
	return identity.Principal{
		Type:        identity.Root,
		ARN:         "arn:aws:iam::" + e.AccountID + ":root",
		AccountID:   e.AccountID,
		PrincipalID: e.AccountID,
	}
}

// Starter is implemented by services with work to do once every service is
// registered and before the server accepts calls (loading caches, say).
type Starter interface {
	Start(ctx context.Context) error
}

// Flusher is implemented by services that buffer writes in memory; the
// server calls Flush after it stops taking calls and before it closes the store.
type Flusher interface {
	Flush(ctx context.Context) error
}
