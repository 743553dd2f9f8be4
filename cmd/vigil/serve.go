package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/vigilsec/vigil/internal/app"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/playbooks"
)

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", envOr("VIGIL_LISTEN", "127.0.0.1:4566"), "address to listen on; loopback unless you mean otherwise (env VIGIL_LISTEN)")
	data := fs.String("data", envOr("VIGIL_DATA", "./vigil-data"), "data directory (env VIGIL_DATA)")
	account := fs.String("account-id", envOr("VIGIL_ACCOUNT_ID", "000000000000"), "account id (env VIGIL_ACCOUNT_ID)")
	region := fs.String("region", envOr("VIGIL_REGION", "us-east-1"), "region (env VIGIL_REGION)")
	syncMode := fs.String("sync", envOr("VIGIL_SYNC", string(store.SyncFull)), "commit durability: full (survives power loss) or normal (survives a process crash) (env VIGIL_SYNC)")
	workers := fs.Int("workers", envInt("VIGIL_WORKERS", 32), "workers running deliveries and execution steps (env VIGIL_WORKERS)")
	logLevel := fs.String("log-level", envOr("VIGIL_LOG_LEVEL", "info"), "debug, info, warn or error (env VIGIL_LOG_LEVEL)")
	var pbs, fns multi
	fs.Var(&pbs, "playbook", "install a playbook at start; repeatable (see vigil playbook)")
	fs.Var(&fns, "function", "register an external function, NAME=COMMAND ARGS...; repeatable")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve: unexpected arguments %q", fs.Args())
	}
	if len(*account) != 12 || strings.Trim(*account, "0123456789") != "" {
		return fmt.Errorf("--account-id %q: want 12 digits", *account)
	}
	for _, name := range pbs {
		if _, ok := playbooks.Lookup(name); !ok {
			return fmt.Errorf("--playbook %q: unknown playbook (have: %s)", name, strings.Join(playbooks.Names(), ", "))
		}
	}
	log, err := newLogger(stderr, *logLevel)
	if err != nil {
		return err
	}
	a, err := app.New(ctx, app.Config{
		Listen: *listen, DataDir: *data, AccountID: *account, Region: *region,
		Sync: store.Sync(*syncMode), Workers: *workers, Functions: fns, Playbooks: pbs, Log: log,
		Ready: func(url string) { fmt.Fprintf(stderr, "vigil: listening on %s\n", url) },
	})
	if err != nil {
		return err
	}
	for _, p := range playbooks.All() {
		if err := p.Register(a.Lambda()); err != nil {
			return fmt.Errorf("register functions of playbook %s: %w", p.Name, err)
		}
	}
	return a.Run(ctx, func(ctx context.Context, a *app.App) error {
		for _, name := range pbs {
			p, _ := playbooks.Lookup(name)
			if err := p.Install(ctx, a.Env()); err != nil {
				return fmt.Errorf("install playbook %s: %w", name, err)
			}
			log.Info("playbook installed", "name", name)
		}
		return nil
	})
}

func listPlaybooks(w io.Writer) error {
	for _, p := range playbooks.All() {
		fmt.Fprintf(w, "%-24s %s\n", p.Name, p.Summary)
	}
	return nil
}
