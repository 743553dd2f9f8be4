// Package playbooks holds Vigil's ready-made response systems: each bundle
// is the rules, state machines, topics and functions of one seed system,
// installed through the same APIs a user would call.
package playbooks

import (
	"context"
	"sort"

	"github.com/vigilsec/vigil/internal/services"
	"github.com/vigilsec/vigil/internal/services/lambda"
)

// Playbook is one installable bundle.
type Playbook struct {
	Name    string
	Summary string
	// Register adds the playbook's built-in functions. Every playbook's
	// functions are registered at start, installed or not, so that
	// executions begun before a restart can finish.
	Register func(fns *lambda.Service) error
	// Install creates the playbook's resources; running it again changes nothing.
	Install func(ctx context.Context, env *services.Env) error
}

var registry = map[string]Playbook{}

func add(p Playbook) { registry[p.Name] = p }

// Lookup returns the playbook called name.
func Lookup(name string) (Playbook, bool) {
	p, ok := registry[name]
	return p, ok
}

// Names lists the playbooks, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// All returns every playbook, sorted by name.
func All() []Playbook {
	var ps []Playbook
	for _, n := range Names() {
		ps = append(ps, registry[n])
	}
	return ps
}
