// Package app assembles a Vigil server: the store, the services, the front
// door and the workers, wired together and run until cancelled.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/vigilsec/vigil/internal/runtime"
	"github.com/vigilsec/vigil/internal/server"
	"github.com/vigilsec/vigil/internal/services"
	"github.com/vigilsec/vigil/internal/services/accessanalyzer"
	"github.com/vigilsec/vigil/internal/services/cloudtrail"
	"github.com/vigilsec/vigil/internal/services/events"
	"github.com/vigilsec/vigil/internal/services/iam"
	"github.com/vigilsec/vigil/internal/services/lambda"
	"github.com/vigilsec/vigil/internal/services/sns"
	"github.com/vigilsec/vigil/internal/services/states"
	"github.com/vigilsec/vigil/internal/services/sts"
	"github.com/vigilsec/vigil/internal/store"
)

// Config is how a server is run.
type Config struct {
	Listen    string // host:port; port 0 picks a free one
	DataDir   string
	AccountID string
	Region    string
	Sync      store.Sync
	Workers   int
	Functions []string // NAME=COMMAND ARGS..., external functions
	Playbooks []string // bundles to install at start
	Log       *slog.Logger
	// Ready, if set, is called once the server accepts calls.
	Ready func(baseURL string)
}

// App is an assembled server.
type App struct {
	cfg    Config
	env    *services.Env
	srv    *server.Server
	lambda *lambda.Service
	iamSvc *iam.Service
	ln     net.Listener
	lock   *os.File
	svcs   []services.Service
}

// New opens the data directory and builds every service. It listens at
// once, so that services that hand out URLs know the real address.
func New(ctx context.Context, cfg Config) (*App, error) {
	lock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, cfg.DataDir, cfg.Sync)
	if err != nil {
		lock.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		db.Close()
		lock.Close()
		return nil, fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	srv := server.New(cfg.Log, cfg.Region)
	env := &services.Env{
		DB: db, Runner: runtime.New(db, cfg.Log, cfg.Workers), Invoker: srv, Log: cfg.Log,
		AccountID: cfg.AccountID, Region: cfg.Region, DataDir: cfg.DataDir,
		BaseURL: "http://" + ln.Addr().String(),
	}
	a := &App{cfg: cfg, env: env, srv: srv, ln: ln, lock: lock}
	if err := a.build(); err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

func (a *App) build() error {
	env := a.env
	iamSvc, trail := iam.New(env), cloudtrail.New(env)
	a.iamSvc = iamSvc
	a.lambda = lambda.New(env)
	for _, f := range a.cfg.Functions {
		name, argv, err := lambda.ParseFunctionFlag(f)
		if err != nil {
			return fmt.Errorf("--function %q: %w", f, err)
		}
		if err := a.lambda.RegisterCommand(name, argv); err != nil {
			return fmt.Errorf("--function %q: %w", f, err)
		}
	}
	stsSvc := sts.New(env, iamSvc)
	stsSvc.TrustCheck = trustCheck(a.srv)
	a.svcs = []services.Service{iamSvc, stsSvc, trail, events.New(env), states.New(env), sns.New(env), a.lambda,
		accessanalyzer.New(env)}
	for _, svc := range a.svcs {
		a.srv.Register(svc)
	}
	a.srv.SetAuth(iamSvc, trail)
	a.srv.SetAccount(env.AccountID)
	a.srv.SetPolicies(iamPolicies{iamSvc})
	return nil
}

// Env is the environment the services were built with.
func (a *App) Env() *services.Env { return a.env }

// Lambda is the functions service, for registering built-in functions.
func (a *App) Lambda() *lambda.Service { return a.lambda }

// Run starts the services and serves until ctx is cancelled.
func (a *App) Run(ctx context.Context, install func(ctx context.Context, a *App) error) error {
	defer a.close()
	for _, svc := range a.svcs {
		if st, ok := svc.(services.Starter); ok {
			if err := st.Start(ctx); err != nil {
				return fmt.Errorf("start %s: %w", svc.Spec().Name, err)
			}
		}
	}
	if err := a.ensureCredentials(ctx); err != nil {
		return err
	}
	hs := &http.Server{Handler: a.srv, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, IdleTimeout: 2 * time.Minute}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	wg.Add(2)
	go func() { defer wg.Done(); errc <- a.env.Runner.Run(ctx) }()
	go func() {
		defer wg.Done()
		if err := hs.Serve(a.ln); !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("serve: %w", err)
		}
	}()
	if install != nil {
		if err := install(ctx, a); err != nil {
			cancel()
			hs.Close()
			wg.Wait()
			return err
		}
	}
	a.cfg.Log.Info("vigil serving", "url", a.env.BaseURL, "data", a.cfg.DataDir, "account", a.cfg.AccountID, "region", a.cfg.Region)
	if a.cfg.Ready != nil {
		a.cfg.Ready(a.env.BaseURL)
	}
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	cancel()
	shut, done := context.WithTimeout(context.Background(), 5*time.Second)
	defer done()
	hs.Shutdown(shut)
	wg.Wait()
	for _, svc := range a.svcs {
		if f, ok := svc.(services.Flusher); ok {
			if err := f.Flush(shut); err != nil {
				a.cfg.Log.Error("flush at shutdown", "service", svc.Spec().Name, "err", err)
			}
		}
	}
	return runErr
}

func (a *App) close() {
	a.ln.Close()
	a.env.DB.Close()
	a.lock.Close()
}

// lockDataDir takes an exclusive lock on the data directory: two processes
// on one database would each think the other's leased work was abandoned.
func lockDataDir(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "vigil.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("data directory %s is in use by another vigil process", dir)
	}
	return f, nil
}
