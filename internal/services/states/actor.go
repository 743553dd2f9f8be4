package states

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/vigilsec/vigil/internal/services"
)

// Tasks call other services with the role of the execution that runs them
// (or the role TestState is given), as AWS does: a workflow may do what
// its role allows and nothing more. The front door evaluates the role's
// policies for every call a task makes.

// servicePrincipal is who assumes an execution's role.
const servicePrincipal = "states.amazonaws.com"

// actor names who a task's calls are made as. Exactly one of execution
// (an execution ARN whose role is looked up) and roleArn is set.
type actor struct {
	execution string
	roleArn   string
	session   string
}

type actorKey struct{}

// withActor returns ctx carrying who the tasks performed with it act as.
func withActor(ctx context.Context, a actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// invoke calls another service as the task's actor. A role that is gone or
// does not trust states.amazonaws.com fails the call with AccessDenied,
// which fails the task like any other error of the call.
func (s *Service) invoke(ctx context.Context, service, action string, input any) (json.RawMessage, error) {
	a, _ := ctx.Value(actorKey{}).(actor)
	if a.execution != "" && a.roleArn == "" {
		role, err := s.executionRole(ctx, a.execution)
		if err != nil {
			return nil, err
		}
		a.roleArn = role
		a.session = sessionName(a.execution[strings.LastIndexByte(a.execution, ':')+1:])
	}
	p, err := services.ActAs(ctx, s.env, a.roleArn, servicePrincipal, a.session)
	if err != nil {
		return nil, err
	}
	return s.env.Invoker.Invoke(ctx, p, service, action, input)
}

// executionRole returns the role an execution runs with. An execution's
// role never changes, so it is remembered: a read right after the write
// that scheduled the task is dear.
func (s *Service) executionRole(ctx context.Context, execARN string) (string, error) {
	if role, ok := s.roles.get(execARN); ok {
		return role, nil
	}
	var role string
	err := s.env.DB.Read().QueryRowContext(ctx, `SELECT role_arn FROM states_executions WHERE arn = ?`, execARN).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("execution %s: not found", execARN)
	}
	if err != nil {
		return "", fmt.Errorf("load role of execution %s: %w", execARN, err)
	}
	s.roles.put(execARN, role)
	return role, nil
}

// roleCache maps execution ARNs to roles, forgetting everything when full
// rather than tracking age: misses only cost a read.
type roleCache struct {
	mu sync.Mutex
	m  map[string]string
}

const maxCachedRoles = 8192

func (c *roleCache) get(exec string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.m[exec]
	return r, ok
}

func (c *roleCache) put(exec, role string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedRoles {
		c.m = make(map[string]string)
	}
	c.m[exec] = role
}

var sessionUnsafe = regexp.MustCompile(`[^\w+=,.@-]`)

// sessionName makes a role session name (2 to 64 of [\w+=,.@-]) from an
// execution name, so that CloudTrail names the execution that made a call.
func sessionName(execName string) string {
	n := sessionUnsafe.ReplaceAllString(execName, "-")
	if len(n) > 64 {
		n = n[:64]
	}
	if len(n) < 2 {
		n = "states-" + n
	}
	return n
}
